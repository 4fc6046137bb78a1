"""The demo's activity reads like a shop's on the dashboard: more page views than visits, a sign-up for each customer
who joined, visits growing over the year as the orders do, and no order placed by someone not yet signed up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from backoffice.__main__ import main
from backoffice.db import read_session, session_scope
from backoffice.kpi.sources import NOT_SALES, PLACED
from backoffice.models import Customer, EventType, Order, UsageEvent
from backoffice.seed.kpi import seed_activity
from backoffice.seed.people import seed_customers
from backoffice.services import segments

from .support.factories import make_user


def count(kind: EventType, since: datetime | None = None, until: datetime | None = None) -> int:
    statement = select(func.count()).select_from(UsageEvent).where(UsageEvent.type == int(kind))
    if since is not None:
        statement = statement.where(UsageEvent.ts >= since, UsageEvent.ts < until)
    with read_session() as session:
        return session.exec(statement).one()


def test_the_demo_activity_is_plausible() -> None:
    now = datetime.now(UTC)
    with session_scope() as session:
        seed_customers(session=session, customers=150, companies=0, seed=3)
        seed_activity(session=session, orders=0, events=12_000, days=365, seed=3, now=now)

    visits, page_views = count(EventType.visit), count(EventType.page_view)
    assert page_views > 2 * visits > 0  # several pages a visit
    with read_session() as session:
        joined = session.exec(select(Customer.id).where(Customer.signed_up_at >= now - timedelta(days=365))).all()
        signed_up = session.exec(
            select(UsageEvent.customer_id).where(UsageEvent.type == int(EventType.signup_completed))
        ).all()
    assert sorted(signed_up) == sorted(joined) and joined  # "New sign-ups" counts the customers who joined
    assert count(EventType.signup_started) > len(joined)  # and some sign-ups were abandoned
    year_start = now - timedelta(days=365)
    first, last = (
        count(EventType.visit, year_start, year_start + timedelta(days=90)),
        count(EventType.visit, now - timedelta(days=90), now),
    )
    assert last > 2 * first  # a growing shop, as its orders grow
    assert count(EventType.order_placed) < visits / 5  # a plausible conversion, not every other visit


def test_a_demo_customer_was_last_seen_at_their_last_event() -> None:
    """The demo's "last seen" and its events disagreed: a customer's page said "last seen 2 days ago" above a last
    event two months old, and the Inactive for 30 days segment (last seen) plus Active users (events) counted more
    customers than the shop had. Seen at their last event, each customer is in exactly one of the two."""
    now = datetime.now(UTC)
    with session_scope() as session:
        seed_customers(session=session, customers=120, companies=0, seed=5)
        seed_activity(session=session, orders=0, events=6_000, days=365, seed=5, now=now)
    month = now - timedelta(days=30)
    admin = make_user('admin')
    with read_session() as session:
        last_events = dict(
            session.exec(
                select(UsageEvent.customer_id, func.max(UsageEvent.ts))
                .where(col(UsageEvent.customer_id).is_not(None))
                .group_by(col(UsageEvent.customer_id))
            ).all()
        )
        customers = session.exec(select(Customer)).all()
        inactive = {row['id'] for row in segments.members(session=session, actor=admin, which='inactive', limit=10_000)}
    assert last_events
    for customer in customers:
        if customer.id in last_events:
            assert customer.last_seen_at == last_events[customer.id], customer.email
    active = {who for who, last in last_events.items() if last >= month}
    assert not inactive & active  # no customer both inactive for 30 days and active in them


def test_seeded_orders_come_from_customers_already_signed_up() -> None:
    assert main(['seed', '--orders', '300', '--seed', '6']) == 0
    with read_session() as session:
        rows = session.exec(select(Order.placed_at, Customer.signed_up_at).join(Customer)).all()
    assert len(rows) == 300
    assert all(placed >= signed_up for placed, signed_up in rows)


def test_the_funnel_places_exactly_the_orders_the_orders_card_counts() -> None:
    """Each seeded order the Orders card counts was placed by a visit ending in its `order_placed` event at the
    order's time; no other visit places an order, so the funnel never shows more orders than the card, and each step
    of the funnel is at most the one before it."""
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    with session_scope() as session:
        seed_customers(session=session, customers=120, companies=0, seed=4)
        seed_activity(session=session, orders=250, events=4_000, days=30, seed=4, now=now)
    with read_session() as session:
        counted = session.exec(
            select(Order.placed_at).where(col(Order.status).in_(PLACED), col(Order.source).not_in(NOT_SALES))
        ).all()
        placed_events = session.exec(select(UsageEvent.ts).where(UsageEvent.type == int(EventType.order_placed))).all()
        cancelled = session.exec(select(func.count()).select_from(Order).where(Order.status == 'cancelled')).one()
    assert cancelled > 0 and len(counted) > 150  # the seed has cancelled orders, which place nothing in the funnel
    assert sorted(placed_events) == sorted(counted)  # one event per counted order, at the order's own time
    steps = [
        count(kind)
        for kind in (
            EventType.visit,
            EventType.product_viewed,
            EventType.cart_add,
            EventType.checkout_started,
            EventType.order_placed,
        )
    ]
    assert steps == sorted(steps, reverse=True) and steps[-1] == len(counted)
