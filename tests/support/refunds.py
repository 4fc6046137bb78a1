"""Orders paid by card through the local Stripe server, for the refund tests: a received return of such an order, a
refund made and then failed at the bank (Stripe's signed refund.failed), the webhook delivered as Stripe would."""

from __future__ import annotations

from typing import Any

from backoffice.db import session_scope
from backoffice.models import GatewayRefund, Order, Return
from backoffice.services import gateway_payments

from .factories import advance, make_product, make_user, place, receive_return, start_return
from .stripe_server import StripeServer, paid_through_stripe, sign

CUSTOMER = 'Jane "JD" Doe: <script>x</script>'


def card_order(stripe: StripeServer, sku: str = 'MUG', **placed: Any) -> tuple[Order, dict[str, Any]]:
    """€60.00 (2 × MUG at 25.00 + VAT) paid by card at Stripe."""
    make_product(sku, '25.00', stock_on_hand=5, actor=make_user('manager'))
    order = place((sku, 2), **({'name': CUSTOMER} | placed))
    return order, paid_through_stripe(stripe, order, 6000)


def received_return_of_card_order(stripe: StripeServer, manager, sku: str = 'MUG') -> tuple[Order, Return]:
    """A card order shipped and delivered, one of its two mugs returned and received (30.00 to refund)."""
    order, _intent = card_order(stripe, sku)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    return order, receive_return(manager, start_return(manager, order))


def deliver_webhook(kind: str, obj: dict[str, Any], stripe: StripeServer, *, event_id: str = '') -> str:
    payload = stripe.event(kind, obj, event_id=event_id)
    with session_scope() as session:
        return gateway_payments.apply_webhook(
            session=session, provider_key='stripe', payload=payload, headers={'stripe-signature': sign(payload)}
        )


def refunded_then_failed(stripe: StripeServer, actor, order: Order, amount: str = '20.00') -> GatewayRefund:
    """A refund Stripe said succeeded, then failed at the bank (lost card): the signed refund.failed applied."""
    with session_scope() as session:
        row = gateway_payments.request_refund(
            session=session, actor=actor, order_id=order.id, amount=amount, reason='Chipped "mug": <b>x</b>'
        )
    assert row.status == 'succeeded'
    made = stripe.state.refunds[row.reference]
    made.update(status='failed', failure_reason='lost_or_stolen_card')
    deliver_webhook('refund.failed', made, stripe, event_id=f'evt_failed_{row.id}')
    return row
