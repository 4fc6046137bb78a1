"""Refreshing the daily aggregates: incremental (only the days touched by rows new since the last run, found through a
watermark per source), full (the last days, nightly), the backfill of any day of history not computed yet (from the
first order or event on: history is kept, never trimmed), and a recompute of history after a definition change, in
the background with its progress in the job run. Values are computed in read transactions and written in short ones,
so that on SQLite the front office's writes never wait for a long recompute."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from backoffice import write_failures
from backoffice.db import read_session, session_scope
from backoffice.kpi import days, definitions, history, registry
from backoffice.kpi import sources as src
from backoffice.kpi.registry import KPIS, Day, DayValue, Kpi
from backoffice.models import KpiDaily, KpiJobRun, KpiWatermark, utcnow
from backoffice.services import app_settings

log = logging.getLogger(__name__)

NIGHTLY_DAYS = 35  # the nightly job recomputes this many days up to today
INCREMENTAL_MAX_DAYS = 35  # the days back the incremental refresh recomputes from the earliest day a change touches
# beyond them, the days a change touches are recomputed one by one (a net-60 invoice paid today counts on the day it
# was placed, 60 days ago, which no nightly recompute reaches any more; an event may arrive 90 days late): the
# instants of at most this many changed rows read
OLD_ROWS = 10_000
SOURCES = ('events', 'orders', 'tickets', 'stock')
GAP_PATIENCE = timedelta(hours=1)  # an id missing for longer was rolled back, not committed late
MAX_GAPS = 500
GAP_SCAN = 50_000  # ids checked for holes per run, the newest
RECOMPUTE = 'kpi-recompute'  # the job of a history recompute
_remembered: dict[str, tuple | None] = {'events': None}  # the events watermark this process last wrote


def refresh_incremental(*, now: datetime | None = None) -> int:
    """Recompute only what rows new or changed since the last run can have changed; returns the values written."""
    now = now or utcnow()
    with read_session() as session:
        zone = app_settings.value(session=session, key='time_zone')
        defs = definitions.current(session=session)
        today = days.today(zone, now)
        marks = _marks(session)
        window = today - timedelta(days=INCREMENTAL_MAX_DAYS - 1)
        earliest, new_marks, old_days = _changes(session, marks, zone, today, now, days.bounds(window, zone)[0])
        events_mark = (marks['events'].last_id, marks['events'].refreshed_at) if 'events' in marks else None
        if events_mark != _remembered['events']:
            registry.forget_event_days()  # another process refreshed meanwhile (or this one's first run)
        elif earliest.get('events') is not None:
            registry.forget_event_days(earliest['events'])
        have_today = set(session.execute(select(KpiDaily.kpi).where(KpiDaily.day == today)).scalars())
        plan: dict[date, list[Kpi]] = {}
        for kpi in KPIS:
            touched = [earliest[s] for s in kpi.sources if earliest.get(s) is not None]
            if not touched and kpi.key in have_today:
                continue
            first = min(touched, default=today) - timedelta(days=kpi.lookback_days(defs))
            first = today if kpi.snapshot else max(first, window)
            for day in days.span(min(first, today), today):
                plan.setdefault(day, []).append(kpi)
            if not kpi.snapshot:  # a KPI computed by spans (active users) is computed from the old day to today
                back = kpi.lookback_days(defs)
                changed = {day for s in kpi.sources for day in old_days.get(s, ())}
                reached = {d for day in changed for d in days.span(day - timedelta(days=back), day) if d < window}
                for day in sorted(reached):
                    plan.setdefault(day, []).append(kpi)
        values = _within_history(_compute_plan(session, plan, zone, defs), history.source_starts(session, zone), today)
    with session_scope() as session:
        _write(session, values)
        for mark in new_marks.values():
            session.merge(mark)
        session.commit()
    mark = new_marks.get('events')
    _remembered['events'] = (mark.last_id, mark.refreshed_at) if mark is not None else events_mark
    return len(values)


def recompute(
    *,
    first: date | None = None,
    last: date | None = None,
    keys: Iterable[str] | None = None,
    run_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute every day from `first` to `last` (default: the nightly window up to today), writing each day as it
    is done and recording the progress in the job run `run_id`."""
    registry.forget_event_days()  # the full recompute reads everything afresh (a customer's deletion, say)
    with read_session() as session:
        zone = app_settings.value(session=session, key='time_zone')
        defs = definitions.current(session=session)
    today = days.today(zone, now)
    last = min(last or today, today)
    first = min(first or today - timedelta(days=NIGHTLY_DAYS - 1), last)
    chosen = [kpi for kpi in KPIS if keys is None or kpi.key in set(keys)]
    with read_session() as session:
        starts = history.source_starts(session, zone)
    begins = {kpi.key: history.kpi_start(kpi, starts, today) for kpi in chosen}
    with session_scope() as session:  # values of days before the shop had data (written by older versions) go
        for kpi in (k for k in chosen if not k.snapshot and first < begins[k.key]):
            session.execute(
                delete(KpiDaily).where(KpiDaily.kpi == kpi.key, KpiDaily.day >= first, KpiDaily.day < begins[kpi.key])
            )
        session.commit()
    span = days.span(first, last)
    _progress(run_id, done=0, total=len(span))
    spanned: dict[str, dict[date, dict]] = {}
    with read_session() as session:  # the KPIs that compute a span at once, before the day-by-day ones
        for kpi in (k for k in chosen if k.compute_span):
            spanned[kpi.key] = {
                day: _row(kpi, day, value) for day, value in kpi.compute_span(session, first, last, zone, defs).items()
            }
    written = 0
    for number, day in enumerate(span, start=1):
        with read_session() as session:
            shared: dict[date, Day] = {}
            values = [
                spanned[kpi.key][day] if kpi.compute_span else _compute(session, kpi, day, zone, defs, shared)
                for kpi in chosen
                if (not kpi.snapshot or day == today) and day >= begins[kpi.key]
            ]
        with session_scope() as session:
            _write(session, values)
            session.commit()
        written += len(values)
        _progress(run_id, done=number, rows=written)
    return written


def backfill_history(*, now: datetime | None = None) -> int:
    """Compute every day of each KPI's history that has no aggregate yet, from the KPI's first day of data to today
    (a database whose aggregates covered only the last weeks gets the rest once; then there is nothing to do, at
    the cost of a few index reads). Returns the values written."""
    with read_session() as session:
        zone = app_settings.value(session=session, key='time_zone')
        today = days.today(zone, now)
        starts = history.source_starts(session, zone)
        computed: dict[str, set[date]] = {}
        for key, day in session.execute(select(KpiDaily.kpi, KpiDaily.day)):
            computed.setdefault(key, set()).add(day)
    missing: dict[tuple[date, date], list[str]] = {}
    for kpi in KPIS:
        if kpi.snapshot:
            continue
        first = history.kpi_start(kpi, starts, today)
        absent = [day for day in days.span(first, today) if day not in computed.get(kpi.key, ())]
        if absent:
            missing.setdefault((absent[0], absent[-1]), []).append(kpi.key)
    # newest first, a month at a time: the days a person compares with first (the dashboard's previous 30 or 90 days
    # say "no earlier data" until they are written; a year of demo history takes minutes on a small machine)
    chunks = [(chunk, keys) for (first, last), keys in missing.items() for chunk in _months_back(first, last)]
    written = 0
    for (first, last), keys in sorted(chunks, key=lambda chunk: chunk[0][1], reverse=True):
        written += recompute(first=first, last=last, keys=keys, now=now)
    if written:
        log.info('KPI history backfilled: %s values', written)
    return written


BACKFILL_DAYS = 31  # the days a backfill computes and writes at once, the newest first


def _months_back(first: date, last: date) -> list[tuple[date, date]]:
    """[first, last] in spans of BACKFILL_DAYS, from the newest."""
    spans = []
    while last >= first:
        start = max(first, last - timedelta(days=BACKFILL_DAYS - 1))
        spans.append((start, last))
        last = start - timedelta(days=1)
    return spans


def start_recompute(*, keys: Iterable[str] | None, reason: str) -> tuple[int, threading.Thread]:
    """Recompute the whole recorded history of these KPIs in a background thread; returns the job run's id (its
    progress is visible at /settings and on the Jobs view) and the thread."""
    with read_session() as session:
        oldest = session.execute(select(func.min(KpiDaily.day))).scalar_one()
    with session_scope() as session:
        run = KpiJobRun(job=RECOMPUTE)
        session.add(run)
        session.commit()
        run_id = run.id
    keys = list(keys) if keys is not None else None

    def work() -> None:
        with _recording(run_id):  # no history yet: only today is there to recompute
            recompute(first=oldest or date.max, keys=keys, run_id=run_id)
        log.info('KPI history recomputed (%s)', reason)

    thread = threading.Thread(target=work, name=f'kpi-recompute-{run_id}', daemon=True)
    thread.start()
    return run_id, thread


def start_recompute_after_settings(changed: Iterable[str], *, actor: str) -> tuple[int, threading.Thread] | None:
    """The stored history recomputed in the background after a setting it depends on changed: every KPI when the
    time zone moved the days' bounds; the money KPIs (turnover, average basket: they add up the orders in the shop's
    currency only) when the shop's currency changed. None when nothing stored depends on what changed."""
    changed = set(changed)
    if 'time_zone' in changed:  # every day moves: every KPI, the money ones included
        return start_recompute(keys=None, reason=f'time zone changed by {actor}')
    if 'currency' in changed:
        return start_recompute(keys=money_kpis(), reason=f'currency changed by {actor}')
    return None


def money_kpis() -> list[str]:
    """The KPIs stored in the shop's currency (an extension's money KPI too), and those counted by it."""
    return [kpi.key for kpi in KPIS if kpi.unit == 'money' or kpi.key in registry.BY_THE_SHOPS_CURRENCY]


def run_job(job: str, work: Callable[[], int]) -> int:
    """Run a refresh as a recorded job: start, end, values written, or the error."""
    with session_scope() as session:
        run = KpiJobRun(job=job)
        session.add(run)
        session.commit()
        run_id = run.id
    with _recording(run_id):
        rows = work()
        _progress(run_id, rows=rows)
        return rows


def latest_runs(*, session: Session, limit: int = 30) -> list[KpiJobRun]:
    return list(session.execute(select(KpiJobRun).order_by(col(KpiJobRun.id).desc()).limit(limit)).scalars())


@dataclass(frozen=True)
class RunsShown:
    """What the KPI section of /settings shows of the job runs, from one read of the table: the newest runs, the
    history recompute running now (whatever its age) and, when none is, the last one among the newest runs."""

    latest: list[KpiJobRun]
    running: KpiJobRun | None
    last_recompute: KpiJobRun | None


def runs_shown(*, session: Session, shown: int = 8, scanned: int = 10) -> RunsShown:
    """One statement: the `scanned` newest runs, and any recompute not finished (older ones are rare: a process that
    died is marked interrupted at the next start). In id order, the newest runs come first: an unfinished recompute
    outside them is older than all of them."""
    newest = select(KpiJobRun.id).order_by(col(KpiJobRun.id).desc()).limit(scanned)
    rows = list(
        session.execute(
            select(KpiJobRun)
            .where(
                or_(
                    col(KpiJobRun.id).in_(newest),
                    and_(KpiJobRun.job == RECOMPUTE, col(KpiJobRun.finished_at).is_(None)),
                )
            )
            .order_by(col(KpiJobRun.id).desc())
        ).scalars()
    )
    running = next((r for r in rows if r.job == RECOMPUTE and r.finished_at is None), None)
    last = next((r for r in rows[:scanned] if r.job == RECOMPUTE), None) if running is None else None
    return RunsShown(latest=rows[:shown], running=running, last_recompute=last)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _compute(
    session: Session,
    kpi: Kpi,
    day: date,
    zone: str,
    defs: definitions.Definitions,
    shared: dict[date, Day] | None = None,
) -> dict:
    """One KPI's value of one day; KPIs of the same day given the same `shared` reuse each other's aggregates."""
    shared = {} if shared is None else shared
    if day not in shared:
        shared[day] = Day(session, *days.bounds(day, zone), defs, zone=zone)
    return _row(kpi, day, kpi.compute(shared[day]))


def _compute_plan(session: Session, plan: dict[date, list[Kpi]], zone: str, defs: definitions.Definitions) -> list:
    """The planned (day, KPI) values: spans at once where a KPI can, the rest day by day."""
    values, spans, shared = [], {}, {}
    for day, kpis in sorted(plan.items()):
        for kpi in kpis:
            if kpi.compute_span is None:
                values.append(_compute(session, kpi, day, zone, defs, shared))
            else:
                first, last = spans.get(kpi.key, (day, day))
                spans[kpi.key] = (min(first, day), max(last, day))
    for key, (first, last) in spans.items():
        kpi = next(k for k in KPIS if k.key == key)
        values += [
            _row(kpi, day, value)
            for day, value in kpi.compute_span(session, first, last, zone, defs, remember=True).items()
        ]
    return values


def _within_history(values: list[dict], starts: dict[str, date | None], today: date) -> list[dict]:
    """The values of days on or after their KPI's first day of data (none for the days before the shop had any)."""
    begins = {kpi.key: history.kpi_start(kpi, starts, today) for kpi in KPIS}
    return [value for value in values if value['day'] >= begins[value['kpi']]]


def _row(kpi: Kpi, day: date, result: DayValue) -> dict:
    return {
        'kpi': kpi.key,
        'day': day,
        'value': result.value,
        'numerator': result.numerator,
        'denominator': result.denominator,
        'computed_at': utcnow(),
    }


def _write(session: Session, values: list[dict]) -> None:
    if not values:
        return
    dialect = postgresql if session.bind.dialect.name == 'postgresql' else sqlite
    statement = dialect.insert(KpiDaily.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=['kpi', 'day'],
        set_={name: statement.excluded[name] for name in ('value', 'numerator', 'denominator', 'computed_at')},
    )
    session.execute(statement, values)


def _marks(session: Session) -> dict[str, KpiWatermark]:
    return {m.source: m for m in session.execute(select(KpiWatermark)).scalars()}


def _changes(
    session: Session, marks: dict[str, KpiWatermark], zone: str, today: date, now: datetime, window: datetime
) -> tuple[dict[str, date | None], dict[str, KpiWatermark], dict[str, set[date]]]:
    """Per source, the earliest local day its new or changed rows fall on (None: nothing new), the new watermarks,
    and the local days before `window` (the incremental refresh's first instant) that the orders' changes fall on.
    Only rows past the watermark are read (by primary key or by an indexed change time)."""
    earliest: dict[str, date | None] = {}
    new: dict[str, KpiWatermark] = {}
    old: dict[str, set[date]] = {}

    def mark(source: str) -> KpiWatermark:
        return marks.get(source) or KpiWatermark(source=source, last_id=0)

    e = src.events.c
    news, watermark = _news(session, src.events, mark('events'), now)
    if watermark is not None:
        new['events'] = watermark
    if news is not None:
        oldest = session.execute(select(_earliest(e.ts)).where(news)).scalar_one()
        earliest['events'] = days.local_day(oldest, zone)
        if oldest < window:
            late = select(e.ts).where(news, e.ts < window).distinct().limit(OLD_ROWS)
            old['events'] = {days.local_day(instant, zone) for instant in session.execute(late).scalars()}

    if src.has_tables(session, 'orders'):
        found = _order_changes(session, mark('orders'), mark('order_events'), mark('refunds'), now, window)
        for source, (news, day_at, watermark, before) in found.items():
            new[source] = watermark
            if news:
                day = days.local_day(day_at, zone) if day_at else today
                earliest['orders'] = min(day, earliest.get('orders') or day)
                old.setdefault('orders', set()).update(days.local_day(instant, zone) for instant in before)

    t = src.tickets.c
    tickets = mark('tickets')
    changed = session.execute(select(func.max(t.updated_at))).scalar_one()
    if changed is not None and (tickets.last_change is None or changed > tickets.last_change):
        earliest['tickets'] = today  # a request's change lands on today (a breach, a rating, a solve)
        if tickets.last_change is None:
            oldest = session.execute(select(func.min(t.created_at))).scalar_one()
            earliest['tickets'] = days.local_day(oldest, zone)
        new['tickets'] = KpiWatermark(source='tickets', last_change=changed, refreshed_at=now)

    earliest['stock'] = today  # a level, not a history: today is always recomputed
    return earliest, new, old


def _order_changes(
    session: Session,
    orders: KpiWatermark,
    timeline: KpiWatermark,
    refunds: KpiWatermark,
    now: datetime,
    window: datetime,
) -> dict[str, tuple[bool, datetime | None, KpiWatermark, list[datetime]]]:
    """New orders (by id), changed orders (by their timeline, which every status change appends to) and new refunds:
    for each source with news, the earliest placed_at / refunded_at they touch, the new watermark, and the instants
    they touch before `window` (the days the incremental window does not reach)."""
    o, ev = src.orders.c, src.order_events.c
    found = {}

    def before(column, *where) -> list[datetime]:
        return list(session.execute(select(column).where(*where, column < window).distinct().limit(OLD_ROWS)).scalars())

    news, watermark = _news(session, src.orders, orders, now)
    if watermark is not None:
        oldest = session.execute(select(_earliest(o.placed_at)).where(news)).scalar_one() if news is not None else None
        old = before(o.placed_at, news) if oldest is not None and oldest < window else []
        found['orders'] = (news is not None, oldest, watermark, old)
    if src.has_tables(session, 'order_events'):
        news, watermark = _news(session, src.order_events, timeline, now)
        if watermark is not None:
            oldest, old = None, []
            if news is not None:
                changed = select(ev.order_id).where(news).scalar_subquery()
                oldest = session.execute(select(_earliest(o.placed_at)).where(o.id.in_(changed))).scalar_one()
                if oldest is not None and oldest < window:
                    old = before(o.placed_at, o.id.in_(changed))
            found['order_events'] = (news is not None, oldest, watermark, old)
    if src.has_tables(session, 'refunds'):
        r = src.refunds.c
        news, watermark = _news(session, src.refunds, refunds, now)
        if watermark is not None:
            oldest = (
                session.execute(select(_earliest(r.refunded_at)).where(news)).scalar_one() if news is not None else None
            )
            old = before(r.refunded_at, news) if oldest is not None and oldest < window else []
            found['refunds'] = (news is not None, oldest, watermark, old)
    return found


def _news(session: Session, table, mark: KpiWatermark, now: datetime) -> tuple[Any, KpiWatermark | None]:
    """The rows of `table` the refresh has not seen: ids past the watermark, and ids that were missing below it and
    have appeared since (a transaction that took its ids before a later one committed, but committed after it was
    read). Returns the condition selecting them (None: nothing new) and the new watermark (None: unchanged).
    Missing ids are remembered for GAP_PATIENCE (then taken as rolled back; the nightly recompute covers the rest)."""
    ident = table.c.id
    top = max(session.execute(select(func.max(ident))).scalar_one() or 0, mark.last_id)
    gaps = [gap for gap in (mark.gaps or []) if now - datetime.fromisoformat(gap[2]) < GAP_PATIENCE]
    late: list[int] = []
    if gaps:
        late = list(
            session.execute(
                select(ident).where(or_(*(ident.between(a, b) for a, b, _ in gaps))).order_by(ident)
            ).scalars()
        )
    fresh: list[int] = []
    if top > mark.last_id:  # only the newest ids are looked at for holes: a transaction in flight took recent ones
        scanned = max(mark.last_id, top - GAP_SCAN)
        fresh = list(session.execute(select(ident).where(ident > scanned, ident <= top).order_by(ident)).scalars())
    if top == mark.last_id and not late and gaps == (mark.gaps or []):
        return None, None
    remaining = [[a, b, since] for a, b, since in gaps for a, b in _missing(a, b, late)]
    remaining += [[a, b, now.isoformat()] for a, b in _missing(max(mark.last_id, top - GAP_SCAN) + 1, top, fresh)]
    watermark = KpiWatermark(
        source=mark.source, last_id=top, last_change=mark.last_change, refreshed_at=now, gaps=remaining[-MAX_GAPS:]
    )
    if top == mark.last_id and not late:
        return None, watermark
    news = (
        or_(and_(ident > mark.last_id, ident <= top), ident.in_(late))
        if late
        else and_(ident > mark.last_id, ident <= top)
    )
    return news, watermark


def _missing(first: int, last: int, present: list[int]) -> list[tuple[int, int]]:
    """The ranges of [first, last] not in `present` (sorted ids)."""
    ranges, expected = [], first
    for ident in present:
        if ident < first or ident > last:
            continue
        if ident > expected:
            ranges.append((expected, ident - 1))
        expected = ident + 1
    if expected <= last:
        ranges.append((expected, last))
    return ranges


def _earliest(column):
    """min() over an expression, not the bare column: otherwise SQLite answers `min(placed_at) WHERE id > n` by
    walking the placed_at index from the oldest row until it meets a new one (most of a million rows), instead of
    reading the few new rows by primary key."""
    return func.min(func.coalesce(column, column))


def _progress(run_id: int | None, **values: int) -> None:
    if run_id is None:
        return
    with session_scope() as session:
        run = session.get(KpiJobRun, run_id)
        for name, value in values.items():
            setattr(run, name, value)
        session.add(run)
        session.commit()


@contextmanager
def _recording(run_id: int) -> Iterator[None]:
    error = None
    try:
        yield
    except Exception as failure:
        error = f'{type(failure).__name__}: {failure}'[:2000]
        if write_failures.lock_contention(failure):  # other writers' load: the scheduler tries again, then warns
            log.warning('KPI job run %s met a busy database (%s)', run_id, failure.__class__.__name__)
        else:
            log.exception('KPI job run %s failed', run_id)
        raise
    finally:
        with session_scope() as session:
            run = session.get(KpiJobRun, run_id)
            run.finished_at, run.error = utcnow(), error
            session.add(run)
            session.commit()
