"""What a warehouse operator found in a day of real use: services and plans with stock, purchase orders that could not
be closed short, returns that did not say what was restocked, movements without an author, and a low-stock run that
sent one notice per product."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.listing.query import ListRequest, list_page
from backoffice.models import Notification, Product, Purchase, StockLevel, StockMovement
from backoffice.resources import resource
from backoffice.services import crud, orders, purchases, returns, stock

from .support import lists
from .support.factories import advance, fresh, make_product, make_user, pay, place, start_return
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Supplier said "no more" : <script>alert(1)</script>'


def stock_row(product_id: int) -> StockLevel | None:
    with read_session() as session:
        return session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).first()


def movements_of(product_id: int) -> list[StockMovement]:
    with read_session() as session:
        return list(session.exec(select(StockMovement).where(StockMovement.product_id == product_id)))


# --- 1. services and plans are not stocked ------------------------------------------------------------------------


def test_ordering_a_plan_never_fails_for_stock_and_moves_none() -> None:
    manager = make_user('manager')
    plan = make_product('PLAN-HOME', '119.00', stocked=False)
    make_product('MUG', stock_on_hand=1, actor=manager)
    order = place(('PLAN-HOME', 40), ('MUG', 1))  # 40 plans: nothing to run out of
    pay(manager, order)
    advance(manager, fresh(order.id), 'pack', 'ship')
    assert stock_row(plan.id) is None
    assert movements_of(plan.id) == []
    assert fresh(order.id).status == 'shipped'


@pytest.mark.parametrize('change', ['adjust', 'count', 'limits'])
def test_a_plan_has_no_stock_to_adjust_count_or_limit(change: str) -> None:
    manager = make_user('manager')
    plan = make_product('PLAN-OFFICE', stocked=False)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        if change == 'adjust':
            stock.adjust(session=session, actor=manager, product_id=plan.id, quantity=5, reason='found')
        elif change == 'count':
            stock.record_count(session=session, actor=manager, product_id=plan.id, counted=5)
        else:
            stock.set_limits(session=session, actor=manager, product_id=plan.id, min_qty=2, max_qty=10)
    assert refused.value.errors == {
        '': 'PLAN-OFFICE is not stocked (a service or a plan): it has no stock to change or count'
    }
    assert stock_row(plan.id) is None


def test_a_product_turned_into_a_service_leaves_the_stock_list_the_alerts_and_reservations() -> None:
    manager = make_user('manager')
    repair = make_product('REPAIR', stock_on_hand=2, actor=manager)
    with session_scope() as session:
        stock.set_limits(session=session, actor=manager, product_id=repair.id, min_qty=5, max_qty=10)
    with session_scope() as session:  # its shelf emptied first: a product with stock stays stocked
        stock.record_count(session=session, actor=manager, product_id=repair.id, counted=0, reason='repairs now')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('products'),
            record_id=repair.id,
            version=repair.version,
            changes={'stocked': False},
        )
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == []  # low before, and no longer stock
        assert stock.reorder_list(session=session, actor=manager) == []
        listed = list_page(session=session, actor=manager, resource=resource('stock'), request=ListRequest())
        assert repair.id not in [level.product_id for level in listed.rows]
    place(('REPAIR', 9))  # a service is never short
    assert stock_row(repair.id).reserved == 0


def test_a_purchase_of_a_service_is_received_without_moving_stock() -> None:
    manager = make_user('manager')
    plan = make_product('PLAN-GRINDER', stocked=False)
    with session_scope() as session:
        bought = purchases.create_purchase(
            session=session, actor=manager, lines=[{'product_id': plan.id, 'quantity': 2}], received=True
        )
    with read_session() as session:
        assert session.get(Purchase, bought.id).status == 'received'
    assert stock_row(plan.id) is None and movements_of(plan.id) == []


# --- 2. closing a purchase order short --------------------------------------------------------------------------


def ordered_and_partly_received(manager) -> tuple[Purchase, Product, Product]:
    mug = make_product('MUG')
    tee = make_product('TEE')
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session,
            actor=manager,
            lines=[{'product_id': mug.id, 'quantity': 10}, {'product_id': tee.id, 'quantity': 5}],
            received=False,
            reference='PO-77',
        )
        lines = purchases.lines_of(session=session, actor=manager, purchase_id=purchase.id)
    mug_line = next(line for line, sku, _name in lines if sku == 'MUG')
    with session_scope() as session:
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id, quantities={mug_line.id: 4})
    return purchase, mug, tee


def test_a_purchase_closed_short_is_no_longer_due_and_its_timeline_says_who_what_and_why() -> None:
    manager = make_user('manager', name='Maya Manager')
    purchase, mug, tee = ordered_and_partly_received(manager)
    with session_scope() as session:
        closed = purchases.close_short(session=session, actor=manager, purchase_id=purchase.id, reason=HOSTILE)
    assert purchases.closed_short(closed) and closed.close_reason == HOSTILE and closed.closed_by == manager.id
    with read_session() as session:
        assert stock.on_order(session, [mug.id, tee.id]) == {}  # the rest is no longer expected
        assert purchases.still_due_orders(session=session, actor=manager) == []
        said = purchases.timeline(session=session, actor=manager, purchase_id=purchase.id)[-1]
    assert said.summary == f'Closed short by Maya Manager: 6 × MUG, 5 × TEE not delivered. Reason: {HOSTILE}'
    assert stock_row(mug.id).on_hand == 4  # what arrived stays
    with session_scope() as session, pytest.raises(purchases.AlreadyReceived) as refused:
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id)
    assert 'was closed short' in str(refused.value)
    with session_scope() as session, pytest.raises(purchases.CannotCloseShort) as again:
        purchases.close_short(session=session, actor=manager, purchase_id=purchase.id, reason='twice')
    assert str(again.value).startswith('Purchase PO-77 was closed already (')


def test_closing_short_a_purchase_received_in_full_or_without_a_reason_is_refused() -> None:
    manager = make_user('manager')
    mug = make_product('MUG')
    with session_scope() as session:
        whole = purchases.create_purchase(
            session=session, actor=manager, lines=[{'product_id': mug.id, 'quantity': 3}], reference='PO-9'
        )
    with session_scope() as session, pytest.raises(purchases.CannotCloseShort) as refused:
        purchases.close_short(session=session, actor=manager, purchase_id=whole.id, reason='late')
    assert str(refused.value).startswith('Purchase PO-9 was received in full (')
    assert str(refused.value).endswith('): nothing is missing, so it cannot be closed short.')
    with session_scope() as session:
        due = purchases.create_purchase(
            session=session, actor=manager, lines=[{'product_id': mug.id, 'quantity': 3}], received=False
        )
    with session_scope() as session, pytest.raises(ValidationFailed) as blank:
        purchases.close_short(session=session, actor=manager, purchase_id=due.id, reason='  ')
    assert list(blank.value.errors) == ['reason']


# --- 3. what a received return put back on the shelf ----------------------------------------------------------------


def test_a_received_return_says_how_much_was_restocked_in_the_list_and_in_french() -> None:
    manager = make_user('manager')
    make_product('MUG', stock_on_hand=10, actor=manager)
    order = place(('MUG', 3))
    pay(manager, order)
    advance(manager, fresh(order.id), 'pack', 'ship')
    rma = start_return(manager, fresh(order.id), 3)
    assert returns.restocked_shown(rma) == ''  # not received yet
    with read_session() as session:
        [line] = returns.lines_of(session, rma.id)
    with session_scope() as session:
        received = returns.receive(session=session, actor=manager, return_id=rma.id, sellable={line.id: 2})
    assert received.restocked_quantity == 2
    assert returns.restocked_shown(received) == 'Restocked: 2 of 3'
    with i18n.use('fr'):
        assert returns.restocked_shown(received) == 'Remis en stock\u00a0: 2 sur 3'
    with read_session() as session:
        listed = list_page(session=session, actor=manager, resource=resource('returns'), request=ListRequest())
        assert [r.restocked for r in listed.rows] == ['2 of 3']  # under 'Restocked'


# --- 4. who made a movement -----------------------------------------------------------------------------------------


async def test_the_movements_list_names_who_made_each_movement(user: User) -> None:
    manager = make_user('manager', name='Maya "M" : <script>x</script>')
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=-1, reason='broken')
    assert {m.created_by for m in movements_of(mug.id)} == {manager.id}
    await signed_in(user, manager.email, path='/inventory')
    user.find('Movements').click()
    await eventually(lambda: len(lists.listed(user, 'created_by')) == 2)
    assert set(lists.listed(user, 'created_by')) == {'Maya "M" : <script>x</script>'}


# --- 5. the low-stock run: one notice ------------------------------------------------------------------------------


def test_the_first_low_stock_run_sends_one_notice_listing_the_products() -> None:
    manager = make_user('manager')
    low = [make_product(sku, stock_on_hand=1, actor=manager) for sku in ('CUP', 'MUG', 'TEE')]
    for product in low:
        with session_scope() as session:
            stock.set_limits(session=session, actor=manager, product_id=product.id, min_qty=5, max_qty=10)
    with session_scope() as session:
        assert sorted(stock.alert_low_stock(session=session)) == sorted(p.id for p in low)
    with read_session() as session:
        [notice] = session.exec(select(Notification).where(Notification.user_id == manager.id)).all()
    assert notice.text == 'Low stock: 3 products at or below their minimum: CUP, MUG, TEE'
    assert notice.link == '/inventory?low_stock=yes'


async def test_the_low_stock_notice_opens_the_list_filtered_on_low_stock(user: User) -> None:
    manager = make_user('manager')
    make_product('FULL', stock_on_hand=50, actor=manager)
    short = make_product('SHORT', stock_on_hand=1, actor=manager)
    with session_scope() as session:
        stock.set_limits(session=session, actor=manager, product_id=short.id, min_qty=5, max_qty=10)
    await signed_in(user, manager.email, path='/inventory?low_stock=yes')
    await eventually(lambda: lists.listed(user, 'on_hand') != [])
    assert [row['sku'] for row in lists.the_list(user, 'on_hand').rows] == ['SHORT']


# --- the product form --------------------------------------------------------------------------------------------


async def test_a_manager_marks_a_product_as_a_service_on_its_form(user: User) -> None:
    manager = make_user('manager')
    make_product('PLAN-REPAIR', name='Repair "diagnosis" : <script>alert(1)</script>')
    await signed_in(user, manager.email, path='/products')
    await lists.rows_show(user, 'PLAN-REPAIR', column='sku')
    table = lists.the_list(user, 'sku')
    row = next(r for r in table.rows if r['sku'] == 'PLAN-REPAIR')
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
    await user.should_see('Stocked (kept on a shelf)', retries=40)
    await user.should_see('Adjust stock')
    stocked = user.find(kind=ui.switch, content='Stocked (kept on a shelf)').elements.pop()
    assert stocked.value is True
    stocked.set_value(False)
    user.find('Save changes').click()

    def saved() -> Product:
        with read_session() as session:
            return session.exec(select(Product).where(col(Product.sku) == 'PLAN-REPAIR')).one()

    await eventually(lambda: saved().stocked is False)
    with session_scope() as session:
        order = orders.place_order(
            session=session, data={'email': 'a@example.com', 'lines': [{'sku': 'PLAN-REPAIR', 'quantity': 3}]}
        ).order
    assert order.id is not None and stock_row(saved().id) is None
