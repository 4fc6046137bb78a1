"""The delivery log of the email and chat messages (alerts, chat channels' events, automations, tests): each with what
it was about, where it went, its status, attempts and last error, newest first; it follows the sending live."""

from __future__ import annotations

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.i18n import N_, _, ngettext
from backoffice.models import AlertDelivery, User
from backoffice.services import alert_delivery, app_settings
from backoffice.services.alerts import CHANNELS

from .session import acting_user

STATUS_WORDS = {'sent': N_('Sent'), 'pending': N_('Waiting'), 'failed': N_('Failed')}
STATUS_COLORS = {'sent': 'positive', 'pending': 'warning', 'failed': 'negative'}


class DeliveryLog:
    def __init__(self, user: User) -> None:
        ui.label(_('Messages sent')).classes('text-lg font-medium mt-4')
        ui.label(
            _('Email and chat messages: alerts, the events each channel is told of, automations and tests.')
        ).classes('text-sm text-gray-600')
        self.root = ui.column().classes('w-full gap-2').mark('delivery-log')
        with self.root:
            self.show()

    @ui.refreshable_method
    def show(self) -> None:
        user = acting_user()
        if user is None:
            return
        with read_session() as session:
            rows = alert_delivery.deliveries(session=session, actor=user, limit=50)
        if not rows:
            ui.label(_('No message sent yet.')).classes('text-gray-500')
        for row in rows:
            _card(row)


def _card(row: AlertDelivery) -> None:
    with ui.card().classes('w-full gap-1 p-3').props('flat bordered').mark(f'delivery-{row.id}'):
        with ui.row().classes('w-full items-center justify-between gap-2 no-wrap'):
            ui.label(f'{_about(row)} → {CHANNELS.get(row.channel) or row.target}').classes('text-sm font-medium')
            ui.badge(_(STATUS_WORDS.get(row.status, row.status)), color=STATUS_COLORS.get(row.status, 'grey')).props(
                'outline'
            )
        ui.label(row.text).classes('text-sm break-words')
        details = [formatting.when(row.sent_at or row.created_at)]
        details.append(ngettext('{count} attempt', '{count} attempts', row.attempts).format(count=row.attempts))
        if row.error:
            details.append(_('last error: {error}').format(error=alert_delivery.last_error(row)))
        ui.label(' · '.join(details)).classes('text-xs text-gray-600 break-words')


def _about(row: AlertDelivery) -> str:
    event = (row.extra or {}).get('event')
    if event in app_settings.CHAT_EVENTS:
        return _(app_settings.CHAT_EVENTS[event])
    if (row.extra or {}).get('automation'):
        return _('Automation')
    if row.event_id is not None:
        return _('Alert')
    return _('Test message')
