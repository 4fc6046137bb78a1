"""Refunds: every refund booked on an order, with how it went back and whether the money arrived at the gateway; a
row opens its order, where a failed one is paid back again."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.resources import resource
from components.order_rows import order_rows_table
from components.screens import screen

REFUNDS = resource('refunds')


@screen(
    '/refunds',
    REFUNDS.label,
    permission=REFUNDS.read_permission,
    icon=REFUNDS.icon,
    section=N_('Sales'),
    order=253,
    description=REFUNDS.description,
)
def refunds_page(user: User) -> None:
    ui.label(
        _('{description}. A row opens its order, where a refund that failed is paid back again.').format(
            description=_(REFUNDS.description)
        )
    ).classes('text-gray-600')
    order_rows_table(REFUNDS)
