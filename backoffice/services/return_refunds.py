"""Whether a return's money went back: its refund's state kept on the return (`Return.refund_state`, `refund_amount`),
so /returns shows it and filters by it without a query per row. Called wherever a refund for a return is booked or a
gateway answers about one; the truth is always the refunds themselves, read again here."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, func, select

from backoffice import events
from backoffice.events import Topic
from backoffice.i18n import N_
from backoffice.models import GatewayRefund, Refund, Return

# a return's refund as /returns says it: how the money went back and whether it arrived (None: not refunded)
REFUND_STATES = {
    'manual': N_('Refunded by hand'),
    'sent': N_('Sent to the gateway, no answer yet'),
    'pending': N_('Pending at the bank'),
    'refunded': N_('Refunded at the gateway'),
    'failed': N_('Failed: pay back again on the order'),
}
# on the order's own page, beside its "Pay back again": the state without sending the reader to the order
ON_THE_ORDER = {**REFUND_STATES, 'failed': N_('Failed: the money has not gone back')}
ALARMING = ('failed',)  # shown in red, on a phone's card too: the customer has not got the money
# a gateway refund's status (GatewayRefund.status) → the return's refund state
FROM_GATEWAY = {
    'requested': 'sent',
    'pending': 'pending',
    'succeeded': 'refunded',
    'failed': 'failed',
    'canceled': 'failed',
}


def state_of(session: Session, rma: Return) -> tuple[str | None, Decimal | None]:
    """(state, amount) of the return's refund from the rows themselves: the latest refund sent to a gateway for it (a
    failed one paid back again: the new one), else the refunds booked by hand for it, else none."""
    latest = session.exec(
        select(col(GatewayRefund.status), col(GatewayRefund.amount))
        .where(GatewayRefund.order_id == rma.order_id, GatewayRefund.return_id == rma.id)
        .order_by(col(GatewayRefund.id).desc())
        .limit(1)
    ).first()
    if latest is not None:
        status, amount = latest
        return FROM_GATEWAY.get(status, 'failed'), amount
    booked = session.exec(
        select(func.count(col(Refund.id)), func.sum(Refund.amount)).where(
            Refund.order_id == rma.order_id, Refund.return_id == rma.id
        )
    ).one()
    if booked[0]:
        return 'manual', Decimal(booked[1]).quantize(Decimal('0.01'))
    return None, None


def note(session: Session, return_id: int | None) -> None:
    """Keep the return's refund state in step with its refunds (in the caller's transaction; /returns is told once it
    commits). Not a change of the return by a person: its version and audit trail stay as they are."""
    if return_id is None:
        return
    session.flush()
    rma = session.get(Return, return_id)
    if rma is None:
        return
    state, amount = state_of(session, rma)
    if (rma.refund_state, rma.refund_amount) == (state, amount):
        return
    rma.refund_state, rma.refund_amount = state, amount
    session.add(rma)
    session.flush()
    events.after_commit(session, Topic.returns, {'id': return_id, 'action': 'refund'})
