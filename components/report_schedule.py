"""A report's schedules on its screen: who gets it by email every week or month (with the filters shown now), a
dialog to add one, and a button to stop each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.i18n import _
from backoffice.models import User
from backoffice.services import report_schedules

from .forms import FAILED, call, error_line, page_dialog
from .session import acting_user


class ScheduleList:
    def __init__(self, user: User, key: str, filters: Callable[[], dict[str, Any]]) -> None:
        self.user, self.key, self.filters = user, key, filters
        with ui.row().classes('w-full items-center gap-2'):
            ui.button(_('Send by email…'), icon='schedule_send', on_click=self.dialog).props('flat dense').mark(
                'schedule-report'
            )
        self.list = ui.column().classes('w-full gap-1').mark('report-schedules')
        self.show()

    def show(self) -> None:
        with read_session() as session:
            shown = report_schedules.schedules(session=session, actor=self.user, key=self.key)
        self.list.clear()
        with self.list:
            for schedule in shown:
                with ui.row().classes('items-center gap-2 text-sm text-gray-700').mark(f'schedule-{schedule.id}'):
                    ui.icon('schedule_send').classes('text-gray-500')
                    ui.label(
                        _('{frequency} to {people}').format(
                            frequency=_(report_schedules.FREQUENCIES[schedule.frequency]),
                            people=', '.join(schedule.recipients),
                        )
                    ).classes('break-words')
                    stop = ui.button(icon='close', on_click=lambda s=schedule.id: self.stop(s))
                    stop.props('flat round dense').mark(f'stop-schedule-{schedule.id}')
                    stop.props['aria-label'] = _('Stop sending')

    async def stop(self, schedule_id: int) -> None:
        actor = acting_user()
        if actor is None:
            return

        def go() -> None:
            with session_scope() as session:
                report_schedules.delete(session=session, actor=actor, schedule_id=schedule_id)

        with self.list:
            if await call(go) is FAILED:
                return
            ui.notify(_('The report is no longer sent.'))
        self.show()

    def dialog(self) -> None:
        with read_session() as session:
            people = report_schedules.recipients_choice(session=session, actor=self.user)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('schedule-dialog'):
            ui.label(_('Send this report by email')).classes('text-lg font-medium')
            ui.label(_('After each week or month, with the filters chosen now, for the period that ended.')).classes(
                'text-sm text-gray-600'
            )
            fields: dict[str, Any] = {
                'frequency': ui.select(
                    {key: _(label) for key, label in report_schedules.FREQUENCIES.items()},
                    label=_('How often'),
                    value='weekly',
                ).props('outlined dense'),
                'recipients': ui.select(people, label=_('Recipients'), multiple=True, value=[])
                .props('outlined dense use-chips')
                .mark('schedule-recipients'),
            }
            message = error_line()
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Close'), on_click=dialog.close).props('flat')

                async def save() -> None:
                    actor = acting_user()
                    if actor is None:
                        return
                    frequency, recipients = fields['frequency'].value, fields['recipients'].value
                    filters = self.filters()

                    def go() -> Any:
                        with session_scope() as session:
                            return report_schedules.create(
                                session=session,
                                actor=actor,
                                key=self.key,
                                frequency=frequency,
                                recipients=list(recipients or []),
                                filters=filters,
                            )

                    if await call(go, fields=fields, message=message) is FAILED:
                        return
                    dialog.close()
                    with self.list:
                        ui.notify(_('The report will be sent.'), type='positive')
                    self.show()

                ui.button(_('Save'), on_click=save).mark('dialog-submit')
        dialog.open()
