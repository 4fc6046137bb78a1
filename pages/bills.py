"""Supplier bills: the list (status, supplier, due date filters), and entering a new bill."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from components.bill_dialogs import new_bill
from components.resource_table import ResourceTable
from components.screens import screen

BILLS = resource('supplier-bills')


@screen(
    '/finance/bills',
    BILLS.label,
    permission=BILLS.read_permission,
    icon=BILLS.icon,
    section=N_('Finance'),
    order=277,
    description=BILLS.description,
)
def bills_page(user: User) -> None:
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.label(_(BILLS.description)).classes('text-gray-600')
        if can(user, BILLS.write_permission):
            ui.button(_('Enter a bill'), icon='add', on_click=lambda: new_bill(user)).mark('new-bill')
    ResourceTable(BILLS, on_open=lambda record_id: ui.navigate.to(f'/finance/bills/{record_id}'))
