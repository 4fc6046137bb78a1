"""A day of the warehouse: the parcel's address and the customer's note on the order being packed, a tracking number
typed wrong put right after the parcel left, a stock count entered as what is on the shelf, a batch pick list that
says how many of each item to fetch, and a return where only some of the items can be sold again."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Carrier, Shipment
from backoffice.permissions import PermissionDenied
from backoffice.services import orders, stock
from backoffice.stored_text import show

from .support.factories import advance, fresh, level, make_product, make_user, pay, place, receive, ship_with
from .support.signin import signed_in
from .support.too_long import one_past, refused_at
from .support.waiting import eventually

HOSTILE = 'Quai "des Brumes": <script>alert(1)</script> <img src=x onerror="window.__x=1">'


async def test_the_order_page_shows_where_the_parcel_goes_and_the_customers_note(user: User) -> None:
    """The packer had the lines and the customer's email, never the address the parcel goes to nor the customer's
    note ('leave it with the neighbour'): both are on the order page now, as text."""
    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(
        ('MUG', 1),
        shipping_name='Cleo "Stone" <b>',
        shipping_address=f'12 {HOSTILE}\n75001 Paris',
        note=f'Ring twice: {HOSTILE}',
    )
    pay(manager, order)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='ship-to', retries=40)
    await user.should_see('Ship to')
    await user.should_see(f'12 {HOSTILE}')
    await user.should_see('75001 Paris')
    await user.should_see(f'Ring twice: {HOSTILE}')


def table_with(user: User, column: str) -> ui.table:
    return next(t for t in user.find(ui.table).elements if any(c['name'] == column for c in t.columns))


def stock_movement_text(movement) -> str:
    return show(movement.reason, movement.reason_key, movement.reason_params)


def _shipped_without_tracking(manager):
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        session.add(Carrier(code='dhl', name='DHL', tracking_url_template='https://track.example/{tracking}'))
        session.commit()
    order = place(('MUG', 1))
    pay(manager, order)
    return advance(manager, order, 'pack', 'ship')  # left without a carrier or a number: pressed Ship too soon


def test_a_tracking_number_typed_wrong_is_put_right_after_the_parcel_left() -> None:
    manager = make_user('manager')
    order = _shipped_without_tracking(manager)
    with read_session() as session:
        shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
        dhl = session.exec(select(Carrier).where(Carrier.code == 'dhl')).one()
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        orders.correct_tracking(
            session=session, actor=manager, shipment_id=shipment.id, carrier_id=dhl.id, tracking_number='  '
        )
    assert refused.value.errors == {'tracking_number': 'Enter the tracking number DHL gave'}
    with session_scope() as session:
        orders.correct_tracking(
            session=session, actor=manager, shipment_id=shipment.id, carrier_id=dhl.id, tracking_number='JD 0146'
        )
    with read_session() as session:
        shipment = session.get(Shipment, shipment.id)
        assert (shipment.carrier_id, shipment.tracking_number) == (dhl.id, 'JD0146')
        assert shipment.tracking_url == 'https://track.example/JD0146'
        said = [orders.timeline_text(e) for e in orders.timeline(session=session, actor=manager, order_id=order.id)]
    assert said[-1] == 'Tracking changed to DHL JD0146 (was: none)'
    agent = make_user('agent')
    with session_scope() as session, pytest.raises(PermissionDenied):
        orders.correct_tracking(session=session, actor=agent, shipment_id=shipment.id, tracking_number='X1')


async def test_the_warehouse_adds_the_tracking_number_from_the_order_page(user: User) -> None:
    manager = make_user('manager')
    order = _shipped_without_tracking(manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='correct-tracking', retries=40)
    user.find(marker='correct-tracking').click()
    await user.should_see('Tracking number', retries=40)
    user.find('Tracking number').type(HOSTILE)
    user.find(marker='dialog-submit').click()
    await user.should_see('Tracking changed', retries=40)
    with read_session() as session:
        shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    assert shipment.tracking_number == ''.join(HOSTILE.split())
    await user.should_see(''.join(HOSTILE.split()), retries=40)


async def test_two_operators_put_the_same_tracking_right_the_second_is_told_and_nothing_is_overwritten_unseen(
    user: User,
) -> None:
    manager = make_user('manager')
    order = _shipped_without_tracking(manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='correct-tracking', retries=40)
    user.find(marker='correct-tracking').click()
    await user.should_see('Tracking number', retries=40)
    user.find('Tracking number').type(HOSTILE)
    tom = make_user('manager', name='Tom Becker')  # from the carrier's email, Tom puts the same parcel right meanwhile
    with session_scope() as session:
        shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
        orders.correct_tracking(session=session, actor=tom, shipment_id=shipment.id, tracking_number='JD 0146')
    user.find(marker='dialog-submit').click()
    await user.should_see(f'was changed by {tom.name}', retries=40)
    assert tracking_of(shipment.id) == 'JD0146'  # Tom's stands: nothing overwritten
    await user.should_see('JD0146', retries=40)  # the page shows Tom's number behind the dialog
    assert user.find('Tracking number').elements.pop().value == HOSTILE  # what was typed is kept
    user.find(marker='dialog-submit').click()  # pressed again, knowing: applied over Tom's
    await eventually(lambda: tracking_of(shipment.id) == ''.join(HOSTILE.split()))
    with read_session() as session:
        said = [orders.timeline_text(e) for e in orders.timeline(session=session, actor=manager, order_id=order.id)]
    assert said[-1] == f'Tracking changed to {"".join(HOSTILE.split())} (was: JD0146)'


async def test_a_tracking_number_too_long_is_refused_at_its_field_not_cut_to_another_parcels(user: User) -> None:
    manager = make_user('manager')
    order = _shipped_without_tracking(manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='correct-tracking', retries=40)
    user.find(marker='correct-tracking').click()
    await user.should_see('Tracking number', retries=40)
    pasted = 'JJD "00": <script>x</script> ' + '0034' * 20  # 106 characters once its spaces are out
    user.find('Tracking number').type(pasted)
    user.find(marker='dialog-submit').click()
    field = user.find('Tracking number').elements.pop()
    await eventually(lambda: field.error == 'Use at most 80 characters')
    with read_session() as session:
        shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    assert shipment.tracking_number == ''  # not cut to its first 80 characters: another parcel's number
    second = place(('MUG', 1))
    pay(manager, second)
    packed = advance(manager, second, 'pack')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # nor when the parcel leaves
        orders.ship(session=session, actor=manager, order_id=packed.id, version=packed.version, tracking_number=pasted)
    assert refused.value.errors == {'tracking_number': 'Use at most 80 characters'}


def tracking_of(shipment_id: int) -> str:
    with read_session() as session:
        return session.get(Shipment, shipment_id).tracking_number


def test_a_stock_count_books_the_difference_from_what_is_on_the_shelf() -> None:
    """A count is what is on the shelf; the person had to work out the difference themselves (and a sale shipped
    while they counted made their difference wrong). The service books it, under the row's lock."""
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=10, actor=manager)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.record_count(session=session, actor=manager, product_id=mug.id, counted='-1', reason='')
    assert refused.value.errors == {'counted': 'Use 0 or more'}
    with session_scope() as session:
        stock.record_count(session=session, actor=manager, product_id=mug.id, counted=7, reason=HOSTILE)
    assert level(mug.id).on_hand == 7
    with session_scope() as session:
        assert stock.record_count(session=session, actor=manager, product_id=mug.id, counted=7, reason='') is None
    with read_session() as session:
        moves = stock.ledger(session=session, actor=manager, product_id=mug.id)
    assert [(m.quantity, m.balance) for m in moves] == [(-3, 7), (10, 10)]  # the matching count booked nothing
    assert stock_movement_text(moves[0]) == f'Counted 7 on the shelf: {HOSTILE}'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # a note past what the form counts
        stock.record_count(
            session=session, actor=manager, product_id=mug.id, counted=5, reason=one_past(stock.MAX_REASON)
        )
    assert refused.value.errors == {'reason': refused_at(stock.MAX_REASON)}
    assert level(mug.id).on_hand == 7


async def test_a_stock_count_is_entered_as_what_is_on_the_shelf(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=10, actor=manager)
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='receive-purchase', retries=40)
    await eventually(lambda: [r['sku'] for r in table_with(user, 'on_hand').rows] == ['MUG'])
    stock_table = table_with(user, 'on_hand')
    UserInteraction(user, {stock_table}, None).trigger('rowClick', [{}, stock_table.rows[0], 0])  # open the row
    await user.should_see('Count stock', retries=40)
    user.find('Count stock').click()
    await user.should_see('Counted on the shelf *', retries=40)
    user.find('Counted on the shelf *').elements.pop().set_value(12)
    user.find('Note').elements.pop().set_value(HOSTILE)
    user.find(marker='confirm-action').click()
    await user.should_see('Stock of MUG is now 12 (+2 counted)', retries=40)
    assert level(mug.id).on_hand == 12


def test_a_batch_pick_list_starts_with_how_many_of_each_item_to_fetch() -> None:
    """Picking a batch, the warehouse walks the shelves once: the list first says how many of each SKU all the chosen
    orders need together, then each order to pack."""
    from io import BytesIO

    from pypdf import PdfReader

    from backoffice.services import documents

    manager = make_user('manager')
    make_product('MUG', stock_on_hand=20, actor=manager)
    make_product('CUP', stock_on_hand=20, actor=manager)
    first = place(('MUG', 2), ('CUP', 1), shipping_name=HOSTILE)
    second = place(('MUG', 3), email='dan@example.com')
    with read_session() as session:
        pdf = documents.pick_list_pdf(session=session, actor=manager, order_ids=[first.id, second.id])
    text = ' '.join(' '.join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages)
    totals = text[text.index('To fetch') : text.index(f'Order {first.number}')]
    assert 'CUP' in totals and 'MUG' in totals
    assert totals.index('CUP') < totals.index('MUG')  # by SKU, as the shelves are
    assert ' 5' in totals[totals.index('MUG') :] and ' 1' in totals[totals.index('CUP') :]
    with read_session() as session:
        single = documents.pick_list_pdf(session=session, actor=manager, order_ids=[first.id])
    assert 'To fetch' not in ' '.join(page.extract_text() for page in PdfReader(BytesIO(single)).pages)


def test_a_pick_list_names_services_on_the_order_without_sending_anyone_to_fetch_them() -> None:
    """A workshop or a maintenance plan is on no shelf: the pick list named it among the items to fetch, with a box
    to tick, and counted it in the batch's totals; it now says, under its order, that there is nothing to fetch."""
    from io import BytesIO

    from pypdf import PdfReader

    from backoffice.services import documents

    manager = make_user('manager')
    make_product('MUG', stock_on_hand=20, actor=manager)
    make_product('WS-LATTE', name='Latte "art": <script>', stocked=False)
    both = place(('MUG', 2), ('WS-LATTE', 1), shipping_name=HOSTILE)
    workshop = place(('WS-LATTE', 3), email='dan@example.com')
    with read_session() as session:
        pdf = documents.pick_list_pdf(session=session, actor=manager, order_ids=[both.id, workshop.id])
    text = ' '.join(' '.join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages)
    totals = text[text.index('To fetch') : text.index(f'Order {both.number}')]
    assert 'MUG' in totals and 'WS-LATTE' not in totals
    first = text[text.index(f'Order {both.number}') : text.index(f'Order {workshop.number}')]
    assert 'Not stocked, nothing to fetch: 1 × WS-LATTE Latte "art": <script>' in first
    assert first.count('WS-LATTE') == 1 and 'MUG' in first
    last = text[text.index(f'Order {workshop.number}') :]
    assert 'Not stocked, nothing to fetch: 3 × WS-LATTE' in last and 'SKU' not in last


def test_a_product_given_a_new_sku_is_found_and_said_by_it_in_the_inventory() -> None:
    """The shop relabelled MUG as MUG-BLUE: the inventory still listed, sorted and searched its stock as MUG, and its
    shortage, its low-stock notice and a refused parcel named a SKU that no longer exists."""
    from backoffice.engine.declaration import resource
    from backoffice.services import crud

    manager = make_user('manager')
    mug = make_product('MUG', name=HOSTILE, stock_on_hand=5, actor=manager)
    place(('MUG', 3))
    with session_scope() as session:
        stock.record_count(session=session, actor=manager, product_id=mug.id, counted=1, reason=HOSTILE)
    with session_scope() as session:
        version = session.get(type(mug), mug.id).version
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('products'),
            record_id=mug.id,
            version=version,
            changes={'sku': 'mug-blue'},
        )
    assert level(mug.id).sku == 'MUG-BLUE'
    assert stock.shortage_said(level(mug.id)) == 'MUG-BLUE: 3 reserved by open orders, 1 on the shelf (2 short)'


def _returned(manager, quantity: int):
    from backoffice.services import returns

    cup = make_product('CUP', stock_on_hand=5, actor=manager)
    order = place(('CUP', quantity))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    with session_scope() as session:
        line = orders.order_lines(session, order.id)[0]
        rma = returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            reason=HOSTILE,
            lines=[{'order_line_id': line.id, 'quantity': quantity}],
        )
    with read_session() as session:
        return_line = returns.lines_of(session, rma.id)[0]
    return cup, order, rma, return_line


def test_a_return_where_only_some_items_can_be_sold_again_restocks_those() -> None:
    """Three cups came back, one broken: the two whole ones go back on the shelf, the broken one does not."""
    from backoffice.services import returns

    manager = make_user('manager')
    cup, order, rma, line = _returned(manager, 3)
    assert level(cup.id).on_hand == 2
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        returns.receive(session=session, actor=manager, return_id=rma.id, sellable={line.id: 4})
    assert refused.value.errors == {f'sellable-{line.id}': 'At most 3 came back'}
    with session_scope() as session:
        returns.receive(session=session, actor=manager, return_id=rma.id, sellable={line.id: '2'})
    assert level(cup.id).on_hand == 4
    with read_session() as session:
        said = [orders.timeline_text(e) for e in orders.timeline(session=session, actor=manager, order_id=order.id)]
    assert said[-1] == f'Return {rma.number} received: 2 of 3 items put back in stock, the rest not'


def test_a_return_of_a_product_never_counted_yet_puts_it_on_the_shelf() -> None:
    """A new product sold before its first stock came in (shipped with no stock row) came back: the return said '2 of 2'
    restocked, yet nothing went on the shelf and the inventory did not list it. Its stock starts with the return.
    (Shipping a stocked product with no stock row is refused now: such a sale is one shipped before, or while the
    product was not stocked.)"""
    from sqlmodel import delete

    from backoffice.models import StockLevel, StockMovement
    from backoffice.services import returns

    manager = make_user('manager')
    new = make_product('NEW', name=HOSTILE, stock_on_hand=2, actor=manager)
    order = place(('NEW', 2))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship', 'deliver')
    with session_scope() as session:  # as one shipped before that was refused: never received nor counted, no row
        session.exec(delete(StockMovement).where(StockMovement.product_id == new.id))
        session.exec(delete(StockLevel).where(StockLevel.product_id == new.id))
        session.commit()
    with session_scope() as session:
        line = orders.order_lines(session, order.id)[0]
        rma = returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            reason=HOSTILE,
            lines=[{'order_line_id': line.id, 'quantity': 2}],
        )
    with session_scope() as session:
        received = returns.receive(session=session, actor=manager, return_id=rma.id)
    assert received.restocked_quantity == 2
    assert (level(new.id).on_hand, level(new.id).reserved, level(new.id).available) == (2, 0, 2)
    with read_session() as session:
        assert stock.ledger_mismatches(session=session) == []
        [movement] = stock.ledger(session=session, actor=manager, product_id=new.id)
    assert (movement.kind, movement.quantity, stock_movement_text(movement)) == ('return', 2, f'Return {rma.number}')


def test_a_pre_order_of_a_product_never_received_is_not_shipped_from_an_empty_shelf() -> None:
    """A stocked product ordered before its first stock came in had no stock row: shipping it wrote no movement, so its
    history showed no sale and, once stock arrived, the units that had left still read as on hand. Stock never goes
    below 0 (stock.move), so the parcel is refused as any shortage is, with nothing written; once stock is received
    the same parcel ships, a sale in its history, on hand and reserved down."""
    manager = make_user('manager')
    new = make_product('NEW', name=HOSTILE)  # stocked, never received nor counted
    order = place(('NEW', 2))
    pay(manager, order)
    order = advance(manager, order, 'pack')
    with pytest.raises(stock.OutOfStock, match='NEW: 2 wanted, 0 available'):
        with session_scope() as session:
            orders.ship(session=session, actor=manager, order_id=order.id, version=order.version)
    with read_session() as session:
        assert session.exec(select(Shipment).where(Shipment.order_id == order.id)).all() == []
        assert stock.ledger(session=session, actor=manager, product_id=new.id) == []
    receive(manager, new.id, 5)
    assert (level(new.id).on_hand, level(new.id).reserved) == (5, 2)  # the pre-order reserves once stock exists
    order = advance(manager, fresh(order.id), 'ship')
    assert order.status == 'shipped'
    assert (level(new.id).on_hand, level(new.id).reserved, level(new.id).available) == (3, 0, 3)
    with read_session() as session:
        sale = stock.ledger(session=session, actor=manager, product_id=new.id)[0]
        assert (sale.kind, sale.quantity, sale.balance, sale.order_id) == ('sale', -2, 3, order.id)
        assert stock.ledger_mismatches(session=session) == []
        assert stock.reservation_mismatches(session=session) == []


async def test_the_warehouse_says_how_many_of_a_return_can_be_sold_again(user: User) -> None:
    manager = make_user('manager')
    cup, order, rma, line = _returned(manager, 3)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='receive-return', retries=40)
    user.find(marker='receive-return').click()
    await user.should_see(marker=f'sellable-{line.id}', retries=40)
    user.find(marker=f'sellable-{line.id}').elements.pop().set_value('1')
    user.find(marker='dialog-submit').click()
    await user.should_see(f'Return {rma.number} received: 1 of 3 items put back in stock, the rest not', retries=40)
    assert level(cup.id).on_hand == 3


async def test_receiving_a_delivery_points_to_the_purchase_orders_still_due(user: User) -> None:
    """'Receive purchase' on /inventory made a new receipt: a delivery of an order placed earlier went into stock a
    second time once that order was received too. The dialog now lists the orders still due, each opening its order."""
    from backoffice.services import purchases

    from .support.payables import make_supplier

    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=1, actor=manager)
    supplier = make_supplier(name=f'Roastery {HOSTILE}')
    with session_scope() as session:
        due = purchases.create_purchase(
            session=session,
            actor=manager,
            lines=[{'product_id': mug.id, 'quantity': 6}],
            received=False,
            supplier_id=supplier.id,
            reference='PO-77',
        )
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='receive-purchase', retries=40)
    user.find(marker='receive-purchase').click()
    await user.should_see(marker=f'open-purchase-{due.id}', retries=40)
    await user.should_see('Still due from suppliers: if this delivery is one of these, receive it there')
    user.find(marker=f'open-purchase-{due.id}').click()
    await user.should_see('Purchase PO-77', retries=40)
    await user.should_see('Enter how many of each arrived', retries=40)


def test_a_low_stock_notification_opens_that_products_stock() -> None:
    """It opened /inventory at its first page, where the warehouse had to find the product among all the others."""
    from backoffice.models import Notification

    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=3, actor=manager)
    with session_scope() as session:
        held = stock.set_limits(session=session, actor=manager, product_id=mug.id, min_qty=5, max_qty=20)
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == [mug.id]
    with read_session() as session:
        told = session.exec(select(Notification).where(Notification.user_id == manager.id)).one()
    assert told.link == f'/inventory?open={held.id}'


async def test_the_ship_dialog_offers_the_carrier_of_the_last_parcel(user: User) -> None:
    """Thirty parcels a day go with the same carrier: the Ship dialog chose none, so each one took the same two taps."""
    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=9, actor=manager)
    with session_scope() as session:
        session.add(Carrier(code='gls', name=f'GLS {HOSTILE}', tracking_url_template=''))
        session.add(Carrier(code='dhl', name='DHL', tracking_url_template=''))
        session.commit()
        gls = session.exec(select(Carrier).where(Carrier.code == 'gls')).one()
    first, second = place(('MUG', 1)), place(('MUG', 1), email='dan@example.com')
    for order in (first, second):
        pay(manager, order)
        advance(manager, order, 'pack')
    ship_with(manager, first, carrier_id=gls.id, tracking_number='GLS123')
    await signed_in(user, manager.email, path=f'/orders/{second.number}')
    await user.should_see(marker='ship', retries=40)
    user.find(marker='ship').click()
    await user.should_see('Tracking number', retries=40)
    assert user.find(marker='ship-carrier').elements.pop().value == gls.id


def test_a_product_not_tracked_yet_is_counted_from_its_own_form() -> None:
    from backoffice.resources.catalog import count_product_stock

    manager = make_user('manager')
    new = make_product('NEW-TEE', actor=manager)  # no stock row yet: /inventory does not list it
    with session_scope() as session:
        said = count_product_stock(
            session=session, actor=manager, record_id=new.id, version=new.version, counted='4', reason=HOSTILE
        )
    assert said.message == 'Stock of NEW-TEE is now 4 (+4 counted)'
    assert level(new.id).on_hand == 4


def _shipped_with_a_carrier_no_longer_used(manager):
    """A parcel that left with GLS, a carrier no longer used since (its template and name kept)."""
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        gls = Carrier(code='gls', name=f'GLS {HOSTILE}', tracking_url_template='https://gls.example/{tracking}')
        session.add(gls)
        session.commit()
        session.refresh(gls)
    order = place(('MUG', 2))
    pay(manager, order)
    order = advance(manager, order, 'pack')
    with read_session() as session:
        first_line = orders.order_lines(session, order.id)[0]
    # typed wrong: a letter O for a zero
    ship_with(manager, order, carrier_id=gls.id, tracking_number='GLS 1O0', lines={first_line.id: 1})
    with session_scope() as session:
        stored = session.get(Carrier, gls.id)
        stored.active = False
        session.add(stored)
        session.commit()
    return order, gls


def test_a_carrier_no_longer_used_takes_no_new_parcel_but_keeps_those_it_carried() -> None:
    manager = make_user('manager')
    order, gls = _shipped_with_a_carrier_no_longer_used(manager)
    with pytest.raises(ValidationFailed) as refused:
        ship_with(manager, order, carrier_id=gls.id, tracking_number='GLS200')
    assert refused.value.errors == {'carrier_id': f'GLS {HOSTILE} is no longer used: choose another carrier'}
    with read_session() as session:
        shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    with session_scope() as session:  # its own parcel's number is put right with it
        orders.correct_tracking(
            session=session, actor=manager, shipment_id=shipment.id, carrier_id=gls.id, tracking_number='GLS 100'
        )
    with read_session() as session:
        shipment = session.get(Shipment, shipment.id)
        assert (shipment.carrier_id, shipment.tracking_url) == (gls.id, 'https://gls.example/GLS100')


async def test_the_order_page_names_a_carrier_no_longer_used_and_correcting_the_number_keeps_it(user: User) -> None:
    """The parcel read "no carrier" once its carrier stopped being used, and putting its number right cleared the
    carrier without a word (the dialog offered only carriers in use, so it showed none)."""
    manager = make_user('manager')
    order, gls = _shipped_with_a_carrier_no_longer_used(manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='correct-tracking', retries=40)
    await user.should_see(f'GLS {HOSTILE}')
    user.find(marker='correct-tracking').click()
    await user.should_see('Tracking number', retries=40)
    carrier = next(s for s in user.find(ui.select).elements if s.props.get('label') == 'Carrier')
    assert carrier.value == gls.id
    assert carrier.options[gls.id] == f'GLS {HOSTILE} (no longer used)'
    user.find('Tracking number').clear().type('GLS 100')
    user.find(marker='dialog-submit').click()
    await user.should_see('Tracking changed', retries=40)
    with read_session() as session:
        shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    assert (shipment.carrier_id, shipment.tracking_number) == (gls.id, 'GLS100')
