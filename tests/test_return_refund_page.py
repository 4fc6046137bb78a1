"""Resolving a received return by a refund: the money moves only after a confirmation that says how much, to whom and
for what; the order's own refund and the return's refund are told apart by their labels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Order, Return
from backoffice.services import returns

from .support.factories import advance, fresh, make_product, make_user, pay, place, receive_return, start_return
from .support.signin import signed_in
from .support.waiting import eventually

CUSTOMER = 'Jane "JD" Doe: <script>x</script>'


def received_return(manager) -> tuple[Order, Return]:
    make_product('MUG', '10.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 3), name=CUSTOMER)
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    rma = start_return(manager, order, 2)
    return order, receive_return(manager, rma)


def stored_return(return_id: int) -> Return:
    with read_session() as session:
        return session.get(Return, return_id)


async def test_refunding_a_return_asks_first_with_the_amount_and_moves_money_only_when_confirmed(user: User) -> None:
    manager = make_user('manager')
    order, rma = received_return(manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see('Refund the return', retries=40)
    await user.should_see('Refund a payment')  # the order's own refund, a different button
    await user.should_see('Give store credit')

    user.find(marker='resolve-refund').click()
    question = f'Refund €24.00 to {CUSTOMER} for return {rma.number} (order {order.number})?'
    await user.should_see(question, retries=40)
    assert fresh(order.id).refunded_total == 0  # nothing moved by opening the question
    user.find(marker='refund-cancel').click()
    await eventually(lambda: not any(dialog.value for dialog in user.find(ui.dialog).elements))
    assert fresh(order.id).refunded_total == 0 and stored_return(rma.id).status == 'received'

    user.find(marker='resolve-refund').click()
    await user.should_see(question, retries=40)
    user.find(marker='refund-confirm').click()
    await user.should_see(  # paid by hand: booked here, the money given back by a person
        f'Refund of €24.00 for return {rma.number} recorded; a credit note was issued. Now give the money back',
        retries=40,
    )
    await eventually(lambda: fresh(order.id).refunded_total == Decimal('24.00'))
    assert stored_return(rma.id).resolution == 'refund'


def test_a_refund_confirmed_for_another_amount_is_refused() -> None:
    manager = make_user('manager')
    order, rma = received_return(manager)
    with read_session() as session:
        quote = returns.refund_quote(session=session, actor=manager, return_id=rma.id)
    assert (quote.amount, quote.currency, quote.customer_name) == (Decimal('24.00'), 'EUR', CUSTOMER)
    assert (quote.return_number, quote.order_number) == (rma.number, order.number)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund', amount='30.00')
    assert 'is now €24.00, not 30.00' in refused.value.errors['amount']
    assert fresh(order.id).refunded_total == 0 and stored_return(rma.id).status == 'received'
