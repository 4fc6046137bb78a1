"""Invoices and credit notes: issued on payment, or by hand before payment for a business customer on terms, numbered
without gaps per kind and year (a counter row locked in the issuing transaction), never changed once issued (the ORM
refuses it). Each carries what the EU VAT directive (Art. 226) asks, copied when issued: seller and buyer with their
VAT numbers, the supply date, the VAT per rate, the due date and terms, the order and, for a credit note, the invoice
it corrects."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from backoffice import events, i18n
from backoffice.errors import NotFound, ServiceError
from backoffice.events import Topic
from backoffice.i18n import _
from backoffice.kpi.days import local_day
from backoffice.models import Company, Customer, Invoice, InvoiceKind, Order, OrderStatus, Refund, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, audit, numbering, orders

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
    """Issue the order's invoice by hand (one per order; a paid order already has one). An unpaid order is invoiced
    only for a customer on payment terms (net 15/30/60): everyone else pays first."""
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
    if order.status == OrderStatus.pending and payment_terms_of(session, order.customer_id) is None:
        raise ServiceError(
            _(
                'Order {number} is not paid yet: it is invoiced once paid. Only a business customer with payment '
                'terms (net 15, 30 or 60 days on their company or customer record) is invoiced before paying.'
            ).format(number=order.number)
        )
    invoice = issue(session, order, InvoiceKind.invoice, actor=actor)
    events.after_commit(session, Topic.invoices, {'id': invoice.id, 'action': 'issued'})
    orders.save(session, actor, order, audit.snapshot(order), 'invoiced', f'Invoice {invoice.number} issued')
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
    company = session.get(Company, customer.company_id) if customer is not None and customer.company_id else None
    bill_to = {
        'name': order.shipping_name or (customer.name if customer else ''),
        'email': order.email,
        'address': order.shipping_address,
        'company': company.name if company is not None else '',
        'vat_number': (company.vat_number or '') if company is not None else '',
    }
    order_lines = orders.order_lines(session, order.id)
    if kind == InvoiceKind.invoice:
        lines = [
            {
                'sku': line.sku,
                'name': line.name,
                'quantity': line.quantity,
                'unit_price': str(line.unit_price),
                'discount': str(line.discount),
                'tax_rate': str(line.tax_rate),
                'tax_amount': str(line.tax_amount),
                'line_total': str(line.line_total),
            }
            for line in order_lines
        ]
        amounts = dict(
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            tax_total=order.tax_total,
            shipping_total=order.shipping_total,
            total=order.total,
        )
        breakdown = vat_breakdown(lines, order.shipping_total, order.tax_total)
    else:
        amount = refund.amount if refund is not None else credit
        assert amount is not None
        # the tax share of the refund is the order's: a credit note reverses tax in proportion
        tax = (amount * order.tax_total / order.total).quantize(orders.CENT) if order.total else Decimal('0.00')
        with i18n.use(language_of(customer)):  # the document's words in its recipient's language, kept as issued
            if refund is not None:
                what = _('Refund on order {number}').format(number=order.number)
            else:
                what = _('Store credit on order {number}').format(number=order.number)
        why = refund.reason if refund is not None else note
        rate = max((line.tax_rate for line in order_lines), default=Decimal('0'))
        lines = [
            {
                'sku': '',
                'name': what + (f': {why}' if why else ''),
                'quantity': 1,
                'unit_price': str(amount - tax),
                'discount': '0.00',
                'tax_rate': str(rate),
                'tax_amount': str(tax),
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
        breakdown = [{'rate': str(rate), 'base': str(amount - tax), 'tax': str(tax)}]
    terms = payment_terms_of(session, order.customer_id)
    if terms is None:
        terms = int(app_settings.value(session=session, key='payment_terms_days') or 0)
    issued_on = local_day(now, app_settings.time_zone())
    corrected = invoice_of(session, order.id) if kind == InvoiceKind.credit_note else None
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
        order_number=order.number,
        seller=seller_identity(session),
        vat_breakdown=breakdown,
        supplied_at=order.shipped_at or order.paid_at or order.placed_at,
        due_on=issued_on + timedelta(days=terms) if kind == InvoiceKind.invoice else None,
        payment_terms_days=terms if kind == InvoiceKind.invoice else None,
        paid_at=(order.paid_at if kind == InvoiceKind.invoice else (refund.refunded_at if refund else None)),
        corrects_id=corrected.id if corrected is not None else None,
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
        summary=f'{invoice.number} for order {order.number}: {invoice.total} {invoice.currency}',
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


def payment_terms_of(session: Session, customer_id: int | None) -> int | None:
    """The customer's payment terms in days (their own, else their company's), or None: they pay before being
    invoiced."""
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        return None
    if customer.payment_terms_days is not None:
        return customer.payment_terms_days
    company = session.get(Company, customer.company_id) if customer.company_id else None
    return company.payment_terms_days if company is not None else None


SELLER_KEYS = {  # the seller's identity on an invoice ← its setting
    'name': 'seller_legal_name',
    'address': 'seller_address',
    'postcode': 'seller_postcode',
    'city': 'seller_city',
    'country': 'seller_country',
    'vat_number': 'seller_vat_number',
    'registration': 'seller_registration',
    'iban': 'seller_iban',
    'bic': 'seller_bic',
    'logo': 'seller_logo',
    'footer': 'invoice_footer',
}


def seller_identity(session: Session) -> dict[str, Any]:
    """Who sells, from the settings now: copied into each invoice as it is issued."""
    values = app_settings.current_values(session=session)
    seller = {field: values[key] or '' for field, key in SELLER_KEYS.items()}
    seller['name'] = seller['name'] or values['company_name']
    return seller


def vat_breakdown(lines: list[dict[str, Any]], shipping: Decimal, tax_total: Decimal) -> list[dict[str, str]]:
    """The taxable amount and the VAT per rate, from the lines as sold; shipping is taxed at the order's (highest)
    rate, with the tax the order charged on it, so the rates add up to the order's tax to the cent."""
    by_rate: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        rate = Decimal(line['tax_rate'] or '0')
        base_tax = by_rate.setdefault(rate, [Decimal('0.00'), Decimal('0.00')])
        base_tax[0] += Decimal(line['line_total'])
        base_tax[1] += Decimal(line.get('tax_amount') or '0')
    if shipping:
        rate = max(by_rate, default=Decimal('0'))
        base_tax = by_rate.setdefault(rate, [Decimal('0.00'), Decimal('0.00')])
        base_tax[0] += shipping
        base_tax[1] += tax_total - sum((tax for _base, tax in by_rate.values()), Decimal('0.00'))
    return [{'rate': str(rate), 'base': str(base), 'tax': str(tax)} for rate, (base, tax) in sorted(by_rate.items())]


def paid_on(session: Session, invoice: Invoice) -> datetime | None:
    """When an invoice was paid in full (when issued, or later for one issued on terms); a credit note's refund."""
    if invoice.paid_at is not None:
        return invoice.paid_at
    if invoice.kind != InvoiceKind.invoice:
        return None
    order = session.get(Order, invoice.order_id)
    return order.paid_at if order is not None and order.paid_total >= invoice.total else None


def corrected_invoice(session: Session, invoice: Invoice) -> Invoice | None:
    """The invoice a credit note corrects."""
    return session.get(Invoice, invoice.corrects_id) if invoice.corrects_id else None
