"""Money going back by card, from the order page (issue #15): "Refund the return" of a card order goes through Stripe
and says its outcome; a refund that failed after it was made is said so, with "Pay back again" for those who may."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from nicegui.testing import User

from .support.factories import fresh, make_user
from .support.refunds import card_order, received_return_of_card_order, refunded_then_failed
from .support.signin import signed_in
from .support.stripe_server import StripeServer, set_up_stripe
from .support.waiting import eventually


@pytest.fixture
def stripe(user: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, make_user('admin'), monkeypatch)
        yield server


async def test_refunding_the_return_of_a_card_order_goes_through_stripe(user: User, stripe) -> None:
    manager = make_user('manager')
    order, rma = received_return_of_card_order(stripe, manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='resolve-refund', retries=40)
    user.find(marker='resolve-refund').click()
    await user.should_see(marker='refund-confirm', retries=40)
    user.find(marker='refund-confirm').click()
    await user.should_see('Refunded €30.00; a credit note was issued', retries=40)
    assert [r['amount'] for r in stripe.refunds_made()] == [3000]
    await eventually(lambda: fresh(order.id).refunded_total == Decimal('30.00'), message='the refund is booked')
    await user.should_see(f'Return {rma.number}', retries=40)


async def test_a_refund_that_failed_after_it_was_made_is_said_and_paid_back_again(user: User, stripe) -> None:
    admin = make_user('admin')
    order, _intent = card_order(stripe)
    refunded_then_failed(stripe, admin, order)
    await signed_in(user, make_user('manager').email, path=f'/orders/{order.number}')
    await user.should_see('failed after it was made: the amount is owed to the customer again', retries=40)
    await user.should_see('The card was reported lost or stolen: the bank refused the refund')
    await user.should_see('reversed: Refund re_3Local', retries=40)
    await user.should_see('refunded €20.00: Chipped "mug": <b>x</b>')  # shown as typed, never as markup
    user.find(marker='pay-back-again').click()
    await user.should_see('Paid back €20.00 again; its credit note is on the order', retries=40)
    await eventually(lambda: fresh(order.id).refunded_total == Decimal('20.00'), message='paid back again')
    await user.should_not_see(marker='pay-back-again', retries=40)
    assert len(stripe.refunds_made()) == 2


async def test_pay_back_again_beyond_what_is_left_is_refused_at_the_page(user: User, stripe) -> None:
    from backoffice.db import session_scope
    from backoffice.services import gateway_payments

    admin = make_user('admin')
    order, _intent = card_order(stripe)
    refunded_then_failed(stripe, admin, order)
    await signed_in(user, make_user('manager').email, path=f'/orders/{order.number}')
    await user.should_see(marker='pay-back-again', retries=40)
    with session_scope() as session:  # meanwhile, in another tab
        gateway_payments.request_refund(session=session, actor=admin, order_id=order.id, amount='50.00', reason='x')
    user.find(marker='pay-back-again').click()
    await user.should_see(
        'Only €10.00 can still be refunded on order 100001: paying back €20.00 again is more than that',
        retries=40,
    )
    assert len(stripe.refunds_made()) == 2


async def test_a_viewer_sees_the_failure_but_no_pay_back_again(user: User, stripe) -> None:
    order, _intent = card_order(stripe)
    refunded_then_failed(stripe, make_user('admin'), order)
    await signed_in(user, make_user('viewer').email, path=f'/orders/{order.number}')
    await user.should_see('failed after it was made', retries=40)
    await user.should_not_see(marker='pay-back-again')


async def test_the_refund_dialog_offers_what_is_left_after_store_credit(user: User) -> None:
    """Store credit already given on an order is not offered again: the dialog offers what the service would accept
    and says why it is less than what was paid."""
    from backoffice.db import session_scope
    from backoffice.services import returns

    from .support.factories import advance, make_product, pay, place, receive_return, start_return

    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=9, actor=manager)
    order = place(('MUG', 2))  # 2 × 12.00 with VAT, + shipping 5.88: 29.88
    pay(manager, order)
    advance(manager, order, 'pack', 'ship', 'deliver')
    rma = receive_return(manager, start_return(manager, order, reason='Chipped "mug": <b>x</b>'))
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='credit_note')  # 12.00
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    user.find(marker='refund').click()
    await user.should_see('€12.00 already given as store credit', retries=40)
    assert user.find(marker='amount').elements.pop().value == '17.88'
    user.find(marker='reason').type('Rest: "late" <b>')
    user.find(marker='dialog-submit').click()
    await eventually(lambda: fresh(order.id).refunded_total == Decimal('17.88'), message='the rest is refunded')


def test_what_the_refund_dialog_offers_leaves_out_a_refund_the_gateway_has_not_answered() -> None:
    from backoffice.db import read_session, session_scope
    from backoffice.models import GatewayRefund
    from backoffice.services import gateway_payments

    from .support.factories import make_product, pay, place

    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=9, actor=manager)
    order = place(('MUG', 2))  # 29.88
    pay(manager, order)
    with session_scope() as session:  # asked of the gateway, not answered yet
        session.add(GatewayRefund(order_id=order.id, provider='stripe', intent_reference='pi_1', amount=Decimal('10')))
        session.commit()
    with read_session() as session:
        room = gateway_payments.refund_room(session, fresh(order.id))
    assert (room.amount, room.store_credit) == (Decimal('19.88'), Decimal('0.00'))


async def test_two_operators_refund_the_same_scratch_the_second_is_told_and_nothing_is_paid_twice_unseen(
    user: User,
) -> None:
    from backoffice.db import session_scope
    from backoffice.services import payments

    from .support.factories import make_product, pay, place

    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=9, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    user.find(marker='refund').click()
    await user.should_see(marker='amount', retries=40)
    user.find(marker='amount').clear().type('5.00')
    reason = 'Scratched: "lid" <script>alert(1)</script>'
    user.find(marker='reason').type(reason)
    tom = make_user('manager', name='Tom Becker')  # the customer phoned twice: Tom refunds the scratch meanwhile
    with session_scope() as session:
        payments.refund(session=session, actor=tom, order_id=order.id, amount='5.00', reason='Scratched lid')
    user.find(marker='dialog-submit').click()
    await user.should_see(f'was changed by {tom.name}', retries=40)
    await user.should_see('The page now shows their change: press again if yours still applies.')  # no Reload here
    assert fresh(order.id).refunded_total == Decimal('5.00')  # Tom's refund only: not paid twice unseen
    assert user.find(marker='reason').elements.pop().value == reason  # what was typed is kept
    user.find(marker='dialog-submit').click()  # pressed again, knowing: a second refund it is
    await eventually(lambda: fresh(order.id).refunded_total == Decimal('10.00'), message='the second refund is given')
