"""Invoices and credit notes: issued on payment or by hand, numbered without gaps per kind and year (a counter row
locked in the issuing transaction), never changed once issued (the ORM refuses it), and rendered as PDF."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event
from sqlmodel import Session, col, select

from backoffice import events, i18n
from backoffice.errors import NotFound, ServiceError
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import Customer, Invoice, InvoiceKind, Order, OrderStatus, Refund, User, utcnow
from backoffice.permissions import require
from backoffice.services import audit, numbering, orders
from backoffice.stored_text import money, sentence

PREFIX = {InvoiceKind.invoice: 'INV', InvoiceKind.credit_note: 'CN'}


class InvoiceImmutable(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            _('An issued invoice or credit note cannot be changed or deleted: issue a credit note instead.')
        )


@event.listens_for(Invoice, 'before_update')
@event.listens_for(Invoice, 'before_delete')
def _refuse_change(_mapper, _connection, _target) -> None:
    raise InvoiceImmutable()


def issue_invoice(*, session: Session, actor: User, order_id: int) -> Invoice:
    """Issue the order's invoice by hand (one per order; a paid order already has one)."""
    require(actor, 'orders.write')
    order = orders.locked(session, order_id, None)
    if order.status == OrderStatus.draft:
        raise ServiceError(_('Order {number} is a draft: it cannot be invoiced').format(number=order.number))
    if order.status == OrderStatus.cancelled:
        raise ServiceError(_('Order {number} is cancelled: it cannot be invoiced').format(number=order.number))
    existing = invoice_of(session, order.id)
    if existing is not None:
        raise ServiceError(
            _('Order {number} is already invoiced: {invoice}').format(number=order.number, invoice=existing.number)
        )
    invoice = issue(session, order, InvoiceKind.invoice, actor=actor)
    events.after_commit(session, Topic.invoices, {'id': invoice.id, 'action': 'issued'})
    orders.save(
        session,
        actor,
        order,
        audit.snapshot(order),
        'invoiced',
        sentence(N_('Invoice {number} issued'), number=invoice.number),
    )
    return invoice


def issue(
    session: Session,
    order: Order,
    kind: InvoiceKind,
    *,
    actor: User | None,
    refund: Refund | None = None,
    credit: Decimal | None = None,
    note: str = '',
) -> Invoice:
    """Inside the caller's transaction: the next number of this kind and year, the order's amounts (an invoice) or
    the refund's or the store credit's (a credit note), and a copy of the lines and the customer, so the document
    never changes when they do."""
    now = utcnow()
    sequence = numbering.next_number(session, f'{kind.value}-{now.year}', 1)
    customer = session.get(Customer, order.customer_id)
    bill_to = {
        'name': order.shipping_name or (customer.name if customer else ''),
        'email': order.email,
        'address': order.shipping_address,
    }
    if kind == InvoiceKind.invoice:
        lines = [
            {
                'sku': line.sku,
                'name': line.name,
                'quantity': line.quantity,
                'unit_price': str(line.unit_price),
                'discount': str(line.discount),
                'tax_rate': str(line.tax_rate),
                'line_total': str(line.line_total),
            }
            for line in orders.order_lines(session, order.id)
        ]
        amounts = dict(
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            tax_total=order.tax_total,
            shipping_total=order.shipping_total,
            total=order.total,
        )
    else:
        amount = refund.amount if refund is not None else credit
        # the tax share of the refund is the order's: a credit note reverses tax in proportion
        tax = (amount * order.tax_total / order.total).quantize(orders.CENT) if order.total else Decimal('0.00')
        with i18n.use(language_of(customer)):  # the document's words in its recipient's language, kept as issued
            if refund is not None:
                what = _('Refund on order {number}').format(number=order.number)
            else:
                what = _('Store credit on order {number}').format(number=order.number)
        why = refund.reason if refund is not None else note
        lines = [
            {
                'sku': '',
                'name': what + (f': {why}' if why else ''),
                'quantity': 1,
                'unit_price': str(amount - tax),
                'discount': '0.00',
                'tax_rate': '',
                'line_total': str(amount - tax),
            }
        ]
        amounts = dict(
            subtotal=amount - tax,
            discount_total=Decimal('0.00'),
            tax_total=tax,
            shipping_total=Decimal('0.00'),
            total=amount,
        )
    invoice = Invoice(
        number=f'{PREFIX[kind]}-{now.year}-{sequence:06d}',
        kind=kind,
        year=now.year,
        sequence=sequence,
        order_id=order.id,
        refund_id=refund.id if refund else None,
        issued_at=now,
        currency=order.currency,
        bill_to=bill_to,
        lines=lines,
        note=note[:500],
        created_by=actor.id if actor else None,
        **amounts,
    )
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        actor,
        f'{kind.value}.issued',
        'invoices',
        invoice.id,
        summary=sentence(
            N_('{number} for order {order}: {amount}'),
            number=invoice.number,
            order=order.number,
            amount=money(invoice.total, invoice.currency),
        ),
    )
    return invoice


def invoice_of(session: Session, order_id: int) -> Invoice | None:
    return session.exec(
        select(Invoice)
        .where(Invoice.order_id == order_id, Invoice.kind == InvoiceKind.invoice)
        .order_by(col(Invoice.id))
    ).first()


def documents_of(*, session: Session, actor: User, order_id: int) -> list[Invoice]:
    require(actor, 'invoices.read')
    return list(session.exec(select(Invoice).where(Invoice.order_id == order_id).order_by(col(Invoice.id))))


def get_invoice(*, session: Session, actor: User, invoice_id: int) -> Invoice:
    require(actor, 'invoices.read')
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(_('This invoice does not exist.'))
    return invoice


def language_of(customer: Customer | None) -> str | None:
    """The language of a customer's documents and emails: theirs, else (None) the settings' default."""
    return i18n.supported(customer.language) if customer is not None else None


def invoice_language(session: Session, invoice: Invoice) -> str | None:
    """The language an invoice or credit note is rendered in: its order's customer's."""
    order = session.get(Order, invoice.order_id) if invoice.order_id else None
    customer = session.get(Customer, order.customer_id) if order is not None and order.customer_id else None
    return language_of(customer)
