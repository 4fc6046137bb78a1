"""Stripe from the screens: the order page refunds through Stripe and shows the outcome in words (succeeded, failed
with the bank's reason), "Sync status" books what a lost webhook missed, and the settings test the connection."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from nicegui.testing import User

from .support.factories import fresh, make_product, make_user, place
from .support.signin import signed_in
from .support.stripe_server import StripeServer, paid_through_stripe, set_up_stripe
from .support.waiting import eventually


@pytest.fixture
def stripe(user: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, make_user('admin'), monkeypatch)
        yield server


def an_order():
    make_product('MUG', '25.00', stock_on_hand=5, actor=make_user('manager'))
    return place(('MUG', 2))  # 60.00 with VAT


async def refund(user: User, amount: str, reason: str) -> None:
    await user.should_see(marker='refund', retries=40)
    user.find(marker='refund').click()
    user.find(marker='amount').elements.pop().set_value(amount)
    user.find(marker='reason').type(reason)
    user.find(marker='dialog-submit').click()


async def test_a_manager_refunds_part_of_a_card_payment_from_the_order_page(user: User, stripe) -> None:
    order = an_order()
    intent = paid_through_stripe(stripe, order, 6000)
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='sync-status', retries=40)
    await refund(user, '60.01', 'Too much')
    await user.should_see('At most €60.00 can be refunded on order 100001', retries=40)
    user.find(marker='amount').elements.pop().set_value('15.00')
    user.find(marker='reason').elements.pop().set_value('Chipped "mug": <script>x</script> très')
    user.find(marker='dialog-submit').click()
    await user.should_see('Refunded €15.00; a credit note was issued', retries=40)
    assert [(r['amount'], r['payment_intent']) for r in stripe.refunds_made()] == [(1500, intent['id'])]
    await eventually(lambda: fresh(order.id).refunded_total == Decimal('15.00'), message='the refund is booked')
    await user.should_see('Chipped "mug": <script>x</script> très', retries=40)


async def test_a_refused_refund_is_shown_in_words_on_the_page_and_its_timeline(user: User, stripe) -> None:
    order = an_order()
    paid_through_stripe(stripe, order, 6000)
    stripe.state.next_refund_status = 'failed'
    await signed_in(user, make_user('manager').email, path=f'/orders/{order.number}')
    await refund(user, '20.00', 'Broken')
    await user.should_see(
        'Refund of €20.00 failed: The card expired or was cancelled: the bank refused the refund', retries=40
    )
    await user.should_see(marker='gateway-refund', retries=40)
    await user.should_see('Stripe refund of €20.00 failed', retries=40)  # the timeline
    assert fresh(order.id).refunded_total == Decimal('0.00')


async def test_sync_status_books_a_refund_made_in_the_stripe_dashboard(user: User, stripe) -> None:
    order = an_order()
    paid_through_stripe(stripe, order, 6000)
    await signed_in(user, make_user('manager').email, path=f'/orders/{order.number}')
    stripe.state.refunds['re_dash'] = {  # made at Stripe, its webhook lost
        'id': 're_dash',
        'object': 'refund',
        'amount': 500,
        'currency': 'eur',
        'payment_intent': next(iter(stripe.state.intents)),
        'status': 'succeeded',
        'metadata': {},
        'failure_reason': None,
    }
    await user.should_see(marker='sync-status', retries=40)
    user.find(marker='sync-status').click()
    await user.should_see('Synced: 1 difference fixed', retries=40)
    await eventually(
        lambda: fresh(order.id).refunded_total == Decimal('5.00'), message='the dashboard refund is booked'
    )


async def test_an_agent_sees_no_refund_or_sync_button(user: User, stripe) -> None:
    order = an_order()
    paid_through_stripe(stripe, order, 6000)
    await signed_in(user, make_user('agent').email, path=f'/orders/{order.number}')
    await user.should_see('Payments, refunds and invoices', retries=40)
    await user.should_not_see(marker='sync-status')
    await user.should_not_see(marker='refund')


async def test_the_settings_test_the_connection_to_stripe(user: User, stripe) -> None:
    await signed_in(user, make_user('admin').email, path='/settings')
    await user.should_see('Payments — Stripe', retries=40)
    user.find(marker='stripe-test-connection').click()
    await user.should_see('Connected to Stripe (test mode)', retries=40)
