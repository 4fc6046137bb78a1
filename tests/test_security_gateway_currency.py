"""Security probe: a card payment is recorded on an order only in the order's own currency.

Stripe's amounts are in the currency of the payment intent; an intent that names an order in its metadata (the front
office makes them) but is in another currency (¥60 for a 60.00 EUR order) must not count as 60.00 EUR paid."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice.api.payments import router
from backoffice.db import read_session
from backoffice.models import OrderEvent, Payment

from .support.api import api_client
from .support.factories import fresh, make_product, make_user, place
from .support.stripe_server import StripeServer, set_up_stripe, sign

WEBHOOK = '/api/payments/stripe/webhook'


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, make_user('admin'), monkeypatch)
        yield server


async def test_a_payment_in_another_currency_is_not_recorded_as_the_orders(stripe) -> None:
    make_product('CUR-MUG', '25.00', stock_on_hand=5, actor=make_user('manager'))
    order = place(('CUR-MUG', 2))  # 60.00 EUR with VAT
    assert order.currency == 'EUR'
    yen = stripe.add_intent(order_id=order.id, amount=60, currency='jpy')  # ¥60: a few cents
    event = stripe.event('payment_intent.succeeded', yen)
    async with api_client(router) as client:
        answer = await client.post(WEBHOOK, content=event, headers={'Stripe-Signature': sign(event)})
    assert answer.status_code == 200
    assert 'not recorded' in answer.json()['outcome']
    assert 'JPY' in answer.json()['outcome']
    order = fresh(order.id)
    assert (order.status, order.paid_total) == ('pending', Decimal('0.00'))
    with read_session() as session:
        assert session.exec(select(Payment)).all() == []
        noted = session.exec(select(OrderEvent).where(OrderEvent.kind == 'payment_other_currency')).all()
        assert [event.order_id for event in noted] == [order.id]  # staff see why on the order's timeline
        assert 'not recorded: the order is in EUR' in noted[0].text
    # the same payment in euros is recorded as ever
    euros = stripe.add_intent(order_id=order.id, amount=6000, currency='eur')
    event = stripe.event('payment_intent.succeeded', euros)
    async with api_client(router) as client:
        answer = await client.post(WEBHOOK, content=event, headers={'Stripe-Signature': sign(event)})
    assert 'recorded on order' in answer.json()['outcome']
    assert fresh(order.id).paid_total == Decimal('60.00')
