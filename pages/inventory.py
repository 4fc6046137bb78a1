"""Inventory: stock per product (on hand, reserved, available, min/max; adjust with a reason), the movements ledger,
receiving a purchase, and the reorder list as a purchase CSV."""

from __future__ import annotations

from nicegui import run, ui

from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import RESOURCES, resource
from backoffice.services import crud, stock
from components.forms import page_dialog, show_error
from components.registry import screen
from components.resource_form import open_record
from components.resource_table import ResourceTable
from components.session import acting_user

STOCK = resource('stock')
MOVEMENTS = resource('stock-movements')


class InventoryScreen:
    def __init__(self, user: User) -> None:
        self.user = user
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(STOCK.description).classes('text-gray-600')
            with ui.row().classes('gap-2'):
                ui.button('Reorder list (CSV)', icon='download', on_click=self.reorder_csv).props('outline') \
                    .mark('reorder-csv')
                if can(user, 'catalog.write'):
                    ui.button('Receive purchase', icon='move_to_inbox', on_click=self.receive_dialog) \
                        .mark('receive-purchase')
        with ui.tabs().classes('w-full') as tabs:
            levels = ui.tab('Stock')
            ledger = ui.tab('Movements')
        with ui.tab_panels(tabs, value=levels).classes('w-full'):
            with ui.tab_panel(levels).classes('p-0'):
                self.levels = ResourceTable(STOCK, on_open=lambda record_id: open_record(
                    STOCK, record_id, on_saved=self.reload))
            with ui.tab_panel(ledger).classes('p-0'):
                self.ledger = ResourceTable(MOVEMENTS, on_open=lambda record_id: None)

    async def reload(self) -> None:
        await self.levels.load()
        await self.ledger.reload()

    async def reorder_csv(self) -> None:
        user = acting_user()
        if user is None:
            return

        def render() -> str:
            with read_session() as session:
                return stock.reorder_csv(session=session, actor=user)
        text = await run.io_bound(render)
        ui.download.content(text.encode(), 'reorder-list.csv', 'text/csv')

    def receive_dialog(self) -> None:
        with read_session() as session:
            products = crud.lookup(session=session, actor=self.user, resource=RESOURCES['products'], limit=500)
        lines: list[tuple[ui.select, ui.number]] = []
        with page_dialog() as dialog, ui.card().classes('w-full max-w-xl'):
            ui.label('Receive purchase').classes('text-lg font-medium')
            supplier = ui.input('Supplier').props('outlined dense').classes('w-full').mark('supplier')
            reference = ui.input('Reference (delivery note)').props('outlined dense').classes('w-full')
            box = ui.column().classes('w-full gap-1')

            def add_line() -> None:
                with box, ui.row().classes('w-full items-center gap-2 no-wrap'):
                    product = ui.select(products, label='Product', with_input=True).props('outlined dense') \
                        .classes('grow').mark(f'receive-product-{len(lines)}')
                    quantity = ui.number('Qty', value=1, min=1, precision=0).props('outlined dense') \
                        .classes('w-24').mark(f'receive-quantity-{len(lines)}')
                lines.append((product, quantity))

            async def save() -> None:
                user = acting_user()
                if user is None:
                    return
                chosen = [{'product_id': p.value, 'quantity': int(q.value or 0)} for p, q in lines if p.value]

                def receive():
                    with session_scope() as session:
                        return stock.receive_purchase(session=session, actor=user, lines=chosen,
                                                      supplier=supplier.value or '', reference=reference.value or '')
                try:
                    await run.io_bound(receive)
                except ServiceError as error:
                    show_error(error)
                    return
                dialog.close()
                ui.notify(f'Received {sum(line["quantity"] for line in chosen)} items', type='positive')
                await self.reload()

            ui.button('Add a product', icon='add', on_click=add_line).props('flat dense')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=dialog.close).props('flat')
                ui.button('Receive', on_click=save).mark('receive')
        add_line()
        dialog.open()


@screen('/inventory', 'Inventory', permission=STOCK.read_permission, icon=STOCK.icon, section='Catalogue', order=320,
        description=STOCK.description)
def inventory_page(user: User) -> None:
    InventoryScreen(user)
