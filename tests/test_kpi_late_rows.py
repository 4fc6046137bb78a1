"""Rows committed late: a transaction that took its ids before another committed, but committed after the refresh
read past them, is still counted by the next incremental refresh (not only by the nightly recompute)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.kpi import days, refresh
from backoffice.models import EventType, KpiDaily, KpiWatermark, UsageEvent, utcnow


def visit(name: str, ident: int | None = None) -> UsageEvent:
    return UsageEvent(
        id=ident, client_id=name, type=int(EventType.visit), ts=utcnow() - timedelta(seconds=5), anonymous_id=name
    )


def visits_today() -> float:
    with read_session() as session:
        value = session.execute(
            select(KpiDaily.value).where(KpiDaily.kpi == 'visits', KpiDaily.day == days.today('UTC'))
        ).scalar_one_or_none()
    return value or 0


def top_event_id() -> int:
    with read_session() as session:
        return session.execute(select(func.max(UsageEvent.id))).scalar_one() or 0


def test_an_event_committed_behind_the_watermark_is_counted_by_the_next_refresh() -> None:
    with session_scope() as session:
        session.add(visit('first'))
        session.commit()
    refresh.refresh_incremental()
    assert visits_today() == 1
    below = top_event_id() + 1
    with session_scope() as session:  # a later transaction commits first, with a higher id
        session.add(visit('early', ident=below + 3))
        session.commit()
    refresh.refresh_incremental()
    assert visits_today() == 2

    with session_scope() as session:  # the earlier one commits now, behind the watermark
        session.add(visit('late', ident=below))
        session.commit()
    refresh.refresh_incremental()

    assert visits_today() == 3
    refresh.refresh_incremental()
    assert visits_today() == 3  # counted once, not at every run


def test_a_hole_that_never_fills_is_forgotten_after_a_while() -> None:
    with session_scope() as session:
        session.add(visit('first', ident=1))
        session.add(visit('after-a-rollback', ident=5))
        session.commit()
    later = utcnow() + refresh.GAP_PATIENCE + timedelta(minutes=1)
    refresh.refresh_incremental()
    with read_session() as session:
        assert session.get(KpiWatermark, 'events').gaps[0][:2] == [2, 4]
    refresh.refresh_incremental(now=later)
    with read_session() as session:
        assert session.get(KpiWatermark, 'events').gaps == []
    assert visits_today() == 2


def test_two_transactions_committing_out_of_order_on_postgresql() -> None:
    engine = db.get_engine()
    if engine.dialect.name != 'postgresql':
        pytest.skip('SQLite hands out ids one writer at a time: a lower id cannot commit after a higher one')
    slow = Session(engine)
    slow.add(visit('slow'))
    slow.flush()  # takes its id now, commits later
    done = threading.Event()

    def fast() -> None:
        with session_scope() as session:
            session.add(visit('fast'))
            session.commit()
        done.set()

    threading.Thread(target=fast).start()
    assert done.wait(10)
    refresh.refresh_incremental()
    assert visits_today() == 1
    slow.commit()
    slow.close()
    refresh.refresh_incremental()
    assert visits_today() == 2


def test_an_event_dated_weeks_back_reaches_its_day_at_the_next_refresh() -> None:
    """The front office may send an event up to 90 days late (a phone back online, a replayed queue): it was accepted
    and counted nowhere, its day past the 35 the refresh and the nightly recompute reach."""
    today = days.today('UTC')
    late_day = today - timedelta(days=50)
    with session_scope() as session:
        session.add(visit('first-ever'))
        session.add(visit('long ago'))
        session.commit()
        session.get(UsageEvent, top_event_id()).ts = utcnow() - timedelta(days=60)
        session.commit()
    refresh.recompute(first=today - timedelta(days=60))
    refresh.refresh_incremental()
    assert visits_on(late_day) == 0

    with session_scope() as session:
        late = visit('back online: "late" <script>')
        late.ts = utcnow() - timedelta(days=50)
        session.add(late)
        session.commit()
    refresh.refresh_incremental()

    assert visits_on(late_day) == 1


def visits_on(day) -> float | None:
    with read_session() as session:
        return session.execute(
            select(KpiDaily.value).where(KpiDaily.kpi == 'visits', KpiDaily.day == day)
        ).scalar_one_or_none()
