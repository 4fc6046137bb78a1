"""Receivables: what customers owe on issued invoices (amount open = total − paid + refunded − credited, read in one
query), aged in buckets per customer account (its company, else the customer) and in total, with the DSO; and a sum
received once that settles one or several invoices, in parts or in full (one transaction, audited)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import literal
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from backoffice import db, events, stored_text
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import (
    Company,
    Customer,
    Invoice,
    InvoiceKind,
    Order,
    Payment,
    Receipt,
    ReceiptAllocation,
    User,
    utcnow,
)
from backoffice.payment_providers.manual import ManualProvider
from backoffice.permissions import require
from backoffice.services import app_settings, audit, orders, payments
from backoffice.stored_text import sentence

METHODS = ManualProvider.methods  # 'bank_transfer' → 'Bank transfer', for the audit log's words

ZERO = Decimal('0.00')
CENT = Decimal('0.01')
DSO_DAYS = 90  # the DSO compares what is open with the sales invoiced over this many days

BUCKETS: dict[str, str] = {
    'not_due': N_('Not due'),
    'd1_30': N_('1–30 days'),
    'd31_60': N_('31–60 days'),
    'd61_90': N_('61–90 days'),
    'over_90': N_('Over 90 days'),
}


def bucket_of(days_overdue: int) -> str:
    """The ageing bucket of an item so many days past its due date (0 or less: not due yet)."""
    if days_overdue <= 0:
        return 'not_due'
    if days_overdue <= 30:
        return 'd1_30'
    if days_overdue <= 60:
        return 'd31_60'
    if days_overdue <= 90:
        return 'd61_90'
    return 'over_90'


@dataclass(frozen=True)
class OpenItem:
    invoice_id: int
    number: str
    order_id: int
    order_number: str
    customer_id: int
    customer_name: str
    email: str
    company_id: int | None
    company_name: str
    currency: str
    issued_on: date
    due_on: date
    days_overdue: int
    total: Decimal
    open: Decimal
    bucket: str

    @property
    def account(self) -> str:
        """Who owes it, as the ageing groups it: the company, else the customer."""
        return f'company:{self.company_id}' if self.company_id else f'customer:{self.customer_id}'

    @property
    def account_name(self) -> str:
        return self.company_name or self.customer_name or self.email


@dataclass
class Ageing:
    """Amounts open per bucket, and their total."""

    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    total: Decimal = ZERO
    count: int = 0

    def add(self, item: OpenItem) -> None:
        self.buckets[item.bucket] += item.open
        self.total += item.open
        self.count += 1


@dataclass
class AccountAgeing(Ageing):
    key: str = ''
    name: str = ''
    customer_id: int | None = None
    company_id: int | None = None
    oldest_days: int = 0
    currency: str = ''  # an account owing in two currencies has a row in each: amounts are never added across them


@dataclass
class Report:
    today: date
    items: list[OpenItem]
    accounts: list[AccountAgeing]
    totals: Ageing  # in `currency` only
    dso: Decimal | None  # days, in `currency`; None when nothing was invoiced over the period
    sales: Decimal  # invoiced in `currency` over the DSO period, credit notes deducted
    currency: str  # the shop's currency when anything is open in it (or nothing is open), else the first item's
    by_currency: dict[str, Ageing] = field(default_factory=dict)  # the ageing in each currency, shop's first

    def totals_in(self, pick: Callable[[Ageing], Decimal]) -> tuple[tuple[str, Decimal], ...]:
        """One figure of the ageing per currency, the report's own first: ((currency, amount), ...) — added up without
        converting, so never across currencies (an empty report: its currency, 0)."""
        if not self.by_currency:
            return ((self.currency, pick(self.totals)),)
        return tuple((code, pick(ageing)) for code, ageing in self.by_currency.items())


def report(
    *,
    session: Session,
    actor: User,
    today: date | None = None,
    customer_id: int | None = None,
    company_id: int | None = None,
    where: Any = None,
) -> Report:
    """Every invoice not paid in full with its due date, days overdue and amount open; the ageing per account and in
    total (one pass over the items); the DSO over the last 90 days. `where`: a clause on the invoice's order and
    customer narrowing the invoices (what a company's report may show)."""
    require(actor, 'finance.read')
    today = today or shop_today(app_settings.time_zone())
    items = open_items(session, today=today, customer_id=customer_id, company_id=company_id, where=where)
    shop = app_settings.cached('currency')
    currency = shop if not items or any(item.currency == shop for item in items) else items[0].currency
    by_currency: dict[str, Ageing] = {currency: Ageing()} if items else {}
    accounts: dict[str, AccountAgeing] = {}
    for item in items:
        by_currency.setdefault(item.currency, Ageing()).add(item)
        key = item.account if item.currency == currency else f'{item.account}:{item.currency}'
        account = accounts.get(key)
        if account is None:
            account = accounts[key] = AccountAgeing(
                key=key,
                name=item.account_name,
                customer_id=None if item.company_id else item.customer_id,
                company_id=item.company_id,
                currency=item.currency,
            )
        account.add(item)
        account.oldest_days = max(account.oldest_days, item.days_overdue)
    ranked = sorted(accounts.values(), key=lambda a: (-a.oldest_days, -a.total, a.name.lower(), a.currency))
    ordered = dict(sorted(by_currency.items(), key=lambda pair: (pair[0] != currency, pair[0])))
    totals = ordered.get(currency) or Ageing()
    sales = invoiced_since(session, today - timedelta(days=DSO_DAYS), currency)
    dso = None
    if sales > 0 and customer_id is None and company_id is None:
        dso = (totals.total / sales * DSO_DAYS).quantize(Decimal('0.1'))
    return Report(today, items, ranked, totals, dso, sales, currency, ordered)


def open_items(
    session: Session,
    *,
    today: date,
    customer_id: int | None = None,
    company_id: int | None = None,
    where: Any = None,
) -> list[OpenItem]:
    """The invoices with an amount open, oldest due first, read in one query (credit notes summed per invoice)."""
    query = open_invoices_query(
        col(Invoice.id),
        col(Invoice.number),
        col(Invoice.order_id),
        col(Invoice.currency),
        col(Invoice.issued_at),
        col(Invoice.due_on),
        col(Invoice.total),
        col(Order.number),
        col(Order.customer_id),
        col(Customer.name),
        col(Customer.email),
        col(Customer.company_id),
        col(Company.name),
    )
    if customer_id is not None:
        query = query.where(col(Order.customer_id) == customer_id)
    if company_id is not None:
        query = query.where(col(Customer.company_id) == company_id)
    if where is not None:
        query = query.where(where)
    items = []
    for row in session.execute(query).all():
        invoice_id, number, order_id, currency, issued_at, due, total = row[:7]
        order_number, cust_id, name, email, comp_id, comp_name, left = row[7:]
        issued_on = issued_at.date()
        due_on = due or issued_on
        days = (today - due_on).days
        items.append(
            OpenItem(
                invoice_id=invoice_id,
                number=number,
                order_id=order_id,
                order_number=order_number,
                customer_id=cust_id,
                customer_name=name or '',
                email=email,
                company_id=comp_id,
                company_name=comp_name or '',
                currency=currency,
                issued_on=issued_on,
                due_on=due_on,
                days_overdue=max(days, 0),
                total=total,
                open=Decimal(left).quantize(CENT),
                bucket=bucket_of(days),
            )
        )
    items.sort(key=lambda i: (i.due_on, i.number))
    return items


class OpenAmount(NamedTuple):
    """What bank matching reads of an open invoice: no dates, no ageing, so 100,000 of them load in well under a
    second."""

    invoice_id: int
    number: str
    order_number: str
    currency: str
    customer_name: str
    email: str
    company_name: str
    open: Decimal

    @property
    def account_name(self) -> str:
        return self.company_name or self.customer_name or self.email


def open_amounts(session: Session, *, keep: Callable[[str, str, Decimal], bool] | None = None) -> list[OpenAmount]:
    """The invoices with an amount open, as open_items reads them (the same amount), in no particular order; with
    `keep(number, order_number, open)`, only those it keeps, tested before anything else is made of a row."""
    query = open_invoices_query(
        col(Invoice.id),
        col(Invoice.number),
        col(Order.number),
        col(Invoice.currency),
        col(Customer.name),
        col(Customer.email),
        col(Company.name),
    )
    found = []
    rows = session.connection().execute(query).all()  # fetched at once: row by row costs a call per row
    for invoice_id, number, order_number, currency, name, email, company_name, left in rows:
        left = Decimal(left).quantize(CENT)
        if keep is None or keep(number, order_number, left):
            found.append(
                OpenAmount(invoice_id, number, order_number, currency, name or '', email, company_name or '', left)
            )
    return found


def open_invoices_query(*columns: Any) -> Any:
    """Invoices (not credit notes) with an amount open: these columns, then the amount open labelled `open`. The
    credit notes counted are the order's (an order has one invoice), not only those citing it: a refund of part of a
    payment made before the invoice was issued has a credit note that cites none, and its money is counted back."""
    credit = aliased(Invoice)
    credited = (
        select(credit.order_id, func.sum(credit.total).label('credited'))
        .where(credit.kind == InvoiceKind.credit_note)
        .group_by(col(credit.order_id))
        .subquery()
    )
    amount_open = (
        col(Invoice.total)
        - col(Order.paid_total)
        + col(Order.refunded_total)
        - func.coalesce(credited.c.credited, literal(ZERO))
    )
    return (
        select_columns(*columns, amount_open.label('open'))
        .join(Order, col(Order.id) == Invoice.order_id)
        .join(Customer, col(Customer.id) == Order.customer_id)
        .outerjoin(Company, col(Company.id) == Customer.company_id)
        .outerjoin(credited, credited.c.order_id == Invoice.order_id)
        .where(col(Invoice.kind) == InvoiceKind.invoice, amount_open > 0)
    )


def invoiced_since(session: Session, first_day: date, currency: str) -> Decimal:
    """Sales invoiced in a currency from a day on, credit notes deducted: what the DSO divides by (what is open in that
    currency)."""
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=utcnow().tzinfo)
    rows = session.exec(
        select(Invoice.kind, func.coalesce(func.sum(Invoice.total), 0))
        .where(Invoice.issued_at >= since, Invoice.currency == currency)
        .group_by(Invoice.kind)
    ).all()
    sums = {kind: Decimal(total) for kind, total in rows}
    return sums.get(InvoiceKind.invoice, ZERO) - sums.get(InvoiceKind.credit_note, ZERO)


def amount_open(session: Session, invoice: Invoice) -> Decimal:
    """What is still owed on one invoice (0 for a credit note or an invoice paid in full): as open_invoices_query, the
    order's credit notes counted, whether issued before the invoice or after."""
    return owed_on(session, invoice).open


@dataclass(frozen=True)
class Owed:
    """What settled an invoice so far and what is left: the invoice's PDF says it under its total."""

    received: Decimal  # paid on its order, less what was refunded
    credited: Decimal  # the order's credit notes
    open: Decimal  # what is still owed (never below 0)


def owed_on(session: Session, invoice: Invoice) -> Owed:
    """What was received and credited on an invoice and what is still owed (nothing for a credit note)."""
    order = session.get(Order, invoice.order_id) if invoice.kind == InvoiceKind.invoice else None
    if order is None:
        return Owed(ZERO, ZERO, ZERO)
    credited = session.exec(
        select(func.coalesce(func.sum(Invoice.total), 0)).where(
            col(Invoice.kind) == InvoiceKind.credit_note, col(Invoice.order_id) == invoice.order_id
        )
    ).one()
    received, credited = order.paid_total - order.refunded_total, Decimal(credited).quantize(CENT)
    return Owed(received, credited, max(invoice.total - received - credited, ZERO).quantize(CENT))


def settle(
    *,
    session: Session,
    actor: User,
    amounts: Mapping[int, Any],
    method: str = 'bank_transfer',
    reference: str = '',
    received_at: datetime | None = None,
    same_reference: bool = False,
) -> Receipt:
    """One sum received that pays several invoices of one customer account, each in full or in part: refused in
    words when it pays more than is open. Each part is the order's payment (an order paid in full becomes paid);
    the receipt, its parts and the payments commit together, audited. A reference one of the orders' payments has
    already is refused at `reference` unless `same_reference` says the person confirmed it
    (`payments.same_reference_warning`)."""
    require(actor, 'finance.manage')
    require(actor, 'orders.write')
    if not amounts:
        raise ValidationFailed({'invoices': _('Choose at least one invoice to pay')})
    reference = payments.typed_reference(reference)
    errors: dict[str, str] = {}
    parts: list[tuple[Invoice, Decimal]] = []
    accounts: set[tuple[int | None, int | None]] = set()
    currencies: set[str] = set()
    chosen: dict[int, Invoice] = {}
    for invoice_id in amounts:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.kind != InvoiceKind.invoice:
            raise NotFound(_('This invoice does not exist.'))
        chosen[invoice_id] = invoice
    # what is open is read with the orders locked (in one order, so two receipts never wait on each other): two
    # people settling one invoice at once then see each other's payment, and never pay it twice
    for order_id in sorted({invoice.order_id for invoice in chosen.values()}):
        orders.locked(session, order_id, None)
    for invoice_id, value in amounts.items():
        invoice = chosen[invoice_id]
        key = f'invoice_{invoice.id}'
        try:
            amount = payments.money(value, key)
        except ValidationFailed as error:
            errors.update(error.errors)
            continue
        left = amount_open(session, invoice)
        if amount > left:
            errors[key] = (
                _('Only {amount} is open on invoice {number}').format(
                    amount=payments.amount_in_words(left, invoice.currency), number=invoice.number
                )
                if left > 0
                else _('Invoice {number} is paid in full').format(number=invoice.number)
            )
            continue
        order = session.get(Order, invoice.order_id)
        customer = session.get(Customer, order.customer_id) if order else None
        company = customer.company_id if customer is not None else None
        accounts.add((company, None) if company else (None, order.customer_id if order is not None else None))
        currencies.add(invoice.currency)
        parts.append((invoice, amount))
    if errors:
        raise ValidationFailed(errors)
    if len(accounts) > 1 or len(currencies) > 1:
        raise ValidationFailed(
            {'invoices': _('One payment settles invoices of one customer or company, in one currency')}
        )
    received_at = received_at or utcnow()
    first_order = session.get(Order, parts[0][0].order_id)
    receipt = Receipt(
        customer_id=first_order.customer_id if first_order else 0,
        amount=sum((amount for _invoice, amount in parts), ZERO),
        currency=parts[0][0].currency,
        method=method,
        reference=reference,
        received_at=received_at,
        created_by=actor.id,
    )
    session.add(receipt)
    session.flush()
    with db.held_commits(session):
        for invoice, amount in parts:
            payment = payments.record_payment(
                session=session,
                actor=actor,
                order_id=invoice.order_id,
                amount=amount,
                method=method,
                reference=reference or f'R-{receipt.id}',
                paid_at=received_at,
                same_reference=same_reference,
            )
            session.add(
                ReceiptAllocation(
                    receipt_id=_id(receipt.id), invoice_id=_id(invoice.id), payment_id=_id(payment.id), amount=amount
                )
            )
    numbers = stored_text.joined(
        [
            sentence(N_('{number} ({amount})'), number=i.number, amount=stored_text.amount(a, receipt.currency))
            for i, a in parts
        ]
    )
    audit.record(
        session,
        actor,
        'receipt.recorded',
        'receipts',
        receipt.id,
        changes={'amount': str(receipt.amount), 'invoices': {i.number: str(a) for i, a in parts}},
        summary=sentence(
            N_('Payment of {amount} ({method}, {reference}) settles {numbers}'),
            amount=stored_text.amount(receipt.amount, receipt.currency),
            method=stored_text.word(METHODS[method]) if method in METHODS else method,
            reference=reference,
            numbers=numbers,
        ),
    )
    events.after_commit(session, Topic.receivables, {'action': 'paid', 'receipt_id': receipt.id})
    session.commit()
    return receipt


def undo_receipt(*, session: Session, actor: User, receipt_id: int, reason: str = '') -> None:
    """Reverse a sum received: each of its parts is taken off its order's payments (an order it had made paid is
    pending again), the receipt is removed, audited with what it paid. Refused once any of it was refunded."""
    require(actor, 'finance.manage')
    require(actor, 'orders.write')
    receipt = session.get(Receipt, receipt_id, with_for_update=session.get_bind().dialect.name != 'sqlite')
    if receipt is None:
        raise NotFound(_('This payment received no longer exists.'))
    parts = list(session.exec(select(ReceiptAllocation).where(ReceiptAllocation.receipt_id == receipt.id)))
    undone: dict[str, str] = {}
    with db.held_commits(session):
        for part in parts:
            invoice = session.get(Invoice, part.invoice_id)
            payment = session.get(Payment, part.payment_id)
            order = orders.locked(session, invoice.order_id if invoice else 0, None)
            number = invoice.number if invoice else '?'
            session.delete(part)
            payments.take_back(
                session=session,
                actor=actor,
                order=order,
                payment=payment,
                amount=part.amount,
                said=sentence(
                    N_('Payment of {amount} for invoice {invoice} undone'),
                    amount=stored_text.money(part.amount, order.currency),
                    invoice=number,
                ),
                field='receipt',
            )
            undone[number] = str(part.amount)
    reason = ' '.join((reason or '').split())[:200]
    audit.record(
        session,
        actor,
        'receipt.undone',
        'receipts',
        receipt.id,
        changes={'amount': str(receipt.amount), 'invoices': undone, 'reason': reason},
        summary=sentence(
            N_('Payment of {amount} ({reference}) undone: {reason}')
            if reason
            else N_('Payment of {amount} ({reference}) undone'),
            amount=stored_text.amount(receipt.amount, receipt.currency),
            reference=receipt.reference,
            reason=reason,
        ),
    )
    session.delete(receipt)
    events.after_commit(session, Topic.receivables, {'action': 'undone', 'receipt_id': receipt_id})
    session.commit()


def allocations_of(session: Session, invoice_id: int) -> list[ReceiptAllocation]:
    return list(
        session.exec(
            select(ReceiptAllocation)
            .where(ReceiptAllocation.invoice_id == invoice_id)
            .order_by(col(ReceiptAllocation.id))
        )
    )


def _id(value: int | None) -> int:
    assert value is not None  # flushed rows have their ids
    return value
