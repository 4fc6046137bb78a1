"""Payments: every payment received for an order, found by its order, its customer or its reference; a row opens its
order. Refunds have a list of their own (/refunds), as /accounting keeps them apart."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.resources import resource
from components.order_rows import order_rows_table
from components.screens import screen

PAYMENTS = resource('payments')


@screen(
    '/payments',
    PAYMENTS.label,
    permission=PAYMENTS.read_permission,
    icon=PAYMENTS.icon,
    section=N_('Sales'),
    order=252,
    description=PAYMENTS.description,
)
def payments_page(user: User) -> None:
    ui.label(
        _('{description}. A row opens its order; refunds are listed under Refunds.').format(
            description=_(PAYMENTS.description)
        )
    ).classes('text-gray-600')
    order_rows_table(PAYMENTS)
