"""Customer cohorts: the customers who signed up in each month of the period, and for each month after that (month 0
is the sign-up month itself) the share of them who placed an order then — drafts and cancelled orders left out;
months still to come are blank, not zero."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session, col

from backoffice import formatting
from backoffice.i18n import N_, _
from backoffice.kpi.days import today
from backoffice.models import Customer, Order, OrderStatus
from backoffice.reports.base import Chart, Column, Params, Table, frame, local_times, span

if TYPE_CHECKING:  # pandas is imported when a report is computed (reports/base.py)
    import pandas as pd

MONTHS = 12  # month 0 to month 12 after signing up
# the curves drawn: the latest 13 cohorts, the report's default period whole (this month and the 12 before it, so
# the oldest cohort has its month 12). Drawing 12 dropped that oldest cohort, the only one with a whole year.
CHARTED = MONTHS + 1


def cohorts(session: Session, params: Params, zone: str, currency: str) -> Table:
    first = params.first.replace(day=1)
    start, end = span(Params(first=first, last=params.last), zone)
    customers = frame(
        session.execute(
            select(col(Customer.id), col(Customer.signed_up_at)).where(
                col(Customer.signed_up_at) >= start,
                col(Customer.signed_up_at) < end,
                col(Customer.deleted_at).is_(None),
            )
        ).all(),
        ['customer', 'signed_up'],
    )
    month_columns = tuple(
        Column(f'm{n}', N_('Month {n}') if n else N_('Sign-up month'), 'percent', n=n, phone=True)
        for n in range(MONTHS + 1)
    )
    # who signed up that month, ordering or not: not the dashboard's "New customers" (a first order), whose number
    # a founder compared it with
    columns = (
        Column('cohort', N_('Cohort'), 'month'),
        Column('customers', N_('Customers signed up'), 'number', phone=True),
    )
    chart = Chart('curves', 'label', tuple(column.key for column in month_columns), unit=N_('Months after signing up'))
    if customers.empty:
        return Table(columns=columns + month_columns, rows=[], chart=chart, currency=currency)
    customers['cohort'] = _month_index(local_times(customers['signed_up'], zone))
    ordered = frame(
        session.execute(
            select(col(Order.customer_id), col(Order.placed_at))
            .join(Customer, col(Customer.id) == col(Order.customer_id))
            .where(
                col(Customer.signed_up_at) >= start,
                col(Customer.signed_up_at) < end,
                col(Order.status).not_in([OrderStatus.draft, OrderStatus.cancelled]),
                col(Order.placed_at) >= start,
            )
        ).all(),
        ['customer', 'placed'],
    )
    ordered['month'] = _month_index(local_times(ordered['placed'], zone)) if not ordered.empty else []
    ordered = ordered.merge(customers[['customer', 'cohort']], on='customer')
    ordered['n'] = ordered['month'] - ordered['cohort']
    active = ordered[(ordered['n'] >= 0) & (ordered['n'] <= MONTHS)].drop_duplicates(['customer', 'n'])
    counts = active.groupby(['cohort', 'n'])['customer'].count()
    sizes = customers.groupby('cohort')['customer'].count()
    now = _index(today(zone))
    rows = []
    for cohort, size in sizes.items():
        month = _from_index(int(cohort))
        row = {'key': month, 'cohort': month, 'label': formatting.month(month), 'customers': int(size)}
        for n in range(MONTHS + 1):
            row[f'm{n}'] = None if cohort + n > now else int(counts.get((cohort, n), 0)) / int(size)
        rows.append(row)
    table = Table(columns=columns + month_columns, rows=rows, chart=chart, currency=currency)
    # the current month is not over: its cells count the orders so far (a week into it, about a quarter of a month's),
    # and every curve drawn to it fell there, read as customers leaving; the table keeps them, said so, the chart
    # stops before it
    charted = [_before_this_month(row, now) for row in rows]
    if any(drawn is not row for drawn, row in zip(charted, rows, strict=True)):
        table.notes.append(
            _(
                "{month} is not over: each cohort's figure for it (the last of its row) counts the orders placed so "
                'far, and the chart stops before it.'
            ).format(month=formatting.month(_from_index(now)))
        )
    # a longer period: the table lists every cohort, the chart (its legend) the latest
    table.chart_rows = charted[-CHARTED:]
    return table


def _before_this_month(row: dict, now: int) -> dict:
    """A cohort's row as the chart draws it: without its cell for the current month, which is not over."""
    n = now - _index(row['cohort'])
    return {**row, f'm{n}': None} if 0 <= n <= MONTHS else row


def _month_index(local: pd.Series) -> pd.Series:
    return local.dt.year * 12 + local.dt.month - 1


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)
