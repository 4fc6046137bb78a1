"""The dashboard's read side: cards, series and funnel from the daily aggregates only (a few hundred rows whatever the
number of orders or events), turned into plain values and pandas frames; and the rows behind today's number."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlmodel import Session

from backoffice import formatting, i18n
from backoffice.engine.declaration import RESOURCES
from backoffice.errors import ValidationFailed
from backoffice.i18n import N_, _, pgettext
from backoffice.kpi import days, definitions
from backoffice.kpi import sources as src
from backoffice.kpi.registry import BY_KEY, KPIS, Day, Kpi, active_users_span
from backoffice.listing.filters import day_range_address
from backoffice.models import EventType, KpiDaily, KpiDefinition, KpiJobRun, User, utcnow
from backoffice.permissions import can
from backoffice.resources.sales import ORDER_STATUSES
from backoffice.resources.support import STATUSES as TICKET_STATUSES
from backoffice.services import app_settings

if TYPE_CHECKING:  # pandas (with numpy, ~0.3 s of CPU) is imported by the first dashboard computed, not at start
    import pandas as pd

PERIODS = {7: N_('Last 7 days'), 30: N_('Last 30 days'), 90: N_('Last 90 days')}  # shown through _()
FUNNEL = [  # labels marked English, shown through _()
    ('visits', N_('Visits')),
    ('product_views', N_('Product views')),
    ('cart_adds', N_('Added to cart')),
    ('checkouts', N_('Checkouts')),
    ('orders_placed_online', N_('Orders placed')),  # events, as the steps before it and checkout abandonment
]


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        return Period(self.first - timedelta(days=self.length), self.first - timedelta(days=1))


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    change: float | None  # percent change against the previous period; for a KPI in percent, the points it moved
    good: bool | None  # whether the change is good news
    spark: list[float | None]  # one value per day of the period
    definition: str
    # the period ends with today's so far: the previous one is counted up to this instant, the same time of day on
    # its last day (like with like: a morning's turnover against whole days fell every morning); None: whole days
    previous_until: datetime | None = None
    # a money card from orders (turnover, basket): the period's paid orders in another currency, which it leaves out
    left_out: int = 0


def period_ending_today(length: int, *, session: Session) -> Period:
    return period_ending(length, zone=app_settings.value(session=session, key='time_zone'))


def running_day(period: Period, *, zone: str) -> date | None:
    """The period's last day when it is today in this time zone: its values are the day so far, not a day's."""
    return period.last if period.last == days.today(zone) else None


def compared_until(period: Period, *, zone: str, now: datetime | None = None) -> datetime | None:
    """When the period ends with today's so far, the instant its previous period is counted up to: the same time of
    day (to the minute, in the shop's time zone) on the previous period's last day — 7 days up to 08:00 against the 7
    days before up to 08:00. None for a period of whole days (the digest's, a custom one ended before today)."""
    now = now or utcnow()
    if period.last != days.today(zone, now):
        return None
    tz = ZoneInfo(zone)
    reached = now.astimezone(tz).replace(second=0, microsecond=0).time()
    start, midnight = days.bounds(period.previous().last, zone)
    return min(max(datetime.combine(period.previous().last, reached, tz).astimezone(UTC), start), midnight)


def chosen_period(first: date, last: date, *, zone: str, now: datetime | None = None) -> Period:
    """The days chosen as a custom period, refused when they go past today: the days after it have no figures yet,
    and their empty days would read as a fall (`ValidationFailed` at the field 'days')."""
    today = days.today(zone, now or utcnow())
    first, last = min(first, last), max(first, last)
    if last > today:
        raise ValidationFailed(
            {
                'days': _('Days after today have no figures yet: choose days up to today ({day}).').format(
                    day=formatting.day(today)
                )
            }
        )
    return Period(first, last)


def calendar_month(period: Period) -> tuple[int, int]:
    """The month (year, month) a custom period's calendar opens on: its last day's, usually this month, where a founder
    changes the days; the calendar opened on the first month of the shown 30 days (last month, most days)."""
    return period.last.year, period.last.month


def picked_period(picked: Any, *, zone: str, now: datetime | None = None) -> Period:
    """The custom period a range calendar's value says: its first and last day (`{'from': …, 'to': …}`), or one day
    alone (the calendar gives the day itself when the same day is tapped twice, a founder asking for yesterday), then
    as `chosen_period`. Nothing chosen (the day tapped a third time) is refused at 'days': the dialog used to close
    without a word and the dashboard kept its old days."""
    if isinstance(picked, dict) and picked.get('from') and picked.get('to'):
        first, last = _picked_day(picked['from']), _picked_day(picked['to'])
    elif isinstance(picked, str) and picked:
        first = last = _picked_day(picked)
    else:
        first = last = None
    if first is None or last is None:
        raise ValidationFailed({'days': _('Choose the days: tap the first and the last, or one day twice.')})
    return chosen_period(first, last, zone=zone, now=now)


def _picked_day(value: Any) -> date | None:
    """A calendar's day (ISO, or Quasar's own 2026/12/07), None for anything else."""
    try:
        return date.fromisoformat(str(value).replace('/', '-'))
    except ValueError:
        return None


def period_ending(length: int, *, zone: str) -> Period:
    """The last `length` days up to today in this time zone (the settings' one, read by the caller)."""
    today = days.today(zone)
    return Period(today - timedelta(days=length - 1), today)


@dataclass(frozen=True)
class Shown:
    """The settings a dashboard build shows its figures with, read once for the build (and for what the page reads
    ahead just after it); a period switch reads them afresh."""

    zone: str  # the days are the shop's days in this time zone
    currency: str


def shown_with(*, session: Session) -> Shown:
    found = app_settings.values(session=session, keys=('time_zone', 'currency'))
    return Shown(zone=found['time_zone'], currency=found['currency'])


CHART_KEYS = ['turnover', 'orders', 'active_users', 'open_requests', 'sla_breaches']


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for a period: the cards, the charts' days × KPIs table and the funnel."""

    cards: list[Card]
    series: pd.DataFrame
    funnel: list[tuple[str, float]]
    compared_until: datetime | None = None  # see compared_until(): the time of day both periods are counted up to


_dashboards: OrderedDict[tuple, Dashboard] = OrderedDict()
_dashboards_lock = threading.Lock()


def dashboard(
    *, session: Session, period: Period, shown: Shown | None = None, now: datetime | None = None
) -> Dashboard:
    """The dashboard's data for a period, computed once per state of the aggregates (and, for a period ending today,
    per minute: the time of day its previous period is counted up to): a visit while nothing was refreshed (and no
    definition changed) costs two tiny queries, not the pandas work. `shown`: the settings, when the caller has them."""
    shown = shown or shown_with(session=session)
    until = compared_until(period, zone=shown.zone, now=now)
    generation = session.execute(select(func.max(KpiDaily.computed_at), func.count())).one()
    defined = session.execute(select(func.max(KpiDefinition.changed_at))).scalar_one()
    key = (period, tuple(generation), defined, i18n.current(), shown, until)  # its labels and definitions are in words
    with _dashboards_lock:
        if key in _dashboards:
            _dashboards.move_to_end(key)
            return _dashboards[key]
    result = Dashboard(
        cards(session=session, period=period, shown=shown, until=until),
        series(session=session, period=period, keys=CHART_KEYS),
        funnel(session=session, period=period),
        until,
    )
    with _dashboards_lock:
        _dashboards[key] = result
        while len(_dashboards) > 16:  # a few periods, the newest state of each
            _dashboards.popitem(last=False)
    return result


def frame(*, session: Session, first: date, last: date, keys: list[str] | None = None) -> pd.DataFrame:
    """The aggregates of [first, last]: one row per (kpi, day)."""
    import pandas as pd

    statement = select(
        KpiDaily.kpi, KpiDaily.day, KpiDaily.value, KpiDaily.numerator, KpiDaily.denominator, KpiDaily.computed_at
    ).where(KpiDaily.day >= first, KpiDaily.day <= last)
    if keys is not None:
        statement = statement.where(KpiDaily.kpi.in_(keys))
    rows = session.execute(statement).all()
    return pd.DataFrame(rows, columns=['kpi', 'day', 'value', 'numerator', 'denominator', 'computed_at'])


_UNSET: Any = object()


def cards(
    *,
    session: Session,
    period: Period,
    shown: Shown | None = None,
    until: datetime | None = _UNSET,
    now: datetime | None = None,
) -> list[Card]:
    """The KPI cards of a period, each against the period before. A period ending today (its last day so far) is
    compared with the period before counted up to the same time of day (`compared_until`, from `now`, or `until`
    when the caller has it): its last day is computed from the source rows up to then, as the refresh computes a
    day, for each KPI with a history (not a snapshot such as the stock's level, whose days before are as recorded)."""
    import pandas as pd

    shown = shown or shown_with(session=session)
    if until is _UNSET:
        until = compared_until(period, zone=shown.zone, now=now)
    earlier = period.previous()
    data = frame(session=session, first=earlier.first, last=period.last)
    defs = definitions.current(session=session)
    index = pd.Index(days.span(period.first, period.last))
    so_far = _DaySoFar(session, earlier.last, until, shown, defs) if until is not None else None
    elsewhere = _within(data[data.kpi == 'paid_other_currencies'], period)['value'].sum()
    result = []
    for kpi in (k for k in KPIS if k.card):
        mine = data[data.kpi == kpi.key]
        now_rows, before = _within(mine, period), _within(mine, earlier)
        value = _aggregate(kpi, now_rows)
        # the aggregates cover every day of history: an earlier period they do not cover entirely began before the
        # shop had data, and a percentage against part of it would be meaningless (a few days against ninety)
        covered = before['day'].nunique() == earlier.length
        cut = so_far is not None and covered and not kpi.snapshot
        if cut:
            assert so_far is not None
            before = so_far.replacing_last_day(kpi, before)
        previous = _aggregate(kpi, before) if covered else None
        change = None
        if value is not None and kpi.unit == 'percent' and previous is not None:
            # a rate moves in points: 32.2 % → 43.2 % is 11 points, not "▲ 34.0 %" (read as 66 %)
            change = round(value - previous, 1)
        elif value is not None and previous:
            change = round(100 * (value - previous) / abs(previous), 1)
        good = None if not change else (change > 0) == (kpi.good == 'up')
        spark = now_rows.set_index('day')['value'].reindex(index)
        result.append(
            Card(
                kpi.key,
                kpi.label,  # marked English: the page shows it through _()
                kpi.unit,
                value,
                previous,
                change,
                good,
                [None if pd.isna(v) else float(v) for v in spark],
                kpi.describe(defs),
                until if cut and previous is not None else None,
                int(elsewhere) if kpi.key in MONEY_FROM_ORDERS else 0,
            )
        )
    return result


class _DaySoFar:
    """The previous period's last day up to the time of day today has reached: each KPI's value computed from the
    source rows (one Day shared by the KPIs, as a refresh shares it), in place of that day's stored aggregate."""

    def __init__(self, session: Session, day: date, until: datetime, shown: Shown, defs: definitions.Definitions):
        start, midnight = days.bounds(day, shown.zone)
        session.info.setdefault('kpi_currency', shown.currency or 'EUR')  # the money KPIs' currency, as shown
        self.day, self.zone = day, shown.zone
        self.shared = Day(session, start, until, defs, midnight=midnight, zone=shown.zone)

    def replacing_last_day(self, kpi: Kpi, before: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        if kpi.compute_span is active_users_span:  # a window of D days: one grouped query per day, as a refresh does
            # (not the counts a refresh remembers: in a process that does not refresh, nothing forgets a day's counts
            # when late events arrive for it)
            shared = self.shared
            found = active_users_span(
                shared.session, self.day, self.day, self.zone, shared.definitions, until=shared.end
            )[self.day]
        else:
            found = kpi.compute(self.shared)
        row = {
            'kpi': kpi.key,
            'day': self.day,
            'value': found.value,
            'numerator': found.numerator,
            'denominator': found.denominator,
            'computed_at': None,
        }
        cut = pd.DataFrame([row], columns=before.columns)
        kept = before[before.day != self.day]
        return pd.concat([kept, cut], ignore_index=True) if len(kept) else cut


def series(*, session: Session, period: Period, keys: list[str]) -> pd.DataFrame:
    """Days × KPIs, every day of the period present (missing values as NaN)."""
    import pandas as pd

    data = frame(session=session, first=period.first, last=period.last, keys=keys)
    table = (
        data.pivot_table(index='day', columns='kpi', values='value', aggfunc='first') if len(data) else pd.DataFrame()
    )
    return table.reindex(index=days.span(period.first, period.last), columns=keys)


def series_csv(*, session: Session, period: Period, key: str, separator: str = ',') -> tuple[bytes, str]:
    """One KPI's days over the period as a CSV file a founder opens in a spreadsheet, and its file name: raw values
    (ISO days, plain numbers, empty where a day has none), a rate with the two numbers it divides (conversion:
    orders, visits), so that a spreadsheet adds days up as the card does; `separator`: the reader's spreadsheet's
    (';' in French Excel, which reads a comma-separated file as one column), whose decimal mark is then the comma too
    (43,2: French Excel reads 43.2 as text or a date)."""
    from backoffice.transfer.csv_out import csv_bytes

    kpi = BY_KEY[key]
    data = frame(session=session, first=period.first, last=period.last, keys=[key]).set_index('day')
    ratio = kpi.period == 'ratio'
    # a rate's two parts named for what they are, in the reader's language as the separator is ('orders', 'visits')
    header = ['day', key, *([_(part) for part in kpi.parts] if ratio else [])]
    rows = []
    for day in days.span(period.first, period.last):
        found = data.loc[day] if day in data.index else None
        numbers = ('value', 'numerator', 'denominator') if ratio else ('value',)
        rows.append([day, *(_plain(found[name]) if found is not None else None for name in numbers)])  # ISO in a cell
    stamp = '-'.join(f'{day.year:04d}{day.month:02d}{day.day:02d}' for day in (period.first, period.last))
    decimal = ',' if separator == ';' else '.'  # the spreadsheet that wants ';' reads 43,2 (43.2: text, or a date)
    return csv_bytes(header, rows, separator=separator, decimal=decimal), f'{key}-{stamp}.csv'


def _plain(value: Any) -> float | int | None:
    """A stored number as a spreadsheet reads it: 12 for a count, 12.5 for the rest, nothing for a missing value."""
    if value is None or value != value:  # NaN: no value that day
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def funnel(*, session: Session, period: Period) -> list[tuple[str, float]]:
    import pandas as pd

    data = frame(session=session, first=period.first, last=period.last, keys=[key for key, _label in FUNNEL])
    totals = data.groupby('kpi')['value'].sum() if len(data) else pd.Series(dtype=float)
    return [(label, float(totals.get(key, 0) or 0)) for key, label in FUNNEL]


def freshness(*, session: Session) -> datetime | None:
    """When the newest aggregate was written (the last refresh that found something, or the last run)."""
    written = session.execute(select(func.max(KpiDaily.computed_at))).scalar_one()
    finished = session.execute(select(func.max(KpiJobRun.finished_at)).where(KpiJobRun.error.is_(None))).scalar_one()
    return max((t for t in (written, finished) if t is not None), default=None)


BEHIND_PAGE = 25  # rows behind today's number shown at first, and added by each "Show more"


@dataclass(frozen=True)
class Behind:
    """The rows behind today's number of a KPI: the first `limit` of `total`, and the columns a phone leaves out (the
    table fits a 390-px screen instead of scrolling sideways inside the card)."""

    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    not_on_phones: tuple[str, ...] = ()


def rows_behind_today(
    *, session: Session, key: str, limit: int = BEHIND_PAGE
) -> tuple[list[str], list[dict[str, Any]]]:
    """The records today's number of this KPI counts (raw rows, but only today's and at most `limit`)."""
    behind = behind_today(session=session, key=key, limit=limit)
    return behind.columns, behind.rows


def behind_today(*, session: Session, key: str, limit: int = BEHIND_PAGE) -> Behind:
    """The records today's number of this KPI counts: at most `limit` of them, and how many there are in all."""
    kpi: Kpi = BY_KEY[key]
    zone = app_settings.value(session=session, key='time_zone')
    start, end = days.bounds(days.today(zone), zone)
    if key in MONEY_FROM_ORDERS and src.has_tables(session, 'orders', 'refunds'):
        return _money_behind(session, key, start, end, zone, limit)
    if key == 'new_customers' and src.has_tables(session, 'orders'):
        return _first_orders(session, start, end, zone, limit)
    if key == 'active_users':
        return _active_customers(session, start, end, zone, limit)
    if 'orders' in kpi.sources and src.has_tables(session, 'orders'):
        o = src.orders.c
        placed_today = (
            o.placed_at >= start,
            o.placed_at < end,
            o.status.in_(src.PLACED),
            o.source.not_in(src.NOT_SALES),
        )
        rows = session.execute(
            select(o.number, o.status, o.total, o.currency, o.placed_at)
            .where(*placed_today)
            .order_by(o.placed_at.desc(), o.id.desc())
            .limit(limit)
        ).all()
        order, status, total, placed = _('Order'), _('Status'), _('Total'), pgettext('of day', 'Time')
        return Behind(
            [order, status, total, placed],
            [
                {
                    order: r.number,
                    status: formatting.label(r.status, ORDER_STATUSES),
                    total: formatting.money(r.total, r.currency),  # an order in another currency says so
                    placed: formatting.clock(r.placed_at, zone),
                }
                for r in rows
            ],
            _count(session, select(o.id).where(*placed_today)),
            (status,),
        )
    if 'tickets' in kpi.sources:
        t = src.tickets.c
        condition = {
            'sla_breaches': (t.sla_breached_at >= start) & (t.sla_breached_at < end),
            'csat': src.ratings_given(start, end),  # as the card counts them, and its list lists them
        }.get(key, t.solved_at.is_(None) & t.status.in_(['new', 'open', 'waiting']))
        rows = session.execute(
            select(t.number, t.subject, t.status, t.rating).where(condition).order_by(t.number.desc()).limit(limit)
        ).all()
        request, subject, status, rating = _('Request'), _('Subject'), _('Status'), _('Rating')
        return Behind(
            [request, subject, status, rating],
            [
                {
                    request: f'#{r.number}',
                    subject: r.subject,
                    status: formatting.label(r.status, TICKET_STATUSES),
                    rating: r.rating or '',
                }
                for r in rows
            ],
            _count(session, select(t.number).where(condition)),
            (status, rating) if key != 'csat' else (status,),
        )
    if key == 'low_stock' and src.has_tables(session, 'stock_levels', 'products'):
        s, p = src.stock_levels.c, src.products.c
        joined, low = src.low_in_stock()  # as the card counts them
        rows = session.execute(
            select(s.sku, p.name, s.on_hand, s.reserved, s.min_qty)
            .select_from(joined)
            .where(*low)
            .order_by(s.sku)
            .limit(limit)
        ).all()
        product, on_hand, reserved, minimum = _('Product'), _('On hand'), _('Reserved'), _('Minimum')
        return Behind(  # the product by its SKU and name, as the inventory list and the digest name it (not its id)
            [product, on_hand, reserved, minimum],
            [
                {product: f'{r.sku} {r.name}', on_hand: r.on_hand, reserved: r.reserved, minimum: r.min_qty}
                for r in rows
            ],
            _count(session, select(s.product_id).select_from(joined).where(*low)),
        )
    e = src.events.c
    kinds = {
        'visits': EventType.visit,
        'page_views': EventType.page_view,
        'signups': EventType.signup_completed,
        'signup_abandonment': EventType.signup_started,
        'checkout_abandonment': EventType.checkout_started,
    }
    condition = [e.ts >= start, e.ts < end]
    if key in kinds:
        condition.append(e.type == int(kinds[key]))
    finished = ABANDONED_UNLESS.get(key)
    followed = _followed_by(session, finished) if finished is not None else literal(False)
    rows = session.execute(
        select(e.type, e.ts, e.customer_id, e.anonymous_id, followed.label('followed'))
        .where(*condition)
        .order_by(e.ts.desc())
        .limit(limit)
    ).all()
    event, at, visitor, outcome = _('Event'), pgettext('of day', 'Time'), _('Visitor'), _('Outcome')
    return Behind(
        [event, at, visitor, *([outcome] if finished is not None else [])],
        [
            {
                event: _(definitions.EVENT_LABELS[EventType(r.type).name]),
                at: formatting.clock(r.ts, zone),
                visitor: _('customer {id}').format(id=r.customer_id) if r.customer_id else r.anonymous_id,
                # which of today's started sign-ups or checkouts the percentage counts as abandoned so far
                **(
                    {outcome: _(definitions.EVENT_LABELS[finished.name]) if r.followed else _(NOT_YET)}
                    if finished is not None
                    else {}
                ),
            }
            for r in rows
        ],
        _count(session, select(e.ts).where(*condition)),
        (visitor,) if finished is not None else (),
    )


# the abandonment KPIs: what a started sign-up or checkout must be followed by (registry.abandonment) not to count
ABANDONED_UNLESS = {
    'signup_abandonment': EventType.signup_completed,
    'checkout_abandonment': EventType.order_placed,
}
NOT_YET = N_('Not yet')


def _followed_by(session: Session, finished: EventType) -> Any:
    """Whether a started event (of src.events) was followed by `finished` as the abandonment KPIs count it: from the
    same visitor (or customer) within the owner's abandonment window."""
    e, done = src.events.c, src.events.alias('done')
    hours = definitions.current(session=session).abandonment_hours
    return exists().where(
        done.c.type == int(finished),
        done.c.ts >= e.ts,
        done.c.ts < src.plus_hours(session, e.ts, hours),
        or_(
            done.c.anonymous_id == e.anonymous_id,
            and_(e.customer_id.is_not(None), done.c.customer_id == e.customer_id),
        ),
    )


def list_behind_today(*, session: Session, key: str, user: User | None) -> str | None:
    """The address of the list showing the records today's number of this KPI counts, filtered as the KPI counts them
    (/orders?status=paid&…&placed_at=2026-12-06..2026-12-06: today in the shop's days), or None when its records are
    not a list's or the reader may not read that list."""
    listed = BY_KEY[key].listed
    if listed is None or not can(user, RESOURCES[listed.resource].read_permission):
        return None
    given: list[tuple[str, str]] = []
    for name, value in filters_behind_today(session=session, key=key).items():
        if isinstance(value, tuple):  # a date range
            given.append((name, day_range_address(*value)))
        elif isinstance(value, bool):  # yes or no
            given.append((name, 'yes' if value else 'no'))
        else:
            given += [(name, item) for item in value]
    return f'{listed.address}?{urlencode(given)}' if given else listed.address


def filters_behind_today(*, session: Session, key: str) -> dict[str, Any]:
    """The list's filters `list_behind_today` puts in its address, as the list applies them: a choice filter's values,
    today as a date filter's (first, last) in the shop's days."""
    listed = BY_KEY[key].listed
    if listed is None:
        return {}
    kinds = {f.name: f.kind for f in RESOURCES[listed.resource].filters}
    filters: dict[str, Any] = {
        name: values == ('yes',) if kinds[name] in ('bool', 'present') else list(values)
        for name, values in listed.choices
    }
    if listed.currency is not None:  # what the number adds up: the orders in the shop's currency
        filters[listed.currency] = [app_settings.value(session=session, key='currency') or 'EUR']
    if listed.day is not None:
        today = days.today(app_settings.value(session=session, key='time_zone'))
        filters[listed.day] = (today, today)
    return filters


def list_note(key: str) -> str | None:
    """What the list behind a KPI holds beside its number, in the reader's language, when the number is no count of
    its rows (turnover, average basket, CSAT); None when the list's count is the number."""
    listed = BY_KEY[key].listed
    return _(listed.note) if listed is not None and listed.note else None


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(select(func.count()).select_from(statement.subquery())).scalar_one())


MONEY_FROM_ORDERS = ('turnover', 'average_basket')  # the paid orders in the shop's currency, and for turnover refunds


def _money_behind(session: Session, key: str, start: datetime, end: datetime, zone: str, limit: int) -> Behind:
    """What today's turnover or average basket adds up, as the KPI does: the day's paid orders in the shop's currency
    (not those waiting for payment, nor those in another currency) and, for the turnover, the refunds made today of
    paid orders (a morning's −€5.04 was "Nothing today yet" under a card that said −€5.04)."""
    o, r = src.orders.c, src.refunds.c
    currency = app_settings.value(session=session, key='currency') or 'EUR'
    counted = (o.status.in_(src.PAID), o.currency == currency)
    sold_today = (o.placed_at >= start, o.placed_at < end, o.source.not_in(src.NOT_SALES), *counted)
    sold = session.execute(
        select(o.number, o.status, o.total.label('amount'), o.placed_at.label('at'))
        .where(*sold_today)
        .order_by(o.placed_at.desc())
        .limit(limit)
    ).all()
    total = _count(session, select(o.id).where(*sold_today))
    refunded = []
    if key == 'turnover':
        refunds_today = (r.refunded_at >= start, r.refunded_at < end, *counted)
        with_orders = src.refunds.join(src.orders, o.id == r.order_id)
        refunded = session.execute(
            select(o.number, r.amount, r.refunded_at.label('at'))
            .select_from(with_orders)
            .where(*refunds_today)
            .order_by(r.refunded_at.desc())
            .limit(limit)
        ).all()
        total += _count(session, select(r.amount).select_from(with_orders).where(*refunds_today))
    # today's rows say the time of day only: 'Placed' / 'At' read 'Passée le 10:02', 'Date et heure 10:02' in French
    order, what, amount, at = _('Order'), _('What'), _('Amount'), pgettext('of day', 'Time')
    rows = [(row.at, row.number, formatting.label(row.status, ORDER_STATUSES), row.amount) for row in sold] + [
        (row.at, row.number, _('Refund'), -row.amount) for row in refunded
    ]
    rows.sort(key=lambda row: row[0], reverse=True)
    return Behind(
        [order, what, amount, at],
        [
            {order: number, what: said, amount: formatting.money(value, currency), at: formatting.clock(instant, zone)}
            for instant, number, said, value in rows[:limit]
        ],
        total,
        (what,),  # a refund's amount is negative: a phone still tells it from a sale
    )


def _first_orders(session: Session, start: datetime, end: datetime, zone: str, limit: int) -> Behind:
    """Today's new customers, as the KPI counts them: who placed today their first order (the rows were every order
    of the day, 17 of them under a card saying 2)."""
    o, earlier = src.orders.c, src.orders.alias('earlier')
    before = (
        select(earlier.c.id)
        .where(
            earlier.c.customer_id == o.customer_id,
            earlier.c.placed_at < start,
            earlier.c.status.in_(src.PLACED),
        )
        .exists()
    )
    firsts = (
        select(o.customer_id, func.min(o.placed_at).label('first'), func.count().label('orders'))
        .where(
            o.placed_at >= start,
            o.placed_at < end,
            o.status.in_(src.PLACED),
            o.source.not_in(src.NOT_SALES),
            o.customer_id.is_not(None),
            ~before,
        )
        .group_by(o.customer_id)
    )
    rows = session.execute(firsts.order_by(func.min(o.placed_at).desc()).limit(limit)).all()
    customer, orders, first = _('Customer'), _('Orders'), _('First order')
    return Behind(
        [customer, orders, first],
        [  # by number, as the events' visitors: the dashboard shows no one's email
            {
                customer: _('customer {id}').format(id=row.customer_id),
                orders: row.orders,
                first: formatting.clock(row.first, zone),
            }
            for row in rows
        ],
        _count(session, firsts),
    )


def _active_customers(session: Session, start: datetime, end: datetime, zone: str, limit: int) -> Behind:
    """Today's active users, as the KPI counts them (the owner's definition: at least N events of the chosen kinds in
    the D days up to today): each customer, their events in those days and their latest (the rows were every event
    of the day, "25 of 312" visits and page views under a card saying 48)."""
    defs = definitions.current(session=session)
    e = src.events.c
    first = days.bounds(days.local_day(start, zone) - timedelta(days=defs.active_days - 1), zone)[0]
    customer = (e.customer_id + 0).label('customer_id')  # as the KPI groups them (registry._unindexed)
    active = (
        select(customer, func.count().label('events'), func.max(e.ts).label('latest'))
        .where(
            customer.is_not(None),
            e.type.in_([int(EventType[name]) for name in defs.active_types]),
            e.ts >= first,
            e.ts < end,
        )
        .group_by(customer)
        .having(func.count() >= defs.active_min_events)
    )
    rows = session.execute(active.order_by(func.max(e.ts).desc(), customer).limit(limit)).all()
    who, events, latest = _('Customer'), _('Events'), _('Last seen')
    return Behind(
        [who, events, latest],
        [  # by number, as the events' visitors: the dashboard shows no one's email
            {
                who: _('customer {id}').format(id=row.customer_id),
                events: formatting.number(row.events),
                latest: formatting.when(row.latest),
            }
            for row in rows
        ],
        _count(session, active),
    )


def _within(data: pd.DataFrame, period: Period) -> pd.DataFrame:
    return data[(data.day >= period.first) & (data.day <= period.last)]


def _aggregate(kpi: Kpi, data: pd.DataFrame) -> float | None:
    if data.empty or data['value'].isna().all() and kpi.period != 'ratio':
        return None
    if kpi.period == 'last':
        known = data.dropna(subset=['value']).sort_values('day')
        return float(known['value'].iloc[-1]) if len(known) else None
    if kpi.period == 'ratio':
        numerator, denominator = data['numerator'].sum(), data['denominator'].sum()
        if not denominator:
            return None
        scale = 1 if kpi.unit == 'money' else 100
        return round(scale * float(numerator) / float(denominator), 2)
    return round(float(data['value'].sum()), 2)


def age_in_seconds(instant: datetime | None) -> float | None:
    return None if instant is None else (utcnow() - instant).total_seconds()
