"""A day of the warehouse: the parcel's address and the customer's note on the order being packed, a tracking number
typed wrong put right after the parcel left, a stock count entered as what is on the shelf, a batch pick list that
says how many of each item to fetch, and a return where only some of the items can be sold again."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Carrier, Shipment
from backoffice.permissions import PermissionDenied
from backoffice.services import orders

from .support.factories import advance, make_product, make_user, pay, place
from .support.signin import signed_in

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
