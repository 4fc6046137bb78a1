"""Demo and benchmark activity for the KPIs: orders, refunds and usage events spread over the last days, written with
plain bulk inserts (a million orders and five million events in minutes, not hours). Needs customers first. The
events read like a shop's: several page views per visit, a sign-up for each customer who signed up in the span (and
some abandoned ones), and as many visits lately as orders (both grow over the span the same way). Every order the
Orders card counts in the span has its visit ending in an `order_placed` event at the order's own time, and no other
visit places an order: the funnel's "Orders placed" is the Orders card, never more."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, insert, inspect, select, text, update
from sqlmodel import Session

from backoffice.kpi import sources as src
from backoffice.listing.search import search_index_suspended
from backoffice.models import Customer, EventType, UsageEvent

CHUNK = 20_000
STATUSES = ('paid', 'packed', 'shipped', 'delivered', 'delivered', 'delivered', 'pending', 'cancelled')
# a visit's path through the shop after its page views: each step happens with this chance after the previous one
FUNNEL = (
    (EventType.product_viewed, 0.6),
    (EventType.cart_add, 0.4),
    (EventType.checkout_started, 0.6),
)  # a visit goes no further than checkout: the visits that place an order are the seeded orders' own
ORDER_PATH = (  # how long before its order each step of an ordering visit happened
    (EventType.visit, timedelta(minutes=12)),
    (EventType.page_view, timedelta(minutes=12)),
    (EventType.product_viewed, timedelta(minutes=9)),
    (EventType.cart_add, timedelta(minutes=6)),
    (EventType.checkout_started, timedelta(minutes=3)),
    (EventType.order_placed, timedelta(0)),
)
MORE_PAGES = 0.6  # after each page view, the chance of one more (2.5 pages a visit on average)
ABANDONED_SIGNUPS = 0.4  # sign-ups started and not completed, per completed one


@dataclass(frozen=True)
class SeededActivity:
    orders: int
    events: int


def seed_activity(
    *, session: Session, orders: int, events: int, days: int = 90, seed: int = 1, now: datetime | None = None
) -> SeededActivity:
    """Add `orders` orders (with a refund on one in 40) and about `events` usage events over the last `days` days,
    growing towards today, for the existing customers (with the sign-ups of those who joined in that span)."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    customers = session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
    if customers[0] is None:
        raise ValueError('seed customers first')
    low, high = customers
    emails = dict(session.execute(select(Customer.id, Customer.email).where(Customer.id <= low + 999)).all())
    if inspect(session.connection()).has_table('orders'):
        _orders(session, rng, orders, days, now, low, high, emails)
    _signups(session, rng, days, now)
    _events(session, rng, events, days, now, low, high)
    _seen_at_their_last_event(session)
    session.commit()
    return SeededActivity(orders=orders, events=events)


def _seen_at_their_last_event(session: Session) -> None:
    """Each customer with events was last seen at their last one, as the events API moves "last seen" in a real shop:
    the people seed's own dates said "last seen 2 days ago" beside a last event two months old, "never" beside last
    week's visits, and the Inactive for 30 days segment (by last seen) held 150 of the demo's customers while Active
    users (by events) counted 355 of them (banned ones too: they came until they were banned)."""
    c, e = Customer.__table__.c, UsageEvent.__table__.c
    last_event = select(func.max(e.ts)).where(e.customer_id == c.id).scalar_subquery()
    with_events = exists().where(e.customer_id == c.id)
    session.execute(update(Customer.__table__).where(with_events).values(last_seen_at=last_event))


def _when(rng: random.Random, days: int, now: datetime) -> datetime:
    # more activity lately (a growing shop: the density grows linearly over the span, as the seeded orders' does),
    # never in the future
    return now - timedelta(seconds=int(days * 86400 * (1 - rng.random() ** 0.5)) + 60)


def _orders(
    session: Session,
    rng: random.Random,
    count: int,
    days: int,
    now: datetime,
    low: int,
    high: int,
    emails: dict[int, str],
) -> None:
    from backoffice.models import Order
    from backoffice.models.sales import Refund

    start = session.execute(select(func.max(Order.id))).scalar_one() or 0
    first_number = 500_000 + start
    table = Order.__table__
    refunds = []
    with search_index_suspended(session, 'orders'):
        for chunk_start in range(0, count, CHUNK):
            rows = []
            for n in range(chunk_start, min(count, chunk_start + CHUNK)):
                placed = _when(rng, days, now)
                status = rng.choice(STATUSES)
                customer = rng.randint(low, high)
                total = Decimal(rng.randint(900, 25_000)) / 100
                paid = status not in ('pending', 'cancelled')
                rows.append(
                    {
                        'number': str(first_number + n),
                        'customer_id': customer,
                        'email': emails.get(customer, f'customer{customer}@example.com'),
                        'status': status,
                        'source': 'seed',
                        'currency': 'EUR',
                        'subtotal': total,
                        'discount_total': Decimal(0),
                        'tax_total': Decimal(0),
                        'shipping_total': Decimal(0),
                        'total': total,
                        'paid_total': total if paid else Decimal(0),
                        'refunded_total': Decimal(0),
                        'placed_at': placed,
                        'paid_at': placed if paid else None,
                        'cancelled_at': placed if status == 'cancelled' else None,
                        'shipping_name': '',
                        'shipping_address': '',
                        'note': '',
                        'created_at': placed,
                        'updated_at': placed,
                        'version': 1,
                    }
                )
                if paid and rng.random() < 0.025:
                    refunds.append((start + n + 1, total / 2, min(placed + timedelta(days=3), now)))
            session.execute(insert(table), rows)
        for chunk in _chunks(refunds):
            session.execute(
                insert(Refund.__table__),
                [
                    {'order_id': order_id, 'amount': amount, 'reason': 'seed', 'reference': '', 'refunded_at': at}
                    for order_id, amount, at in chunk
                ],
            )
    if session.bind.dialect.name == 'sqlite':
        session.execute(text('ANALYZE orders'))


def _events(session: Session, rng: random.Random, count: int, days: int, now: datetime, low: int, high: int) -> None:
    table = UsageEvent.__table__
    start = session.execute(select(func.max(UsageEvent.id))).scalar_one() or 0
    made = 0
    rows: list[dict] = []
    visit = 0
    for order_number, (customer_id, placed) in enumerate(_counted_orders(session, days, now)):
        placed = placed if placed.tzinfo else placed.replace(tzinfo=UTC)
        anonymous = f'o{seed_tag(start)}-{order_number}'
        for step, (kind, before) in enumerate(ORDER_PATH):
            made += 1
            rows.append(
                {
                    'client_id': f'seed-o{start}-{order_number}-{step}',
                    'type': int(kind),
                    'ts': placed - before,
                    'customer_id': customer_id,
                    'anonymous_id': anonymous,
                    'session_id': anonymous,
                    'props': None,
                }
            )
        if len(rows) >= CHUNK:
            session.execute(insert(table), rows)
            rows = []
    while made < count:
        visit += 1
        at = _when(rng, days, now)
        anonymous = f's{seed_tag(start)}-{visit}'
        customer = _visitor(rng.randint(low, high), at, now) if rng.random() < 0.4 else None
        path = [(EventType.visit, at), (EventType.page_view, at)]
        while rng.random() < MORE_PAGES:
            at = at + timedelta(seconds=rng.randint(5, 120))
            path.append((EventType.page_view, at))
        for kind, chance in FUNNEL:
            if rng.random() > chance:
                break
            at = at + timedelta(seconds=rng.randint(5, 300))
            path.append((kind, at))
        for kind, when in path:
            made += 1
            rows.append(
                {
                    'client_id': f'seed-{start}-{made}',
                    'type': int(kind),
                    'ts': min(when, now),
                    'customer_id': customer,
                    'anonymous_id': anonymous,
                    'session_id': anonymous,
                    'props': None,
                }
            )
        if len(rows) >= CHUNK:
            session.execute(insert(table), rows)
            rows = []
    if rows:
        session.execute(insert(table), rows)
    if session.bind.dialect.name == 'sqlite':
        session.execute(text('ANALYZE usage_events'))


def _counted_orders(session: Session, days: int, now: datetime) -> Iterator[Any]:
    """The customer and time of each order in the span the Orders card counts (placed, not cancelled, a sale)."""
    if not src.has_tables(session, 'orders'):
        return iter(())
    o = src.orders.c
    return iter(
        session.execute(
            select(o.customer_id, o.placed_at)
            .where(
                o.placed_at >= now - timedelta(days=days),
                o.placed_at <= now,
                o.status.in_(src.PLACED),
                o.source.not_in(src.NOT_SALES),
            )
            .order_by(o.id)
        ).all()
    )


def _signups(session: Session, rng: random.Random, days: int, now: datetime) -> None:
    """A visit with a completed sign-up at each customer's sign-up time within the span (so "New sign-ups" counts
    the customers who joined), and some sign-ups started and abandoned by anonymous visitors."""
    since = now - timedelta(days=days)
    joined = session.execute(
        select(Customer.id, Customer.signed_up_at).where(Customer.signed_up_at >= since, Customer.signed_up_at <= now)
    ).all()
    rows, start = [], session.execute(select(func.max(UsageEvent.id))).scalar_one() or 0
    for number, (customer, at) in enumerate(joined):
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        anonymous = f'j{seed_tag(start)}-{number}'
        path = [
            (EventType.visit, at - timedelta(minutes=4), None),
            (EventType.page_view, at - timedelta(minutes=4), None),
            (EventType.signup_started, at - timedelta(minutes=3), None),
            (EventType.signup_completed, at, customer),
        ]
        if rng.random() < ABANDONED_SIGNUPS:
            other = _when(rng, days, now)
            path += [(EventType.visit, other, None), (EventType.signup_started, other + timedelta(seconds=40), None)]
        rows += [
            {
                'client_id': f'seed-j{start}-{number}-{step}',
                'type': int(kind),
                'ts': min(when, now),
                'customer_id': who,
                'anonymous_id': anonymous if step < 4 else f'{anonymous}-a',
                'session_id': anonymous if step < 4 else f'{anonymous}-a',
                'props': None,
            }
            for step, (kind, when, who) in enumerate(path)
        ]
    for chunk in _chunks(rows):
        session.execute(insert(UsageEvent.__table__), chunk)


def _visitor(customer: int, at: datetime, now: datetime) -> int | None:
    """The signed-in customer of a visit, if they come at that time: a customer's own stable dates (from its id) say
    when it started coming (a third of them within the last half year) and when it stopped (a third of them); outside
    them the visit is anonymous. So active users and the at-risk segment move as in a real shop, not "everyone"."""
    mix = (customer * 2_654_435_761) % 4_294_967_296
    started, stopped = mix % 1000, (mix // 1000) % 1000
    if started < 333 and at < now - timedelta(days=180 * started / 333):
        return None
    if stopped < 333 and at > now - timedelta(days=180 * stopped / 333):
        return None
    return customer


def seed_tag(start: int) -> str:
    return format(start, 'x')


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for index in range(0, len(items), size):
        yield items[index : index + size]
