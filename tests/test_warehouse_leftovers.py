"""The warehouse's leftovers: a product with stock cannot silently stop being stocked, a received return's card says
what was restocked on a phone, a purchase ordered by mistake is cancelled with a reason, and a count below what open
orders reserved is booked, the shortage shown where the warehouse looks."""

from __future__ import annotations

from datetime import date

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Notification, Product, Purchase
from backoffice.resources import resource
from backoffice.services import cashflow, crud, orders, purchases, stock

from .support import lists
from .support.factories import advance, fresh, level, make_product, make_user, pay, place
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Ordered "twice" : <script>alert(1)</script>'


def unstock(manager, product_id: int) -> Product:
    with read_session() as session:
        version = session.get(Product, product_id).version
    with session_scope() as session:
        return crud.update_record(
            session=session,
            actor=manager,
            resource=resource('products'),
            record_id=product_id,
            version=version,
            changes={'stocked': False},
        )


def count(manager, product_id: int, counted: int, reason: str = ''):
    with session_scope() as session:
        return stock.record_count(session=session, actor=manager, product_id=product_id, counted=counted, reason=reason)


# --- 1. a product with units on its shelf or reserved stays stocked until emptied --------------------------------


def test_a_product_with_units_on_the_shelf_or_reserved_cannot_stop_being_stocked() -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    with pytest.raises(ValidationFailed) as refused:
        unstock(manager, mug.id)
    assert refused.value.errors == {
        'stocked': 'MUG still has stock — on the shelf: 5, reserved by open orders: 2. Ship or cancel those orders, '
        'then count the rest out (Count stock: 0, saying where it went); it can then stop being stocked.'
    }
    with session_scope() as session:  # the reservation is released the ordinary way
        orders.cancel(session=session, actor=manager, order_id=order.id, version=fresh(order.id).version)
    with pytest.raises(ValidationFailed) as still:
        unstock(manager, mug.id)
    assert still.value.errors['stocked'].endswith(
        'Count them out first (Count stock: 0, saying where they went); it can then stop being stocked.'
    )
    count(manager, mug.id, 0, reason='sent back to the supplier')
    assert unstock(manager, mug.id).stocked is False  # nothing on the shelf nor reserved: nothing is lost
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (0, 0)


# --- 2. a received return's card on a phone -------------------------------------------------------------------------


def test_a_received_returns_card_says_what_was_restocked() -> None:
    from components.resource_cards import card_of

    returns = resource('returns')
    row = {'number': 'R-7', 'status': 'Received', 'order_id': '1042', 'customer_id': 'Cleo', 'created_at': 'today'}
    received = card_of(returns, {**row, 'restocked': '2 of 3'})
    assert {'label': 'Restocked', 'value': '2 of 3', 'late': False} in received['lines']
    requested = card_of(returns, {**row, 'restocked': ''})  # not received yet: no empty line
    assert 'Restocked' not in [line['label'] for line in requested['lines']]


# --- 3. a purchase ordered by mistake -------------------------------------------------------------------------------


def ordered(manager, reference: str, quantity: int = 10) -> tuple[Purchase, Product]:
    mug = make_product(f'{reference}-MUG')
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session,
            actor=manager,
            lines=[{'product_id': mug.id, 'quantity': quantity, 'unit_cost': '4.00'}],
            received=False,
            reference=reference,
        )
    return purchase, mug


def test_a_purchase_ordered_by_mistake_is_cancelled_and_no_longer_expected() -> None:
    manager = make_user('manager', name='Maya Manager')
    purchase, mug = ordered(manager, 'PO-31')
    with read_session() as session:
        assert cashflow.purchases_awaiting_receipt(session, date.today(), date.today()) != []
    with session_scope() as session, pytest.raises(ValidationFailed) as blank:
        purchases.cancel(session=session, actor=manager, purchase_id=purchase.id, reason='  ')
    assert list(blank.value.errors) == ['reason']
    with session_scope() as session:
        cancelled = purchases.cancel(session=session, actor=manager, purchase_id=purchase.id, reason=HOSTILE)
    assert purchases.cancelled(cancelled) and cancelled.close_reason == HOSTILE and cancelled.closed_by == manager.id
    with read_session() as session:
        assert stock.on_order(session, [mug.id]) == {}
        assert purchases.still_due_orders(session=session, actor=manager) == []
        assert cashflow.purchases_awaiting_receipt(session, date.today(), date.today()) == []
        said = purchases.timeline(session=session, actor=manager, purchase_id=purchase.id)[-1]
    assert said.summary == f'Cancelled by Maya Manager: nothing had arrived. Reason: {HOSTILE}'
    with session_scope() as session, pytest.raises(purchases.AlreadyReceived) as late:
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id)
    assert str(late.value).startswith('Purchase PO-31 was cancelled (')
    with session_scope() as session, pytest.raises(purchases.CannotCancel) as twice:
        purchases.cancel(session=session, actor=manager, purchase_id=purchase.id, reason='again')
    assert str(twice.value).startswith('Purchase PO-31 was cancelled already (')


def test_a_purchase_something_arrived_of_is_closed_short_not_cancelled() -> None:
    manager = make_user('manager')
    purchase, mug = ordered(manager, 'PO-32')
    with read_session() as session:
        [(line, _sku, _name)] = purchases.lines_of(session=session, actor=manager, purchase_id=purchase.id)
    with session_scope() as session:
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id, quantities={line.id: 1})
    with session_scope() as session, pytest.raises(purchases.CannotCancel) as refused:
        purchases.cancel(session=session, actor=manager, purchase_id=purchase.id, reason='mistake')
    assert str(refused.value) == (
        'Purchase PO-32 cannot be cancelled: 1 item of it was received. Close it short instead: what arrived stays, '
        'and the rest is no longer expected.'
    )
    assert level(mug.id).on_hand == 1


async def test_the_warehouse_cancels_a_purchase_ordered_by_mistake_from_its_dialog(user: User) -> None:
    manager = make_user('manager')
    purchase, _mug = ordered(manager, 'PO-33')
    await signed_in(user, manager.email, path=f'/purchases?open={purchase.id}')
    await user.should_see(marker='cancel-purchase', retries=40)
    await user.should_not_see(marker='close-short')  # nothing arrived: cancelling is the way
    user.find(marker='cancel-purchase').click()
    await user.should_see(marker='cancel-purchase-reason')
    user.find(marker='confirm-cancel-purchase').click()
    await user.should_see('Say why it is cancelled (e.g. "ordered twice by mistake")', retries=40)
    user.find(marker='cancel-purchase-reason').type(HOSTILE)
    user.find(marker='confirm-cancel-purchase').click()
    await user.should_see('Purchase PO-33 cancelled: it is no longer expected', retries=40)
    await lists.rows_show(user, 'Cancelled', column='status')
    await user.open(f'/purchases?open={purchase.id}')
    await user.should_see(f'Cancelled by Max Manager: nothing had arrived. Reason: {HOSTILE}', retries=40)
    await user.should_not_see(marker='receive-now')
    await user.should_not_see(marker='cancel-purchase')


# --- 4. a count below what open orders reserved -------------------------------------------------------------------


def test_a_count_below_the_reserved_quantity_is_booked_and_the_shortage_shows() -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 3))
    movement = count(manager, mug.id, 1, reason='2 broken, 2 missing : <script>alert(1)</script>')
    assert movement is not None and movement.quantity == -4
    now = level(mug.id)
    assert (now.on_hand, now.reserved, now.available, now.low_stock) == (1, 3, -2, True)  # no minimum set: still low
    with read_session() as session:
        assert orders.shelf_shortages(session, order, orders.order_lines(session, order.id)) == [
            'MUG: 3 reserved by open orders, 1 on the shelf (2 short)'
        ]
        [line] = stock.reorder_list(session=session, actor=manager)
    assert (line.sku, line.order_quantity) == ('MUG', 3)  # enough for the orders waiting, and one on the shelf
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == [mug.id]
    with read_session() as session:
        [notice] = session.exec(select(Notification).where(Notification.user_id == manager.id)).all()
    assert notice.text == 'Short on the shelf: MUG Product MUG has 1 for 3 reserved by open orders'
    pay(manager, order)
    advance(manager, order, 'pack')
    with pytest.raises(stock.OutOfStock) as refused:
        advance(manager, order, 'ship')
    assert str(refused.value) == 'Not enough stock — MUG: 3 wanted, 1 available.'
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (1, 3)  # the reservations stay


async def test_a_count_below_the_reserved_quantity_says_it_is_short_and_the_order_says_so(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 3))
    await signed_in(user, manager.email, path=f'/products?open={mug.id}')
    await user.should_see('Count stock', retries=40)
    user.find('Count stock').click()
    await user.should_see('Counted on the shelf *', retries=40)
    user.find('Counted on the shelf *').elements.pop().set_value(1)
    user.find('Note').elements.pop().set_value('2 broken "in transit" : <script>alert(1)</script>')
    user.find(marker='confirm-action').click()
    await user.should_see(
        'Stock of MUG is now 1 (-4 counted). 3 are reserved by open orders: 2 short. The product shows as low stock '
        'and its orders say so until more arrive or an order changes.',
        retries=40,
    )
    await user.open(f'/orders/{order.number}')
    await user.should_see(
        'Not enough on the shelf for the open orders: MUG: 3 reserved by open orders, 1 on the shelf (2 short). '
        'Receive or count more, or change an order, before shipping.',
        retries=40,
    )


# --- the product form: the switch says why ------------------------------------------------------------------------


async def test_switching_off_stocked_with_units_on_the_shelf_is_refused_at_the_switch(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=4, actor=manager)
    await signed_in(user, manager.email, path=f'/products?open={mug.id}')
    await user.should_see('Stocked (kept on a shelf)', retries=40)
    stocked = user.find(kind=ui.switch, content='Stocked (kept on a shelf)').elements.pop()
    stocked.set_value(False)
    user.find('Save changes').click()
    await user.should_see(
        'MUG still has stock — on the shelf: 4, reserved by open orders: 0. Count them out first (Count stock: 0, '
        'saying where they went); it can then stop being stocked.',
        retries=40,
    )
    await eventually(lambda: level(mug.id).on_hand == 4)
    with read_session() as session:
        assert session.get(Product, mug.id).stocked is True


# --- 5. units left on the hidden shelf of a product not stocked; a product stocked again reserves -----------------


def hidden_units(manager, sku: str, on_hand: int) -> Product:
    """A product switched to not stocked before that was refused: its units stayed on its (now hidden) stock row."""
    product = make_product(sku, stock_on_hand=on_hand, actor=manager)
    with session_scope() as session:
        stored = session.get(Product, product.id)
        stored.stocked = False
        session.add(stored)
        session.commit()
    return fresh_product(product.id)


def fresh_product(product_id: int) -> Product:
    with read_session() as session:
        return session.get(Product, product_id)


def stock_again(manager, product_id: int) -> Product:
    with session_scope() as session:
        return crud.update_record(
            session=session,
            actor=manager,
            resource=resource('products'),
            record_id=product_id,
            version=fresh_product(product_id).version,
            changes={'stocked': True},
        )


def test_units_left_on_a_product_not_stocked_are_said_and_counted_out_to_0() -> None:
    manager = make_user('manager')
    mug = hidden_units(manager, 'MUG', 3)
    products = resource('products')
    assert products.note(mug) == (
        '3 units still recorded on the shelf although not stocked — count them to 0 (Count stock, saying where they '
        'went) or stock the product again'
    )
    [count_stock] = [a for a in products.actions if a.key == 'count-stock']
    assert count_stock.visible(mug)
    with pytest.raises(ValidationFailed) as refused:
        count(manager, mug.id, 2)
    assert refused.value.errors == {
        'counted': 'MUG is not stocked: count its units to 0, or stock it again to keep 2 on the shelf'
    }
    movement = count(manager, mug.id, 0, reason=HOSTILE)
    assert movement is not None and movement.quantity == -3 and HOSTILE in movement.reason
    assert level(mug.id).on_hand == 0
    mug = fresh_product(mug.id)
    assert products.note(mug) == '' and not count_stock.visible(mug)
    with pytest.raises(ValidationFailed):  # nothing left: a product not stocked has no stock to count
        count(manager, mug.id, 0)


def test_a_product_stocked_again_reserves_for_its_open_orders_oldest_first_and_says_the_shortage() -> None:
    manager = make_user('manager')
    mug = hidden_units(manager, 'MUG', 3)
    older, newer = place(('MUG', 2)), place(('MUG', 2))  # placed while not stocked: nothing reserved
    assert level(mug.id).reserved == 0
    saved = stock_again(manager, mug.id)
    now = level(mug.id)
    assert (now.on_hand, now.reserved, now.available, now.low_stock) == (3, 4, -1, True)
    assert resource('products').saved_note(saved) == (
        'Changes saved. MUG: 4 reserved by open orders, 3 on the shelf (1 short): its open orders reserve more than '
        f'the shelf holds. Waiting for stock: {newer.number}.'
    )
    with read_session() as session:
        assert orders.shelf_shortages(session, newer, orders.order_lines(session, newer.id)) == [
            'MUG: 4 reserved by open orders, 3 on the shelf (1 short)'
        ]
    with session_scope() as session:  # cancelling gives back what it now holds, not another order's reservation
        orders.cancel(session=session, actor=manager, order_id=newer.id, version=fresh(newer.id).version)
    assert (level(mug.id).reserved, level(mug.id).available) == (2, 1)
    pay(manager, older)
    advance(manager, older, 'pack', 'ship')
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (1, 0)


async def test_a_product_form_says_the_units_left_and_stocking_it_again_says_the_shortage(user: User) -> None:
    manager = make_user('manager')
    mug = hidden_units(manager, 'MUG', 3)
    place(('MUG', 5))
    await signed_in(user, manager.email, path=f'/products?open={mug.id}')
    await user.should_see('3 units still recorded on the shelf although not stocked', retries=40)
    await user.should_see('Count stock')
    stocked = user.find(kind=ui.switch, content='Stocked (kept on a shelf)').elements.pop()
    stocked.set_value(True)
    user.find('Save changes').click()
    await user.should_see('MUG: 5 reserved by open orders, 3 on the shelf (2 short)', retries=40)
    assert level(mug.id).reserved == 5


# --- an action on a record with unsaved edits: saved and continued in place ---------------------------------------


async def test_an_action_pressed_with_unsaved_edits_offers_save_and_continue_in_place(user: User) -> None:
    """Adjust stock after renaming the product said "Save your changes first" in a notice and left the person to find
    Save, then Adjust stock again; the form now offers Save and continue by its buttons, which saves the edits and the
    adjustment together."""
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=4, actor=manager)
    await signed_in(user, manager.email, path=f'/products?open={mug.id}')
    await user.should_see('Adjust stock', retries=40)
    renamed = 'Mug "big" : <script>alert(1)</script> été'
    user.find('Name *').elements.pop().set_value(renamed)
    user.find('Adjust stock').click()
    await user.should_see('Save your changes first: Adjust stock works on the saved record.', retries=40)
    await user.should_not_see('Change (negative takes out) *')  # the action waits for the person's choice
    assert fresh_product(mug.id).name != renamed
    user.find(marker='save-and-continue').click()
    await user.should_see('Your unsaved changes are saved first, as part of it.', retries=40)
    user.find('Change (negative takes out) *').elements.pop().set_value(2)
    user.find('Reason *').elements.pop().set_value(HOSTILE)
    user.find(marker='confirm-action').click()
    await user.should_see('Stock of MUG is now 6', retries=40)
    assert fresh_product(mug.id).name == renamed and level(mug.id).on_hand == 6
