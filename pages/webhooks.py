"""Webhooks: the endpoints other systems receive events on (secret shown once, test, resend) and the deliveries log."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

WEBHOOKS = resource('webhooks')
DELIVERIES = resource('webhook-deliveries')


@screen(
    '/webhooks',
    WEBHOOKS.label,
    permission=WEBHOOKS.read_permission,
    icon=WEBHOOKS.icon,
    section=N_('Administration'),
    order=925,
    description=WEBHOOKS.description,
)
def webhooks_page(user: User) -> None:
    ResourceView(WEBHOOKS, user)
    ui.label(_(DELIVERIES.label)).classes('text-lg font-medium mt-6')
    ResourceView(DELIVERIES, user)
