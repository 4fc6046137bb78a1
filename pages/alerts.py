"""Alerts: rules on the KPIs (above/below a value, a change against the previous period, no data for hours), who
they tell and where, mute and snooze, a test message per chat channel, what fired, when, and who was told, and (for
those who manage alerts) the log of every email and chat message sent."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi import periods
from backoffice.kpi.registry import BY_KEY, KPIS
from backoffice.models import AlertRule, User, utcnow
from backoffice.permissions import can
from backoffice.services import alert_checks, alert_delivery, alerts
from backoffice.services.alerts import CHANNELS, KINDS
from components import live
from components.delivery_log import DeliveryLog
from components.forms import FAILED, call, counted, error_line, page_dialog
from components.kept_cards import KeptCards, key_of
from components.kpi_widgets import points
from components.screens import screen
from components.session import acting_user
from components.whole_number import WholeNumberInput

STATE_COLORS = {'firing': 'negative', 'normal': 'positive', 'muted': 'grey', 'snoozed': 'grey'}
CHANNEL_WORDS = {'in_app': N_('In the app'), 'email': N_('Email')}
DELIVERY_WORDS = {'sent': N_('sent'), 'pending': N_('waiting'), 'failed': N_('failed')}


@screen(
    '/alerts',
    N_('Alerts'),
    permission='kpis.read',
    icon='notifications_active',
    order=6,
    description=N_('Rules that warn when a KPI goes wrong, and what they told whom'),
)
def alerts_page(user: User) -> None:
    may_manage = can(user, alerts.MANAGE)
    page = ui.context.slot.parent  # the screen's column: a rule's buttons may be rebuilt while their handler runs
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.label(_('Rules are checked after each KPI refresh; each crossing is told once.')).classes(
            'text-sm text-gray-600'
        )
        if may_manage:
            with ui.row().classes('gap-2'):
                ui.button(_('Send a test message'), icon='send', on_click=lambda: test_dialog()).props('outline').mark(
                    'test-message'
                )
                ui.button(_('New rule'), icon='add', on_click=lambda: rule_dialog()).mark('new-rule')

    def show_rules() -> None:
        reader = acting_user()  # every handler and refresh acts with the rights of now, not of the page's build
        if reader is None:
            return
        with read_session() as session:
            shown = alerts.rules(session=session, actor=reader)
        # a card that shows the same is kept: alerts fire, resolve and are delivered (or retried) while a manager
        # looks, and a card drawn again for it would drop the click on its "Mute" already on its way
        rule_cards.show(
            [(key_of(rule.model_dump(mode='json'), _state(rule)), lambda r=rule: rule_card(r)) for rule in shown]
        )

    def rule_card(rule: AlertRule) -> ui.card:
        state = _state(rule)
        with ui.card().classes('w-full gap-1').mark(f'rule-{rule.id}') as card:
            with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                ui.label(rule.name).classes('font-medium break-words min-w-0')
                ui.badge(_STATE_WORDS()[state], color=STATE_COLORS[state]).props('outline')
            ui.label(_condition(rule)).classes('text-sm')
            where = [_(CHANNEL_WORDS['in_app'])] if rule.recipients else []
            if rule.email:
                where.append(_(CHANNEL_WORDS['email']))
            where += [CHANNELS[c] for c in filter(None, rule.channels.split(','))]
            ui.label(_('Tells: {where}').format(where=', '.join(where) or '—')).classes('text-xs text-gray-500')
            if rule.snoozed_until and state == 'snoozed':
                ui.label(_('Snoozed until {when}').format(when=formatting.when(rule.snoozed_until))).classes(
                    'text-xs text-gray-500'
                )
            if may_manage:
                with ui.row().classes('gap-1'):
                    ui.button(
                        _('Unmute') if rule.muted else _('Mute'),
                        on_click=lambda r=rule: act(_set_muted, r.id, not r.muted),
                    ).props('flat dense no-caps').mark(f'mute-{rule.id}')
                    if state == 'snoozed':
                        ui.button(_('Wake up'), on_click=lambda r=rule: act(_snooze, r.id, 0)).props(
                            'flat dense no-caps'
                        )
                    else:
                        ui.button(_('Snooze 24 h'), on_click=lambda r=rule: act(_snooze, r.id, 24)).props(
                            'flat dense no-caps'
                        ).mark(f'snooze-{rule.id}')
                    ui.button(_('Edit'), on_click=lambda r=rule: rule_dialog(r)).props('flat dense no-caps').mark(
                        f'edit-rule-{rule.id}'
                    )
                    ui.button(_('Delete'), on_click=lambda r=rule: act(_delete, r.id)).props(
                        'flat dense no-caps color=grey-7'
                    )
        return card

    async def act(fn, *args: Any) -> None:
        # a colleague's change refreshes the cards (and deletes the clicked button) while the call runs: what it says
        # afterwards goes to the page, not to the deleted card
        with page:
            actor = acting_user()
            if actor is not None and await call(fn, actor, *args) is not FAILED:
                show_rules()

    @ui.refreshable
    def fired() -> None:
        reader = acting_user()
        if reader is None:
            return
        with read_session() as session:
            story = alerts.history(session=session, actor=reader)
        if not story:
            ui.label(_('Nothing has fired yet.')).classes('text-gray-500')
        for event in story:
            with ui.card().classes('w-full gap-1 p-3').props('flat bordered').mark(f'fired-{event.id}'):
                ui.label(event.message).classes('text-sm break-words')
                resolved = (
                    _('back to normal {when}').format(when=formatting.when(event.resolved_at))
                    if event.resolved_at
                    else _('still on')
                )
                ui.label(
                    _('Fired {when}, {resolved}').format(when=formatting.when(event.fired_at), resolved=resolved)
                ).classes('text-xs text-gray-500')
                if event.silenced:
                    told = _('Nobody was told: the rule was muted or snoozed.')
                else:
                    told = _('Told: {list}').format(
                        list=', '.join(
                            f'{_channel(channel)} {target} ({_(DELIVERY_WORDS.get(status, status))})'
                            for channel, target, status in event.told
                        )
                        or '—'
                    )
                ui.label(told).classes('text-xs text-gray-600 break-words')

    def rule_dialog(rule: AlertRule | None = None) -> None:
        opener = acting_user()
        if opener is None:
            return
        with read_session() as session:
            people = alerts.staff(session=session, actor=opener)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(_('Edit rule') if rule else _('New rule')).classes('text-lg font-medium')
            name = counted(ui.input(_('Name'), value=rule.name if rule else ''), alerts.NAME_MAX).props('outlined')
            name.classes('w-full')
            name.mark('rule-name')
            kpi = ui.select(
                {k.key: _(k.label) for k in KPIS}, value=rule.kpi if rule else 'turnover', label=_('KPI')
            ).props('outlined')
            kpi.classes('w-full').mark('rule-kpi')
            kind = ui.select(
                {k: _(v) for k, v in KINDS.items()}, value=rule.kind if rule else 'below', label=_('Condition')
            ).props('outlined')
            kind.classes('w-full').mark('rule-kind')
            with ui.row().classes('w-full no-wrap gap-2'):
                threshold = ui.input(_('Value, % or hours'), value=_plain(rule.threshold) if rule else '').props(
                    'outlined inputmode=decimal'
                )
                threshold.classes('grow').mark('rule-threshold')
                # text: Chromium's number input read '1,5' as 15; the service says the bounds
                window = WholeNumberInput(_('Over days'), value=rule.window_days if rule else 1).props('outlined')
                window.classes('w-32').mark('rule-window')
            told = [i for i in rule.recipients if i in people] if rule else [opener.id]
            recipients = ui.select(people, multiple=True, value=told, label=_('Tell in the app')).props(
                'outlined use-chips'
            )
            recipients.classes('w-full')
            email = ui.checkbox(_('Also by email'), value=bool(rule and rule.email))
            chosen = [c for c in rule.channels.split(',') if c in CHANNELS] if rule else []
            channels = ui.select(dict(CHANNELS), multiple=True, value=chosen, label=_('Chat channels')).props(
                'outlined use-chips'
            )
            channels.classes('w-full').mark('rule-channels')
            message = error_line()

            async def save() -> None:
                data = {
                    'name': name.value,
                    'kpi': kpi.value,
                    'kind': kind.value,
                    'threshold': threshold.value,
                    'window_days': window.number,
                    'recipients': recipients.value or [],
                    'email': email.value,
                    'channels': channels.value or [],
                }
                fields = {
                    'name': name,
                    'kpi': kpi,
                    'kind': kind,
                    'threshold': threshold,
                    'window_days': window,
                    'recipients': recipients,
                    'channels': channels,
                }
                actor = acting_user()
                if actor is None:
                    return
                if rule is not None:
                    done = await call(_update_rule, actor, rule.id, data, rule.version, fields=fields, message=message)
                else:
                    done = await call(_create_rule, actor, data, fields=fields, message=message)
                if done is not FAILED:
                    dialog.close()
                    ui.notify(_('Rule saved.') if rule else _('Rule added.'), type='positive')
                    show_rules()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save') if rule else _('Add rule'), on_click=save).mark('save-rule')
        dialog.open()

    def test_dialog() -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            ui.label(_('Send a test message')).classes('text-lg font-medium')
            channel = ui.select(dict(CHANNELS), value='slack', label=_('Channel')).props('outlined').classes('w-full')
            channel.mark('test-channel')
            ui.label(_('The addresses are set in Settings, under Alerts.')).classes('text-xs text-gray-500')
            message = error_line()

            async def send() -> None:
                actor = acting_user()
                if actor is None:
                    return
                fields = {'channel': channel}
                sent = await call(
                    alert_delivery.send_test, actor=actor, channel=channel.value, fields=fields, message=message
                )
                if sent is not FAILED:
                    ui.notify(_('The test message was delivered.'), type='positive')
                    dialog.close()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Close'), on_click=dialog.close).props('flat')
                ui.button(_('Send'), on_click=send).mark('send-test')
        dialog.open()

    rule_cards = KeptCards(
        ui.grid().classes('w-full grid-cols-1 lg:grid-cols-2 gap-3'),
        lambda: ui.label(_('No alert rules yet.')).classes('text-gray-500').mark('no-rules'),
    )
    show_rules()
    ui.label(_('What fired')).classes('text-lg font-medium mt-4')
    fired()
    log = DeliveryLog(user) if may_manage else None

    def changed(_payload: dict) -> None:  # a rule fired or resolved after a refresh, or a colleague changed one
        show_rules()
        fired.refresh()
        if log is not None:  # a message was queued, sent, retried or given up
            log.show.refresh()

    live.resource_changed(Topic.alerts).subscribe(changed)


def _STATE_WORDS() -> dict[str, str]:  # noqa: N802 (a table, translated when read)
    return {'firing': _('Firing'), 'normal': _('Normal'), 'muted': _('Muted'), 'snoozed': _('Snoozed')}


def _state(rule: AlertRule) -> str:
    silenced = alert_checks.silenced(rule, utcnow())
    return silenced or ('firing' if rule.firing else 'normal')


def _condition(rule: AlertRule) -> str:
    kpi = _(BY_KEY[rule.kpi].label) if rule.kpi in BY_KEY else rule.kpi
    if rule.kind == 'above':
        return _('{kpi} above {value} (over {days} d)').format(
            kpi=kpi, value=periods.shown(rule.kpi, rule.threshold), days=rule.window_days
        )
    if rule.kind == 'below':
        return _('{kpi} below {value} (over {days} d)').format(
            kpi=kpi, value=periods.shown(rule.kpi, rule.threshold), days=rule.window_days
        )
    if rule.kind == 'change':
        rate = rule.kpi in BY_KEY and BY_KEY[rule.kpi].unit == 'percent'  # a rate's change is in points
        limit = points(rule.threshold) if rate else formatting.percent(rule.threshold / 100, 1)
        return _('{kpi} changes by more than {percent} against the previous {days} d').format(
            kpi=kpi, percent=limit, days=rule.window_days
        )
    return _('No data for {kpi} for more than {hours} hours').format(kpi=kpi, hours=formatting.number(rule.threshold))


def _plain(value: float) -> str:
    """A stored number as one types it back (1500, 2.5): no grouping, so the form reads it again unchanged."""
    return f'{value:.6f}'.rstrip('0').rstrip('.')


def _channel(channel: str) -> str:
    return CHANNELS.get(channel) or _(CHANNEL_WORDS.get(channel, channel))


def _create_rule(user: User, data: dict[str, Any]) -> int | None:
    with session_scope() as session:
        return alerts.create_rule(session=session, actor=user, data=data).id


def _update_rule(user: User, rule_id: int, data: dict[str, Any], version: int) -> int | None:
    with session_scope() as session:
        return alerts.update_rule(session=session, actor=user, rule_id=rule_id, data=data, version=version).id


def _set_muted(user: User, rule_id: int, muted: bool) -> None:
    with session_scope() as session:
        alerts.set_muted(session=session, actor=user, rule_id=rule_id, muted=muted)


def _snooze(user: User, rule_id: int, hours: float) -> None:
    with session_scope() as session:
        alerts.snooze(session=session, actor=user, rule_id=rule_id, hours=hours)


def _delete(user: User, rule_id: int) -> None:
    with session_scope() as session:
        alerts.delete_rule(session=session, actor=user, rule_id=rule_id)
