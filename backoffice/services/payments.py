"""Payments and refunds through the payment providers (`backoffice/payment_providers/`: manual, Stripe…): a payment
that covers the total makes the order paid and issues its invoice; a refund is never more than was paid and not yet
refunded, and issues a credit note. A gateway's refund is sent there first (`services/gateway_payments.py`), then
booked here (`book_refund`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, func, select

from backoffice import events, formatting, stored_text
from backoffice.errors import ValidationFailed, typed_at
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import Invoice, InvoiceKind, Order, OrderStatus, Payment, Refund, User, utcnow
from backoffice.payment_providers import PROVIDERS, PaymentProvider, register_provider
from backoffice.permissions import require
from backoffice.services import audit, invoices, orders, return_refunds
from backoffice.stored_text import sentence, word
from backoffice.validation import has_hidden_characters, typed_line, typed_money

__all__ = [
    'PROVIDERS',
    'PaymentProvider',
    'book_refund',
    'record_payment',
    'refund',
    'register_provider',
    'reverse_refund',
    'same_reference_warning',
    'typed_reference',
]

REFERENCE_MAX = 120  # what Payment.reference (and Receipt.reference) keeps
SAME_REFERENCE = N_(
    'Order {number} already has a payment with reference “{reference}”: {amount} on {day}, recorded by {who}.'
)
PAYABLE = (OrderStatus.pending, OrderStatus.paid, OrderStatus.packed, OrderStatus.shipped, OrderStatus.delivered)


def record_payment(
    *,
    session: Session,
    actor: User | None,
    order_id: int,
    amount,
    method: str = 'bank_transfer',
    reference: str = '',
    provider: str = 'manual',
    paid_at: datetime | None = None,
    same_reference: bool = False,
) -> Payment:
    """Money received for an order; when the payments cover the total, the order is paid and invoiced. A reference
    the order's payments already have is refused at `reference` unless `same_reference` says the person confirmed
    `same_reference_warning` (a customer paying in instalments may quote the invoice's creditor reference each time;
    a payment typed twice from the same bank line quotes it too, and would be counted twice)."""
    if actor is not None:
        require(actor, 'orders.write')
    gateway = PROVIDERS.get(provider)
    if gateway is None:
        raise ValidationFailed({'provider': _('Choose one of {choices}').format(choices=', '.join(PROVIDERS))})
    if method not in gateway.methods:
        raise ValidationFailed({'method': _('Choose one of {choices}').format(choices=', '.join(gateway.methods))})
    reference = typed_reference(reference)
    amount = money(amount, 'amount')
    order = orders.locked(session, order_id, None)
    if order.status == OrderStatus.draft:
        raise orders.IllegalTransition(
            _('Order {number} is a draft: confirm it before recording a payment').format(number=order.number)
        )
    if order.status not in PAYABLE:
        raise orders.IllegalTransition(
            _('Order {number} is {status}: it takes no payment').format(
                number=order.number, status=orders.said(order.status)
            )
        )
    credited = check_due(session, order, amount, 'amount')
    earlier = None if same_reference else earlier_with_reference(session, order.id or 0, reference)
    if earlier is not None:  # read with the order locked: a colleague's payment of the same line a moment ago counts
        raise ValidationFailed(
            {
                'reference': ' '.join(
                    (said_earlier(session, order, earlier), _('If it is another payment, press again to confirm it.'))
                )
            }
        )
    reference = gateway.capture(order=order, amount=amount, method=method, reference=reference)
    now = paid_at or utcnow()
    payment = Payment(
        order_id=order.id,
        provider=gateway.key,
        method=method,
        reference=reference,
        amount=amount,
        paid_at=now,
        created_by=actor.id if actor else None,
    )
    session.add(payment)
    before = audit.snapshot(order)
    order.paid_total += amount
    paid = {
        'amount': stored_text.money(amount, order.currency),
        'method': word(gateway.methods[method]),
        'reference': reference,
    }
    text = sentence(N_('Payment of {amount} ({method}, {reference})'), **paid)
    issued = None
    if order.paid_total + credited >= order.total and order.status == OrderStatus.pending:
        order.status, order.paid_at = OrderStatus.paid, now
        if invoices.invoice_of(session, order.id) is None:
            issued = invoices.issue(session, order, InvoiceKind.invoice, actor=actor)
            text = sentence(
                N_('Payment of {amount} ({method}, {reference}); paid in full, invoice {invoice} issued'),
                **paid,
                invoice=issued.number,
            )
    session.flush()
    events.after_commit(session, Topic.payments, {'id': payment.id, 'action': 'created'})
    if issued is not None:
        events.after_commit(session, Topic.invoices, {'id': issued.id, 'action': 'issued'})
    else:  # an invoice issued on terms before: what is open on it changed (the list's status: open → paid)
        _invoices_changed(session, order, 'paid')
    orders.save(session, actor, order, before, 'paid' if order.status == OrderStatus.paid else 'payment', text)
    return payment


def typed_reference(value: object, field: str = 'reference') -> str:
    """A payment's reference as a person typed it, on one line: longer than a payment keeps, or holding an invisible
    character, it is refused in words at `field`, never cut (the part cut off was lost unseen)."""
    try:
        text = typed_line(value, maximum=REFERENCE_MAX)
    except ValueError as error:
        raise ValidationFailed({field: str(error)}) from None
    if has_hidden_characters(text):
        raise ValidationFailed(
            {field: _('Use letters, digits, spaces and punctuation only (no control or invisible characters)')}
        )
    return text


def reference_from(text: str) -> str:
    """A reference the app takes from a bank line (its reference, else its label, else its counterpart): on one line,
    invisible characters dropped, fitted with an ellipsis to what a payment keeps (the line keeps it whole)."""
    text = ' '.join(''.join(' ' if has_hidden_characters(c) else c for c in text or '').split())
    return text if len(text) <= REFERENCE_MAX else text[: REFERENCE_MAX - 1].rstrip() + '…'


def earlier_with_reference(session: Session, order_id: int, reference: str) -> Payment | None:
    """The order's first payment with this reference (compared on one line, without case), or None (no reference)."""
    wanted = ' '.join(reference.split()).casefold()
    if not wanted:
        return None
    for payment in session.exec(select(Payment).where(Payment.order_id == order_id).order_by(col(Payment.id))):
        if ' '.join(payment.reference.split()).casefold() == wanted:
            return payment
    return None


def said_earlier(session: Session, order: Order, payment: Payment) -> str:
    """The earlier payment with the same reference, as a person can find it on the order: amount, day, who."""
    maker = session.get(User, payment.created_by) if payment.created_by is not None else None
    gateway = PROVIDERS.get(payment.provider)
    who = maker.name if maker is not None else (_(gateway.label) if gateway is not None else payment.provider)
    return _(SAME_REFERENCE).format(
        number=order.number,
        reference=payment.reference,
        amount=amount_in_words(payment.amount, order.currency),
        day=formatting.day(payment.paid_at),
        who=who,
    )


def same_reference_warning(*, session: Session, actor: User, order_ids: list[int], reference: object) -> str | None:
    """What to confirm before recording a payment with this reference on these orders: one of them has a payment with
    it already (None: nothing to confirm; a reference refused anyway is left to the recording, which says why)."""
    require(actor, 'orders.read')
    try:
        typed = typed_reference(reference)
    except ValidationFailed:
        return None
    for order_id in order_ids:
        order = session.get(Order, order_id)
        earlier = earlier_with_reference(session, order_id, typed) if order is not None else None
        if order is not None and earlier is not None:
            return ' '.join(
                (said_earlier(session, order, earlier), _('Record this one too only if it is another payment.'))
            )
    return None


def amount_due(session: Session, order: Order) -> Decimal:
    """What is still to pay on an order, as `check_due` allows it: its total less what was paid and less the store
    credit given on it; nothing on an order that takes no payment (a draft, a cancelled one: what its credit note did
    not cover is not owed). The order page's "Left to pay" and its payment dialog's amount."""
    if order.status not in PAYABLE:
        return Decimal('0.00')
    due = order.total - order.paid_total - store_credit(session, order.id or 0)
    return max(due, Decimal('0.00')).quantize(orders.CENT)


def check_due(session: Session, order: Order, amount: Decimal, field: str) -> Decimal:
    """A payment of an order is at most what is still due on it: the order page's part payment, a bank line's part
    of an order not invoiced yet and each invoice a receipt settles follow this one rule (refused in words at `field`).
    Due: the total less what was paid and less the store credit given on it (a credit note no refund paid out: what
    the receivables count as open on its invoice). The order is locked by the caller, so two payments at once never
    both fit in what is due. Returns that store credit."""
    credited = store_credit(session, order.id or 0)
    due = order.total - order.paid_total - credited
    if amount > due:
        raise ValidationFailed(
            {
                field: _('Only {amount} is due on order {number}').format(
                    amount=amount_in_words(due, order.currency), number=order.number
                )
                if due > 0
                else _('Order {number} is paid in full').format(number=order.number)
            }
        )
    return credited


def take_back(
    *,
    session: Session,
    actor: User,
    order: Order,
    payment: Payment | None,
    amount: Decimal,
    said: stored_text.Sentence,
    field: str,
) -> None:
    """A payment recorded in error taken back off its order (locked by the caller; a receipt's part or a bank line's
    part of an order): refused once that money was refunded; an order it had made paid awaits payment again. The order's
    timeline says `said`; the caller commits."""
    if order.paid_total - amount < order.refunded_total:
        raise ValidationFailed(
            {field: _('Order {number} was refunded since: this payment cannot be undone').format(number=order.number)}
        )
    before = audit.snapshot(order)
    order.paid_total -= amount
    if order.status == OrderStatus.paid and order.paid_total < order.total:
        order.status, order.paid_at = OrderStatus.pending, None
    if payment is not None:
        session.delete(payment)
    session.flush()
    orders.save(session, actor, order, before, 'payment_undone', said)


def refund(
    *,
    session: Session,
    actor: User | None,
    order_id: int,
    amount,
    reason: str | stored_text.Sentence,
    payment_id: int | None = None,
    return_id: int | None = None,
) -> Refund:
    """Give money back (part or all of what was paid and not yet refunded); a credit note is issued. `reason`: the
    person's words, or the app's own as a `Sentence` ('Return R-7': shown in each reader's language)."""
    if actor is not None:
        require(actor, 'orders.write')
    amount = money(amount, 'amount')
    reason = said_why(reason)
    if not reason:
        raise ValidationFailed({'reason': _('Say why the money is given back')})
    order = orders.locked(session, order_id, None)
    room = refund_room(session, order)
    credited, refundable = room.store_credit, room.amount
    if amount > refundable:
        said = {
            'amount': amount_in_words(refundable, order.currency),
            'number': order.number,
            'paid': amount_in_words(order.paid_total, order.currency),
            'refunded': amount_in_words(order.refunded_total, order.currency),
        }
        raise ValidationFailed(
            {
                'amount': _(
                    'At most {amount} can be refunded on order {number} (paid {paid}, refunded {refunded}, '
                    'given as store credit {credit})'
                ).format(**said, credit=amount_in_words(credited, order.currency))
                if credited
                else _('At most {amount} can be refunded on order {number} (paid {paid}, refunded {refunded})').format(
                    **said
                )
            }
        )
    payment = None
    if payment_id is not None:
        payment = session.get(Payment, payment_id)
        if payment is None or payment.order_id != order.id:
            raise ValidationFailed({'payment_id': _('Choose a payment of this order')})
    else:
        payment = session.exec(
            select(Payment).where(Payment.order_id == order.id).order_by(col(Payment.id).desc())
        ).first()
    gateway = PROVIDERS.get(payment.provider if payment else 'manual', PROVIDERS['manual'])
    if gateway.remote:
        raise ValidationFailed(
            {
                'amount': _(
                    'This order was paid through {gateway}: refund it with "Refund a payment" on the order'
                ).format(gateway=_(gateway.label))
            }
        )
    reference = gateway.refund(payment=payment, amount=amount, reason=stored_text.english(reason))
    return book_refund(
        session=session,
        actor=actor,
        order=order,
        payment=payment,
        amount=amount,
        reason=reason,
        reference=reference,
        return_id=return_id,
    )


def book_refund(
    *,
    session: Session,
    actor: User | None,
    order: Order,
    payment: Payment | None,
    amount: Decimal,
    reason: str | stored_text.Sentence,
    reference: str,
    return_id: int | None = None,
    covered_by: Invoice | None = None,
) -> Refund:
    """Money given back (already checked, the order locked): the refund row, its credit note, the order's refunded
    total and its timeline, committed (the caller may hold the commit). `covered_by`: a credit note issued already
    for this money (a refund paid back again after the first one failed): no second one is issued."""
    text, key, params = stored_text.stored(reason)
    record = Refund(
        order_id=order.id,
        payment_id=payment.id if payment else None,
        return_id=return_id,
        amount=amount,
        reason=text[:500],
        reason_key=key,
        reason_params=params,
        reference=reference,
        refunded_at=utcnow(),
        created_by=actor.id if actor else None,
    )
    session.add(record)
    session.flush()
    events.after_commit(session, Topic.refunds, {'id': record.id, 'action': 'created'})
    if covered_by is None:
        note = invoices.issue(session, order, InvoiceKind.credit_note, actor=actor, refund=record)
        events.after_commit(session, Topic.invoices, {'id': note.id, 'action': 'issued'})
        said = N_('Refund of {amount} ({reason}); credit note {note}')
    else:
        note, said = covered_by, N_('Refund of {amount} paid back again ({reason}); credit note {note} stands')
    return_refunds.note(session, return_id)
    before = audit.snapshot(order)
    order.refunded_total += amount
    orders.save(
        session,
        actor,
        order,
        before,
        'refunded',
        sentence(said, amount=stored_text.money(amount, order.currency), reason=reason, note=note.number),
    )
    return record


def reverse_refund(
    *,
    session: Session,
    actor: User | None,
    order: Order,
    refund: Refund,
    why: str | stored_text.Sentence,
    text: stored_text.Sentence,
) -> Refund:
    """A refund booked and then failed at the bank (the money never reached the customer): a reversing row of the
    opposite amount, the order's refunded total lowered by as much (that money is owed to the customer again). The
    credit note stays: it is a legal document, and the money it states is still owed. Commits (or the caller holds)."""
    said, key, params = stored_text.stored(why)  # 'Refund re_… failed: …', in each reader's language
    record = Refund(
        order_id=order.id,
        payment_id=refund.payment_id,
        return_id=refund.return_id,
        amount=-refund.amount,
        reason=said[:500],
        reason_key=key,
        reason_params=params,
        reference=refund.reference,
        refunded_at=utcnow(),
        created_by=actor.id if actor else None,
    )
    session.add(record)
    before = audit.snapshot(order)
    order.refunded_total -= refund.amount
    session.flush()
    # the reversing row, and the refund it reverses, whose money is no longer back (failed at the bank)
    events.after_commit(session, Topic.refunds, {'id': record.id, 'ids': [refund.id], 'action': 'created'})
    _invoices_changed(session, order, 'refund_reversed')  # the money is owed again: what the invoices say is open
    return_refunds.note(session, refund.return_id)
    orders.save(session, actor, order, before, 'refund_reversed', text)
    return record


@dataclass(frozen=True)
class RefundRoom:
    amount: Decimal  # what may still be paid back on the order
    store_credit: Decimal  # what was given back as store credit already (not paid back as well)


def refund_room(session: Session, order: Order) -> RefundRoom:
    """What can still be refunded on an order: paid, less refunded, less what was given as store credit (a return's
    value given as store credit is not paid back as well). The refund dialog offers it; `refund` refuses more."""
    credited = store_credit(session, order.id or 0)
    left = max(min(order.paid_total, order.total - credited) - order.refunded_total, Decimal('0.00'))
    return RefundRoom(left.quantize(orders.CENT), credited)


def store_credit(session: Session, order_id: int) -> Decimal:
    """What was given back on an order as store credit: its credit notes that no refund paid out (a return resolved by
    store credit; a cancelled order's unpaid invoice, credited, counts too: nothing of it was paid)."""
    credited = session.exec(
        select(func.coalesce(func.sum(Invoice.total), 0)).where(
            Invoice.order_id == order_id,
            Invoice.kind == InvoiceKind.credit_note,
            col(Invoice.refund_id).is_(None),
        )
    ).one()
    return Decimal(str(credited)).quantize(orders.CENT)


def payments_of(*, session: Session, actor: User, order_id: int) -> list[Payment]:
    require(actor, 'orders.read')
    return list(session.exec(select(Payment).where(Payment.order_id == order_id).order_by(col(Payment.id))))


def refunds_of(*, session: Session, actor: User, order_id: int) -> list[Refund]:
    require(actor, 'orders.read')
    return list(session.exec(select(Refund).where(Refund.order_id == order_id).order_by(col(Refund.id))))


def money(value, field: str) -> Decimal:
    """An amount of money above 0 as typed ('1,234.50', '1 234,50', '€12', '12 €') or sent, read as every typed
    amount is (`validation.typed_money`); refused in words at `field`."""
    try:
        amount = typed_money(value)
    except ValueError as error:
        raise ValidationFailed({field: str(error)}) from None
    if amount <= 0:
        raise ValidationFailed({field: _('Enter an amount above 0')})
    return amount


def reason_said(refund: Refund) -> str:
    """Why a refund was made, in the reader's language when the app wrote it ('Return R-7': « Retour R-7 »); a
    person's words, and rows written before, as stored."""
    return stored_text.show(refund.reason, refund.reason_key, refund.reason_params)


REFUND_REASON_MAX = 500  # characters of a refund's reason (Refund.reason)


def said_why(reason: str | stored_text.Sentence | None) -> str | stored_text.Sentence:
    """A refund's reason ready to store: a person's words on one line ('' when none), refused at `reason` beyond
    500 characters, never cut; the app's own `Sentence` as it is."""
    if isinstance(reason, stored_text.Sentence):
        return reason
    return typed_at('reason', reason, maximum=REFUND_REASON_MAX)


def amount_in_words(value: Decimal, currency: str | None = None) -> str:
    """An amount inside a service's sentence, as every screen writes money (formatting.money): '€40.00' in English,
    '40,00 €' in French."""
    return formatting.money(value, currency)


def _invoices_changed(session: Session, order: Order, action: str) -> None:
    """The order's invoices and credit notes read differently on /invoices (paid, open) once the transaction commits."""
    invoiced = session.exec(select(Invoice.id).where(Invoice.order_id == order.id)).all()  # ix_invoices_order
    if invoiced:
        events.after_commit(session, Topic.invoices, {'id': None, 'ids': list(invoiced), 'action': action})
