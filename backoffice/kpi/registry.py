"""The KPI registry: each KPI's key, label, unit, plain-language definition, and how one day's value is computed —
one SQL aggregate over that day's rows, never the raw rows in Python."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlmodel import Session

from backoffice.i18n import N_, _
from backoffice.kpi import days
from backoffice.kpi import sources as src
from backoffice.kpi.definitions import Definitions
from backoffice.models import OPEN_STATUSES, EventType
from backoffice.services import app_settings


@dataclass(frozen=True)
class DayValue:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Day:
    """What a computation gets: one local day as [start, end) in UTC, and the definitions in force. KPIs computed for
    the same Day share the aggregates they have in common (orders, paid total, visits) through `shared`.

    A day so far (`midnight` given): the day as it stood at `end`, a time of day before its `midnight` — what the
    previous period's last day is cut to when the period shown ends with today's so far. Rows after `end` are not
    counted, not even as what happened next (a checkout finished after `end` was still abandoned then); a level over a
    window of days (active users) keeps the window that ends at midnight."""

    session: Session
    start: datetime
    end: datetime
    definitions: Definitions
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    midnight: datetime | None = None  # a day so far: where the whole day ends (`end` is where it is cut)
    zone: str = 'UTC'  # the shop's time zone: a window of days starts at a local midnight (a DST day has 23 or 25 h)

    def shared(self, name: str, compute: Callable[[], Any]) -> Any:
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]


# the orders list's Status choices for what the KPIs count by stored status: its "Packed" holds only the packed
# orders nothing of which left yet, so a packed order partly shipped is listed by its own choice
LISTED_PAID = (*src.PAID, 'partly_shipped')
LISTED_PLACED = (*src.PLACED, 'partly_shipped')


@dataclass(frozen=True)
class Listed:
    """The list showing the records a KPI counts, filtered as the KPI counts them: its address and resource (whose read
    permission the link asks), the date filter that holds a day's records (None: the KPI is a level, not a day's), and
    the choice filters (a status among those counted)."""

    address: str
    resource: str
    day: str | None = None
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # what the list holds beside the number, when the number is not a count of its rows (a total, an average, a share)
    note: str | None = None
    # the list's filter holding the records in the shop's currency only, those a money KPI adds up ('currency')
    currency: str | None = None


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str  # count | money | percent
    definition: str | Callable[[Definitions], str]
    compute: Callable[[Day], DayValue]
    sources: tuple[str, ...]  # what a change in invalidates it: events, orders, tickets, stock
    period: str = 'sum'  # how days add up to a period: sum | ratio (Σnum/Σden) | last (a level)
    card: bool = True  # False: used by a chart only
    snapshot: bool = False  # the current state only (no history to recompute)
    good: str = 'up'  # which way is good news: up | down
    lookback_days: Callable[[Definitions], int] = lambda d: 0  # how far back new rows change values
    # computes a span of days at once, faster than day by day: (session, first, last, zone, definitions) → by day
    compute_span: Callable[..., dict[date, DayValue]] | None = None
    listed: Listed | None = None  # where its records are listed ("See these orders in the list"), if they are
    # a ratio's two parts, named for what they are (its CSV's columns: 'orders', 'visits', not 'numerator')
    parts: tuple[str, str] = (N_('numerator'), N_('denominator'))

    def describe(self, definitions: Definitions) -> str:
        """The definition in the reader's language (the label too is marked: show it with `_(kpi.label)`)."""
        return self.definition(definitions) if callable(self.definition) else _(self.definition)


# --- events ----------------------------------------------------------------------------------------------------------


def event_count(kind: EventType) -> Callable[[Day], DayValue]:
    def compute(day: Day) -> DayValue:
        e = src.events.c
        total = day.shared(
            f'events-{int(kind)}',
            lambda: day.session.execute(
                select(func.count())
                .select_from(src.events)
                .where(e.type == int(kind), e.ts >= day.start, e.ts < day.end)
            ).scalar_one(),
        )
        return DayValue(float(total))

    return compute


def abandonment(started: EventType, finished: EventType) -> Callable[[Day], DayValue]:
    """Share of `started` events that day not followed by `finished` from the same visitor within the window."""

    def compute(day: Day) -> DayValue:
        start, done = src.events.alias('start'), src.events.alias('done')
        follow_up = exists().where(
            done.c.type == int(finished),
            done.c.ts >= start.c.ts,
            done.c.ts < src.plus_hours(day.session, start.c.ts, day.definitions.abandonment_hours),
            or_(
                done.c.anonymous_id == start.c.anonymous_id,
                and_(start.c.customer_id.is_not(None), done.c.customer_id == start.c.customer_id),
            ),
        )
        if day.midnight is not None:  # a day so far: a finish after the cut was not known then
            follow_up = follow_up.where(done.c.ts < day.end)
        in_day = and_(start.c.type == int(started), start.c.ts >= day.start, start.c.ts < day.end)
        row = day.session.execute(
            select(func.count(), func.count().filter(~follow_up)).select_from(start).where(in_day)
        ).one()
        return _ratio(row[1], row[0])

    return compute


def active_users(day: Day) -> DayValue:
    """One day on its own (a single grouped query over the window); a span of days goes through active_users_span."""
    d = day.definitions
    e = src.events.c
    customer = _unindexed(e.customer_id)
    per_customer = (
        select(customer)
        .where(
            customer.is_not(None),
            e.type.in_(_activity_types(d)),
            e.ts >= _window_start(day, d.active_days),
            e.ts < day.end,
        )
        .group_by(customer)
        .having(func.count() >= d.active_min_events)
        .subquery()
    )
    return DayValue(float(day.session.execute(select(func.count()).select_from(per_customer)).scalar_one()))


def _window_start(day: Day, length: int) -> datetime:
    """Where a window of `length` local days ending with this day starts: the local midnight `length - 1` days before
    it, as active_users_span counts days. Not its end minus `length` × 24 h, an hour off across a DST change."""
    local = days.local_day(day.start, day.zone)
    return days.bounds(local - timedelta(days=length - 1), day.zone)[0]


def active_users_span(
    session: Session,
    first: date,
    last: date,
    zone: str,
    d: Definitions,
    *,
    remember: bool = False,
    until: datetime | None = None,
) -> dict[date, DayValue]:
    """Active users for consecutive days in one pass: each day's events per customer (one grouped query per day, a
    few thousand rows) slide through a window of D days, so no day's window is scanned again from the raw events.
    With `remember`, the counts of days already over are kept for the next call (see `forget_event_days`). `until`:
    the last day as it stood then (a day so far: the dashboard's previous period cut at today's time of day), its
    D − 1 days before read from what is remembered, as a refresh reads them."""
    e = src.events.c
    sums: dict[int, int] = {}  # customer → events in the window
    window: deque[dict[int, int]] = deque()
    active, result = 0, {}
    types = tuple(_activity_types(d))
    for day in days.span(first - timedelta(days=d.active_days - 1), last):
        start, end = days.bounds(day, zone)
        cut = until is not None and day == last and until < end
        if cut:
            assert until is not None
            end = until
        key = (day, zone, types)
        with _day_counts_lock:
            counts = _day_counts.get(key) if remember and not cut else None
        if counts is None:
            customer = _unindexed(e.customer_id)
            counts = dict(
                session.execute(
                    select(customer, func.count())
                    .where(customer.is_not(None), e.type.in_(types), e.ts >= start, e.ts < end)
                    .group_by(customer)
                ).all()
            )
            if remember and not cut and end <= datetime.now(UTC):
                with _day_counts_lock:
                    _day_counts[key] = counts
        for customer, number in counts.items():
            before = sums.get(customer, 0)
            sums[customer] = before + number
            active += before < d.active_min_events <= before + number
        window.append(counts)
        if len(window) > d.active_days:
            for customer, number in window.popleft().items():
                before = sums.pop(customer)
                if before > number:
                    sums[customer] = before - number
                active -= before - number < d.active_min_events <= before
        if day >= first:
            result[day] = DayValue(float(active))
    return result


# Each finished day's events per customer, as active users slides them through its window, kept between the
# incremental refreshes of this process: a minute that brings new events then costs one grouped query (today's)
# instead of D. New events dated on an earlier day, and every full recompute, drop the days from theirs on.
_day_counts: dict[tuple[date, str, tuple[int, ...]], dict[int, int]] = {}
_day_counts_lock = threading.Lock()


def forget_event_days(since: date | None = None) -> None:
    """Drop the remembered per-day counts from `since` on (all of them without)."""
    with _day_counts_lock:
        for key in [key for key in _day_counts if since is None or key[0] >= since]:
            del _day_counts[key]


def _unindexed(column):
    """`column + 0`: keeps SQLite from walking the whole (customer_id, ts) index just to group by customer, when the
    (type, ts, customer_id) index reads only the day's rows."""
    return (column + 0).label('customer_id')


def _activity_types(d: Definitions) -> list[int]:
    return [int(EventType[name]) for name in d.active_types]


# --- orders ----------------------------------------------------------------------------------------------------------


def _placed_in(day: Day, statuses: tuple[str, ...]):
    """The day's orders in these statuses that are sales (an exchange's replacement order is not)."""
    o = src.orders.c
    return and_(o.status.in_(statuses), o.placed_at >= day.start, o.placed_at < day.end, o.source.not_in(src.NOT_SALES))


def orders_count(day: Day) -> DayValue:
    if not src.has_tables(day.session, 'orders'):
        return DayValue(None)
    return DayValue(
        float(
            day.shared(
                'orders',
                lambda: day.session.execute(
                    select(func.count()).select_from(src.orders).where(_placed_in(day, src.PLACED))
                ).scalar_one(),
            )
        )
    )


def _paid(day: Day) -> tuple[float, int]:
    """The total and the number of the day's paid orders in the shop's currency (turnover and average basket both
    need them; an order in another currency is an order, but its amount is not in the shop's money)."""
    return day.shared(
        'paid',
        lambda: tuple(
            day.session.execute(
                select(func.coalesce(func.sum(src.orders.c.total), 0), func.count()).where(
                    _placed_in(day, src.PAID), src.orders.c.currency == _currency(day)
                )
            ).one()
        ),
    )


def _currency(day: Day) -> str:
    """The shop's currency, what the money KPIs add up (read once per session of a refresh)."""
    info = day.session.info
    if 'kpi_currency' not in info:
        info['kpi_currency'] = app_settings.value(session=day.session, key='currency') or 'EUR'
    return info['kpi_currency']


def turnover(day: Day) -> DayValue:
    if not src.has_tables(day.session, 'orders', 'refunds'):
        return DayValue(None)
    sold, _count = _paid(day)
    r, o = src.refunds.c, src.orders.c
    # the refunds of orders whose sale counts: a cancelled order's sale left its day, its refund must not count again
    refunded = day.session.execute(
        select(func.coalesce(func.sum(r.amount), 0))
        .select_from(src.refunds.join(src.orders, o.id == r.order_id))
        .where(
            r.refunded_at >= day.start,
            r.refunded_at < day.end,
            o.status.in_(src.PAID),
            o.currency == _currency(day),
        )
    ).scalar_one()
    return DayValue(round(float(sold) - float(refunded), 2))


def average_basket(day: Day) -> DayValue:
    if not src.has_tables(day.session, 'orders'):
        return DayValue(None)
    total, count = _paid(day)
    return DayValue(round(float(total) / count, 2) if count else None, float(total), float(count))


def paid_in_other_currencies(day: Day) -> DayValue:
    """The day's paid orders in another currency than the shop's, which turnover and the average basket leave out
    (their amounts are not in the shop's money): the cards say how many, as the sales report does."""
    if not src.has_tables(day.session, 'orders'):
        return DayValue(None)
    o = src.orders.c
    return DayValue(
        float(
            day.session.execute(
                select(func.count()).where(_placed_in(day, src.PAID), o.currency != _currency(day))
            ).scalar_one()
        )
    )


# counted by the shop's currency though not money: recomputed with the money KPIs when the currency changes
BY_THE_SHOPS_CURRENCY = ('paid_other_currencies',)


def conversion(day: Day) -> DayValue:
    orders = orders_count(day).value
    visits = event_count(EventType.visit)(day).value
    return DayValue(None) if orders is None else _ratio(orders, visits)


def new_customers(day: Day) -> DayValue:
    """Customers whose first order (not a draft, not cancelled) was placed that day (sources.first_buyers)."""
    if not src.has_tables(day.session, 'orders'):
        return DayValue(None)
    buyers = src.first_buyers(day.start, day.end).subquery()
    return DayValue(float(day.session.execute(select(func.count()).select_from(buyers)).scalar_one()))


def low_stock(day: Day) -> DayValue:
    """Products low in stock as the inventory list's Low stock filter, the alert, the reorder list and the digest say
    it: the stored flag (at or below the minimum, or fewer on the shelf than reserved whatever the minimum), of products
    still stocked and not in the trash (a product turned into a service keeps its old row, shown nowhere)."""
    if not src.has_tables(day.session, 'stock_levels', 'products'):
        return DayValue(None)
    joined, low = src.low_in_stock()
    return DayValue(float(day.session.execute(select(func.count()).select_from(joined).where(*low)).scalar_one()))


# --- requests --------------------------------------------------------------------------------------------------------


def open_requests(day: Day) -> DayValue:
    """Requests received by the end of the day and not solved by then."""
    t = src.tickets.c
    unsolved = or_(and_(t.solved_at.is_(None), t.status.in_([s.value for s in OPEN_STATUSES])), t.solved_at >= day.end)
    return DayValue(
        float(
            day.session.execute(
                select(func.count()).select_from(src.tickets).where(t.created_at < day.end, unsolved)
            ).scalar_one()
        )
    )


def sla_breaches(day: Day) -> DayValue:
    t = src.tickets.c
    return DayValue(
        float(
            day.session.execute(
                select(func.count())
                .select_from(src.tickets)
                .where(t.sla_breached_at >= day.start, t.sla_breached_at < day.end)
            ).scalar_one()
        )
    )


def csat(day: Day) -> DayValue:
    t = src.tickets.c
    rated, happy = day.session.execute(
        select(func.count(), func.count().filter(t.rating >= 4)).where(src.ratings_given(day.start, day.end))
    ).one()
    return _ratio(happy, rated)


def _ratio(numerator: Any, denominator: Any) -> DayValue:
    numerator, denominator = float(numerator or 0), float(denominator or 0)
    return DayValue(round(100 * numerator / denominator, 2) if denominator else None, numerator, denominator)


def _window(d: Definitions) -> int:
    """A finish that arrives now can rescue starts from this many days back."""
    return -(-d.abandonment_hours // 24)


KPIS: list[Kpi] = [
    Kpi(
        'turnover',
        N_('Turnover'),
        'money',
        N_(
            'Total of the orders paid that day, VAT and shipping included (by the day they were placed), minus the '
            'refunds made that day; a cancelled order counts in neither.'
        ),
        turnover,
        ('orders',),
        listed=Listed(
            '/orders',
            'orders',
            'placed_at',
            (('status', LISTED_PAID), ('source', src.SALE_SOURCES)),
            N_("The list holds these paid orders, before refunds; the number takes off today's refunds."),
            currency='currency',
        ),
    ),
    Kpi(
        'orders',
        N_('Orders'),
        'count',
        N_('Orders placed that day (not drafts, not cancelled, not the replacement orders of exchanges).'),
        orders_count,
        ('orders',),
        listed=Listed('/orders', 'orders', 'placed_at', (('status', LISTED_PLACED), ('source', src.SALE_SOURCES))),
    ),
    Kpi(
        'average_basket',
        N_('Average basket'),
        'money',
        N_('Total of the paid orders, VAT and shipping included, before refunds, divided by their number.'),
        average_basket,
        ('orders',),
        period='ratio',
        parts=(N_('turnover'), N_('paid orders')),
        listed=Listed(
            '/orders',
            'orders',
            'placed_at',
            (('status', LISTED_PAID), ('source', src.SALE_SOURCES)),
            N_('The list holds these paid orders; the number is their average, before refunds.'),
            currency='currency',
        ),
    ),
    Kpi(
        'conversion',
        N_('Conversion'),
        'percent',
        N_('Orders placed divided by visits, the same day.'),
        conversion,
        ('orders', 'events'),
        period='ratio',
        parts=(N_('orders'), N_('visits')),
    ),
    Kpi(
        'visits',
        N_('Visits'),
        'count',
        N_('Visits the front office reported (one per visitor session).'),
        event_count(EventType.visit),
        ('events',),
    ),
    Kpi(
        'page_views',
        N_('Page views'),
        'count',
        N_('Pages viewed in the front office.'),
        event_count(EventType.page_view),
        ('events',),
    ),
    Kpi(
        'active_users',
        N_('Active users'),
        'count',
        Definitions.describe_active,
        active_users,
        ('events',),
        period='last',
        compute_span=active_users_span,
    ),  # a new event changes its day and later ones only
    Kpi(
        'signups',
        N_('New sign-ups'),
        'count',
        N_('Sign-ups completed that day.'),
        event_count(EventType.signup_completed),
        ('events',),
    ),
    Kpi(
        'signup_abandonment',
        N_('Sign-up abandonment'),
        'percent',
        lambda d: _('Share of sign-ups started that day and not completed within {hours} h.').format(
            hours=d.abandonment_hours
        ),
        abandonment(EventType.signup_started, EventType.signup_completed),
        ('events',),
        period='ratio',
        parts=(N_('sign-ups not completed'), N_('sign-ups started')),
        good='down',
        lookback_days=_window,
    ),
    Kpi(
        'checkout_abandonment',
        N_('Checkout abandonment'),
        'percent',
        lambda d: _('Share of checkouts started that day with no order placed within {hours} h.').format(
            hours=d.abandonment_hours
        ),
        abandonment(EventType.checkout_started, EventType.order_placed),
        ('events',),
        period='ratio',
        parts=(N_('checkouts without an order'), N_('checkouts started')),
        good='down',
        lookback_days=_window,
    ),
    Kpi(
        'new_customers',
        N_('New customers'),
        'count',
        N_('Customers who placed their first order that day.'),
        new_customers,
        ('orders',),
        listed=Listed('/customers', 'customers', 'first_order'),
    ),
    Kpi(
        'open_requests',
        N_('Open requests'),
        'count',
        N_('Customer requests received and not solved by the end of the day, snoozed ones included.'),
        open_requests,
        ('tickets',),
        period='last',
        good='down',
        listed=Listed('/requests', 'tickets', None, (('status', tuple(s.value for s in OPEN_STATUSES)),)),
    ),
    Kpi(
        'sla_breaches',
        N_('SLA breaches'),
        'count',
        N_('Requests that passed their response or resolution target that day.'),
        sla_breaches,
        ('tickets',),
        good='down',
        listed=Listed('/requests', 'tickets', 'sla_breached_on'),
    ),
    Kpi(
        'csat',
        N_('CSAT'),
        'percent',
        N_('Share of the ratings given that day that were 4 or 5 (out of 5).'),
        csat,
        ('tickets',),
        period='ratio',
        parts=(N_('ratings of 4 or 5'), N_('ratings')),
        listed=Listed(
            '/requests',
            'tickets',
            'rated_at',
            note=N_('The list holds the requests rated today; the number is the share of them rated 4 or 5.'),
        ),
    ),
    Kpi(
        'low_stock',
        N_('Low-stock products'),
        'count',
        N_(
            'Products whose available stock (on hand minus reserved) is at or below their minimum, or below zero; '
            'products in the trash or no longer stocked are left out.'
        ),
        low_stock,
        ('stock',),
        period='last',
        snapshot=True,
        good='down',
        listed=Listed('/inventory', 'stock', None, (('low_stock', ('yes',)),)),
    ),
    Kpi(  # what the money cards leave out, said when one is opened
        'paid_other_currencies',
        N_('Paid orders in other currencies'),
        'count',
        N_(
            "Orders paid that day (by the day they were placed) in another currency than the shop's: turnover and "
            'the average basket leave them out.'
        ),
        paid_in_other_currencies,
        ('orders',),
        card=False,
    ),
    # for the funnel chart
    Kpi(
        'product_views',
        N_('Product views'),
        'count',
        N_('Product pages viewed.'),
        event_count(EventType.product_viewed),
        ('events',),
        card=False,
    ),
    Kpi(
        'cart_adds',
        N_('Added to cart'),
        'count',
        N_('Products added to a cart.'),
        event_count(EventType.cart_add),
        ('events',),
        card=False,
    ),
    Kpi(
        'checkouts',
        N_('Checkouts started'),
        'count',
        N_('Checkouts started.'),
        event_count(EventType.checkout_started),
        ('events',),
        card=False,
    ),
    Kpi(  # the funnel's last step: the orders the front office reported, as checkout abandonment counts them (the
        # Orders card counts every order, also those entered by staff or imported, which no checkout preceded)
        'orders_placed_online',
        N_('Orders placed online'),
        'count',
        N_('Orders the front office reported placed (its order_placed events).'),
        event_count(EventType.order_placed),
        ('events',),
        card=False,
    ),
]
BY_KEY = {kpi.key: kpi for kpi in KPIS}


def add(kpi: Kpi) -> None:
    """An extension's KPI (extension_hooks): refreshed, shown and usable in goals and alerts like the others."""
    if kpi.key in BY_KEY:
        raise ValueError(f'KPI {kpi.key!r} exists already')
    KPIS.append(kpi)
    BY_KEY[kpi.key] = kpi


def kpi(key: str) -> Kpi:
    return BY_KEY[key]
