"""Invoices and credit notes: every document issued, found by its number, its customer or its order; a row opens its
order, whose page offers the PDF."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.resources import resource
from components.order_rows import order_rows_table
from components.screens import screen

INVOICES = resource('invoices')


@screen(
    '/invoices',
    INVOICES.label,
    permission=INVOICES.read_permission,
    icon=INVOICES.icon,
    section=N_('Sales'),
    order=251,
    description=INVOICES.description,
)
def invoices_page(user: User) -> None:
    ui.label(
        _('{description}. A row opens its order, where its PDF is.').format(description=_(INVOICES.description))
    ).classes('text-gray-600')
    order_rows_table(INVOICES)
