"""The tables KPIs read, as lightweight SQL constructs: orders, refunds and stock belong to the orders module and
may be absent (a KPI over a missing table has no value), so nothing here imports their models."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    Numeric,
    Select,
    String,
    and_,
    column,
    exists,
    inspect,
    select,
    table,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from backoffice.models import Customer, Ticket, UsageEvent
from backoffice.models.base import UTCTimestamp

events = UsageEvent.__table__
tickets = Ticket.__table__
customers = Customer.__table__

orders = table(
    'orders',
    column('id', Integer),
    column('number', String),
    column('customer_id', Integer),
    column('status', String),
    column('source', String),
    column('currency', String),
    column('total', Numeric(12, 2)),
    column('placed_at', UTCTimestamp()),
    column('paid_at', UTCTimestamp()),
    column('cancelled_at', UTCTimestamp()),
    column('updated_at', UTCTimestamp()),
)
refunds = table(
    'refunds',
    column('id', Integer),
    column('order_id', Integer),
    column('amount', Numeric(12, 2)),
    column('refunded_at', UTCTimestamp()),
)
order_events = table('order_events', column('id', Integer), column('order_id', Integer))
stock_levels = table(
    'stock_levels',
    column('product_id', Integer),
    column('sku', String),
    column('on_hand', Integer),
    column('reserved', Integer),
    column('min_qty', Integer),
    column('max_qty', Integer),
    column('low_stock', Boolean),  # kept by services/stock.py with the quantities: what every list and alert reads
)
products = table(
    'products',
    column('id', Integer),
    column('name', String),
    column('stocked', Boolean),
    column('deleted_at', UTCTimestamp()),
)

HOUR_IN_MICROSECONDS = 3_600_000_000

PLACED = ('pending', 'paid', 'packed', 'shipped', 'delivered')  # an order the customer completed (not a draft)
PAID = ('paid', 'packed', 'shipped', 'delivered')  # money received
# not a sale: a return ended in an exchange sends the goods again in an order of its own, paid at 0
NOT_SALES = ('exchange',)
SALE_SOURCES = ('api', 'staff', 'seed')  # every other source (OrderSource), as the orders list's Source filter says


def first_buyers(start: datetime | None, end: datetime | None) -> Select:
    """The customers whose first order (not a draft, not cancelled) was placed in [start, end) (None: unbounded), as
    the New customers KPI counts them and the customers list's "First order" filter lists them: the span's buyers less
    those with an earlier order, one probe each of the (customer_id, placed_at, id, status) index."""
    o, earlier = orders.c, orders.alias('earlier')
    span = [o.status.in_(PLACED), o.source.not_in(NOT_SALES)]
    if start is not None:
        span.append(o.placed_at >= start)
    if end is not None:
        span.append(o.placed_at < end)
    buyers = select(o.customer_id.label('customer_id')).where(*span).distinct().subquery()
    statement = select(buyers.c.customer_id).where(buyers.c.customer_id.is_not(None))
    if start is None:
        return statement
    before = exists().where(
        earlier.c.customer_id == buyers.c.customer_id, earlier.c.placed_at < start, earlier.c.status.in_(PLACED)
    )
    return statement.where(~before)


def ratings_given(start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    """The ratings CSAT counts, given in [start, end) (None: unbounded): as the card counts them, the rows behind it
    show them and the requests list's Rated filter lists them (the card's list). A request merged into another is that
    conversation, rated there (`tickets.may_rate`), never here: its rating, given before the merge, counts nowhere (the
    list showed it under a card that left it out)."""
    t = tickets.c
    given = [t.rating.is_not(None), t.rated_at.is_not(None), t.merged_into_id.is_(None)]
    if start is not None:
        given.append(t.rated_at >= start)
    if end is not None:
        given.append(t.rated_at < end)
    return and_(*given)


def low_in_stock() -> tuple[Any, list[ColumnElement[bool]]]:
    """The stock rows low in stock, as the inventory list's Low stock filter, the alert, the reorder list and the digest
    say it (the Low-stock KPI and the rows behind it): the stored flag (at or below the minimum, or fewer on the shelf
    than reserved whatever the minimum), of a product still stocked and not in the trash. The tables and conditions."""
    s, p = stock_levels.c, products.c
    return stock_levels.join(products, p.id == s.product_id), [
        s.low_stock.is_(True),
        p.stocked.is_(True),
        p.deleted_at.is_(None),
    ]


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
    if session.bind.dialect.name == 'sqlite':  # stored as microseconds since the epoch (UTCTimestamp)
        return type_coerce(type_coerce(instant, Integer) + hours * HOUR_IN_MICROSECONDS, UTCTimestamp())
    return instant + timedelta(hours=hours)
