"""Purchases: purchase orders to suppliers (ordered, received), ordering and receiving them."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from components.purchase_dialog import new_purchase, show_purchase
from components.resource_table import ResourceTable
from components.screens import screen

PURCHASES = resource('purchases')


@screen(
    '/purchases',
    PURCHASES.label,
    permission=PURCHASES.read_permission,
    icon=PURCHASES.icon,
    section=N_('Catalogue'),
    order=325,
    description=PURCHASES.description,
)
def purchases_page(user: User) -> None:
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.label(_(PURCHASES.description)).classes('text-gray-600')
        if can(user, 'catalog.write'):
            with ui.row().classes('gap-2'):
                ui.button(
                    _('New purchase order'),
                    icon='add',
                    on_click=lambda: new_purchase(user, received=False, on_saved=table.reload),
                ).props('outline').mark('new-purchase')
                ui.button(
                    _('Receive purchase'),
                    icon='move_to_inbox',
                    on_click=lambda: new_purchase(user, received=True, on_saved=table.reload),
                ).mark('receive-purchase')
    table = ResourceTable(PURCHASES, on_open=lambda record_id: show_purchase(user, record_id, on_saved=table.reload))
