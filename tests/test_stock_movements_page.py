"""The stock movements ledger names the order of each sale (and return), and a row of an order opens it; a receipt's
row opens its purchase."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.listing import counts
from backoffice.models import MovementKind, StockMovement
from backoffice.services import purchases, stock

from .support.factories import advance, make_product, make_user, pay, place
from .support.signin import signed_in
from .support.waiting import eventually


def out_of_time(session, seconds):
    raise counts.OutOfTime  # as if every count ran out of its time budget (a busy machine)


def ledger(user: User) -> ui.table:
    """The Movements tab's table (the Stock tab's comes first)."""
    return max(user.find(ui.table).elements, key=lambda table: table.id)


async def test_a_sale_movement_names_its_order_and_opens_it(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2), name='Jo "J" <b>Doe</b>')
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    with read_session() as session:
        sale = session.exec(select(StockMovement).where(StockMovement.kind == MovementKind.sale)).one()
    assert (sale.order_id, sale.reason) == (order.id, f'Order {order.number}')

    await signed_in(user, manager.email, path='/inventory')
    user.find('Movements').click()

    def sale_row() -> dict | None:
        return next((row for row in ledger(user).rows if row['kind'] == 'Sale'), None)

    await eventually(sale_row)
    assert (sale_row()['order_id'], sale_row()['reason']) == (order.number, f'Order {order.number}')
    table = user.find(kind=ui.table)
    table.elements = {ledger(user)}
    table.trigger('rowClick', [{}, sale_row(), 0])
    await eventually(lambda: user.back_history[-1].endswith(f'/orders/{order.number}'))


async def test_a_receipt_movement_opens_its_purchase(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', '10.00', actor=manager)
    with session_scope() as session:
        purchase = purchases.receive_purchase(
            session=session,
            actor=manager,
            lines=[{'product_id': mug.id, 'quantity': 4, 'unit_cost': '3.50'}],
            supplier='Acme "A" : <script>x</script>',
            reference="PO-'1'",
        )
    await signed_in(user, manager.email, path='/inventory')
    user.find('Movements').click()

    def receipt_row() -> dict | None:
        return next((row for row in ledger(user).rows if row['kind'] == 'Receipt'), None)

    await eventually(receipt_row)
    table = user.find(kind=ui.table)
    table.elements = {ledger(user)}
    table.trigger('rowClick', [{}, receipt_row(), 0])
    await eventually(lambda: user.back_history[-1].endswith(f'/purchases?open={purchase.id}'))


async def test_the_movements_count_is_said_exactly_when_the_sample_read_them_all(user: User, monkeypatch) -> None:
    """A busy machine runs the count out of its time budget: the sample that stands in for it probes every id of a short
    ledger, so the caption says the count itself, not "about"; only a sample of part of the ledger is an estimate."""
    from components.resource_table import ListCaption

    manager = make_user('manager')
    mug = make_product('MUG', '10.00', name='Mug "=1+1": <script>x</script>', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        for n in range(30):
            stock.adjust(
                session=session, actor=manager, product_id=mug.id, quantity=1, reason=f'=SUM(A{n}) "found": <b>'
            )
    monkeypatch.setattr(counts, 'time_limit', out_of_time)

    def caption() -> str:
        return max(user.find(ListCaption).elements, key=lambda element: element.id).text

    await signed_in(user, manager.email, path='/inventory')
    user.find('Movements').click()
    await eventually(lambda: caption() == '31 movements')  # the receipt and 30 adjustments, every one counted
    monkeypatch.setattr(counts, 'ESTIMATE_SAMPLE', 10)  # a sample of part of them: an estimate, said so
    await user.open('/inventory')
    user.find('Movements').click()
    await eventually(lambda: caption().startswith('about '))
