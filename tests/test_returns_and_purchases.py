"""Returns and purchase orders as their own lists: a return can be cancelled until its parcel is received (then it is
refused, saying why), the order page names returned items by SKU and name; a purchase is ordered, then received once
into stock from /purchases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.models import AuditEntry, OrderEvent, Product, Purchase, Return
from backoffice.services import orders, purchases, returns
from components.return_dialog import start_return as return_dialog

from .support.factories import advance, fresh, level, make_product, make_user, pay, place, start_return
from .support.lists import open_row, rows_show
from .support.payables import make_supplier
from .support.signin import signed_in
from .support.waiting import eventually


@pytest.fixture
def manager():
    return make_user('manager')


def shipped_order(manager, *lines):
    order = place(*lines)
    pay(manager, order)
    return advance(manager, order, 'pack', 'ship')


def test_a_requested_return_is_cancelled_audited_and_its_items_may_be_returned_again(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = shipped_order(manager, ('MUG', 2))
    rma = start_return(manager, order, 2)
    assert rma.customer_id == order.customer_id
    with session_scope() as session:
        cancelled = returns.cancel_return(session=session, actor=manager, return_id=rma.id, reason='Kept it')
    assert (cancelled.status, cancelled.closed_at is not None) == ('cancelled', True)
    with read_session() as session:
        texts = session.exec(select(OrderEvent.text).where(OrderEvent.order_id == order.id)).all()
        audited = session.exec(
            select(AuditEntry.action).where(AuditEntry.entity == 'returns').order_by(col(AuditEntry.id))
        ).all()  # in the order written (PostgreSQL: no order by)
    assert 'Return R-1001 cancelled: Kept it' in texts
    assert audited == ['return.created', 'return.cancelled']
    again = start_return(manager, order, 2)  # the cancelled return no longer counts against what was bought
    assert again.number == 'R-1002'


def test_a_received_return_cannot_be_cancelled(manager) -> None:
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    order = shipped_order(manager, ('MUG', 1))
    rma = start_return(manager, order)
    with session_scope() as session:
        returns.receive(session=session, actor=manager, return_id=rma.id)
    with session_scope() as session, pytest.raises(orders.IllegalTransition) as refused:
        returns.cancel_return(session=session, actor=manager, return_id=rma.id)
    assert str(refused.value) == (
        'Return R-1001 is received: only a return not yet received can be cancelled; '
        'its goods are back in stock, resolve it instead'
    )
    assert level(mug.id).on_hand == 5


def test_a_purchase_order_moves_stock_only_when_received_and_only_once(manager) -> None:
    mug = make_product('MUG', actor=manager)
    tee = make_product('TEE', actor=manager)
    with session_scope() as session:
        ordered = purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Acme',
            reference='PO-9',
            received=False,
            lines=[{'product_id': mug.id, 'quantity': 10, 'unit_cost': '2.50'}, {'product_id': tee.id, 'quantity': 4}],
        )
    assert (ordered.status, ordered.line_count, ordered.total, ordered.received_at) == (
        'ordered',
        2,
        Decimal('25.00'),
        None,
    )
    with read_session() as session:
        assert session.exec(select(Purchase)).one().status == 'ordered'
    with session_scope() as session:
        received = purchases.receive(session=session, actor=manager, purchase_id=ordered.id)
    assert received.status == 'received' and received.received_at is not None
    assert (level(mug.id).on_hand, level(tee.id).on_hand) == (10, 4)
    with session_scope() as session, pytest.raises(purchases.AlreadyReceived) as refused:
        purchases.receive(session=session, actor=manager, purchase_id=ordered.id)
    assert 'Purchase PO-9 was received already' in str(refused.value)
    assert level(mug.id).on_hand == 10


def test_purchase_lines_are_validated_per_field(manager) -> None:
    from backoffice.errors import ValidationFailed

    mug = make_product('MUG', actor=manager)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        purchases.create_purchase(
            session=session,
            actor=manager,
            received=False,
            lines=[
                {'product_id': mug.id, 'quantity': 0},
                {'product_id': 999, 'quantity': 1},
                {'product_id': mug.id, 'quantity': 1, 'unit_cost': '-1'},
                {'product_id': mug.id, 'quantity': 1, 'unit_cost': '12.345'},  # kept to the cent: never rounded
                {'product_id': mug.id, 'quantity': 1, 'unit_cost': '<script>"1"</script>: \'x\''},
            ],
        )
    assert refused.value.errors == {
        'lines.0.quantity': 'Order at least 1',  # an order, not a receipt: said as such
        'lines.1.product_id': 'Choose a product',
        'lines.2.unit_cost': 'Enter an amount of 0 or more',
        'lines.3.unit_cost': (
            'Use at most two decimals (in English, the point separates decimals: for 12,345, type 12345)'
        ),
        'lines.4.unit_cost': 'Enter an amount, e.g. 12.50',
    }
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        purchases.create_purchase(session=session, actor=manager, lines=[{'product_id': mug.id, 'quantity': 0}])
    assert refused.value.errors == {'lines.0.quantity': 'Receive at least 1'}


def test_a_purchase_too_dear_to_store_is_refused_before_it_is_written(manager) -> None:
    """Each line's cost and quantity are in range, but the purchase's total does not fit its column (12 digits, 2
    after the point): PostgreSQL failed the write with a server error, SQLite stored it; now it is refused, saying
    so."""
    from backoffice.errors import ValidationFailed

    mug = make_product('MUG', actor=manager)
    lines = [{'product_id': mug.id, 'quantity': 1_000_000, 'unit_cost': '50000'}]
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        purchases.create_purchase(session=session, actor=manager, received=False, lines=lines)
    assert refused.value.errors == {
        'lines': "This purchase's total would be over 9,999,999,999.99: split it into smaller purchases"
    }
    with read_session() as session:
        assert session.exec(select(Purchase)).all() == []


async def test_the_returns_list_filters_by_status_and_a_row_opens_the_order(user: User, manager) -> None:
    make_product('MUG', stock_on_hand=9, actor=manager)
    first = shipped_order(manager, ('MUG', 1))
    second = shipped_order(manager, ('MUG', 1))
    start_return(manager, first, reason='Broken')
    kept = start_return(manager, second, reason='Wrong colour')
    with session_scope() as session:
        returns.cancel_return(session=session, actor=manager, return_id=kept.id)
    await signed_in(user, manager.email, path='/returns')
    await rows_show(user, 'R-1001', 'R-1002', column='number')
    rows = {row['number']: row for row in _table(user).rows}
    assert (rows['R-1001']['order_id'], rows['R-1001']['customer_id'], rows['R-1001']['status']) == (
        first.number,
        'cleo@example.com',
        'Requested',
    )
    user.find(marker='filter-status').elements.pop().set_value(['cancelled'])
    await rows_show(user, 'R-1002', absent=('R-1001',), column='number')
    open_row(user, 'R-1002', column='number')
    await user.should_see(f'Order {second.number}', retries=40)


async def test_an_order_page_names_returned_items_and_cancels_a_return(user: User, manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager, name='Blue mug')
    order = shipped_order(manager, ('MUG', 2))
    start_return(manager, order, 1)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see('Return R-1001 · requested · 1 × MUG Blue mug', retries=40)
    user.find(marker='cancel-return').click()
    await user.should_see('Return R-1001 cancelled', retries=40)
    with read_session() as session:
        assert session.exec(select(Return.status)).one() == 'cancelled'
    assert fresh(order.id).status == 'shipped'


async def test_an_order_returned_whole_offers_no_return_until_that_return_is_cancelled(user: User, manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager, name='Mug "blue": <script>alert(1)</script>')
    order = shipped_order(manager, ('MUG', 2))
    rma = start_return(manager, order, 2, reason='Both "chipped": <script>alert(1)</script>')
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(
        f'Return {rma.number} · requested · 2 × MUG Mug "blue": <script>alert(1)</script>', retries=40
    )
    await user.should_not_see(marker='start-return')  # everything is on its way back already
    user.find(marker='cancel-return').click()
    await user.should_see(f'Return {rma.number} cancelled', retries=40)
    await user.should_see(marker='start-return', retries=40)  # the items may come back again


async def test_a_purchase_is_ordered_then_received_from_the_purchases_list(user: User, manager) -> None:
    mug = make_product('MUG', actor=manager)
    acme = make_supplier('Acme')
    await signed_in(user, manager.email, path='/purchases')
    await user.should_see(marker='new-purchase', retries=40)
    user.find(marker='new-purchase').click()
    user.find(marker='supplier').elements.pop().set_value(acme.id)
    user.find(marker='reference').type('PO-77')
    user.find(marker='receive-product-0').elements.pop().set_value(mug.id)
    user.find(marker='receive-quantity-0').elements.pop().set_value(12)
    user.find(marker='receive-cost-0').elements.pop().set_value(1.5)
    user.find(marker='order').click()
    await user.should_see('Ordered 12 items', retries=40)
    await rows_show(user, 'PO-77', column='reference')
    row = _table(user).rows[0]
    assert (row['supplier'], row['status'], row['line_count'], row['received_at']) == ('Acme', 'Ordered', '1', '')
    open_row(user, 'PO-77', column='reference')
    await user.should_see('12 × MUG — Product MUG', retries=40)
    user.find(marker='receive-now').click()
    await user.should_see('Purchase PO-77 received: its goods are in stock', retries=40)
    await rows_show(user, 'Received', column='status')
    assert level(mug.id).on_hand == 12


async def test_a_purchase_line_finds_any_product_of_a_large_catalogue_by_its_sku(user: User, manager) -> None:
    """A catalogue of more than 500 products: the one last by name is found by the SKU on the delivery note, named by
    its SKU and name (two sizes share a name), and received (the dialog listed the first 500 names: no SKU found it)."""
    with session_scope() as session:
        session.add_all(
            Product(sku=f'PL-{i:03d}', name=f'Aa tin {i:03d} "x": <script>', price=Decimal('1.00')) for i in range(501)
        )
        session.commit()
    last = make_product('ZW-LAST-1', actor=manager, name='Zinc tin "l\'Été": <script>')
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='receive-purchase', retries=40)
    user.find(marker='receive-purchase').click()
    picker = user.find(marker='receive-product-0').elements.pop()
    assert isinstance(picker, ui.select)
    user.find(marker='receive-product-0').trigger('inputValue', 'zw-last')
    assert picker.options == {last.id: 'ZW-LAST-1 · Zinc tin "l\'Été": <script>'}
    user.find(marker='receive-product-0').trigger('inputValue', 'pl-007')
    assert list(picker.options.values()) == ['PL-007 · Aa tin 007 "x": <script>']
    user.find(marker='receive-product-0').trigger('inputValue', 'zinc tin')
    picker.set_value(last.id)
    user.find(marker='receive-quantity-0').elements.pop().set_value(3)
    user.find(marker='receive').click()
    await user.should_see('Received 3 items', retries=40)
    assert level(last.id).on_hand == 3


async def test_a_unit_cost_with_three_decimals_is_refused_at_its_field(user: User, manager) -> None:
    mug = make_product('MUG', actor=manager)
    await signed_in(user, manager.email, path='/purchases')
    await user.should_see(marker='new-purchase', retries=40)
    user.find(marker='new-purchase').click()
    user.find(marker='reference').type('PO "7" : <script>x</script>')
    user.find(marker='receive-product-0').elements.pop().set_value(mug.id)
    user.find(marker='receive-quantity-0').elements.pop().set_value(2)
    cost = user.find(marker='receive-cost-0').elements.pop()
    cost.set_value('12.345')
    user.find(marker='order').click()
    await eventually(lambda: (cost.error or '').startswith('Use at most two decimals (in English, the point'))
    with read_session() as session:
        assert session.exec(select(Purchase)).all() == []  # not stored as 12.34
    cost.set_value('12.34')
    user.find(marker='order').click()
    await user.should_see('Ordered 2 items', retries=40)
    with read_session() as session:
        purchase = session.exec(select(Purchase)).one()
        [(line, _sku, _name)] = purchases.lines_of(session=session, actor=manager, purchase_id=purchase.id)
    assert line.unit_cost == Decimal('12.34')


def _table(user: User) -> ui.table:
    return user.find(ui.table).elements.pop()


async def test_the_return_dialog_says_how_many_can_still_come_back(user: User, manager) -> None:
    """A second return of an order says what is left of each line (an agent got "at most 0 can still be returned" only
    after submitting); a line returned whole cannot be chosen, and nothing left means no return to start."""
    make_product('MUG', stock_on_hand=5, actor=manager, name='Mug "blue": <script>window.__x=1</script>')
    make_product('CUP', stock_on_hand=5, actor=manager, name='Cup')
    order = shipped_order(manager, ('MUG', 2), ('CUP', 1))
    start_return(manager, order, 1)  # one of the two mugs
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='start-return', retries=40)
    user.find(marker='start-return').click()
    await user.should_see('MUG · Mug "blue": <script>window.__x=1</script> (bought 2, 1 can still come back)')
    await user.should_see('CUP · Cup (bought 1)')
    user.find(marker='return-quantity-CUP').elements.pop().set_value(1)
    user.find(marker='return-quantity-MUG').elements.pop().set_value(1)
    user.find(marker='start-return-submit').click()
    await user.should_see('Return R-1002 started for order 100001', retries=40)

    # everything is on its way back now: the order offers no return any more (orders.allowed_actions)
    await user.should_not_see(marker='start-return', retries=40)
    with user.client:  # the dialog itself, as a page opened before (or a support request's) still opens it
        return_dialog(fresh(order.id))
    await user.should_see('MUG · Mug "blue": <script>window.__x=1</script> (bought 2, all returned already)')
    await user.should_see('Everything from this order has been returned already.')
    newest = lambda marker: max(user.find(marker=marker).elements, key=lambda element: element.id)  # noqa: E731
    assert not newest('return-quantity-MUG').enabled and not newest('return-quantity-CUP').enabled
    assert not newest('start-return-submit').enabled
