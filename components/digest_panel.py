"""One's own digest on the account page: none, every day or every week (the day and hour in the shop's time zone),
which KPI cards, "Send me one now", and the latest sent."""

from __future__ import annotations

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.i18n import _
from backoffice.models import User
from backoffice.services import app_settings, digest

from .forms import FAILED, call, error_line
from .session import acting_user


class DigestPanel:
    def __init__(self, user: User) -> None:
        self.user = user
        with read_session() as session:
            mine = digest.choice(session=session, actor=user)
            zone = app_settings.value(session=session, key='time_zone')
        self.version = mine.version
        cards = {key: _(label) for key, label in digest.card_choices(user).items()}
        ui.label(
            _('A short email: your KPIs, goals, alerts, late requests and low stock, as your role lets you see them.')
        ).classes('text-sm text-gray-600')
        with ui.row().classes('w-full items-start gap-3'):
            self.frequency = (
                ui.select({k: _(v) for k, v in digest.FREQUENCIES.items()}, value=mine.frequency, label=_('Digest'))
                .classes('min-w-40')
                .mark('digest-frequency')
            )
            self.weekday = (
                ui.select({k: _(v) for k, v in digest.WEEKDAYS.items()}, value=mine.weekday, label=_('Day'))
                .classes('min-w-36')
                .mark('digest-weekday')
            )
            self.hour = (
                ui.select({h: f'{h:02d}:00' for h in range(24)}, value=mine.hour, label=_('Hour'))
                .classes('min-w-28')
                .mark('digest-hour')
            )
        ui.label(_('Time zone: {zone}').format(zone=zone)).classes('text-xs text-gray-500')
        self.kpis = (
            ui.select(cards, value=[k for k in mine.kpis if k in cards], multiple=True, label=_('KPI cards'))
            .props('use-chips clearable')
            .classes('w-full')
            .mark('digest-kpis')
        )
        self.kpis.set_visibility(bool(cards))
        ui.label(_('No KPI card chosen: every card.')).classes('text-xs text-gray-500').set_visibility(bool(cards))
        self.fields = {'frequency': self.frequency, 'weekday': self.weekday, 'hour': self.hour, 'kpis': self.kpis}
        self.message = error_line()
        self.frequency.on_value_change(lambda: self._show_schedule())
        self._show_schedule()
        with ui.row().classes('w-full gap-2 justify-end'):
            ui.button(_('Send me one now'), icon='forward_to_inbox', on_click=self.send_now).props('outline').mark(
                'digest-send-now'
            )
            ui.button(_('Save'), on_click=self.save).mark('digest-save')
        self.history = ui.column().classes('w-full gap-0').mark('digest-sent')
        self._history()

    def _show_schedule(self) -> None:
        self.weekday.set_visibility(self.frequency.value == 'weekly')
        self.hour.set_visibility(self.frequency.value != 'none')

    def _history(self) -> None:
        with read_session() as session:
            rows = digest.sent(session=session, actor=self.user)
        self.history.clear()
        with self.history:
            for row in rows:
                ui.label(
                    _('Sent {when}: {period}').format(
                        when=formatting.when(row.sent_at), period=formatting.days(row.first_day, row.last_day)
                    )
                ).classes('text-xs text-gray-500')

    async def save(self) -> None:
        actor = acting_user()
        if actor is None:
            return

        def go() -> int:
            with session_scope() as session:
                return digest.save_choice(
                    session=session,
                    actor=actor,
                    frequency=self.frequency.value,
                    weekday=self.weekday.value,
                    hour=self.hour.value,
                    kpis=list(self.kpis.value or []),
                    version=self.version,
                ).version

        saved = await call(go, fields=self.fields, message=self.message)
        if saved is FAILED:
            return
        self.version = saved
        ui.notify(_('Your digest is saved.'), type='positive')

    async def send_now(self) -> None:
        actor = acting_user()
        if actor is None:
            return

        def go() -> None:
            with session_scope() as session:
                digest.send_now(session=session, actor=actor)

        if await call(go, message=self.message) is FAILED:
            return
        ui.notify(_('Your digest is on its way: it leaves with the next outbox run.'), type='positive')
        self._history()
