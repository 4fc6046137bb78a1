"""Orders: the list over the resource engine (status, date, customer, amount; search by number or email), staff
drafts, and a pick list PDF for the selected orders."""

from __future__ import annotations

from nicegui import run, ui

from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import RESOURCES, resource
from backoffice.services import crud, documents, orders
from components.forms import page_dialog, show_error
from components.registry import screen
from components.resource_table import ResourceTable
from components.session import acting_user

ORDERS = resource('orders')


class OrdersList:
    def __init__(self, user: User) -> None:
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(ORDERS.description).classes('text-gray-600')
            with ui.row().classes('gap-2'):
                self.pick = ui.button('Pick list', icon='picture_as_pdf', on_click=self.pick_list).props('outline')
                self.pick.mark('pick-list')
                if can(user, 'orders.write'):
                    ui.button('New draft order', icon='add', on_click=lambda: DraftDialog(user)).mark('new-draft')
        self.table = ResourceTable(ORDERS, on_open=self.open)
        self.table.table.set_selection('multiple')  # read-only rows, but a batch pick list needs a selection

    def open(self, record_id: int) -> None:
        row = next((r for r in self.table.table.rows if r['id'] == record_id), None)
        if row is not None:
            ui.navigate.to(f'/orders/{row["number"]}')

    async def pick_list(self) -> None:
        user = acting_user()
        ids = [row['id'] for row in self.table.table.selected]
        if user is None:
            return
        if not ids:
            ui.notify('Select the orders to pick first (the boxes at the left of the list)', type='warning')
            return

        def render() -> bytes:
            with read_session() as session:
                return documents.pick_list_pdf(session=session, actor=user, order_ids=ids)
        try:
            pdf = await run.io_bound(render)
        except ServiceError as error:
            show_error(error)
            return
        ui.download.content(pdf, f'pick-list-{len(ids)}-orders.pdf', 'application/pdf')


class DraftDialog:
    """A draft for a customer (found by email, or created), with products and quantities; priced by the service."""

    def __init__(self, user: User) -> None:
        self.user = user
        with read_session() as session:
            self.products = crud.lookup(session=session, actor=user, resource=RESOURCES['products'], limit=500)
        self.lines: list[tuple[ui.select, ui.number]] = []
        with page_dialog() as self.dialog, ui.card().classes('w-full max-w-xl'):
            ui.label('New draft order').classes('text-lg font-medium')
            self.email = ui.input('Customer email').props('outlined dense').classes('w-full').mark('draft-email')
            self.name = ui.input('Customer name').props('outlined dense').classes('w-full')
            self.address = ui.textarea('Shipping address').props('outlined dense autogrow').classes('w-full')
            self.lines_box = ui.column().classes('w-full gap-1')
            ui.button('Add a product', icon='add', on_click=self.add_line).props('flat dense')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=self.dialog.close).props('flat')
                ui.button('Create draft', on_click=self.save).mark('create-draft')
        self.add_line()
        self.dialog.open()

    def add_line(self) -> None:
        with self.lines_box, ui.row().classes('w-full items-center gap-2 no-wrap'):
            product = ui.select(self.products, label='Product', with_input=True).props('outlined dense') \
                .classes('grow').mark(f'draft-product-{len(self.lines)}')
            quantity = ui.number('Qty', value=1, min=1, precision=0).props('outlined dense').classes('w-24') \
                .mark(f'draft-quantity-{len(self.lines)}')
        self.lines.append((product, quantity))

    async def save(self) -> None:
        user = acting_user()
        if user is None:
            return
        data = {'email': self.email.value or None, 'name': self.name.value or '',
                'shipping_address': self.address.value or '',
                'lines': [{'product_id': product.value, 'quantity': int(quantity.value or 0)}
                          for product, quantity in self.lines if product.value is not None]}

        def create():
            with session_scope() as session:
                return orders.create_draft(session=session, actor=user, data=data)
        try:
            draft = await run.io_bound(create)
        except ServiceError as error:
            show_error(error, {'email': self.email})
            return
        self.dialog.close()
        ui.notify(f'Draft order {draft.number} created', type='positive')
        ui.navigate.to(f'/orders/{draft.number}')


@screen('/orders', ORDERS.label, permission=ORDERS.read_permission, icon=ORDERS.icon, section='Sales', order=250,
        description=ORDERS.description)
def orders_page(user: User) -> None:
    OrdersList(user)
