"""The tables KPIs read, as lightweight SQL constructs: orders, refunds and stock belong to the orders module and
may be absent (a KPI over a missing table has no value), so nothing here imports their models."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Integer, Numeric, String, column, func, inspect, table
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from backoffice.models import Customer, Ticket, UsageEvent

events = UsageEvent.__table__
tickets = Ticket.__table__
customers = Customer.__table__

orders = table(
    'orders',
    column('id', Integer),
    column('number', String),
    column('customer_id', Integer),
    column('status', String),
    column('currency', String),
    column('total', Numeric(12, 2)),
    column('placed_at', UTCDateTime()),
    column('paid_at', UTCDateTime()),
    column('cancelled_at', UTCDateTime()),
    column('updated_at', UTCDateTime()),
)
refunds = table(
    'refunds',
    column('id', Integer),
    column('order_id', Integer),
    column('amount', Numeric(12, 2)),
    column('refunded_at', UTCDateTime()),
)
order_events = table('order_events', column('id', Integer), column('order_id', Integer))
stock_levels = table(
    'stock_levels',
    column('product_id', Integer),
    column('on_hand', Integer),
    column('reserved', Integer),
    column('min_qty', Integer),
    column('max_qty', Integer),
)

PLACED = ('pending', 'paid', 'packed', 'shipped', 'delivered')  # an order the customer completed (not a draft)
PAID = ('paid', 'packed', 'shipped', 'delivered')  # money received


def has_tables(session: Session, *names: str) -> bool:
    """Whether the database has these tables (cached on the connection for one refresh)."""
    connection = session.connection()
    known = connection.info.setdefault('kpi_tables', {})
    for name in names:
        if name not in known:
            known[name] = inspect(connection).has_table(name)
    return all(known[name] for name in names)


def plus_hours(session: Session, instant: ColumnElement, hours: int) -> ColumnElement:
    """`instant + hours` in SQL, comparable with stored datetimes on both databases."""
    if session.bind.dialect.name == 'sqlite':  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
        return func.strftime('%Y-%m-%d %H:%M:%f000', instant, f'+{hours} hours')
    return instant + timedelta(hours=hours)
