"""Issuing an invoice or a credit note inside the caller's transaction: the next number of its kind and year, and a
copy of what the EU VAT directive (Art. 226) asks it to say (the seller from the settings, the buyer with its VAT
number, the lines, the VAT per rate, the supply and due dates, the order, the invoice a credit note corrects). Kept
apart from invoices.py so that the order service can credit an invoice when an order is cancelled."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice import i18n
from backoffice.i18n import N_, _
from backoffice.kpi.days import local_day
from backoffice.models import (
    Company,
    Customer,
    Invoice,
    InvoiceBuyer,
    InvoiceKind,
    InvoiceSeller,
    Order,
    OrderEvent,
    OrderLine,
    Refund,
    Return,
    ReturnLine,
    User,
    utcnow,
)
from backoffice.services import app_settings, audit, numbering
from backoffice.stored_text import Sentence, money, sentence

CENT = Decimal('0.01')

# the timeline entry of "Cancel what is not shipped" (services/orders.cancel_rest, with a reason or not, money to refund
# or not): a refund made after it, not a return's, is for the cancelled items first (its credit note names them)
REST_CANCELLED = (
    N_('Shipped; not shipped, cancelled: {items} ({reason}) — {value} to refund'),
    N_('Shipped; not shipped, cancelled: {items} ({reason})'),
    N_('Shipped; not shipped, cancelled: {items} — {value} to refund'),
    N_('Shipped; not shipped, cancelled: {items}'),
)


PREFIX = {InvoiceKind.invoice: 'INV', InvoiceKind.credit_note: 'CN'}


def issue(
    session: Session,
    order: Order,
    kind: InvoiceKind,
    *,
    actor: User | None,
    refund: Refund | None = None,
    credit: Decimal | None = None,
    note: str | Sentence = '',
    cancelled: bool = False,
) -> Invoice:
    """Inside the caller's transaction: the next number of this kind and year, the order's amounts (an invoice) or
    the refund's or the store credit's (a credit note), and a copy of the lines and the customer, so the document
    never changes when they do."""
    now = utcnow()
    sequence = numbering.next_number(session, f'{kind.value}-{now.year}', 1)
    customer = session.get(Customer, order.customer_id)
    company = session.get(Company, customer.company_id) if customer is not None and customer.company_id else None
    with i18n.use(language_of(customer)):  # a note the app wrote ('Return R-7') in the document's language
        noted = note.shown() if isinstance(note, Sentence) else note
    bill_to = {
        'name': order.shipping_name or (customer.name if customer else ''),
        'email': order.email,
        'address': order.shipping_address,
        'company': company.name if company is not None else '',
        'vat_number': (company.vat_number or '') if company is not None else '',
    }
    order_lines = list(
        session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.id)))
    )
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
        amounts = (order.subtotal, order.discount_total, order.tax_total, order.shipping_total, order.total)
        breakdown = vat_breakdown(lines, order.shipping_total, order.tax_total)
    else:
        amount = refund.amount if refund is not None else credit
        assert amount is not None
        # the tax share of the refund is the order's: a credit note reverses tax in proportion
        tax = (amount * order.tax_total / order.total).quantize(CENT) if order.total else Decimal('0.00')
        with i18n.use(language_of(customer)):  # the document's words in its recipient's language, kept as issued
            if refund is not None:
                what = _('Refund on order {number}').format(number=order.number)
            elif cancelled:  # an order invoiced on terms, cancelled before it was paid
                what = _('Cancellation of order {number}').format(number=order.number)
            else:
                what = _('Store credit on order {number}').format(number=order.number)
            # the customer reads what was given back: the returned items, never the refund's reason (what staff typed
            # when refunding is the shop's own note: the order page and the refunds list keep it)
            why = refunded_items(session, order, refund, order_lines) if refund is not None else noted
            named = _('{what}: {why}').format(what=what, why=why) if why else what
        rate = max((line.tax_rate for line in order_lines), default=Decimal('0'))
        lines = [
            {
                'sku': '',
                'name': named,
                'quantity': 1,
                'unit_price': str(amount - tax),
                'discount': '0.00',
                'tax_rate': str(rate),
                'tax_amount': str(tax),
                'line_total': str(amount - tax),
            }
        ]
        amounts = (amount - tax, Decimal('0.00'), tax, Decimal('0.00'), amount)
        breakdown = [{'rate': str(rate), 'base': str(amount - tax), 'tax': str(tax)}]
    assert order.id is not None  # an order in the database
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
        buyer_snapshot=buyer_snapshot(session, bill_to),
        lines=lines,
        note=noted[:500],
        created_by=actor.id if actor else None,
        order_number=order.number,
        seller_snapshot=seller_snapshot(session, seller_identity(session)),
        vat_breakdown=breakdown,
        supplied_at=order.shipped_at or order.paid_at or order.placed_at,
        due_on=issued_on + timedelta(days=terms) if kind == InvoiceKind.invoice else None,
        payment_terms_days=terms if kind == InvoiceKind.invoice else None,
        paid_at=(order.paid_at if kind == InvoiceKind.invoice else (refund.refunded_at if refund else None)),
        corrects_id=corrected.id if corrected is not None else None,
        subtotal=amounts[0],
        discount_total=amounts[1],
        tax_total=amounts[2],
        shipping_total=amounts[3],
        total=amounts[4],
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


def refunded_items(session: Session, order: Order, refund: Refund, lines: list[OrderLine]) -> str:
    """What a refund gives back as its credit note names it: a return's items, or the items "Cancel what is not
    shipped" called off ('items not shipped: 1 × Mug') when the refund follows it and what the refunds since gave
    back does not cover them yet; never the staff's typed reason. '' for any other refund."""
    if refund.return_id:
        return returned_items(session, refund.return_id)
    called_off = [line for line in lines if line.cancelled_quantity > 0 and line.quantity]
    if not called_off:
        return ''
    since = session.exec(
        select(OrderEvent.created_at)
        .where(OrderEvent.order_id == order.id, col(OrderEvent.text_key).in_(REST_CANCELLED))
        .order_by(col(OrderEvent.id))
    ).first()
    if since is None:
        return ''
    value = sum(
        (
            ((line.line_total + line.tax_amount) / line.quantity * line.cancelled_quantity).quantize(CENT)
            for line in called_off
        ),
        Decimal('0.00'),
    )
    given = session.exec(
        select(col(Refund.amount)).where(
            Refund.order_id == order.id,
            col(Refund.return_id).is_(None),
            col(Refund.refunded_at) >= since,
            Refund.id != refund.id,
        )
    ).all()
    if sum(given, Decimal('0.00')) >= value:
        return ''
    items = ', '.join(
        _('{quantity} × {name}').format(quantity=line.cancelled_quantity, name=line.name) for line in called_off
    )
    return _('items not shipped: {items}').format(items=items)


def returned_items(session: Session, return_id: int | None) -> str:
    """A return's number and items as a customer reads them on a credit note, in the current language
    ('return R-7 (2 × Mug, 1 × Teapot)'); '' for a refund that is not a return's."""
    rma = session.get(Return, return_id) if return_id else None
    if rma is None:
        return ''
    returned = session.exec(
        select(ReturnLine.quantity, OrderLine.name)
        .join(OrderLine, col(OrderLine.id) == ReturnLine.order_line_id)
        .where(ReturnLine.return_id == rma.id)
        .order_by(col(ReturnLine.id))
    ).all()
    items = ', '.join(_('{quantity} × {name}').format(quantity=quantity, name=name) for quantity, name in returned)
    if not items:
        return _('return {number}').format(number=rma.number)
    return _('return {number} ({items})').format(number=rma.number, items=items)


def invoice_of(session: Session, order_id: int) -> Invoice | None:
    return session.exec(
        select(Invoice)
        .where(Invoice.order_id == order_id, Invoice.kind == InvoiceKind.invoice)
        .order_by(col(Invoice.id))
    ).first()


def language_of(customer: Customer | None) -> str | None:
    """The language of a customer's documents and emails: theirs, else (None) the settings' default."""
    return i18n.supported(customer.language) if customer is not None else None


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
    'email': 'support_email',  # the seller's electronic address in e-invoices
    'footer': 'invoice_footer',
}


def seller_identity(session: Session) -> dict[str, Any]:
    """Who sells, from the settings now: copied into each invoice as it is issued."""
    values = app_settings.current_values(session=session)
    seller = {field: values[key] or '' for field, key in SELLER_KEYS.items()}
    seller['name'] = seller['name'] or values['company_name']
    return seller


def seller_snapshot(session: Session, details: dict[str, Any]) -> InvoiceSeller:
    """The stored snapshot of this identity (made the first time it is seen): invoices refer to it, so the seller is
    stored once per version of the settings, and an issued invoice keeps the one it was issued with."""
    return _snapshot(session, InvoiceSeller, details)


def buyer_snapshot(session: Session, details: dict[str, Any]) -> InvoiceBuyer:
    """The stored snapshot of this buyer (made the first time it is seen): a customer's invoices share it until the
    details they were issued with change (migration 0042); an issued invoice keeps the one it was issued with."""
    return _snapshot(session, InvoiceBuyer, details)


Snapshot = TypeVar('Snapshot', InvoiceSeller, InvoiceBuyer)


def _snapshot(session: Session, model: type[Snapshot], details: dict[str, Any]) -> Snapshot:
    digest = seller_digest(details)
    found = session.exec(select(model).where(model.digest == digest)).first()
    if found is not None:
        return found
    try:
        with session.begin_nested():  # another issuer may store the same version at the same time
            made = model(digest=digest, details=details)
            session.add(made)
    except IntegrityError:
        return session.exec(select(model).where(model.digest == digest)).one()
    return made


def seller_digest(details: dict[str, Any]) -> str:
    """SHA-256 of the identity's canonical JSON (sorted keys, no spaces): equal identities, one digest (the buyer's
    too)."""
    canonical = json.dumps(details, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
