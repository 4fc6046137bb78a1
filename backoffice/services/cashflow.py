"""Cash flow for the finance dashboard: each bank account's position (its latest statement's closing balance), money in
and out per week from the bank lines (the past weeks, actual) and what is expected per week from here (the forecast:
a list of sources, each one function, so payables or any other source is one more entry), with the overdue
receivables and the DSO (read from services/receivables.py, never recomputed here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from backoffice.i18n import N_
from backoffice.kpi.days import today as shop_today
from backoffice.models import (
    BankAccount,
    BankLine,
    BankStatement,
    BillStatus,
    LineStatus,
    Purchase,
    PurchaseStatus,
    SupplierBill,
    User,
)
from backoffice.permissions import require
from backoffice.services import app_settings, payables, receivables

ZERO = Decimal('0.00')
PAST_WEEKS = 12  # actual, the current week (so far) last
NEXT_WEEKS = 8  # forecast, the current week (from today on) first
INTERNAL = 'transfer'  # a line set aside as a transfer between own accounts is neither money in nor out


@dataclass(frozen=True)
class AccountPosition:
    account_id: int
    name: str
    currency: str
    balance: Decimal | None  # None: no statement with a closing balance imported yet
    on: date | None  # the day of that balance (the statement's last day)
    has_statement: bool = False  # a statement was imported, with or without a balance (a bank's CSV often has none)


@dataclass
class Week:
    monday: date
    money_in: Decimal = ZERO
    money_out: Decimal = ZERO  # positive: what left the accounts

    @property
    def net(self) -> Decimal:
        return self.money_in - self.money_out


@dataclass(frozen=True)
class Expected:
    """Money expected on a day: positive comes in, negative goes out."""

    day: date
    amount: Decimal
    source: str  # the key of the ForecastSource that expects it


@dataclass(frozen=True)
class ForecastSource:
    key: str
    label: str  # N_: what the chart's legend says
    read: Callable[[Session, date, date], list[Expected]]  # (session, today, last day of the forecast)


@dataclass
class ForecastWeek:
    monday: date
    by_source: dict[str, Decimal] = field(default_factory=dict)

    @property
    def money_in(self) -> Decimal:
        return sum((v for v in self.by_source.values() if v > 0), ZERO)

    @property
    def money_out(self) -> Decimal:
        return -sum((v for v in self.by_source.values() if v < 0), ZERO)


@dataclass
class Overview:
    today: date
    currency: str
    accounts: list[AccountPosition]
    cash_total: Decimal  # the accounts in the shop's currency that have a statement
    past: list[Week]
    forecast: list[ForecastWeek]
    sources: list[ForecastSource]
    overdue_amount: Decimal
    overdue_count: int
    open_amount: Decimal
    dso: Decimal | None
    other_currency_accounts: int  # accounts in another currency: listed, not added up


def overview(*, session: Session, actor: User, today: date | None = None) -> Overview:
    """Everything /finance shows, in the shop's currency, for the weeks around `today` (the shop's today)."""
    require(actor, 'finance.read')
    today = today or shop_today(app_settings.time_zone())
    currency = _currency(session)
    accounts = positions(session)
    mine = [a for a in accounts if a.currency == currency]
    report = receivables.report(session=session, actor=actor, today=today)
    session.info[OPEN_ITEMS] = (today, report.items)  # the forecast's receivables sources read these, not again
    overdue = [item for item in report.items if item.days_overdue > 0 and item.currency == currency]
    return Overview(
        today=today,
        currency=currency,
        accounts=accounts,
        cash_total=sum((a.balance for a in mine if a.balance is not None), ZERO),
        past=actual_weeks(session, today=today, currency=currency),
        forecast=forecast_weeks(session, today=today),
        sources=list(SOURCES),
        overdue_amount=sum((item.open for item in overdue), ZERO),
        overdue_count=len(overdue),
        open_amount=report.totals.total,
        dso=report.dso,
        other_currency_accounts=len(accounts) - len(mine),
    )


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def positions(session: Session) -> list[AccountPosition]:
    """Each account with the closing balance of its statement that ends last (an older statement imported later does
    not move it back), read in one query."""
    ranked = (
        select_columns(
            col(BankStatement.account_id),
            col(BankStatement.closing_balance),
            col(BankStatement.ends_on),
            func.row_number()
            .over(
                partition_by=col(BankStatement.account_id),
                order_by=(col(BankStatement.ends_on).desc(), col(BankStatement.id).desc()),
            )
            .label('rank'),
        )
        .where(col(BankStatement.closing_balance).is_not(None))
        .subquery()
    )
    latest = {
        account_id: (balance, ends_on)
        for account_id, balance, ends_on, _rank in session.execute(select_columns(ranked).where(ranked.c.rank == 1))
    }
    with_statements = set(session.exec(select(BankStatement.account_id).distinct()))
    out = []
    for account in session.exec(select(BankAccount).order_by(col(BankAccount.name))):
        assert account.id is not None
        balance, on = latest.get(account.id, (None, None))
        out.append(
            AccountPosition(
                account_id=account.id,
                name=account.name,
                currency=account.currency,
                balance=None if balance is None else Decimal(balance).quantize(Decimal('0.01')),
                on=on,
                has_statement=account.id in with_statements,
            )
        )
    return out


def actual_weeks(session: Session, *, today: date, currency: str) -> list[Week]:
    """Money in and out per week (Monday to Sunday) over the last PAST_WEEKS weeks, the current one so far, from the
    bank lines of the accounts in the shop's currency; transfers between own accounts are left out."""
    first = monday_of(today) - timedelta(weeks=PAST_WEEKS - 1)
    weeks = {first + timedelta(weeks=n): Week(first + timedelta(weeks=n)) for n in range(PAST_WEEKS)}
    amount = col(BankLine.amount)
    query = (
        select_columns(
            col(BankLine.booked_on),
            func.sum(case((amount > 0, amount), else_=0)),
            func.sum(case((amount < 0, -amount), else_=0)),
        )
        .join(BankAccount, col(BankAccount.id) == BankLine.account_id)
        .where(
            col(BankLine.booked_on) >= first,
            col(BankLine.booked_on) <= today,
            col(BankAccount.currency) == currency,
            ~((col(BankLine.status) == LineStatus.ignored) & (col(BankLine.category) == INTERNAL)),
        )
        .group_by(col(BankLine.booked_on))
    )
    for booked_on, money_in, money_out in session.execute(query):
        week = weeks[monday_of(_day(booked_on))]
        week.money_in += _cents(money_in)
        week.money_out += _cents(money_out)
    return list(weeks.values())


def forecast_weeks(session: Session, *, today: date) -> list[ForecastWeek]:
    """What each source expects per week, from the current week (today on) for NEXT_WEEKS weeks."""
    first = monday_of(today)
    last = first + timedelta(weeks=NEXT_WEEKS) - timedelta(days=1)
    weeks = {first + timedelta(weeks=n): ForecastWeek(first + timedelta(weeks=n)) for n in range(NEXT_WEEKS)}
    for source in SOURCES:
        for expected in source.read(session, today, last):
            if expected.day > last:
                continue
            week = weeks[monday_of(max(expected.day, today))]
            week.by_source[source.key] = week.by_source.get(source.key, ZERO) + expected.amount
    return list(weeks.values())


# --- the forecast's sources: one function each, listed in SOURCES -------------------------------------------------


def receivables_due(session: Session, today: date, last: date) -> list[Expected]:
    """Invoices not yet due, by their due date, for what is still open on them."""
    currency = _currency(session)
    return [
        Expected(item.due_on, item.open, 'receivables')
        for item in open_items(session, today)
        if today <= item.due_on <= last and item.currency == currency
    ]


def receivables_overdue(session: Session, today: date, last: date) -> list[Expected]:
    """Invoices past their due date: expected this week (a hope more than a date: they are shown apart)."""
    currency = _currency(session)
    return [
        Expected(today, item.open, 'overdue')
        for item in open_items(session, today)
        if item.due_on < today and item.currency == currency
    ]


def purchases_awaiting_receipt(session: Session, today: date, last: date) -> list[Expected]:
    """Purchase orders ordered and not (fully) received, with a known total: money expected out, less what their
    approved bills (for the part received) count among the bills or have paid. A purchase order has no due
    date, so each counts in the current week (shown apart, and said so in its label)."""
    awaiting = (
        col(Purchase.status).in_((PurchaseStatus.ordered, PurchaseStatus.partly_received)),
        col(Purchase.total).is_not(None),
    )
    total = session.execute(
        select_columns(func.coalesce(func.sum(col(Purchase.total)), 0)).where(*awaiting)
    ).scalar_one()
    billed = session.execute(
        select_columns(func.coalesce(func.sum(col(SupplierBill.net_total)), 0))
        .join(Purchase, col(Purchase.id) == col(SupplierBill.purchase_id))
        .where(*awaiting, col(SupplierBill.status).in_((BillStatus.approved, BillStatus.partly_paid, BillStatus.paid)))
    ).scalar_one()
    amount = max(_cents(total) - _cents(billed), Decimal('0.00'))
    return [Expected(today, -amount, 'purchases')] if amount else []


def bills_due(session: Session, today: date, last: date) -> list[Expected]:
    """Approved supplier bills not yet due, by their due date, for what is still open on them: money expected out."""
    currency = _currency(session)
    return [
        Expected(bill.due_on, -bill.open, 'bills')
        for bill in open_bills(session, today)
        if today <= bill.due_on <= last and bill.currency == currency
    ]


def bills_overdue(session: Session, today: date, last: date) -> list[Expected]:
    """Approved supplier bills past their due date: to pay this week."""
    currency = _currency(session)
    return [
        Expected(today, -bill.open, 'overdue-bills')
        for bill in open_bills(session, today)
        if bill.due_on < today and bill.currency == currency
    ]


def open_items(session: Session, today: date) -> list[receivables.OpenItem]:
    """The open invoices as of `today`, read once per session (the overview has read them for its cards already)."""
    cached = session.info.get(OPEN_ITEMS)
    if cached is None or cached[0] != today:
        cached = session.info[OPEN_ITEMS] = (today, receivables.open_items(session, today=today))
    return cached[1]


def open_bills(session: Session, today: date) -> list[payables.OpenBill]:
    """The approved supplier bills open as of `today`, read once per session (both bill sources need them)."""
    cached = session.info.get(OPEN_BILLS)
    if cached is None or cached[0] != today:
        cached = session.info[OPEN_BILLS] = (today, payables.open_bills(session, today=today))
    return cached[1]


OPEN_ITEMS = 'cashflow.open_items'
OPEN_BILLS = 'cashflow.open_bills'
CURRENCY = 'cashflow.currency'
SOURCES: list[ForecastSource] = [
    ForecastSource('receivables', N_('Invoices falling due'), receivables_due),
    ForecastSource('overdue', N_('Overdue invoices (counted this week)'), receivables_overdue),
    ForecastSource('bills', N_('Supplier bills falling due'), bills_due),
    ForecastSource('overdue-bills', N_('Overdue supplier bills (counted this week)'), bills_overdue),
    ForecastSource(
        'purchases', N_('Purchase orders awaiting receipt (no due date: counted this week)'), purchases_awaiting_receipt
    ),
]


def _currency(session: Session) -> str:
    """The shop's currency, read once per session: the overview and each forecast source compare with it."""
    if CURRENCY not in session.info:
        session.info[CURRENCY] = app_settings.value(session=session, key='currency') or 'EUR'
    return session.info[CURRENCY]


def _cents(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal('0.01'))


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
