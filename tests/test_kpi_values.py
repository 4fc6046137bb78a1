"""KPI values against a small, hand-computed story: days in the shop's time zone, abandonment windows, active users
by the owner's definition (and after it changes), requests, and the incremental refresh."""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import StaleRecord
from backoffice.kpi import capture, days, definitions, refresh
from backoffice.models import AppSetting, AuditEntry, KpiDaily, KpiDefinition, KpiJobRun, Ticket, TicketStatus, utcnow

from .support.factories import make_customer, make_user

ZONE = 'Europe/Berlin'
TZ = ZoneInfo(ZONE)
D = days.today(ZONE) - timedelta(days=3)  # the day the story happens on


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time in Berlin, as the front office would send it."""
    return datetime.combine(day, time(hour, minute), TZ)


def send(*events: tuple) -> None:
    batch = []
    for number, (kind, when, who) in enumerate(events):
        identity = {'customer_email': who} if '@' in who else {'anonymous_id': who}
        batch.append(
            {'id': f'{kind}-{who}-{when.isoformat()}-{number}', 'type': kind, 'ts': when.isoformat(), **identity}
        )
    with session_scope() as session:
        result = capture.record_events(session=session, batch=batch)
    assert result.rejected == 0, result.errors


def ticket(number: int, customer_id: int, created: datetime, **fields) -> None:
    with session_scope() as session:
        session.add(
            Ticket(
                number=number,
                subject=f'Request {number}',
                customer_id=customer_id,
                token='t' * 20,
                created_at=created,
                updated_at=created,
                **fields,
            )
        )
        session.commit()


def values(key: str) -> dict[date, float | None]:
    with read_session() as session:
        rows = session.exec(select(KpiDaily).where(KpiDaily.kpi == key)).all()
    return {row.day: row.value for row in rows}


@pytest.fixture
def story() -> dict:
    with session_scope() as session:
        session.add(AppSetting(key='time_zone', value=ZONE))
        session.commit()
    jo, max_ = make_customer('jo@example.com'), make_customer('max@example.com')
    send(
        ('visit', at(D - timedelta(days=1), 23, 59), 'a0'),  # the day before, by a minute
        ('visit', at(D, 0, 30), 'a1'),  # 23:30 UTC the day before: still D in Berlin
        ('visit', at(D, 10), 'a2'),
        ('visit', at(D, 23, 30), 'a3'),
        ('page_view', at(D, 10, 1), 'a2'),
        ('page_view', at(D, 10, 2), 'a2'),
        ('signup_started', at(D, 10), 'a1'),
        ('signup_completed', at(D + timedelta(days=1), 9), 'a1'),  # 23 h
        ('signup_started', at(D, 11), 'a2'),
        ('signup_completed', at(D + timedelta(days=1), 12), 'a2'),  # 25 h
        ('signup_started', at(D, 12), 'a3'),  # never
        ('checkout_started', at(D, 13), 'jo@example.com'),
        ('order_placed', at(D, 13, 10), 'jo@example.com'),
        ('checkout_started', at(D, 14), 'a3'),
        ('login', at(D - timedelta(days=2), 9), 'jo@example.com'),
        ('login', at(D, 9), 'jo@example.com'),
        ('login', at(D, 9), 'max@example.com'),
    )
    ticket(
        1001,
        jo.id,
        at(D - timedelta(days=1), 10),
        status=TicketStatus.solved,
        solved_at=at(D, 9),
        rating=5,
        rated_at=at(D, 10),
    )
    ticket(1002, max_.id, at(D, 8), status=TicketStatus.open, sla_breached_at=at(D, 16))
    ticket(
        1003,
        jo.id,
        at(D, 9),
        status=TicketStatus.solved,
        solved_at=at(D + timedelta(days=1), 8),
        rating=2,
        rated_at=at(D + timedelta(days=1), 9),
    )
    with session_scope() as session:
        session.add(KpiDefinition(values={'active_min_events': 2, 'active_days': 7, 'active_types': ['login']}))
        session.commit()
    return {'jo': jo, 'max': max_}


def test_each_kpi_matches_the_hand_computed_story(story: dict) -> None:
    refresh.recompute(first=D - timedelta(days=1), last=D + timedelta(days=1))

    before, day, after = D - timedelta(days=1), D, D + timedelta(days=1)
    assert values('visits') == {before: 1, day: 3, after: 0}
    assert values('page_views')[day] == 2
    assert values('signups') == {before: 0, day: 0, after: 2}
    assert values('signup_abandonment')[day] == pytest.approx(66.67)  # a2 (25 h) and a3 (never) of three
    assert values('checkout_abandonment')[day] == 50  # a3 of jo and a3
    assert values('checkout_abandonment')[before] is None  # no checkout: no rate, not 0 %
    # the funnel's last two steps say the same as checkout abandonment: 2 checkouts, 1 order placed from them
    assert (values('checkouts')[day], values('orders_placed_online')[day]) == (2, 1)
    assert values('active_users')[day] == 1  # jo: 2 logins in 7 days; max only one
    assert values('open_requests') == {before: 1, day: 2, after: 1}
    assert values('sla_breaches') == {before: 0, day: 1, after: 0}
    assert values('csat') == {before: None, day: 100, after: 0}
    assert values('orders').get(day) in (None, 0)  # no orders yet: no history (no value)


def test_a_definition_change_is_dated_audited_and_recomputes_history_in_the_background(story: dict) -> None:
    refresh.recompute(first=D - timedelta(days=1), last=D + timedelta(days=1))
    owner = make_user('admin')

    with session_scope() as session:
        saved, diff = definitions.change(
            session=session, actor=owner, values={'active_min_events': 1, 'abandonment_hours': 48}
        )
    assert diff == {'active_min_events': [2, 1], 'abandonment_hours': [24, 48]}
    run_id, thread = refresh.start_recompute(keys=definitions.affected(diff), reason='test')
    thread.join(timeout=60)

    assert values('active_users')[D] == 2  # max's single login counts now
    assert values('signup_abandonment')[D] == pytest.approx(33.33)  # a2 finished within 48 h
    assert values('visits')[D] == 3  # untouched
    with read_session() as session:
        run = session.get(KpiJobRun, run_id)
        records = session.exec(select(KpiDefinition).order_by(KpiDefinition.id)).all()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'kpis.definitions_changed')).one()
    recorded = len(days.span(D - timedelta(days=1), days.today(ZONE)))  # 5, or 6 when the shop's midnight passed
    assert (run.done, run.total, run.error) == (recorded, recorded, None)  # from the oldest recorded day to today
    assert run.finished_at is not None
    assert [r.values['active_min_events'] for r in records] == [2, 1]
    assert records[-1].changed_by == owner.email and entry.changes['abandonment_hours'] == [24, 48]


def test_the_incremental_refresh_reads_only_what_is_new(story: dict) -> None:
    assert refresh.refresh_incremental() > 0  # the first run catches up with everything there is
    today = days.today(ZONE)
    visits_today = values('visits').get(today, 0)

    send(('visit', utcnow() - timedelta(seconds=30), 'a9'), ('visit', utcnow() - timedelta(seconds=20), 'a8'))
    written = refresh.refresh_incremental()

    assert values('visits')[today] == visits_today + 2
    assert values('visits')[D] == 3  # an older day is left as it was
    assert 0 < written < 20  # today's values of the event KPIs, not the whole history
    assert refresh.refresh_incremental() <= 1  # nothing new: at most the stock level is read again


def test_a_refresh_job_run_is_recorded_with_its_error() -> None:
    assert refresh.run_job('kpi-refresh', lambda: 7) == 7
    with pytest.raises(RuntimeError):
        refresh.run_job('kpi-refresh', _fail)
    with read_session() as session:
        ok, failed = reversed(refresh.latest_runs(session=session))
    assert (ok.rows, ok.error, failed.error) == (7, None, 'RuntimeError: database went away')
    assert ok.finished_at >= ok.started_at


def _fail() -> int:
    raise RuntimeError('database went away')


def test_active_users_over_a_span_agree_with_each_day_on_its_own(story: dict) -> None:
    from backoffice.kpi.registry import Day, active_users, active_users_span

    with read_session() as session:
        defs = definitions.current(session=session)
        span = active_users_span(session, D - timedelta(days=3), D + timedelta(days=2), ZONE, defs)
        one_by_one = {day: active_users(Day(session, *days.bounds(day, ZONE), defs, zone=ZONE)).value for day in span}
    assert {day: value.value for day, value in span.items()} == one_by_one
    assert list(one_by_one.values()) == [0, 0, 0, 1, 1, 1]  # jo from his second login (D) on; max never has 2


def test_an_event_dated_on_an_earlier_day_reaches_active_users_at_the_next_refresh(story: dict) -> None:
    refresh.recompute(first=D - timedelta(days=1), last=days.today(ZONE))
    refresh.refresh_incremental()  # remembers each finished day's events per customer
    send(('login', utcnow() - timedelta(seconds=10), 'jo@example.com'))
    refresh.refresh_incremental()
    assert values('active_users')[D] == 1  # max: one login in 7 days

    send(('login', at(D, 18), 'max@example.com'))  # sent late: max's second login, on day D
    refresh.refresh_incremental()

    assert values('active_users')[D] == 2  # D's remembered counts were dropped and read again
    assert values('active_users')[D + timedelta(days=1)] == 2


@pytest.mark.parametrize(
    ('dst_day', 'outside', 'inside'),
    [  # Paris: 29 March 2026 has 23 hours (02:00 → 03:00), 25 October 2026 has 25 (03:00 → 02:00)
        (date(2026, 3, 29), datetime(2026, 3, 28, 22, 30, tzinfo=UTC), datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),
        (date(2026, 10, 25), datetime(2026, 10, 24, 21, 30, tzinfo=UTC), datetime(2026, 10, 24, 22, 30, tzinfo=UTC)),
    ],
)
def test_active_users_of_a_dst_day_count_that_local_day(dst_day: date, outside: datetime, inside: datetime) -> None:
    """Active users over one day (and over 30 days ending a month after the change) counted from "the day's end minus
    24 h": on Paris's 23-hour day a sign-in at 23:30 the evening before counted, on its 25-hour day one at 00:30 did
    not. The one-day function (the incremental refresh, the day so far) now agrees with the span the nightly recompute
    uses, both on the DST day and on a 30-day window across it."""
    from backoffice.kpi.registry import Day, active_users, active_users_span
    from backoffice.models import EventType, UsageEvent

    zone = 'Europe/Paris'
    before, counted = make_customer(email='avant@example.com'), make_customer(email='compte@example.com')
    with session_scope() as session:
        for number, (who, when) in enumerate(((before, outside), (counted, inside))):
            session.add(
                UsageEvent(
                    client_id=f'dst-{dst_day}-{number}',
                    type=int(EventType.login),
                    ts=when,
                    customer_id=who.id,
                    anonymous_id=f'a{number}',
                    session_id=f's{number}',
                )
            )
        session.commit()
    month_later = dst_day + timedelta(days=29)  # its 30-day window starts on the DST day
    with read_session() as session:
        for defs, day in (
            (definitions.Definitions(active_days=1), dst_day),
            (definitions.Definitions(active_days=30), month_later),
        ):
            one = active_users(Day(session, *days.bounds(day, zone), defs, zone=zone)).value
            spanned = active_users_span(session, day, day, zone, defs)[day].value
            assert one == spanned == 1, (day, one, spanned)  # the customer of that local day, not the one before


def test_two_admins_saving_the_definitions_at_once_one_is_refused_naming_the_other(monkeypatch) -> None:
    """Ann and Bo both opened the KPI settings and change the same definition at the same moment: Ann's save reads
    and is held there until Bo's has read too, or for 3 s (Bo's read waits for Ann's commit when the check and the
    write are one step); Bo is refused with Ann's name, only Ann's value is saved."""
    ann = make_user('admin', email='ann.kpi@example.com', name='Ann "Ops": <b>')
    bo = make_user('admin', email='bo.kpi@example.com')
    with read_session() as session:
        shown = asdict(definitions.current(session=session))
    read = definitions.current
    ann_read, bo_read = threading.Event(), threading.Event()

    def current(*, session):
        found = read(session=session)
        if threading.current_thread().name == 'ann':
            ann_read.set()
            bo_read.wait(timeout=3)  # without the lock Bo reads the same as Ann now; with it, not before Ann commits
        elif threading.current_thread().name == 'bo':
            bo_read.set()
        return found

    monkeypatch.setattr(definitions, 'current', current)
    outcomes: dict[str, object] = {}

    def save(actor, days: int) -> None:
        if actor is bo:
            ann_read.wait(timeout=30)
        try:
            with session_scope() as session:
                definitions.change(session=session, actor=actor, values={'at_risk_days': days}, seen=shown)
            outcomes[actor.email] = 'saved'
        except StaleRecord as refused:
            outcomes[actor.email] = refused

    threads = [
        threading.Thread(target=save, args=(ann, 30), name='ann'),
        threading.Thread(target=save, args=(bo, 20), name='bo'),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refused = outcomes[bo.email]
    assert outcomes[ann.email] == 'saved' and isinstance(refused, StaleRecord)
    assert refused.changed_by == ann.name and ann.name in str(refused)
    with read_session() as session:
        records = session.exec(select(KpiDefinition)).all()
    assert [r.values['at_risk_days'] for r in records] == [30]
