"""Inventory: stock per product (on hand, reserved, available, min/max; adjust with a reason), the movements ledger,
receiving a purchase, and the reorder list as a purchase CSV."""

from __future__ import annotations

from nicegui import run, ui

from backoffice.db import read_session
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from backoffice.services import stock
from components.forms import call_now
from components.purchase_dialog import new_purchase
from components.resource_form import open_record
from components.resource_table import ResourceTable
from components.screens import screen
from components.session import acting_user

STOCK = resource('stock')
MOVEMENTS = resource('stock-movements')


class InventoryScreen:
    def __init__(self, user: User) -> None:
        self.user = user
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(_(STOCK.description)).classes('text-gray-600')
            with ui.row().classes('gap-2'):
                ui.button(_('Reorder list (CSV)'), icon='download', on_click=self.reorder_csv).props('outline').mark(
                    'reorder-csv'
                )
                if can(user, 'catalog.write'):
                    ui.button(_('Receive purchase'), icon='move_to_inbox', on_click=self.receive_dialog).mark(
                        'receive-purchase'
                    )
        with ui.tabs().classes('w-full') as tabs:
            levels = ui.tab(_('Stock'))
            ledger = ui.tab(_('Movements'))
        with ui.tab_panels(tabs, value=levels).classes('w-full'):
            with ui.tab_panel(levels).classes('p-0'):
                self.levels = ResourceTable(
                    STOCK, on_open=lambda record_id: open_record(STOCK, record_id, on_saved=self.reload)
                )
            with ui.tab_panel(ledger).classes('p-0'):
                self.ledger = ResourceTable(MOVEMENTS, on_open=self.open_movement)

    def open_movement(self, record_id: int) -> None:
        """A movement of an order (a sale, a return) opens that order; a receipt opens its purchase."""
        user = acting_user()
        if user is None:
            return
        with read_session() as session:
            target = call_now(stock.movement_opens, session=session, actor=user, movement_id=record_id)
        if isinstance(target, str):
            ui.navigate.to(target)

    async def reload(self) -> None:
        await self.levels.load()
        await self.ledger.reload()

    async def reorder_csv(self) -> None:
        user = acting_user()
        if user is None:
            return

        def render() -> bytes:
            with read_session() as session:
                return stock.reorder_csv(session=session, actor=user)

        data = await run.io_bound(render)
        ui.download.content(data, 'reorder-list.csv', 'text/csv')

    def receive_dialog(self) -> None:
        new_purchase(self.user, received=True, on_saved=self.reload)


@screen(
    '/inventory',
    N_('Inventory'),
    permission=STOCK.read_permission,
    icon=STOCK.icon,
    section=N_('Catalogue'),
    order=320,
    description=STOCK.description,
)
def inventory_page(user: User) -> None:
    InventoryScreen(user)
