"""Orders: the list over the resource engine (status, date, customer, amount; search by number or email), staff
drafts, and a pick list PDF for the selected orders."""

from __future__ import annotations

from nicegui import run, ui

from backoffice.db import read_session
from backoffice.errors import ServiceError
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from backoffice.services import documents
from components.forms import show_error
from components.order_draft import DraftDialog
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
                    ui.button('New draft order', icon='add', on_click=lambda: DraftDialog(
                        user, on_saved=lambda draft: ui.navigate.to(f'/orders/{draft.number}'))).mark('new-draft')
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


@screen('/orders', ORDERS.label, permission=ORDERS.read_permission, icon=ORDERS.icon, section='Sales', order=250,
        description=ORDERS.description)
def orders_page(user: User) -> None:
    OrdersList(user)
