"""Payments at a gateway (Stripe…), whichever provider: webhook events applied once, refunds and cancellations sent
from the order page, "Sync status". Nothing is sent to a gateway inside a database transaction: a refund row is
written first (its id makes the idempotency key), sent, then its outcome is applied in a second transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backoffice import db, formatting, stored_text
from backoffice.errors import NotFound, ServiceError, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import (
    GatewayEvent,
    GatewayIntent,
    GatewayRefund,
    Invoice,
    Order,
    Payment,
    Refund,
    User,
    utcnow,
)
from backoffice.payment_providers import (
    CANCELABLE_STATES,
    PROVIDERS,
    GatewayFailed,
    IntentState,
    RefundState,
    RemoteProvider,
    SignatureRefused,
    gateway,
)
from backoffice.payment_providers.base import known_message, message_said
from backoffice.payment_providers.base import message_shown as failure_shown
from backoffice.permissions import require
from backoffice.services import audit, orders, payments, return_refunds
from backoffice.stored_text import sentence, word

log = logging.getLogger(__name__)
NO_REASON = known_message(N_('The refund failed for a reason the gateway did not give'))

# what a payment's state may become at the gateway, in the gateway's own order (its webhooks arrive in any order): an
# event telling a state that cannot follow the one applied came late ("processing" delivered after "succeeded") and
# changes nothing. A failed attempt is tried again; a processing one may still fail; paid and cancelled are final.
LATER_STATES = {
    'requires_payment': frozenset({'failed', 'processing', 'requires_capture', 'succeeded', 'canceled'}),
    'failed': frozenset({'requires_payment', 'processing', 'requires_capture', 'succeeded', 'canceled'}),
    'processing': frozenset({'failed', 'requires_capture', 'succeeded', 'canceled'}),
    'requires_capture': frozenset({'processing', 'succeeded', 'canceled'}),
    'succeeded': frozenset(),
    'canceled': frozenset(),
}
IN_FLIGHT = ('requested', 'pending')  # asked of the gateway, not refunded yet: counted against what is refundable
FAILED = ('failed', 'canceled')  # a refund the money did not reach the customer by
__all__ = [
    'GatewayFailed',
    'SignatureRefused',
    'apply_webhook',
    'cancel_intent',
    'pay_back_again',
    'request_refund',
    'sync_order',
]


# --- webhooks ---------------------------------------------------------------------------------------------------------


def apply_webhook(*, session: Session, provider_key: str, payload: bytes, headers: dict[str, str]) -> str:
    """Verify a gateway's webhook and apply it once; the outcome in English (the log's words). SignatureRefused when
    it does not verify; an event about an unknown order is recorded and ignored (the gateway stops retrying)."""
    provider = _provider(provider_key)
    event = provider.verify_webhook(session, payload, headers)
    if session.exec(_seen(provider.key, event.id)).first() is not None:
        session.rollback()
        return 'replay: already applied'
    refunds = list(event.refunds)
    if event.type == 'charge.refunded' and not refunds and event.intent is not None:
        session.rollback()  # the network call holds no transaction
        refunds = provider.refunds_of(session, event.intent.reference)
    session.rollback()
    try:
        with db.held_commits(session):
            session.add(GatewayEvent(provider=provider.key, event_id=event.id[:255], type=event.type[:80]))
            session.flush()  # a concurrent delivery of the same event fails here, before any change
            outcome = _apply(
                session,
                None,
                provider,
                event.intent,
                refunds,
                trust_intent=event.type != 'charge.refunded',
                in_any_order=True,
            )
            row = session.exec(_seen(provider.key, event.id)).one()
            row.outcome = outcome[:500]
            session.add(row)
        session.commit()
    except IntegrityError:
        session.rollback()
        return 'replay: applied by a concurrent delivery'
    log.info('%s webhook %s (%s): %s', provider.key, event.id, event.type, outcome)
    return outcome


def _seen(provider: str, event_id: str):
    return select(GatewayEvent).where(GatewayEvent.provider == provider, GatewayEvent.event_id == event_id[:255])


def _apply(
    session: Session,
    actor: User | None,
    provider: RemoteProvider,
    intent: IntentState | None,
    refunds: list[RefundState],
    *,
    trust_intent: bool = True,
    in_any_order: bool = False,
) -> str:
    """The gateway's word applied to the local state (commits held by the caller); what changed, in English.
    `in_any_order`: a webhook's word, which may arrive after a later one (never a state read from the gateway now)."""
    done: list[str] = []
    if intent is not None and trust_intent:
        done.append(_apply_intent(session, actor, provider, intent, in_any_order=in_any_order))
    for state in refunds:
        done.append(_apply_refund(session, actor, provider, state, intent))
    return '; '.join(text for text in done if text) or 'nothing to change'


def _apply_intent(
    session: Session, actor: User | None, provider: RemoteProvider, state: IntentState, *, in_any_order: bool = False
) -> str:
    # two events of one payment at once (its "processing" and "succeeded") take turns: the one finding no local record
    # of it no longer fails on the other's (and is then taken for a replay and acknowledged, its word lost)
    db.one_at_a_time(session, f'gateway_intent:{provider.key}:{state.reference}')
    known = session.exec(
        select(GatewayIntent).where(GatewayIntent.provider == provider.key, GatewayIntent.reference == state.reference)
    ).first()
    order_id = known.order_id if known is not None else state.order_id
    order = session.get(Order, order_id) if order_id is not None else None
    if order is None or order.id is None:
        log.warning('%s payment %s names no order of this back office: ignored', provider.key, state.reference)
        return f'ignored: payment {state.reference} names no known order'
    if in_any_order and known is not None and _came_late(known.status, state.status):
        log.info('%s payment %s is %s: its late %s event changes nothing', provider.key, state.reference,
                 known.status, state.status)  # fmt: skip
        return f'late: payment {state.reference} is {known.status} already, {state.status} came before'
    if known is None:
        known = GatewayIntent(
            order_id=order.id,
            provider=provider.key,
            reference=state.reference,
            status='',
            amount=state.amount,
            currency=state.currency,
        )
    changed = known.status != state.status
    known.status, known.amount, known.currency = state.status, state.amount, state.currency
    known.message, known.updated_at = state.message[:500], utcnow()
    session.add(known)
    session.flush()
    recorded = session.exec(
        select(Payment).where(Payment.provider == provider.key, Payment.reference == state.reference)
    ).first()
    if state.status == 'succeeded' and recorded is None and state.currency.upper() != order.currency.upper():
        # an amount in another currency is not the order's amount (¥60 is not 60.00 EUR): never recorded as paid
        log.warning(
            '%s payment %s in %s not recorded on order %s in %s',
            provider.key,
            state.reference,
            state.currency,
            order.number,
            order.currency,
        )
        if changed:
            _timeline(
                session,
                actor,
                order,
                'payment_other_currency',
                sentence(
                    N_('{gateway} payment {reference} of {amount} not recorded: the order is in {currency}'),
                    gateway=provider.label,
                    reference=state.reference,
                    amount=stored_text.money(state.amount, state.currency.upper()),
                    currency=order.currency,
                ),
            )
        return (
            f'payment {state.reference} not recorded on order {order.number}: paid in {state.currency.upper()}, '
            f'the order is in {order.currency}'
        )
    if state.status == 'succeeded' and recorded is None:
        try:
            payments.record_payment(
                session=session,
                actor=None,
                order_id=order.id,
                amount=state.amount,
                method=next(iter(provider.methods)),
                reference=state.reference,
                provider=provider.key,
                same_reference=True,  # the gateway's own intent, recorded once (`recorded` above): the money is there
            )
        except ServiceError as error:  # paid meanwhile by hand, cancelled…: said in the log, never half-written
            log.warning(
                '%s payment %s on order %s not recorded: %s', provider.key, state.reference, order.number, error
            )
            return f'payment {state.reference} not recorded on order {order.number}: {error}'
        return f'payment {state.reference} recorded on order {order.number}'
    if changed and state.status in ('canceled', 'failed', 'requires_capture'):
        words = {
            'canceled': N_('{gateway} payment {reference} cancelled'),
            'failed': N_('{gateway} payment {reference} failed: {message}'),
            'requires_capture': N_('{gateway} payment {reference} authorised, not captured yet'),
        }
        _timeline(
            session,
            actor,
            order,
            f'payment_{state.status}',
            sentence(
                words[state.status],
                gateway=provider.label,
                reference=state.reference,
                message=message_said(state.message),
            ),
        )
        return f'payment {state.reference} {state.status}'
    return ''


def _came_late(applied: str, told: str) -> bool:
    """The state told cannot follow the one applied at the gateway: its event was sent before, delivered after."""
    return told != applied and applied in LATER_STATES and told not in LATER_STATES[applied]


def _apply_refund(
    session: Session, actor: User | None, provider: RemoteProvider, state: RefundState, intent: IntentState | None
) -> str:
    """The gateway's word on one refund applied (commits held by the caller); a return's refund state follows it."""
    outcome = _apply_refund_state(session, actor, provider, state, intent)
    row = session.exec(
        select(GatewayRefund).where(GatewayRefund.provider == provider.key, GatewayRefund.reference == state.reference)
    ).first()
    if row is None and state.local_id is not None:
        row = session.get(GatewayRefund, state.local_id)
    if row is not None:
        return_refunds.note(session, row.return_id)
    return outcome


def _apply_refund_state(
    session: Session, actor: User | None, provider: RemoteProvider, state: RefundState, intent: IntentState | None
) -> str:
    row = session.exec(
        select(GatewayRefund).where(GatewayRefund.provider == provider.key, GatewayRefund.reference == state.reference)
    ).first()
    if row is None and state.local_id is not None:
        row = session.get(GatewayRefund, state.local_id)
        if row is not None and (row.provider != provider.key or row.reference not in (None, state.reference)):
            row = None
    if row is None:  # made at the gateway itself (its dashboard): known from now on
        payment = session.exec(
            select(Payment).where(Payment.provider == provider.key, Payment.reference == state.intent_reference)
        ).first()
        if payment is None:
            log.warning('%s refund %s is for no payment of this back office: ignored', provider.key, state.reference)
            return f'ignored: refund {state.reference} is for no known payment'
        said = sentence(N_('Refunded at {gateway}'), gateway=word(provider.label))
        row = GatewayRefund(
            order_id=payment.order_id,
            payment_id=payment.id,
            provider=provider.key,
            intent_reference=state.intent_reference,
            amount=state.amount,
            reason=said.english,
            reason_key=said.key,
            reason_params=said.params,
        )
    if row.refund_id is not None and state.status in FAILED:
        return _reverse(session, actor, provider, row, state)
    before = (row.status, row.message, row.reference)
    row.reference, row.message, row.updated_at = state.reference, state.message[:500], utcnow()
    if row.refund_id is None:
        row.status = state.status
    session.add(row)
    session.flush()
    order = orders.locked(session, row.order_id, None)
    if state.status == 'succeeded' and row.refund_id is None:  # booked once: the row keeps the refund's id
        refundable = order.paid_total - order.refunded_total
        if state.amount > refundable:
            log.warning(
                '%s refund %s is more than order %s has left to refund', provider.key, state.reference, order.number
            )
            return f'refund {state.reference}: more than order {order.number} has left to refund'
        payment = session.get(Payment, row.payment_id) if row.payment_id else None
        covered = session.get(Invoice, row.credit_note_id) if row.credit_note_id is not None else None
        booked = payments.book_refund(
            session=session,
            actor=actor,
            order=order,
            payment=payment,
            amount=state.amount,
            reason=stored_text.restored(row.reason, row.reason_key, row.reason_params) or sentence(N_('Refund')),
            reference=state.reference[:120],
            return_id=row.return_id,
            covered_by=covered,
        )
        row.refund_id, row.status = booked.id, 'succeeded'
        if covered is None:
            note = session.exec(select(Invoice.id).where(Invoice.refund_id == booked.id)).first()
            row.credit_note_id = note
        session.add(row)
        session.flush()
        return f'refund {state.reference} of {state.amount} {state.currency} booked on order {order.number}'
    if (row.status, row.message, row.reference) != before and row.status in ('pending', 'failed', 'canceled'):
        words = {
            'pending': N_('{gateway} refund of {amount} is pending'),
            'failed': N_('{gateway} refund of {amount} failed: {message}'),
            'canceled': N_('{gateway} refund of {amount} was cancelled'),
        }
        _timeline(
            session,
            actor,
            order,
            f'refund_{row.status}',
            sentence(
                words[row.status],
                gateway=provider.label,
                amount=stored_text.money(row.amount, order.currency),
                message=message_said(row.message),
            ),
        )
        return f'refund {state.reference} {row.status}'
    return ''


def _reverse(
    session: Session, actor: User | None, provider: RemoteProvider, row: GatewayRefund, state: RefundState
) -> str:
    """A refund booked as succeeded that the gateway now says failed (the bank sent the money back): reversed once
    (`reversed_at`), the amount owed to the customer again; its credit note stays (a legal document)."""
    order = orders.locked(session, row.order_id, None)  # first: a concurrent event about it waits here
    session.refresh(row)
    if row.reversed_at is not None:  # another event about the same failure (refund.failed and charge.refund.updated)
        return ''
    booked = session.get(Refund, row.refund_id)
    message = state.message or NO_REASON
    now = utcnow()
    row.status, row.message, row.reversed_at, row.updated_at = state.status, message[:500], now, now
    session.add(row)
    session.flush()
    note = session.get(Invoice, row.credit_note_id) if row.credit_note_id is not None else None
    text = sentence(
        N_(
            '{gateway} refund of {amount} failed after it was made: {message}. The amount is owed to the customer '
            'again; credit note {note} stands'
        ),
        gateway=provider.label,
        amount=stored_text.money(row.amount, order.currency),
        message=message_said(message),
        note=note.number if note is not None else '—',
    )
    if booked is None:  # the refund row was removed meanwhile (an erasure): the order's total alone is restored
        before = audit.snapshot(order)
        order.refunded_total -= row.amount
        orders.save(session, actor, order, before, 'refund_reversed', text)
    else:
        payments.reverse_refund(
            session=session,
            actor=actor,
            order=order,
            refund=booked,
            why=sentence(
                N_('Refund {reference} failed: {message}'), reference=state.reference, message=message_said(message)
            ),
            text=text,
        )
    log.warning(
        '%s refund %s failed after it was booked: reversed on order %s', provider.key, row.reference, order.number
    )
    return f'refund {state.reference} failed after it was booked: reversed on order {order.number}'


def _timeline(session: Session, actor: User | None, order: Order, action: str, text) -> None:
    locked = orders.locked(session, _id(order), None)
    orders.save(session, actor, locked, audit.snapshot(locked), action, text)


# --- from the order page ----------------------------------------------------------------------------------------------


def request_refund(
    *,
    session: Session,
    actor: User,
    order_id: int,
    amount,
    reason: str | stored_text.Sentence,
    payment_id: int | None = None,
    return_id: int | None = None,
    version: int | None = None,
) -> GatewayRefund:
    """Give money back through the gateway the order was paid with: the refund is written, sent with its idempotency
    key, and its outcome applied (succeeded: booked with its credit note; pending; failed with the gateway's words).
    An order paid by hand is refunded at once (`payments.refund`); its row is returned as succeeded. `version`: the
    order's as the person saw it when they began; StaleRecord if a colleague changed it since (their refund of the
    same scratch would otherwise be paid a second time unseen)."""
    require(actor, 'orders.write')
    amount = payments.money(amount, 'amount')
    reason = payments.said_why(reason)
    if not reason:
        raise ValidationFailed({'reason': _('Say why the money is given back')})
    text, key, params = stored_text.stored(reason)
    order = orders.locked(session, order_id, version)
    payment = _payment_to_refund(session, order, payment_id)
    provider = gateway(payment.provider) if payment is not None else None
    if payment is None or provider is None:
        booked = payments.refund(
            session=session,
            actor=actor,
            order_id=order_id,
            amount=amount,
            reason=reason,
            payment_id=payment_id,
            return_id=return_id,
        )
        return GatewayRefund(
            id=None,
            order_id=order_id,
            payment_id=booked.payment_id,
            provider='manual',
            intent_reference='',
            reference=booked.reference,
            amount=amount,
            reason=text,
            reason_key=key,
            reason_params=params,
            status='succeeded',
            refund_id=booked.id,
        )
    left = refundable(session, order, payment)
    if amount > left:
        raise ValidationFailed(
            {
                'amount': _('At most {amount} can be refunded on order {number}').format(
                    amount=payments.amount_in_words(left, order.currency), number=order.number
                )
                if left > 0
                else _('Nothing is left to refund on order {number}').format(number=order.number)
            }
        )
    row = GatewayRefund(
        order_id=_id(order),
        payment_id=payment.id,
        provider=provider.key,
        intent_reference=payment.reference,
        amount=amount,
        reason=text,
        reason_key=key,
        reason_params=params,
        return_id=return_id,
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    return_refunds.note(session, row.return_id)
    orders.save(
        session,
        actor,
        order,
        audit.snapshot(order),
        'refund_requested',
        sentence(
            N_('Refund of {amount} sent to {gateway} ({reason})'),
            amount=stored_text.money(amount, order.currency),
            gateway=provider.label,
            reason=reason,
        ),
    )
    return send_refund(session=session, actor=actor, refund_id=_id(row))


def pay_back_again(*, session: Session, actor: User, refund_id: int) -> GatewayRefund:
    """A refund that failed (at once, or after it was made): the same amount sent again as a new refund (its own
    idempotency key). Refused in words when the order has less than that left to refund, or when it was paid back
    again already. Its credit note is the failed refund's, if it had one: the law's document is issued once."""
    require(actor, 'orders.write')
    order = orders.locked(session, _refund_row(session, refund_id).order_id, None)  # two clicks at once: one waits
    failed = _refund_row(session, refund_id)
    session.refresh(failed)
    if failed.status not in FAILED:
        raise ValidationFailed({'': _('Only a refund that failed can be paid back again')})
    again = session.exec(
        select(GatewayRefund.id).where(GatewayRefund.retry_of_id == failed.id, col(GatewayRefund.status).not_in(FAILED))
    ).first()
    if again is not None:
        raise ValidationFailed({'': _('This refund was paid back again already')})
    payment = session.get(Payment, failed.payment_id) if failed.payment_id is not None else None
    provider = gateway(payment.provider) if payment is not None else None
    if payment is None or provider is None:
        raise ValidationFailed({'': _('The payment this refund was for is no longer on the order')})
    left = refundable(session, order, payment)
    if failed.amount > left:
        raise ValidationFailed(
            {
                'amount': _(
                    'Only {left} can still be refunded on order {number}: paying back {amount} again is more than that'
                ).format(
                    left=payments.amount_in_words(left, order.currency),
                    number=order.number,
                    amount=payments.amount_in_words(failed.amount, order.currency),
                )
            }
        )
    row = GatewayRefund(
        order_id=_id(order),
        payment_id=payment.id,
        provider=provider.key,
        intent_reference=payment.reference,
        amount=failed.amount,
        reason=failed.reason,
        reason_key=failed.reason_key,
        reason_params=failed.reason_params,
        return_id=failed.return_id,
        retry_of_id=failed.id,
        credit_note_id=failed.credit_note_id,
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    return_refunds.note(session, row.return_id)
    orders.save(
        session,
        actor,
        order,
        audit.snapshot(order),
        'refund_requested',
        sentence(
            N_('Refund of {amount} paid back again through {gateway} ({reason})'),
            amount=stored_text.money(row.amount, order.currency),
            gateway=provider.label,
            reason=stored_text.restored(row.reason, row.reason_key, row.reason_params),
        ),
    )
    return send_refund(session=session, actor=actor, refund_id=_id(row))


def refund_of_return(*, session: Session, actor: User, return_id: int) -> GatewayRefund | None:
    """The latest refund sent to a gateway for a return (its outcome is what the page says), if any."""
    require(actor, 'orders.read')
    return session.exec(
        select(GatewayRefund).where(GatewayRefund.return_id == return_id).order_by(col(GatewayRefund.id).desc())
    ).first()


def paid_through_gateway(session: Session, order: Order) -> bool:
    """The payment a refund of this order would go back to was made at a gateway (Stripe…)."""
    payment = _payment_to_refund(session, order, None)
    return payment is not None and gateway(payment.provider) is not None


def send_refund(*, session: Session, actor: User, refund_id: int) -> GatewayRefund:
    """Send (or send again: the same idempotency key, so the gateway refunds once) a refund not answered yet."""
    require(actor, 'orders.write')
    row = _refund_row(session, refund_id)
    provider = _provider(row.provider)
    if row.status != 'requested':
        return row
    order = session.get(Order, row.order_id)
    currency = order.currency if order else 'EUR'
    intent_reference, amount, key = row.intent_reference, row.amount, idempotency_key(row)
    session.rollback()
    try:
        state = provider.send_refund(
            session, intent_reference=intent_reference, amount=amount, currency=currency, local_id=refund_id, key=key
        )
    except GatewayFailed as error:
        session.rollback()
        failed = _refund_row(session, refund_id)
        if error.unreachable:  # it may have reached the gateway: left to send again with the same key
            failed.message, failed.updated_at = error.english[:500], utcnow()
            session.add(failed)
            session.commit()
            return failed
        state = RefundState(
            reference='',
            intent_reference=intent_reference,
            status='failed',
            amount=amount,
            currency=currency,
            message=error.english,
            local_id=refund_id,
        )
        return _refused(session, actor, provider, failed, state)
    session.rollback()
    with db.held_commits(session):
        _apply_refund(session, actor, provider, state, None)
    session.commit()
    return _refund_row(session, refund_id)


def _refused(
    session: Session, actor: User | None, provider: RemoteProvider, row: GatewayRefund, state: RefundState
) -> GatewayRefund:
    """The gateway said no before making a refund: the row failed with its words, on the timeline."""
    with db.held_commits(session):
        row.status, row.message, row.updated_at = 'failed', state.message[:500], utcnow()
        session.add(row)
        return_refunds.note(session, row.return_id)
        order = orders.locked(session, row.order_id, None)
        _timeline(
            session,
            actor,
            order,
            'refund_failed',
            sentence(
                N_('{gateway} refund of {amount} failed: {message}'),
                gateway=provider.label,
                amount=stored_text.money(row.amount, order.currency),
                message=message_said(row.message),
            ),
        )
    session.commit()
    return row


def idempotency_key(row: GatewayRefund) -> str:
    """Derived from the refund row: every send of this refund carries it, so the gateway makes it once."""
    return f'backoffice-refund-{row.id}'


def refund_room(session: Session, order: Order) -> payments.RefundRoom:
    """What the refund dialog offers: what can still be given back on the order (less its store credit), less what
    was asked of a gateway and not answered yet (the request would be refused for it)."""
    room = payments.refund_room(session, order)
    in_flight = session.exec(
        select(func.coalesce(func.sum(GatewayRefund.amount), 0)).where(
            GatewayRefund.order_id == _id(order), col(GatewayRefund.status).in_(IN_FLIGHT)
        )
    ).one()
    left = max(room.amount - Decimal(in_flight), Decimal('0.00')).quantize(Decimal('0.01'))
    return payments.RefundRoom(left, room.store_credit)


def refundable(session: Session, order: Order, payment: Payment) -> Decimal:
    """What may still be refunded of this payment: paid, less what was refunded, given as store credit and what is
    asked and not answered."""
    refunded = session.exec(
        select(func.coalesce(func.sum(GatewayRefund.amount), 0)).where(
            GatewayRefund.payment_id == payment.id, col(GatewayRefund.status).in_((*IN_FLIGHT, 'succeeded'))
        )
    ).one()
    in_flight = session.exec(
        select(func.coalesce(func.sum(GatewayRefund.amount), 0)).where(
            GatewayRefund.order_id == order.id, col(GatewayRefund.status).in_(IN_FLIGHT)
        )
    ).one()
    of_payment = payment.amount - Decimal(refunded)
    # a return's value given as store credit is not paid back as well (payments.refund keeps the same rule)
    paid = min(order.paid_total, order.total - payments.store_credit(session, _id(order)))
    of_order = paid - order.refunded_total - Decimal(in_flight)
    return max(Decimal('0.00'), min(of_payment, of_order)).quantize(Decimal('0.01'))


def _payment_to_refund(session: Session, order: Order, payment_id: int | None) -> Payment | None:
    if payment_id is not None:
        payment = session.get(Payment, payment_id)
        if payment is None or payment.order_id != order.id:
            raise ValidationFailed({'payment_id': _('Choose a payment of this order')})
        return payment
    return session.exec(select(Payment).where(Payment.order_id == order.id).order_by(col(Payment.id).desc())).first()


def cancel_intent(*, session: Session, actor: User, intent_id: int) -> GatewayIntent:
    """Cancel a gateway payment not captured yet (the card's hold is released); the outcome on the timeline."""
    require(actor, 'orders.write')
    row = _intent_row(session, intent_id)
    if row.status not in CANCELABLE_STATES:
        raise ValidationFailed({'': _('Only a payment not captured yet can be cancelled')})
    provider = _provider(row.provider)
    reference = row.reference
    session.rollback()
    state = provider.cancel(session, reference)  # GatewayFailed: the gateway's words, nothing changed here
    session.rollback()
    with db.held_commits(session):
        _apply_intent(session, actor, provider, state)
        audit.record(
            session,
            actor,
            'order.payment_cancel',
            'orders',
            row.order_id,
            summary=sentence(
                N_('{gateway} payment {reference} cancelled'), gateway=provider.label, reference=reference
            ),
        )
    session.commit()
    return _intent_row(session, intent_id)


def sync_order(*, session: Session, actor: User, order_id: int) -> list[str]:
    """Re-read the order's gateway payments and refunds and fix the local state to match; what was fixed, audited."""
    require(actor, 'orders.write')
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(_('This order no longer exists.'))
    found: dict[tuple[str, str], None] = {}
    for row in session.exec(select(GatewayIntent).where(GatewayIntent.order_id == order_id)):
        found[(row.provider, row.reference)] = None
    for payment in session.exec(select(Payment).where(Payment.order_id == order_id)):
        if gateway(payment.provider) is not None:
            found[(payment.provider, payment.reference)] = None
    session.rollback()
    read: list[tuple[RemoteProvider, IntentState, list[RefundState]]] = []
    for key, reference in found:
        provider = _provider(key)
        read.append((provider, provider.read_intent(session, reference), provider.refunds_of(session, reference)))
        session.rollback()
    fixed: list[str] = []
    with db.held_commits(session):
        for provider, intent, refunds in read:
            outcome = _apply(session, actor, provider, intent, refunds)
            if outcome != 'nothing to change':
                fixed.append(outcome)
        number = orders.locked(session, order_id, None).number
        audit.record(
            session,
            actor,
            'order.gateway_synced',
            'orders',
            order_id,
            changes={'fixed': fixed},
            summary=sentence(
                N_('Order {number}: status synced with the payment gateway ({count} fixed)'),
                number=number,
                count=str(len(fixed)),
            ),
        )
    session.commit()
    return fixed


# --- reading ----------------------------------------------------------------------------------------------------------

# a gateway's payment and refund as the order page says them
INTENT_WORDS = {
    'requires_payment': N_('waiting for the customer'),
    'requires_capture': N_('authorised, not captured yet'),
    'processing': N_('processing'),
    'succeeded': N_('paid'),
    'canceled': N_('cancelled'),
    'failed': N_('failed'),
}
REFUND_WORDS = {
    'requested': N_('sent, no answer yet'),
    'pending': N_('pending at the bank'),
    'succeeded': N_('succeeded'),
    'failed': N_('failed'),
    'canceled': N_('cancelled'),
}


@dataclass(frozen=True)
class GatewayPicture:
    """An order's payments at gateways, for its page: the intents not paid (authorised, failed, cancelled…) and the
    refunds still open or refused (a succeeded one is among the order's payments or refunds), and whether "Sync
    status" has anything to read."""

    intents: list[GatewayIntent]
    refunds: list[GatewayRefund]
    syncable: bool
    paid_back_again: frozenset[int] = frozenset()  # failed refunds that a later one pays back (not failed itself)


def picture_of(*, session: Session, actor: User, order_id: int) -> GatewayPicture:
    require(actor, 'orders.read')
    intents = list(  # a succeeded one is among the order's payments
        session.exec(
            select(GatewayIntent)
            .where(GatewayIntent.order_id == order_id, col(GatewayIntent.status) != 'succeeded')
            .order_by(col(GatewayIntent.id))
        )
    )
    refunds = list(
        session.exec(
            select(GatewayRefund)
            .where(GatewayRefund.order_id == order_id, col(GatewayRefund.status) != 'succeeded')
            .order_by(col(GatewayRefund.id))
        )
    )
    remote = [key for key in PROVIDERS if gateway(key) is not None]
    paid_remotely = session.exec(
        select(Payment.id).where(Payment.order_id == order_id, col(Payment.provider).in_(remote)).limit(1)
    ).first()
    again = session.exec(
        select(GatewayRefund.retry_of_id).where(
            GatewayRefund.order_id == order_id,
            col(GatewayRefund.retry_of_id).is_not(None),
            col(GatewayRefund.status).not_in(FAILED),
        )
    ).all()
    return GatewayPicture(
        intents,
        refunds,
        bool(intents or refunds or paid_remotely is not None),
        frozenset(ident for ident in again if ident is not None),
    )


def may_cancel(intent: GatewayIntent) -> bool:
    return intent.status in CANCELABLE_STATES


def may_send_again(refund: GatewayRefund) -> bool:
    """Sent and not answered (the gateway could not be reached): sending again uses the same idempotency key."""
    return refund.status == 'requested'


def may_pay_back_again(refund: GatewayRefund, picture: GatewayPicture) -> bool:
    """A refund that failed (at once, or after it was made) and that no later refund pays back yet."""
    return refund.status in FAILED and refund.id not in picture.paid_back_again


def failed_after_made(refund: GatewayRefund) -> bool:
    """Booked as succeeded, then failed at the bank: reversed on the order, its credit note kept."""
    return refund.reversed_at is not None


def message_shown(row: GatewayRefund | GatewayIntent) -> str:
    """A refund's or a payment's failure (stored in English) in the reader's language; the gateway's own words as
    they are."""
    return failure_shown(row.message)


def intent_said(intent: GatewayIntent) -> str:
    return _(INTENT_WORDS.get(intent.status, intent.status))


def refund_said(refund: GatewayRefund) -> str:
    return _(REFUND_WORDS.get(refund.status, refund.status))


@dataclass(frozen=True)
class Cancelled:
    order: Order
    refund: GatewayRefund | None  # the money paid, given back with the cancellation
    refund_refused: str = ''  # why that refund could not be made (the order is cancelled all the same)


def cancel_and_refund(
    *, session: Session, actor: User, order_id: int, version: int | None, reason: str = '', refund: bool = False
) -> Cancelled:
    """Cancel an order (its stock freed); with `refund`, what was paid and not yet given back goes back the way it was
    paid, its reason the person's or 'Order … cancelled'. The refund is a second step: refused, the order stays
    cancelled and the words say why, for "Refund a payment" to do it later."""
    order = orders.cancel(session=session, actor=actor, order_id=order_id, version=version, reason=reason)
    owed = refund_room(session, order).amount  # less store credit and refunds the gateway has not answered yet
    if not refund or owed <= 0:
        return Cancelled(order, None)
    why = payments.said_why(reason) or sentence(N_('Order {number} cancelled'), number=order.number)
    try:
        sent = request_refund(session=session, actor=actor, order_id=order_id, amount=owed, reason=why)
    except ServiceError as error:
        session.rollback()
        return Cancelled(order, None, str(error))
    return Cancelled(order, sent)


@dataclass(frozen=True)
class RestCancelled:
    """What "Cancel what is not shipped" did: the order (shipped now), what the cancelled items cost, the refund sent
    (None: none asked, nothing paid to give back, or refused: `refund_refused` says why)."""

    order: Order
    value: Decimal
    refund: GatewayRefund | None
    refund_refused: str = ''


def cancel_rest_and_refund(
    *, session: Session, actor: User, order_id: int, version: int | None, reason: str = '', refund: bool = False
) -> RestCancelled:
    """Call off what a partly shipped order has not shipped (orders.cancel_rest); with `refund`, what those items cost
    goes back the way it was paid (no more than was paid and not given back yet), as Cancel order's refund does: a
    second step, refused, the rest stays cancelled and the words say why, for "Refund a payment" to do it later."""
    order, value = orders.cancel_rest(session=session, actor=actor, order_id=order_id, version=version, reason=reason)
    amount = min(value, refund_room(session, order).amount)
    if not refund or amount <= 0:
        return RestCancelled(order, value, None)
    why = payments.said_why(reason) or sentence(N_('Order {number}: items not shipped cancelled'), number=order.number)
    try:
        sent = request_refund(session=session, actor=actor, order_id=order_id, amount=amount, reason=why)
    except ServiceError as error:
        session.rollback()
        return RestCancelled(order, value, None, str(error))
    return RestCancelled(order, value, sent)


def rest_cancelled_said(cancelled: RestCancelled) -> tuple[str, str]:
    """What the page says once the rest of an order is cancelled: it is shipped, and the money of what was cancelled
    given back or still to give back."""
    order = cancelled.order
    done = _('What was not shipped is cancelled; its stock is free again and the order is shipped.')
    if cancelled.refund is not None:
        said, kind = outcome_said(cancelled.refund, order.currency)
        return f'{done} {said}', kind
    if cancelled.value > 0 and order.paid_total - order.refunded_total > 0:
        still = _('The cancelled items cost {amount}: refund them with "Refund a payment" if they were paid.').format(
            amount=formatting.money(cancelled.value, order.currency)
        )
        return ' '.join(filter(None, (done, still, cancelled.refund_refused))), 'warning'
    return done, 'positive'


def cancelled_said(cancelled: Cancelled) -> tuple[str, str]:
    """What the page says once an order is cancelled: its stock, and its money given back or still to give back."""
    order = cancelled.order
    if cancelled.refund is not None:
        said, kind = outcome_said(cancelled.refund, order.currency)
        return _('Order cancelled; its stock is free again. {refund}').format(refund=said), kind
    owed = order.paid_total - order.refunded_total
    if owed > 0:
        still = _(
            'Order cancelled; its stock is free again. {amount} paid is still to be refunded: use "Refund a payment".'
        )
        text = still.format(amount=formatting.money(owed, order.currency))
        if cancelled.refund_refused:
            text = f'{text} {cancelled.refund_refused}'
        return text, 'warning'
    return _('Order cancelled; its stock is free again'), 'positive'


def outcome_said(refund: GatewayRefund, currency: str) -> tuple[str, str]:
    """What the page tells the person after a refund: the sentence, and how it is shown (positive, info, warning)."""
    amount = formatting.money(refund.amount, currency)
    if refund.status == 'succeeded' and refund.retry_of_id is not None:
        return _('Paid back {amount} again; its credit note is on the order').format(amount=amount), 'positive'
    if refund.status == 'succeeded' and refund.provider == 'manual':  # booked here; the money itself is not sent
        return _(
            'Refund of {amount} recorded; a credit note was issued. Now give the money back the way it was paid '
            '(bank transfer, cash, card terminal): the back office does not send it.'
        ).format(amount=amount), 'positive'
    if refund.status == 'succeeded':
        return _('Refunded {amount}; a credit note was issued').format(amount=amount), 'positive'
    if refund.status == 'pending':
        return _('Refund of {amount} accepted; the bank has not confirmed it yet').format(amount=amount), 'info'
    if refund.status == 'requested':
        return _('Refund of {amount} not confirmed: {message} Use "Send again".').format(
            amount=amount, message=message_shown(refund)
        ), 'warning'
    return _('Refund of {amount} failed: {message}').format(amount=amount, message=message_shown(refund)), 'negative'


def check_connection(*, session: Session, actor: User, provider_key: str) -> str:
    """ "Test connection" at /settings: the gateway's answer in a sentence, or GatewayFailed with its words."""
    require(actor, 'settings.manage')
    provider = _provider(provider_key)
    session.rollback()
    return provider.check_connection(session)


def _refund_row(session: Session, refund_id: int) -> GatewayRefund:
    row = session.get(GatewayRefund, refund_id)
    if row is None:
        raise NotFound(_('This refund no longer exists.'))
    return row


def _intent_row(session: Session, intent_id: int) -> GatewayIntent:
    row = session.get(GatewayIntent, intent_id)
    if row is None:
        raise NotFound(_('This payment no longer exists.'))
    return row


def _id(record: Order | GatewayRefund) -> int:
    """A stored record's id (flushed: never None)."""
    assert record.id is not None
    return record.id


def _provider(key: str) -> RemoteProvider:
    provider = gateway(key)
    if provider is None:
        raise NotFound(_('No payment gateway is called {key}').format(key=key))
    return provider
