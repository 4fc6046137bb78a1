"""A short delivery: the warehouse receives part of a purchase order (per line, the rest still due by default), the
order stays partly received showing what is still due, and receiving again takes the rest; stock moves by what
arrived, and what is on order counts only what has not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import PurchaseLine, StockLevel
from backoffice.services import purchases, stock

from .support.factories import make_product, make_user
from .support.lists import open_row, rows_show
from .support.payables import make_supplier
from .support.signin import signed_in

HOSTILE = 'PO "12": <script>alert(1)</script>'


@pytest.fixture
def manager():
    return make_user('manager')


def ordered(manager, *lines: tuple[int, int, str | None], reference: str = 'PO-1'):
    with session_scope() as session:
        return purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Acme',
            reference=reference,
            received=False,
            lines=[{'product_id': p, 'quantity': q, 'unit_cost': c} for p, q, c in lines],
        )


def on_hand(product_id: int) -> int:
    """The product's stock on hand (0 before anything was received: no stock level yet)."""
    with read_session() as session:
        found = session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).first()
    return found.on_hand if found else 0


def newest(user: User, marker: str) -> ui.element:
    """The field of the dialog opened last (a closed dialog may linger in the simulated page)."""
    return max(user.find(marker=marker).elements, key=lambda element: element.id)


def click_newest(user: User, marker: str) -> None:
    found = user.find(marker=marker)
    found.elements = {newest(user, marker)}
    found.click()


def line_ids(purchase_id: int) -> list[int]:
    with read_session() as session:
        return list(
            session.exec(
                select(PurchaseLine.id).where(PurchaseLine.purchase_id == purchase_id).order_by(col(PurchaseLine.id))
            ).all()
        )


def test_a_short_delivery_is_received_in_parts(manager) -> None:
    mug = make_product('MUG', actor=manager)
    tee = make_product('TEE', actor=manager)
    purchase = ordered(manager, (mug.id, 10, '2.50'), (tee.id, 4, None))
    first, second = line_ids(purchase.id)
    with session_scope() as session:
        part = purchases.receive(session=session, actor=manager, purchase_id=purchase.id, quantities={first: 6})
    assert (part.status, part.received_at, purchases.may_receive(part)) == ('partly_received', None, True)
    assert (on_hand(mug.id), on_hand(tee.id)) == (6, 0)
    with read_session() as session:
        assert stock.on_order(session, [mug.id, tee.id]) == {mug.id: 4, tee.id: 4}
    with session_scope() as session:  # the rest, without saying how much: everything still due
        rest = purchases.receive(session=session, actor=manager, purchase_id=purchase.id)
    assert (rest.status, rest.received_at is not None) == ('received', True)
    assert (on_hand(mug.id), on_hand(tee.id)) == (10, 4)
    with read_session() as session:
        assert stock.on_order(session, [mug.id, tee.id]) == {}
    with session_scope() as session, pytest.raises(purchases.AlreadyReceived):
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id, quantities={second: 1})
    assert on_hand(tee.id) == 4
    assert ordered(manager, (mug.id, 1, '1')).total == Decimal('1.00')


def test_a_partial_receipt_refuses_more_than_is_due_nothing_or_text(manager) -> None:
    mug = make_product('MUG', actor=manager)
    purchase = ordered(manager, (mug.id, 3, None))
    (line,) = line_ids(purchase.id)
    for quantities, field, text in (
        ({line: 4}, 'lines.0.quantity', 'At most 3 still due'),
        ({line: 0}, 'lines', 'Receive at least 1'),
        ({line: -1}, 'lines.0.quantity', 'Use 0 or more'),
        ({line: HOSTILE}, 'lines.0.quantity', 'Enter a whole number'),
        ({line + 999: 1}, 'lines', 'This line is not on the purchase'),
        ({HOSTILE: 1}, 'lines', 'This line is not on the purchase'),
    ):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            purchases.receive(session=session, actor=manager, purchase_id=purchase.id, quantities=quantities)
        assert refused.value.errors == {field: text}, quantities
    assert on_hand(mug.id) == 0


async def test_the_warehouse_receives_a_short_delivery_then_the_rest(user: User, manager) -> None:
    mug = make_product('MUG', actor=manager, name='Mug "blue": <script>alert(1)</script>')
    tee = make_product('TEE', actor=manager)
    make_supplier('Acme')
    purchase = ordered(manager, (mug.id, 10, '2.50'), (tee.id, 4, None), reference=HOSTILE)
    first, second = line_ids(purchase.id)
    await signed_in(user, manager.email, path='/purchases')
    await rows_show(user, HOSTILE, column='reference')
    open_row(user, HOSTILE, column='reference')
    await user.should_see('10 × MUG — Mug "blue": <script>alert(1)</script>', retries=40)
    await user.should_see('€2.50 each')  # the unit cost where it is known, in the shop's currency
    arrived = newest(user, f'arrived-{first}')
    assert (arrived.value, newest(user, f'arrived-{second}').value) == ('10', '4')
    arrived.set_value('11')
    click_newest(user, 'receive-now')
    await user.should_see('At most 10 still due', retries=40)
    arrived.set_value('6')
    newest(user, f'arrived-{second}').set_value('0')
    click_newest(user, 'receive-now')
    await user.should_see(f'Received 6 items of purchase {HOSTILE}: the rest is still due', retries=40)
    assert (on_hand(mug.id), on_hand(tee.id)) == (6, 0)
    await rows_show(user, 'Partly received', column='status')

    open_row(user, HOSTILE, column='reference')
    await user.should_see('partly received: 8 items still due', retries=40)
    await user.should_see('2.50 each · 6 received, 4 still due')
    assert newest(user, f'arrived-{first}').value == '4'  # the rest, by default
    click_newest(user, 'receive-now')
    await user.should_see(f'Purchase {HOSTILE} received: its goods are in stock', retries=40)
    assert (on_hand(mug.id), on_hand(tee.id)) == (10, 4)
    await rows_show(user, 'Received', column='status')
    open_row(user, HOSTILE, column='reference')
    await user.should_see('10 × MUG', retries=40)
    last = max(user.find(ui.dialog).elements, key=lambda element: element.id)
    assert not any('receive-now' in element._markers for element in last.descendants())  # nothing left to receive
