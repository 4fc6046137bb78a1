"""An order shipped in several parcels: each parcel names its lines and quantities, takes its own stock off the shelf
and off the reservation, and the order reads "Partly shipped" (stored: packed) until its last unit leaves; refusals
at the field; a parcel from before migration 0072 (no lines) means the whole order."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from backoffice.api.resources import router
from backoffice.db import read_session, session_scope
from backoffice.errors import StaleRecord, ValidationFailed
from backoffice.models import Carrier, OrderEvent, OrderLine, Shipment, ShipmentLine, StockMovement
from backoffice.services import documents, orders, portal_timeline, stock

from .support.api import api_client, bearer, key_for
from .support.factories import advance, fresh, level, make_product, make_user, pay, place
from .support.pdf import pdf_words

HOSTILE = '<script>alert("x")</script>: \'1Z\''


@pytest.fixture
def manager():
    return make_user('manager')


def packed_order(manager, *lines: tuple[str, int]):
    order = place(*lines)
    pay(manager, order)
    return advance(manager, order, 'pack')


def lines_of(order) -> dict[str, OrderLine]:
    with read_session() as session:
        return {line.sku: line for line in orders.order_lines(session, order.id)}


def ship(manager, order, lines=None, **values):
    order = fresh(order.id)
    with session_scope() as session:
        return orders.ship(
            session=session, actor=manager, order_id=order.id, version=order.version, lines=lines, **values
        )


def kinds(order) -> list[str]:
    with read_session() as session:
        return list(
            session.exec(select(OrderEvent.kind).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))
        )


def test_two_parcels_ship_an_order_each_taking_its_own_stock(manager) -> None:
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    tee = make_product('TEE', stock_on_hand=5, actor=manager)
    order = packed_order(manager, ('MUG', 3), ('TEE', 1))
    bought = lines_of(order)
    with session_scope() as session:
        session.add(Carrier(code='dhl', name='DHL', tracking_url_template='https://track.example/{tracking}'))
        session.commit()
        carrier = session.exec(select(Carrier)).one()

    first = ship(manager, order, {bought['MUG'].id: 2}, carrier_id=carrier.id, tracking_number='JD 01')
    now = fresh(order.id)
    assert (now.status, orders.status_shown(now), orders.partly_shipped(now)) == ('packed', 'partly_shipped', True)
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (3, 1)  # 2 left, 1 still held for the next parcel
    assert (level(tee.id).on_hand, level(tee.id).reserved) == (5, 1)
    assert 'cancel' not in orders.allowed_actions(now) and 'ship' in orders.allowed_actions(now)
    with session_scope() as session, pytest.raises(orders.IllegalTransition, match='partly shipped'):
        orders.cancel(session=session, actor=manager, order_id=order.id, version=now.version)
    with read_session() as session:
        assert orders.remaining_by_line(session, order.id, list(bought.values())) == {
            bought['MUG'].id: 1,
            bought['TEE'].id: 1,
        }
        # what open orders reserve, counted again from the lines, agrees with what the parcels left reserved
        assert [row[1] for row in session.exec(select(OrderLine.sku, stock.unshipped()).order_by(OrderLine.id))] == [
            1,
            1,
        ]

    last = ship(manager, order)  # nothing chosen: everything that remains
    now = fresh(order.id)
    assert (now.status, orders.status_shown(now)) == ('shipped', 'shipped')
    assert (level(mug.id).on_hand, level(mug.id).reserved, level(tee.id).on_hand, level(tee.id).reserved) == (
        2,
        0,
        4,
        0,
    )
    with read_session() as session:
        parcels = orders.parcels(session, order.id, list(bought.values()))
        assert [[(line.sku, n) for line, n in parcel.items] for parcel in parcels] == [
            [('MUG', 2)],
            [('MUG', 1), ('TEE', 1)],
        ]
        assert [parcel.shipment.id for parcel in parcels] == [first.id, last.id]
        sales = session.exec(
            select(StockMovement.quantity).where(StockMovement.order_id == order.id).order_by(StockMovement.id)
        ).all()
        assert sales == [-2, -1, -1]
        events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)).all()
        said = [orders.timeline_text(event) for event in events if event.kind in ('parcel-shipped', 'shipped')]
        assert said == [
            'Parcel shipped with DHL, tracking JD01: 2 × MUG — still to ship: 1 × MUG, 1 × TEE',
            'Last parcel shipped: 1 × MUG, 1 × TEE',
        ]
        assert [portal_timeline.customer_words(e) for e in events if e.kind == 'parcel-shipped'] == [
            'A parcel was shipped; the rest follows'
        ]
        assert stock.ledger_mismatches(session=session) == []
        assert stock.reservation_mismatches(session=session) == []
    assert kinds(order)[-2:] == ['parcel-shipped', 'shipped']

    # each parcel is delivered on its own; the order once every parcel arrived
    with session_scope() as session:
        orders.deliver_parcel(session=session, actor=manager, shipment_id=first.id)
    assert fresh(order.id).status == 'shipped'
    with session_scope() as session, pytest.raises(orders.IllegalTransition, match='already delivered'):
        orders.deliver_parcel(session=session, actor=manager, shipment_id=first.id)
    with session_scope() as session:
        orders.deliver_parcel(session=session, actor=manager, shipment_id=last.id)
    assert fresh(order.id).status == 'delivered'
    assert kinds(order)[-2:] == ['parcel-delivered', 'delivered']


def test_a_parcel_of_everything_works_as_before(manager) -> None:
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    order = packed_order(manager, ('MUG', 2))
    shipment = ship(manager, order)
    assert fresh(order.id).status == 'shipped'
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (3, 0)
    with read_session() as session:
        assert session.exec(select(ShipmentLine.quantity).where(ShipmentLine.shipment_id == shipment.id)).all() == [2]
        assert [orders.timeline_text(e) for e in session.exec(select(OrderEvent)) if e.kind == 'shipped'] == ['Shipped']


def test_a_parcel_from_before_split_shipments_means_the_whole_order(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = packed_order(
        manager,
        ('MUG', 2),
    )
    bought = lines_of(order)
    with session_scope() as session:  # as migration 0072 leaves an older shipment: no lines
        session.add(Shipment(order_id=order.id, tracking_number='OLD1'))
        session.commit()
    with read_session() as session:
        assert orders.remaining_by_line(session, order.id, list(bought.values())) == {bought['MUG'].id: 0}
        assert [
            [(line.sku, n) for line, n in p.items] for p in orders.parcels(session, order.id, [*bought.values()])
        ] == [[('MUG', 2)]]


def test_refusals_are_said_at_the_field_and_nothing_is_written(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    make_product('TEE', stock_on_hand=5, actor=manager)
    order = packed_order(manager, ('MUG', 2), ('TEE', 1))
    other = packed_order(manager, ('TEE', 1))
    mug, tee = lines_of(order)['MUG'].id, lines_of(order)['TEE'].id
    theirs = lines_of(other)['TEE'].id
    refusals = [
        ({mug: 3}, {f'lines.{mug}': 'Only 2 left to ship'}),
        (
            [{'order_line_id': mug, 'quantity': 2}, {'order_line_id': mug, 'quantity': 1}],
            {f'lines.{mug}': 'Only 2 left to ship'},
        ),
        ({mug: 0, tee: ''}, {'lines': 'Choose at least one item for this parcel'}),
        ({}, {'lines': 'Choose at least one item for this parcel'}),
        ({mug: '1.5'}, {f'lines.{mug}': 'Enter a whole number from 0 to 2'}),
        ({mug: -1}, {f'lines.{mug}': 'Enter a whole number from 0 to 2'}),
        ({theirs: 1}, {f'lines.{theirs}': f'This line is not on order {order.number}'}),
        ({HOSTILE: 1}, {f'lines.{HOSTILE}': f'This line is not on order {order.number}'}),
    ]
    for lines, said in refusals:
        with pytest.raises(ValidationFailed) as refused:
            ship(manager, order, lines, tracking_number=HOSTILE)
        assert refused.value.errors == said, lines
    with read_session() as session:
        assert session.exec(select(Shipment)).all() == []
    assert fresh(order.id).status == 'packed' and fresh(order.id).shipped_at is None

    ship(manager, order, {mug: 2})
    with pytest.raises(ValidationFailed) as refused:
        ship(manager, order, {mug: 1})
    assert refused.value.errors == {f'lines.{mug}': 'Already shipped in full'}

    cancelled = place(('TEE', 1))
    with session_scope() as session:
        orders.cancel(session=session, actor=manager, order_id=cancelled.id, version=cancelled.version)
    with pytest.raises(orders.IllegalTransition, match='cancelled, which is final'):
        ship(manager, cancelled)


def test_hostile_tracking_text_is_kept_as_text(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = packed_order(manager, ('MUG', 2))
    with session_scope() as session:
        session.add(Carrier(code='ups', name='UPS <b>', tracking_url_template='https://ups.example/t?n={tracking}'))
        session.commit()
        carrier = session.exec(select(Carrier)).one()
    shipment = ship(manager, order, {lines_of(order)['MUG'].id: 1}, carrier_id=carrier.id, tracking_number=HOSTILE)
    assert shipment.tracking_number == '<script>alert("x")</script>:\'1Z\''
    assert shipment.tracking_url.startswith('https://ups.example/t?n=%3Cscript%3E')


def test_two_people_shipping_the_same_units_the_second_is_refused_whole(manager) -> None:
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    order = packed_order(manager, ('MUG', 2))
    line = lines_of(order)['MUG'].id
    shown = fresh(order.id).version  # both opened the dialog on this version
    start = threading.Barrier(2)
    won, lost, failed = [], [], []

    def send(tracking: str) -> None:
        try:
            start.wait()
            with session_scope() as session:
                orders.ship(
                    session=session,
                    actor=manager,
                    order_id=order.id,
                    version=shown,
                    lines={line: 2},
                    tracking_number=tracking,
                )
            won.append(tracking)
        except (StaleRecord, ValidationFailed, orders.IllegalTransition) as error:
            lost.append(error)
        except BaseException as error:  # anything else is a bug (a deadlock, a half-written parcel)
            failed.append(error)

    threads = [threading.Thread(target=send, args=(f'T{n}',)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and len(won) == 1 and len(lost) == 1
    with read_session() as session:
        assert len(session.exec(select(Shipment)).all()) == 1
        assert session.exec(select(ShipmentLine.quantity)).all() == [2]
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (3, 0)


async def test_the_api_ships_a_parcel_by_sku_and_without_lines_all_that_remains(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    make_product('TEE', stock_on_hand=5, actor=manager)
    order = packed_order(manager, ('MUG', 3), ('TEE', 1))
    _key, secret = key_for('manager', 'write:orders')
    url = f'/api/v1/orders/{order.id}/actions/ship'
    async with api_client(router) as client:
        over = await client.post(url, json={'lines': 'mug:4'}, headers=bearer(secret))
        assert over.status_code == 422, over.text
        assert [(e['loc'][-1], e['msg']) for e in over.json()['detail']] == [
            (f'lines.{lines_of(order)["MUG"].id}', 'Only 3 left to ship')
        ]
        hostile = await client.post(url, json={'lines': HOSTILE}, headers=bearer(secret))
        assert hostile.status_code == 422 and 'This line is not on order' in hostile.text
        garbled = await client.post(url, json={'lines': 'MUG 2'}, headers=bearer(secret))
        assert garbled.status_code == 422 and 'SKU:quantity' in garbled.text
        first = await client.post(url, json={'lines': 'mug:2', 'tracking_number': HOSTILE}, headers=bearer(secret))
        assert first.status_code == 200, first.text
        assert (first.json()['record']['status'], first.json()['message']) == ('packed', 'Parcel shipped')
        rest = await client.post(url, json={}, headers=bearer(secret))  # as before split parcels: all that remains
        assert rest.status_code == 200, rest.text
        assert (rest.json()['record']['status'], rest.json()['message']) == ('shipped', 'Shipped')
        again = await client.post(url, json={}, headers=bearer(secret))
        assert again.status_code == 409 and 'already shipped' in again.text
    with read_session() as session:
        bought = list(lines_of(order).values())
        assert [[(line.sku, n) for line, n in p.items] for p in orders.parcels(session, order.id, bought)] == [
            [('MUG', 2)],
            [('MUG', 1), ('TEE', 1)],
        ]


def test_the_pick_list_of_a_partly_shipped_order_holds_only_what_is_left(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager, name='Mug')
    make_product('TEE', stock_on_hand=5, actor=manager, name='Tee')
    order = packed_order(manager, ('MUG', 3), ('TEE', 1))
    ship(manager, order, {lines_of(order)['MUG'].id: 2, lines_of(order)['TEE'].id: 1})
    with read_session() as session:
        text = pdf_words(documents.pick_list_pdf(session=session, actor=manager, order_ids=[order.id]))
        assert [line.quantity for line in orders.order_lines(session, order.id)] == [3, 1]  # stored lines untouched
    assert 'MUG Mug 1' in text and 'TEE' not in text


def test_a_batch_pick_list_leaves_out_the_orders_with_nothing_left_to_pick(manager) -> None:
    """Ticking a day's orders ticks the cancelled and the shipped ones too: their items were listed to fetch again
    (goods already sent, or that stay on the shelf). They are left out and the list says how many; an order alone with
    nothing to pick is refused with the reason, and its page offers no pick list."""
    make_product('MUG', stock_on_hand=20, actor=manager, name='Mug')
    make_product('TEE', stock_on_hand=20, actor=manager, name="Tee 'n' <script>alert(1)</script>")
    waiting = place(('MUG', 1), email='wait@example.com')
    gone = packed_order(manager, ('TEE', 4))
    gone = advance(manager, gone, 'ship')
    called_off = place(('TEE', 3), email='off@example.com')
    with session_scope() as session:
        orders.cancel(session=session, actor=manager, order_id=called_off.id, version=called_off.version)
    with read_session() as session:
        text = pdf_words(
            documents.pick_list_pdf(session=session, actor=manager, order_ids=[waiting.id, gone.id, called_off.id])
        )
    assert 'TEE' not in text and 'MUG Mug 1' in text
    assert f'Order {gone.number}' not in text and f'Order {called_off.number}' not in text
    assert 'Pick list — 1 order' in text and '2 orders left out: nothing to pick (shipped or cancelled)' in text
    with read_session() as session, pytest.raises(ValidationFailed) as refused:
        documents.pick_list_pdf(session=session, actor=manager, order_ids=[gone.id])
    assert refused.value.errors == {
        'orders': f'Nothing to pick: order {gone.number} is shipped (an order is picked until it is shipped)'
    }
    assert 'pick_list' not in orders.allowed_actions(fresh(gone.id))
    assert 'pick_list' not in orders.allowed_actions(fresh(called_off.id))
    assert 'pick_list' in orders.allowed_actions(fresh(waiting.id))
