"""Starting a return (RMA) from a support request of type "return or exchange": the order's lines with how many come
back and why; the returns service checks the rest (the order is the customer's, no more than was shipped)."""

from __future__ import annotations

from nicegui import run, ui

from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError
from backoffice.models import Ticket
from backoffice.services import orders, returns

from .forms import page_dialog, show_error
from .session import acting_user


def start_return_from_request(ticket: Ticket) -> None:
    user = acting_user()
    if user is None:
        return
    try:
        with read_session() as session:
            order = orders.get_order(session=session, actor=user, number=ticket.order_number or '')
            lines = orders.order_lines(session, order.id)
    except ServiceError as error:
        show_error(error)
        return
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(f'Return from order {order.number}').classes('text-lg font-medium')
        reason = ui.input('Reason', value=ticket.subject).props('outlined dense').classes('w-full')
        quantities = {line.id: ui.number(f'{line.sku} · {line.name} (bought {line.quantity})', value=0, min=0,
                                         precision=0).props('outlined dense').classes('w-full')
                      .mark(f'return-quantity-{line.sku}') for line in lines}

        async def start() -> None:
            chosen = [{'order_line_id': line_id, 'quantity': int(field.value or 0)}
                      for line_id, field in quantities.items() if field.value]

            def create():
                with session_scope() as session:
                    return returns.create_return_from_ticket(session=session, actor=user, ticket_id=ticket.id,
                                                             lines=chosen, reason=reason.value or '')
            try:
                rma = await run.io_bound(create)
            except ServiceError as error:
                show_error(error)
                return
            dialog.close()
            dialog.delete()
            ui.notify(f'Return {rma.number} started for order {order.number}', type='positive')

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=dialog.close).props('flat')
            ui.button('Start return', on_click=start).mark('start-return-submit')
    dialog.open()
