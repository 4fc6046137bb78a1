"""Reconciliation of bank lines: ranked suggestions for each money-in line (an invoice's number in the label or
reference, its order's number, the exact amount open, the customer's name), and what a person decides — a match that
records the receipt through receivables.settle (one line may pay several invoices, in part), a line set aside as not a
customer payment, an undo that reverses the receipt it made — each one transaction, audited, refused in words."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Integer, Text, bindparam, column, func, update, values
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from backoffice import db, events, formatting, stored_text
from backoffice.errors import NotFound, StaleRecord, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import (
    BankLine,
    BillPayment,
    Company,
    Customer,
    Invoice,
    InvoiceKind,
    LineStatus,
    Order,
    OrderStatus,
    Payment,
    Receipt,
    ReceiptAllocation,
    SupplierBill,
    User,
    utcnow,
)
from backoffice.permissions import require
from backoffice.services import (
    app_settings,
    audit,
    bill_match,
    bills,
    invoices,
    orders,
    payables,
    payments,
    receivables,
)
from backoffice.stored_text import sentence
from backoffice.validation import typed_line

CATEGORIES: dict[str, str] = {
    'bank_fees': N_('Bank fees'),
    'supplier': N_('Supplier payment'),
    'salary': N_('Salaries'),
    'tax': N_('Taxes and social charges'),
    'transfer': N_('Transfer between own accounts'),
    'refund': N_('Refund to a customer'),
    'other': N_('Other'),
}
REASONS: dict[str, str] = {
    'number': N_('invoice number in the label'),
    'order': N_('order number in the label'),
    'amount': N_('same amount'),
    'name': N_('customer name'),
    'partial': N_('pays part of it'),
    'receipt': N_('payment already recorded'),
    'bill_number': N_('bill number in the label'),
    'iban': N_("supplier's IBAN"),
    'supplier': N_('supplier name'),
    'bill_amount': N_('same amount open'),
}
SHOWN = 5  # suggestions kept per line
BY_HAND_WITHIN = timedelta(days=90)  # a payment recorded by hand from a line: recorded this close to its booking day
NOTE_MAX = 500  # what BankLine.note keeps
STORED_AT_ONCE = 1_000  # lines whose suggestions one statement writes (PostgreSQL)
AMOUNT_ALONE = 5  # an amount shared by more open invoices suggests only those of the customer the line names
TOKEN = re.compile(r'[A-Z0-9]+(?:-[A-Z0-9]+)*')
COMMON_WORDS = {'SARL', 'SAS', 'SASU', 'EURL', 'LTD', 'GMBH', 'INC', 'SA', 'VIR', 'SEPA', 'RECU', 'THE', 'AND', 'DES'}


class LineText(NamedTuple):
    """What matching reads of a bank line."""

    id: int
    amount: Decimal
    currency: str
    label: str
    reference: str
    counterpart: str


LINE_TEXT: tuple[Any, ...] = tuple(
    col(getattr(BankLine, name)) for name in ('id', 'amount', 'currency', 'label', 'reference', 'counterpart')
)


@dataclass
class Candidate:
    invoice_id: int
    number: str
    customer: str
    open: Decimal
    currency: str
    score: int
    why: list[str]
    order_id: int | None = None  # an order awaiting payment with no invoice yet (invoice_id 0): `open` is what is due

    def as_dict(self, amount: Decimal) -> dict[str, Any]:
        found: dict[str, Any] = {'order_id': self.order_id} if self.order_id else {'invoice_id': self.invoice_id}
        return found | {
            'number': self.number,
            'customer': self.customer,
            'open': str(self.open),
            'currency': self.currency,
            'amount': str(min(amount, self.open)),
            'score': self.score,
            'why': self.why,
        }


class OpenInvoice(Protocol):
    """What matching reads of an open invoice (receivables.OpenAmount, receivables.OpenItem)."""

    @property
    def invoice_id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def order_number(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def customer_name(self) -> str: ...
    @property
    def account_name(self) -> str: ...
    @property
    def open(self) -> Decimal: ...


class AwaitingOrder(NamedTuple):
    """An order awaiting payment with no invoice yet (awaits_payment), as matching reads it: its number is the only
    one a customer can write, so it is found as an invoice's order number is; `open` is what is still due on it."""

    order_id: int
    order_number: str
    currency: str
    customer_name: str
    email: str
    company_name: str
    open: Decimal

    @property
    def number(self) -> str:
        return self.order_number

    @property
    def invoice_id(self) -> int:  # the matcher's key: below zero, never an invoice's
        return -self.order_id

    @property
    def account_name(self) -> str:
        return self.company_name or self.customer_name or self.email


class Matcher:
    """The open invoices (and the orders awaiting payment without one) indexed once by number, order number and
    amount open, and by name words within an amount the first time a line asks for it: each line is then a few
    dictionary look-ups, so 10,000 lines against 100,000 invoices take about a second, not hours."""

    def __init__(self, items: Sequence[OpenInvoice], orders: Sequence[AwaitingOrder] = ()) -> None:
        self.by_number = {item.number.upper(): item for item in items}
        self.by_order: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.by_amount: dict[Decimal, list[OpenInvoice]] = defaultdict(list)
        self.by_name_at_amount: dict[Decimal, dict[str, list[OpenInvoice]]] = {}
        self.names: dict[int, frozenset[str]] = {}
        for item in (*items, *orders):
            self.by_order[item.order_number.upper()].append(item)
            self.by_amount[item.open].append(item)

    def words_of(self, item: OpenInvoice) -> frozenset[str]:
        words = self.names.get(item.invoice_id)
        if words is None:
            words = self.names[item.invoice_id] = name_words(f'{item.account_name} {item.customer_name}')
        return words

    def by_name(self, amount: Decimal) -> dict[str, list[OpenInvoice]]:
        """The invoices of this amount open by the words of their customer's name (made once per amount, when a line
        of a common amount first needs it: most amounts never do)."""
        index = self.by_name_at_amount.get(amount)
        if index is None:
            index = self.by_name_at_amount[amount] = defaultdict(list)
            for item in self.by_amount[amount]:
                for word in self.words_of(item):
                    index[word].append(item)
        return index

    def candidates(self, line: LineText | BankLine) -> list[Candidate]:
        tokens = tokens_of(line)
        words = name_words(f'{line.counterpart} {line.label}')
        found: dict[int, Candidate] = {}

        def add(item: OpenInvoice, points: int, why: str) -> None:
            candidate = found.get(item.invoice_id)
            if candidate is None:
                order_id = item.order_id if isinstance(item, AwaitingOrder) else None
                candidate = found[item.invoice_id] = Candidate(
                    0 if order_id else item.invoice_id, item.number, item.account_name, item.open, item.currency, 0, []
                )
                candidate.order_id = order_id
                self.words_of(item)  # its name's words, which the name points below read by invoice id
            if why not in candidate.why:
                candidate.score += points
                candidate.why.append(why)

        for token in tokens:
            item = self.by_number.get(token)
            if item is not None:
                add(item, 60, 'number')
            for item in self.by_order.get(token, ()):
                add(item, 30, 'order')
        same_amount = self.by_amount.get(line.amount, [])
        if len(same_amount) <= AMOUNT_ALONE:
            for item in same_amount:
                add(item, 30, 'amount')
        else:  # a common amount: only the invoices of the customer the line names, or already found
            named = self.by_name(line.amount)
            for word in words:
                for item in named.get(word, ()):
                    add(item, 30, 'amount')
            for candidate in found.values():
                if candidate.open == line.amount and 'amount' not in candidate.why:
                    candidate.score += 30
                    candidate.why.append('amount')
        for key, candidate in found.items():
            shared = len(words & self.names[key])
            if shared:  # each word of the name found counts: "Zoé Martin" beats every other Zoé
                candidate.score += 15 + 10 * min(shared, 3)
                candidate.why.append('name')
            if line.amount < candidate.open and 'amount' not in candidate.why:
                candidate.why.append('partial')
        ranked = [c for c in found.values() if c.open >= line.amount or 'number' in c.why or 'order' in c.why]
        ranked.sort(key=lambda c: (-c.score, c.number))
        return ranked[:SHOWN]


def suggest(session: Session, line_ids: list[int]) -> int:
    """Rank the suggestions of these lines (still unmatched) and store them on each: open invoices for money in, open
    approved supplier bills for money out; the count with one."""
    lines = []
    stored: dict[int, str] = {}
    for start in range(0, len(line_ids), 500):
        for *line_text, suggestions in session.execute(
            select_columns(*LINE_TEXT, col(BankLine.suggestions)).where(
                col(BankLine.id).in_(line_ids[start : start + 500]),
                col(BankLine.status) == LineStatus.unmatched,
                col(BankLine.amount) != 0,
            )
        ).all():
            lines.append(LineText(*line_text))
            stored[line_text[0]] = suggestions
    if not lines:
        return 0
    today = shop_today(app_settings.time_zone())
    credits = [line for line in lines if line.amount > 0]
    debits = [line for line in lines if line.amount < 0]
    updates: list[dict[str, Any]] = []
    if credits:
        matcher = Matcher(open_invoices_for(session, credits), awaiting_orders_for(session, credits))
        for line in credits:
            ranked = [c.as_dict(line.amount) for c in matcher.candidates(line) if c.currency == line.currency]
            updates.append({'line_id': line.id, 'found': json.dumps(ranked) if ranked else ''})
    if debits:
        open_bills = payables.open_bills(session, today=today)
        bill_matcher = bill_match.BillMatcher(open_bills, name_words, fold)
        of_supplier = Counter(bill.supplier_id for bill in open_bills)
        alone = {bill.bill_id for bill in open_bills if of_supplier[bill.supplier_id] == 1}
        for line in debits:
            found = bill_matcher.candidates(line)
            for entry in found:  # the supplier's one open bill: with the amount equal, evidence enough (one_click)
                entry['only_open'] = entry['bill_id'] in alone
            updates.append({'line_id': line.id, 'found': json.dumps(found) if found else ''})
    store(session, [u for u in updates if u['found'] != stored[u['line_id']]])
    return sum(1 for u in updates if u['found'])


def store(session: Session, updates: list[dict[str, Any]]) -> None:
    """Write the suggestions that changed: on PostgreSQL a statement per 1,000 lines (UPDATE … FROM VALUES) rather
    than a round trip per line; SQLite, in the process, takes them one by one as fast."""
    table = BankLine.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name != 'postgresql':
        if updates:
            session.execute(
                update(table).where(table.c.id == bindparam('line_id')).values(suggestions=bindparam('found')),
                updates,
                execution_options={'synchronize_session': False},
            )
        return
    for start in range(0, len(updates), STORED_AT_ONCE):
        found = values(column('line_id', Integer), column('found', Text), name='found').data(
            [(u['line_id'], u['found']) for u in updates[start : start + STORED_AT_ONCE]]
        )
        session.execute(
            update(table).where(table.c.id == found.c.line_id).values(suggestions=found.c.found),
            execution_options={'synchronize_session': False},
        )


def open_invoices_for(session: Session, lines: list[LineText]) -> list[receivables.OpenAmount]:
    """The open invoices these lines could be matched to: those whose number or order number is a word of a line, or
    whose amount open is a line's amount. Matching looks no further (a name only ranks what these found), so leaving
    out the others changes no suggestion and spares indexing tens of thousands of invoices no line can reach."""
    tokens = set().union(*(tokens_of(line) for line in lines))
    amounts = {line.amount for line in lines}

    def reachable(number: str, order_number: str, amount_open: Decimal) -> bool:
        return amount_open in amounts or number.upper() in tokens or order_number.upper() in tokens

    return receivables.open_amounts(session, keep=reachable)


def awaiting_orders_for(session: Session, lines: list[LineText]) -> list[AwaitingOrder]:
    """The orders awaiting payment with no invoice yet (awaits_payment, read in one query) these lines could pay:
    their number is a word of a line, or what is due on them is a line's amount (as open_invoices_for)."""
    tokens = set().union(*(tokens_of(line) for line in lines))
    amounts = {line.amount for line in lines}
    return [o for o in _awaiting(session) if o.open in amounts or o.order_number.upper() in tokens]


def awaiting_orders_of(session: Session, customer_id: int) -> list[AwaitingOrder]:
    """One customer's orders awaiting payment with no invoice yet (a matching rule's targets beside their invoices)."""
    return _awaiting(session, col(Order.customer_id) == customer_id)


def _awaiting(session: Session, *where: Any) -> list[AwaitingOrder]:
    invoiced = select_columns(col(Invoice.id)).where(
        col(Invoice.order_id) == col(Order.id), col(Invoice.kind) == InvoiceKind.invoice
    )
    due = col(Order.total) - col(Order.paid_total)
    query = (
        select_columns(
            col(Order.id),
            col(Order.number),
            col(Order.currency),
            col(Customer.name),
            col(Customer.email),
            col(Company.name),
            due,
        )
        .join(Customer, col(Customer.id) == col(Order.customer_id))
        .outerjoin(Company, col(Company.id) == col(Customer.company_id))
        .where(col(Order.status) == OrderStatus.pending, due > 0, ~invoiced.exists(), *where)
        .order_by(col(Order.id))
    )
    return [
        AwaitingOrder(
            _id(order_id), number, currency, name or '', email, company or '', Decimal(left).quantize(orders.CENT)
        )
        for order_id, number, currency, name, email, company, left in session.connection().execute(query).all()
    ]


def tokens_of(line: LineText | BankLine) -> set[str]:
    """The words and numbers of a line's label, reference and counterpart, folded: where invoice numbers are found."""
    return set(TOKEN.findall(fold(f'{line.label} {line.reference} {line.counterpart}')))


NAMED = frozenset({'number', 'order', 'bill_number'})  # the line names the invoice, the order or the bill


def one_click(suggestion: dict[str, Any], left: Decimal) -> bool:
    """Whether a suggestion may be matched in one click: its amount open is exactly what is left of the line, and the
    line names it (its number, its order's number) or — a bill — names its supplier (name or IBAN) and that supplier
    has no other open bill. A supplier's name alone, or an amount alone, is not enough: an "ACME" line would pay any
    ACME bill. Anything less is picked by a person among the candidates (Split or choose…, a bill's Choose…)."""
    try:
        amount_open = Decimal(str(suggestion['open']))
    except (KeyError, ArithmeticError):
        return False
    if not left or amount_open != left:
        return False
    why = set(suggestion.get('why') or ())
    if why & NAMED:
        return True
    return suggestion.get('kind') == 'bill' and suggestion.get('only_open') is True and bool(why & {'supplier', 'iban'})


def suggestions_of(line: BankLine) -> list[dict[str, Any]]:
    try:
        return json.loads(line.suggestions) if line.suggestions else []
    except ValueError:
        return []


def rematch(*, session: Session, actor: User, account_id: int | None = None) -> int:
    """Suggest again for every unmatched line (new invoices were issued, bills approved since the import)."""
    require(actor, 'finance.manage')
    query = select(BankLine.id).where(BankLine.status == LineStatus.unmatched, BankLine.amount != 0)
    if account_id:
        query = query.where(BankLine.account_id == account_id)
    ids = [i for i in session.exec(query) if i is not None]
    found = suggest(session, ids) if ids else 0
    events.after_commit(session, Topic.bank, {'action': 'rematched'})
    session.commit()
    return found


def confirm(
    *,
    session: Session,
    actor: User,
    line_id: int,
    version: int | None,
    amounts: Mapping[int, Any],
    rule_id: int | None = None,
    order_amounts: Mapping[int, Any] | None = None,
) -> BankLine:
    """Match a money-in line to one or several invoices: the parts must add up to the line's amount; the receipt and
    its payments are recorded by receivables.settle (the same rules as a payment recorded by hand). `rule_id`: the
    matching rule that chose the invoice on import (bank_rules.apply), kept on the line. `order_amounts` ({order id:
    amount}): orders awaiting payment that have no invoice yet (a transfer for a pending order), each paid by its part
    as a bank transfer recorded on the order page would be (payments.record_payment, its rules): in full, the order is
    paid with its invoice issued; a part (at most what is due) stays on the order's payments, kept with the line
    (`Payment.bank_line_id`) so that undo takes it back."""
    require(actor, 'finance.manage')
    line = locked(session, line_id, version)
    if line.amount <= 0:
        raise ValidationFailed({'line': _('Money paid out is not a customer payment: set it aside with a category')})
    remainder = still_to_match(session, line)
    parts: dict[int, Decimal] = {}
    errors: dict[str, str] = {}
    for invoice_id, value in amounts.items():
        if value in (None, '') or str(value).strip() in ('', '0', '0.00', '0,00'):
            continue
        try:
            parts[int(invoice_id)] = payments.money(value, f'invoice_{invoice_id}')
        except ValidationFailed as error:
            errors.update(error.errors)
    awaiting = _order_parts(session, order_amounts or {}, errors)
    # money in one currency pays nothing in another: the receipt would book the line's amount in the invoice's currency
    for invoice_id in parts:
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None and invoice.currency != line.currency:
            errors[f'invoice_{invoice_id}'] = other_currency(invoice.number, invoice.currency, line.currency)
    for order, _amount in awaiting:
        if order.currency != line.currency:
            errors[f'order_{order.id}'] = other_currency(order.number, order.currency, line.currency)
    if errors:
        raise ValidationFailed(errors)
    total = sum(parts.values(), Decimal('0.00')) + sum((amount for _order, amount in awaiting), Decimal('0.00'))
    if not parts and not awaiting:
        listed = [f'invoice_{i}' for i in amounts] + [f'order_{i}' for i in order_amounts or {}]
        if listed:  # invoices chosen with no part typed: say so at each, not "choose an invoice"
            raise ValidationFailed({key: _('Type the part of the line this one takes') for key in listed})
        raise ValidationFailed({'invoices': _('Choose at least one invoice this line pays')})
    write_off = total - remainder  # within the tolerance: settled in full, the difference written off
    settled = parts or any(amount == order.total - order.paid_total for order, amount in awaiting)
    # a difference is written off against the invoices a receipt settles (the FEC books it with that receipt): parts
    # of orders not invoiced settle none, so they take the line's amount exactly
    if write_off and (abs(write_off) > write_off_tolerance(session) or not settled):
        raise ValidationFailed(
            {
                'invoices': _('The parts add up to {parts}; the line is {amount}').format(
                    parts=payments.amount_in_words(total, line.currency),
                    amount=payments.amount_in_words(line.amount, line.currency),
                )
                if remainder == line.amount
                else _('The parts add up to {parts}; {amount} of the line is left to match').format(
                    parts=payments.amount_in_words(total, line.currency),
                    amount=payments.amount_in_words(remainder, line.currency),
                )
            }
        )
    # the line is one transfer, matched once (locked, refused unless unmatched): another line quoting the same reference
    # is another transfer (an instalment quoting its invoice's creditor reference), so the same reference is no warning
    reference = payments.reference_from(line.reference or line.label or line.counterpart)
    received_at = datetime.combine(line.booked_on, time(12), tzinfo=utcnow().tzinfo)
    in_part: dict[str, str] = {}
    receipt = None
    with db.held_commits(session):
        for order, amount in awaiting:
            if amount == order.total - order.paid_total:  # its invoice first, which the payment of all due settles
                parts[_id(invoices.issue(session, order, InvoiceKind.invoice, actor=actor).id)] = amount
                continue
            payment = payments.record_payment(
                session=session,
                actor=actor,
                order_id=_id(order.id),
                amount=amount,
                method='bank_transfer',
                reference=reference,
                paid_at=received_at,
                same_reference=True,
            )
            payment.bank_line_id = line.id
            session.add(payment)
            in_part[str(order.id)] = str(amount)
        session.flush()
        if parts:
            receipt = receivables.settle(
                session=session,
                actor=actor,
                amounts=parts,
                method='bank_transfer',
                reference=reference,
                received_at=received_at,
                same_reference=True,
            )
    decided(line, actor, LineStatus.matched)
    line.receipt_id, line.receipt_created, line.write_off = (
        (receipt.id if receipt else None),
        receipt is not None,
        write_off,
    )
    details: dict[str, Any] = {'receipt': receipt.id if receipt else None}
    if remainder != line.amount:
        details['recorded_by_hand'] = str(line.amount - remainder)
    if parts:
        details['invoices'] = {str(k): str(v) for k, v in parts.items()}
    if in_part:
        details['orders_in_part'] = in_part
    if write_off:
        details['write_off'] = str(write_off)
    if rule_id is not None:
        line.rule_id = details['rule'] = rule_id
    return finish(session, actor, line, 'matched', details)


def other_currency(number: str, currency: str, line_currency: str) -> str:
    return _('{number} is in {currency}; the line is in {line_currency}').format(
        number=number, currency=currency, line_currency=line_currency
    )


def _order_parts(session: Session, wanted: Mapping[int, Any], errors: dict[str, str]) -> list[tuple[Order, Decimal]]:
    """The orders awaiting payment a line pays (see confirm), each for at most what is due on it; refusals by field."""
    found: list[tuple[Order, Decimal]] = []
    for order_id, value in sorted(wanted.items(), key=lambda pair: int(pair[0])):  # locked in one order
        if value in (None, '') or str(value).strip() in ('', '0', '0.00', '0,00'):
            continue
        key = f'order_{order_id}'
        try:
            amount = payments.money(value, key)
        except ValidationFailed as error:
            errors.update(error.errors)
            continue
        order = orders.locked(session, int(order_id), None)  # locked before what is due is read
        if not awaits_payment(session, order):
            errors[key] = _('Order {number} is not awaiting payment').format(number=order.number)
            continue
        try:  # the order page's rule for a part payment
            payments.check_due(session, order, amount, key)
        except ValidationFailed as error:
            errors.update(error.errors)
            continue
        found.append((order, amount))
    return found


def awaits_payment(session: Session, order: Order) -> bool:
    """An order a bank transfer pays without an invoice: placed, not paid, nothing invoiced yet."""
    return (
        order.status == OrderStatus.pending
        and order.total > order.paid_total
        and invoices.invoice_of(session, _id(order.id)) is None
    )


def _id(value: int | None) -> int:
    assert value is not None
    return value


def write_off_tolerance(session: Session) -> Decimal:
    """The "Write off differences up to" setting (0: a line's parts must add up to it exactly)."""
    try:
        return Decimal(str(app_settings.value(session=session, key='write_off_tolerance') or '0')).quantize(
            Decimal('0.01')
        )
    except ArithmeticError:
        return Decimal('0.00')


def confirm_bill(
    *, session: Session, actor: User, line_id: int, version: int | None, bill_id: int, rule_id: int | None = None
) -> BankLine:
    """Match a money-out line to an approved supplier bill: the bill's payment is recorded (bills.pay: the line's
    amount, never more than is open) in the same transaction as the line's status and the audit entry; `rule_id` as
    for confirm."""
    require(actor, 'finance.manage')
    require(actor, 'payables.manage')
    line = locked(session, line_id, version)
    if line.amount >= 0:
        raise ValidationFailed({'line': _('Money received does not pay a supplier bill: match it to an invoice')})
    remainder = still_to_match(session, line)
    payment = bills.pay(
        session=session,
        actor=actor,
        bill_id=bill_id,
        amount=remainder,
        paid_on=line.booked_on,
        reference=payments.reference_from(line.reference or line.label or line.counterpart),
        bank_line_id=line.id,
        commit=False,
    )
    decided(line, actor, LineStatus.matched)
    events.after_commit(session, Topic.supplier_bills, {'id': bill_id, 'action': 'paid'})
    details: dict[str, Any] = {'bill': bill_id, 'bill_payment': payment.id}
    if remainder != -line.amount:
        details['recorded_by_hand'] = str(-line.amount - remainder)
    if rule_id is not None:
        line.rule_id = details['rule'] = rule_id
    return finish(session, actor, line, 'matched', details)


class ByHand(NamedTuple):
    """Money recorded by hand with a bank line's reference and on no bank line yet (a payment received on the
    receivables page, a payment on an order's page, a payment on a bill's page): the line's own money, counted."""

    kind: str  # 'receipt', 'payment' or 'bill_payment'
    id: int
    amount: Decimal
    on: date
    reference: str


def recorded_for(*, session: Session, actor: User, lines: Sequence[BankLine]) -> dict[int, list[ByHand]]:
    """What the bank screen says of each line to match: the money already recorded by hand from it."""
    require(actor, 'finance.read')
    return recorded_by_hand(session, lines)


def left_to_match(line: BankLine, recorded: Sequence[ByHand]) -> Decimal:
    """The line's amount (positive) less what was recorded by hand from it; nothing left is zero."""
    return max(abs(line.amount) - sum((what.amount for what in recorded), Decimal('0.00')), Decimal('0.00'))


def recorded_by_hand(session: Session, lines: Sequence[BankLine]) -> dict[int, list[ByHand]]:
    """For each line of `lines` still to match (by id), the money recorded by hand that quotes its reference (the
    receivables page asks for "Reference (bank statement line)"): money in, the receipts no line is linked to and the
    order payments outside any receipt or line; money out, the bill payments on no line. Three queries at most."""
    wanted: dict[str, list[BankLine]] = defaultdict(list)
    for line in lines:
        reference = bank_reference(line)
        if line.id is not None and line.status == LineStatus.unmatched and line.amount and reference:
            wanted[reference].append(line)
    found: dict[int, list[ByHand]] = defaultdict(list)
    if not wanted:
        return found
    references = list(wanted)
    # recorded around the day the bank booked it (payments are indexed by that day: a page reads no whole table)
    days = [line.booked_on for group in wanted.values() for line in group]
    since = datetime.combine(min(days) - BY_HAND_WITHIN, time(0), tzinfo=utcnow().tzinfo)
    until = datetime.combine(max(days) + BY_HAND_WITHIN, time(23, 59, 59), tzinfo=utcnow().tzinfo)
    credits = any(line.amount > 0 for group in wanted.values() for line in group)
    debits = any(line.amount < 0 for group in wanted.values() for line in group)
    rows: list[tuple[str, str, ByHand]] = []  # (reference folded, currency, what)
    if credits:
        linked = select_columns(col(BankLine.receipt_id)).where(col(BankLine.receipt_id).is_not(None))
        for rid, amount, currency, reference, at in session.execute(
            select_columns(
                col(Receipt.id),
                col(Receipt.amount),
                col(Receipt.currency),
                col(Receipt.reference),
                col(Receipt.received_at),
            ).where(
                func.lower(col(Receipt.reference)).in_(references),
                col(Receipt.received_at).between(since, until),
                col(Receipt.id).not_in(linked),
            )
        ).all():
            rows.append((folded_reference(reference), currency, ByHand('receipt', rid, amount, at.date(), reference)))
        in_receipts = select_columns(col(ReceiptAllocation.payment_id))
        for pid, amount, currency, reference, at in session.execute(
            select_columns(
                col(Payment.id), col(Payment.amount), col(Order.currency), col(Payment.reference), col(Payment.paid_at)
            )
            .join(Order, col(Order.id) == col(Payment.order_id))
            .where(
                col(Payment.paid_at).between(since, until),
                func.lower(col(Payment.reference)).in_(references),
                col(Payment.bank_line_id).is_(None),
                col(Payment.id).not_in(in_receipts),
            )
        ).all():
            rows.append((folded_reference(reference), currency, ByHand('payment', pid, amount, at.date(), reference)))
    if debits:
        for pid, amount, currency, reference, on in session.execute(
            select_columns(
                col(BillPayment.id),
                col(BillPayment.amount),
                col(SupplierBill.currency),
                col(BillPayment.reference),
                col(BillPayment.paid_on),
            )
            .join(SupplierBill, col(SupplierBill.id) == col(BillPayment.bill_id))
            .where(
                col(BillPayment.paid_on).between(since.date(), until.date()),
                func.lower(col(BillPayment.reference)).in_(references),
                col(BillPayment.bank_line_id).is_(None),
            )
        ).all():
            rows.append((folded_reference(reference), currency, ByHand('bill_payment', pid, amount, on, reference)))
    for reference, currency, what in sorted(rows, key=lambda row: (row[2].on, row[2].id)):
        for line in wanted.get(reference, ()):
            money_in = what.kind != 'bill_payment'
            if line.currency == currency and (line.amount > 0) == money_in:
                found[_id(line.id)].append(what)
    return found


def bank_reference(line: BankLine) -> str:
    """The reference a payment recorded from this line carries (payments.reference_from), folded for comparing."""
    return folded_reference(payments.reference_from(line.reference or line.label or line.counterpart))


def folded_reference(text: str) -> str:
    return ' '.join((text or '').split()).lower()


def still_to_match(session: Session, line: BankLine) -> Decimal:
    """What of the line is left to match (its amount, as a positive sum) once the money recorded by hand from it is
    counted: refused in words when nothing is left, so a transfer recorded by hand is never counted twice."""
    whole = abs(line.amount)
    recorded = recorded_by_hand(session, [line]).get(_id(line.id), [])
    used = sum((what.amount for what in recorded), Decimal('0.00'))
    if used >= whole:
        raise ValidationFailed({'line': already_recorded(recorded, line.currency)})
    return whole - used


def already_recorded(recorded: Sequence[ByHand], currency: str) -> str:
    """Why a line is not matched again: the payments recorded by hand from it, by day, amount and reference."""
    return _('This line is already recorded by hand ({payments}): link it to that payment, or undo that first').format(
        payments='; '.join(
            _('{amount} on {day}, reference {reference}').format(
                amount=payments.amount_in_words(what.amount, currency),
                day=formatting.day(what.on),
                reference=what.reference,
            )
            for what in recorded
        )
    )


def link_recorded(*, session: Session, actor: User, line_id: int, version: int | None) -> BankLine:
    """Match a line to the money recorded by hand from it (recorded_by_hand: its reference quoted, as much as the
    line in all): nothing is recorded again; a single receipt is linked as link_receipt links it, so undo keeps it."""
    require(actor, 'finance.manage')
    line = locked(session, line_id, version)
    recorded = recorded_by_hand(session, [line]).get(_id(line.id), [])
    used = sum((what.amount for what in recorded), Decimal('0.00'))
    if not recorded or used != abs(line.amount):
        raise ValidationFailed(
            {
                'line': _('The payments recorded by hand from this line add up to {used}; the line is {amount}').format(
                    used=payments.amount_in_words(used, line.currency),
                    amount=payments.amount_in_words(abs(line.amount), line.currency),
                )
            }
        )
    decided(line, actor, LineStatus.matched)
    receipts = [what.id for what in recorded if what.kind == 'receipt']
    if len(recorded) == 1 and receipts:
        line.receipt_id, line.receipt_created = receipts[0], False
    return finish(session, actor, line, 'linked', {'recorded_by_hand': [f'{what.kind} {what.id}' for what in recorded]})


def link_receipt(*, session: Session, actor: User, line_id: int, version: int | None, receipt_id: int) -> BankLine:
    """Match a line to a payment already recorded by hand (same amount, not yet on another line)."""
    require(actor, 'finance.manage')
    line = locked(session, line_id, version)
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(_('This payment received no longer exists.'))
    if receipt.amount != line.amount or receipt.currency != line.currency:
        raise ValidationFailed({'receipt': _("This payment is not of the line's amount")})
    if session.exec(select(BankLine.id).where(BankLine.receipt_id == receipt_id)).first() is not None:
        raise ValidationFailed({'receipt': _('This payment is already matched to another bank line')})
    decided(line, actor, LineStatus.matched)
    line.receipt_id, line.receipt_created = receipt.id, False
    return finish(session, actor, line, 'linked', {'receipt': receipt.id})


def set_aside(
    *, session: Session, actor: User, line_id: int, version: int | None, category: str, note: str = ''
) -> BankLine:
    """Mark a line as not a customer payment (bank fees, a supplier paid…), with a category and a note."""
    require(actor, 'finance.manage')
    if category not in CATEGORIES:
        raise ValidationFailed({'category': _('Choose a category')})
    note = typed_note(note)
    line = locked(session, line_id, version)
    decided(line, actor, LineStatus.ignored)
    line.category, line.note = category, note
    return finish(session, actor, line, 'set_aside', {'category': category, 'note': line.note})


def annotate(*, session: Session, actor: User, line_id: int, version: int | None, note: str) -> BankLine:
    """A note on a line still to reconcile ("to check": who paid this?), kept when it is matched later."""
    require(actor, 'finance.manage')
    note = typed_note(note)
    line = locked(session, line_id, version, unmatched_only=False)
    line.note = note
    line.version += 1
    return finish(session, actor, line, 'noted', {'note': line.note})


def typed_note(note: str | None) -> str:
    """A line's note as typed, on one line: longer than a line keeps is refused at its field, never cut unseen."""
    try:
        return typed_line(note, maximum=NOTE_MAX)
    except ValueError as error:
        raise ValidationFailed({'note': str(error)}) from None


class PaidPart(NamedTuple):
    """What a matched line paid: an invoice, an order awaiting payment or a supplier bill, by number, and how much."""

    kind: str  # 'invoice', 'order' or 'bill'
    number: str
    amount: Decimal


def paid_by(*, session: Session, actor: User, lines: Sequence[BankLine]) -> dict[int, list[PaidPart]]:
    """For each matched line of `lines` (by id), what its match paid, so a person sees it before undoing it: the
    invoices of its receipt, the orders its parts paid, the bills it paid. Three queries for the whole page."""
    require(actor, 'finance.read')
    matched = [line for line in lines if line.id is not None and line.status == LineStatus.matched]
    found: dict[int, list[PaidPart]] = defaultdict(list)
    if not matched:
        return found
    line_of_receipt = {line.receipt_id: line.id for line in matched if line.receipt_id is not None}
    in_receipts: set[int] = set()
    if line_of_receipt:
        for receipt_id, payment_id, number, amount in session.execute(
            select_columns(
                col(ReceiptAllocation.receipt_id),
                col(ReceiptAllocation.payment_id),
                col(Invoice.number),
                col(ReceiptAllocation.amount),
            )
            .join(Invoice, col(Invoice.id) == col(ReceiptAllocation.invoice_id))
            .where(col(ReceiptAllocation.receipt_id).in_(list(line_of_receipt)))
            .order_by(col(ReceiptAllocation.id))
        ).all():
            in_receipts.add(payment_id)
            found[_id(line_of_receipt[receipt_id])].append(PaidPart('invoice', number, amount))
    ids = [_id(line.id) for line in matched]
    for line_id, payment_id, number, amount in session.execute(
        select_columns(col(Payment.bank_line_id), col(Payment.id), col(Order.number), col(Payment.amount))
        .join(Order, col(Order.id) == col(Payment.order_id))
        .where(col(Payment.bank_line_id).in_(ids))
        .order_by(col(Payment.id))
    ).all():
        if payment_id not in in_receipts:  # an order paid in full is also its invoice's part of the receipt
            found[_id(line_id)].append(PaidPart('order', number, amount))
    for line_id, number, amount in session.execute(
        select_columns(col(BillPayment.bank_line_id), col(SupplierBill.number), col(BillPayment.amount))
        .join(SupplierBill, col(SupplierBill.id) == col(BillPayment.bill_id))
        .where(col(BillPayment.bank_line_id).in_(ids))
        .order_by(col(BillPayment.id))
    ).all():
        found[_id(line_id)].append(PaidPart('bill', number, amount))
    return found


def may_match(line: BankLine) -> bool:
    """Whether the line still waits to be reconciled (matched, linked or set aside); otherwise it may be undone."""
    return line.status == LineStatus.unmatched


def is_set_aside(line: BankLine) -> bool:
    """Whether the line was marked as money that is not a customer's payment (its category says what it is)."""
    return line.status == LineStatus.ignored


def undo(*, session: Session, actor: User, line_id: int, version: int | None) -> BankLine:
    """Back to unmatched: a receipt the match recorded is reversed (receivables.undo_receipt), a receipt only linked
    stays as it was; a line set aside loses its category."""
    require(actor, 'finance.manage')
    line = locked(session, line_id, version, unmatched_only=False)
    if line.status == LineStatus.unmatched:
        raise ValidationFailed({'line': _('This line is not matched: there is nothing to undo')})
    was = {'status': line.status.value, 'receipt': line.receipt_id, 'category': line.category}
    if line.rule_id is not None:
        was['rule'] = line.rule_id
    if line.write_off:
        was['write_off'] = str(line.write_off)
    for bill_id in bills.undo_payments_of_line(session=session, actor=actor, line_id=line_id):
        events.after_commit(session, Topic.supplier_bills, {'id': bill_id, 'action': 'payment_undone'})
    with db.held_commits(session):
        _take_back_parts(session, actor, line)
    if line.status == LineStatus.matched and line.receipt_id is not None and line.receipt_created:
        with db.held_commits(session):
            receivables.undo_receipt(
                session=session, actor=actor, receipt_id=line.receipt_id, reason=f'bank line {line.id} unmatched'
            )
    line.status, line.receipt_id, line.receipt_created, line.category = LineStatus.unmatched, None, False, ''
    line.rule_id = None
    line.write_off = Decimal('0.00')
    line.decided_by, line.decided_at = actor.id, utcnow()
    line.version += 1
    return finish(session, actor, line, 'undone', was)


def _take_back_parts(session: Session, actor: User, line: BankLine) -> None:
    """The parts of orders not invoiced that the line paid (confirm) come off their orders' payments, as a receipt's
    parts do (payments.take_back: refused once refunded)."""
    for payment in session.exec(select(Payment).where(Payment.bank_line_id == line.id).order_by(col(Payment.id))).all():
        order = orders.locked(session, payment.order_id, None)
        payments.take_back(
            session=session,
            actor=actor,
            order=order,
            payment=payment,
            amount=payment.amount,
            said=sentence(
                N_('Payment of {amount} ({reference}) undone: bank line unmatched'),
                amount=stored_text.money(payment.amount, order.currency),
                reference=payment.reference,
            ),
            field='line',
        )


def locked(session: Session, line_id: int, version: int | None, *, unmatched_only: bool = True) -> BankLine:
    """The line, locked for this transaction; refused when someone matched it (or changed it) meanwhile."""
    line = session.get(BankLine, line_id, with_for_update=session.get_bind().dialect.name != 'sqlite')
    if line is None:
        raise NotFound(_('This bank line no longer exists.'))
    session.refresh(line)
    if unmatched_only and line.status != LineStatus.unmatched:
        raise ValidationFailed(
            {'line': _('This line is already {status}: undo that first').format(status=_(STATUS_WORDS[line.status]))}
        )
    if version is not None and line.version != version:
        raise StaleRecord(N_('bank line'), None, line.decided_at or utcnow(), line.version)
    return line


STATUS_WORDS = {
    LineStatus.unmatched: N_('unmatched'),
    LineStatus.matched: N_('matched'),
    LineStatus.ignored: N_('set aside'),
}


def decided(line: BankLine, actor: User, status: LineStatus) -> None:
    line.status, line.decided_by, line.decided_at = status, actor.id, utcnow()
    line.version += 1


# what the audit log says of a bank line's decision, in the reader's language (stored as a msgid and its values)
FINISHED = {
    'matched': N_('Bank line of {day} ({amount}, {label}) matched'),
    'linked': N_('Bank line of {day} ({amount}, {label}) linked'),
    'set_aside': N_('Bank line of {day} ({amount}, {label}) set aside'),
    'noted': N_('Bank line of {day} ({amount}, {label}) noted'),
    'undone': N_('Bank line of {day} ({amount}, {label}) undone'),
}


def finish(session: Session, actor: User, line: BankLine, action: str, details: dict[str, Any]) -> BankLine:
    session.add(line)
    audit.record(
        session,
        actor,
        f'bank_line.{action}',
        'bank_lines',
        line.id,
        version=line.version,
        changes=details,
        summary=sentence(
            FINISHED[action],
            day=stored_text.day(line.booked_on),
            amount=stored_text.amount(line.amount, line.currency),
            label=line.label[:80],
        ),
    )
    events.after_commit(session, Topic.bank, {'action': action, 'line_id': line.id})
    session.commit()
    return line


@lru_cache(maxsize=65_536)  # customers have many invoices: each name is read once per matching run
def name_words(text: str) -> frozenset[str]:
    return frozenset(w for w in TOKEN.findall(fold(text)) if len(w) >= 3 and not w.isdigit() and w not in COMMON_WORDS)


def fold(text: str) -> str:
    return unicodedata.normalize('NFKD', text or '').encode('ascii', 'ignore').decode().upper()


def open_invoice(*, session: Session, actor: User, number: str) -> dict[str, Any]:
    """An invoice with an amount open, found by its number, to add to a line's split; or by its order's number, which
    is what customers write on a transfer ("COMMANDE 102989"), when that order has one invoice still open."""
    require(actor, 'finance.read')
    wanted = ' '.join((number or '').split()).upper()
    invoice = session.exec(select(Invoice).where(Invoice.number == wanted, Invoice.kind == InvoiceKind.invoice)).first()
    if invoice is None and wanted:
        of_order = session.exec(
            select(Invoice)
            .where(Invoice.order_number == wanted, Invoice.kind == InvoiceKind.invoice)
            .order_by(col(Invoice.id))
        ).all()
        still_open = [found for found in of_order if receivables.amount_open(session, found) > 0]
        invoice = still_open[0] if len(still_open) == 1 else (of_order[-1] if of_order and not still_open else None)
    if invoice is None and wanted:  # an order awaiting payment, not invoiced yet: the transfer pays the order
        order = session.exec(select(Order).where(Order.number == wanted)).first()
        if order is not None and awaits_payment(session, order):
            due = order.total - order.paid_total
            return {'order_id': order.id, 'number': order.number, 'open': str(due), 'currency': order.currency}
    if invoice is None:
        raise ValidationFailed({'number': _('No invoice has the number {number}').format(number=wanted or '—')})
    left = receivables.amount_open(session, invoice)
    if left <= 0:
        raise ValidationFailed({'number': _('Invoice {number} is paid in full').format(number=invoice.number)})
    return {'invoice_id': invoice.id, 'number': invoice.number, 'open': str(left), 'currency': invoice.currency}
