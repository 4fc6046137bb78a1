"""The one dialog that starts a return (RMA): the order's lines with how many come back, and why. Opened from the
order, or from a support request of type "return or exchange" (then the request gets a note); the returns service
checks the rest (the order is the customer's, no more than was shipped)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.i18n import _
from backoffice.models import Order, OrderLine, Return, Ticket, User
from backoffice.services import orders, returns

from .forms import FAILED, call, call_now, counted, error_line, page_dialog
from .session import acting_user
from .whole_number import WholeNumberInput


def start_return(
    order: Order,
    *,
    lines: list[OrderLine] | None = None,
    ticket: Ticket | None = None,
    on_done: Callable[[Return], Awaitable[Any] | Any] | None = None,
) -> None:
    """`lines`: the order's lines when the caller has them (the order page), else they are read here (one order)."""
    user = acting_user()
    if user is None:
        return
    read = call_now(_returnable, order.id, lines)
    if read is FAILED:
        return
    lines, left, shipped = read
    nothing_left = bool(lines) and not any(left.values())
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(_('Return from order {number}').format(number=order.number)).classes('text-lg font-medium')
        reason = (
            counted(ui.input(_('Reason'), value=ticket.subject if ticket else ''), returns.REASON_MAX)
            .props('outlined dense')
            .classes('w-full')
            .mark('return-reason')
        )
        quantities: dict[int, WholeNumberInput] = {}
        for line in lines:
            # the line said in full above its field (as a field's label it was cut to one line on a phone, hiding
            # how many can still come back)
            ui.label(_line_label(line, left[line.id], shipped.get(line.id, 0))).classes('w-full text-sm break-words')
            quantities[line.id] = (
                WholeNumberInput(_('How many come back'), value=0)
                .props('outlined dense')
                .classes('w-full')
                .mark(f'return-quantity-{line.sku}')
            )
        for line_id, field in quantities.items():
            if not left[line_id]:
                field.disable()  # nothing of it can come back
        if nothing_left:
            ui.label(_('Everything from this order has been returned already.')).classes('text-gray-600').mark(
                'return-nothing-left'
            )

        async def start() -> None:
            chosen = [line_id for line_id, field in quantities.items() if field.number not in (None, 0)]
            wanted = [{'order_line_id': line_id, 'quantity': quantities[line_id].number} for line_id in chosen]
            fields = {
                'reason': reason,
                **({'lines': next(iter(quantities.values()))} if quantities else {}),  # "return at least one item"
                **{f'lines.{i}.quantity': quantities[line_id] for i, line_id in enumerate(chosen)},
            }
            rma = await call(_create, user, order, ticket, wanted, reason.value or '', fields=fields, message=message)
            if rma is FAILED:
                return
            # the message and what follows first, while this button still exists: its page is found through it
            # (the dialog removes itself once the browser has hidden it)
            ui.notify(
                _('Return {number} started for order {order}').format(number=rma.number, order=order.number),
                type='positive',
            )
            dialog.close()
            # from a request the agent stays on it (its thread gets the return's note, live): they tell the customer
            # the return's number next; the return is received later on its order's page, which the request links to
            if on_done is not None and (awaited := on_done(rma)) is not None:
                await awaited

        message = error_line()  # what no field shows (the order is not the customer's…)
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            submit = ui.button(_('Start return'), on_click=start).mark('start-return-submit')
            if nothing_left:
                submit.disable()
    dialog.open()


def _returnable(order_id: int, lines: list[OrderLine] | None) -> tuple[list[OrderLine], dict[int, int], dict[int, int]]:
    """The order's lines (read here unless given), how many of each can still come back, and how many left the shop
    (a partly shipped order: what its parcels took)."""
    with read_session() as session:
        lines = orders.order_lines(session, order_id) if lines is None else lines
        order = session.get(Order, order_id)
        shipped = returns.shipped_quantities(session, order, lines) if order is not None else {}
        return lines, returns.still_returnable(session, order_id, lines), shipped


def _line_label(line: OrderLine, left: int, shipped: int) -> str:
    if shipped < line.quantity:  # a partly shipped order: only what its parcels took can come back
        return _('{sku} · {name} (bought {quantity}, shipped {shipped}, {left} can come back)').format(
            sku=line.sku, name=line.name, quantity=line.quantity, shipped=shipped, left=left
        )
    if left == line.quantity:
        return _('{sku} · {name} (bought {quantity})').format(sku=line.sku, name=line.name, quantity=line.quantity)
    if not left:
        return _('{sku} · {name} (bought {quantity}, all returned already)').format(
            sku=line.sku, name=line.name, quantity=line.quantity
        )
    return _('{sku} · {name} (bought {quantity}, {left} can still come back)').format(
        sku=line.sku, name=line.name, quantity=line.quantity, left=left
    )


def _create(user: User, order: Order, ticket: Ticket | None, lines: list[dict], reason: str) -> Return:
    with session_scope() as session:
        if ticket is not None:
            return returns.create_return_from_ticket(
                session=session, actor=user, ticket_id=ticket.id, lines=lines, reason=reason
            )
        return returns.create_return(session=session, actor=user, order_id=order.id, lines=lines, reason=reason)
