"""Scheduled jobs run once across a real PostgreSQL restart: a cluster of the test's own (Debian's initdb and pg_ctl,
never the machine's shared server) is restarted, then stopped, left down and started again, under two job runners;
afterwards exactly one of them runs the jobs and the run records show no job run twice for the same time.

Issue 20: after a restart plus a dropped connection no process held the scheduler's advisory lock, and the KPI refresh
ran twice a minute for 9 minutes. tests/test_scheduler.py covers the dropped connection alone (pg_terminate_backend)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import text
from sqlmodel import SQLModel, select

from backoffice import db
from backoffice.config import reload_settings
from backoffice.db import session_scope
from backoffice.models import JobRun, KpiJobRun
from backoffice.runtime.scheduler import ADVISORY_LOCK_KEY, Job, JobRunner, refresh_kpis

from .support.private_servers import PrivatePostgres, missing_postgres
from .support.waiting import eventually

EVERY = 1.0  # seconds between two runs of the job (kpi-refresh runs every minute in production)
DOWN_SECONDS = 2.0  # how long the database stays stopped while the runners go on


@pytest.fixture
def private_postgres(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivatePostgres]:
    reason = missing_postgres()
    if reason:
        if os.environ.get('CI') == 'true':  # .ci/run installs the server binaries
            pytest.fail(reason)
        pytest.skip(reason)
    server = PrivatePostgres()
    try:
        monkeypatch.setenv('BACKOFFICE_DATABASE_URL', server.url)
        reload_settings()
        # the tables as the models describe them, which the migrations create (tests/test_db.py), in less time
        engine = db.configure(server.url)
        with engine.begin() as connection:
            connection.execute(text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))  # as the migrations do
        SQLModel.metadata.create_all(engine)
        yield server
    finally:
        db.configure(database_url)  # back to the suite's database (disposes the private cluster's connections)
        monkeypatch.setenv('BACKOFFICE_DATABASE_URL', database_url)
        reload_settings()
        server.close()


async def test_after_a_restart_and_a_stop_start_exactly_one_runner_runs_each_job_once(
    private_postgres: PrivatePostgres,
) -> None:
    server = private_postgres
    settings = reload_settings()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    ran: list[tuple[str, datetime]] = []  # who ran the job, when

    def kpi_refresh(name: str) -> list[Job]:
        def run(settings_):
            ran.append((name, datetime.now(UTC)))
            return refresh_kpis(settings_)

        # both runners' jobs fall on the same times (start + n × EVERY), as the production interval job does on every
        # process: two leaders would run it twice for the same time
        return [Job('kpi-refresh', run, 'interval', {'seconds': EVERY, 'start_date': start})]

    runners = {name: JobRunner(settings, jobs=kpi_refresh(name), standby_seconds=0.2) for name in ('first', 'second')}
    scheduled: list[tuple[str, datetime]] = []  # each run that ran, by the time it was scheduled for (APScheduler's)

    def executed(name: str, event: JobExecutionEvent) -> None:
        # a run that failed (the database went under it) counts; a runner that no longer led returned None: no run
        if event.job_id == 'kpi-refresh' and (event.exception is not None or event.retval is not None):
            scheduled.append((name, event.scheduled_run_time))

    for name, runner in runners.items():
        await runner.start()  # its first run comes a second later, after the listener is on
        runner.scheduler.add_listener(
            lambda event, name=name: executed(name, event), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
    try:
        assert [runner.is_leader for runner in runners.values()] == [True, False]
        await runs_after(len(ran) + 2, ran, 'the leader runs the KPI refresh')

        await asyncio.to_thread(server.restart)  # pg_ctl restart: every connection is cut, the lock freed
        await one_leads_and_runs(runners, ran, 'after pg_ctl restart')

        await asyncio.to_thread(server.stop)  # stopped while the runners go on, then started again
        await asyncio.sleep(DOWN_SECONDS)
        assert not any(runner.is_leader for runner in runners.values()), 'a runner leads with the database down'
        await asyncio.to_thread(server.start)
        back_at = datetime.now(UTC)
        leader = await one_leads_and_runs(runners, ran, 'after pg_ctl stop, a pause and pg_ctl start')

        await runs_after(len(ran) + 3, ran, 'the leader keeps running the job')
        assert leaders(runners) == [leader], 'the lead changed hands while the database was up'
        assert lock_holders() == 1, 'one session holds the scheduler lock in PostgreSQL'
    finally:
        for runner in runners.values():
            await runner.stop()

    assert len(scheduled) >= len(ran) - len(runners), 'the runs are seen (each runner may have one still under way)'
    repeated = {t: n for t, n in Counter(t for _, t in scheduled).items() if n > 1}
    assert repeated == {}, f'the job ran twice for the same scheduled time: {scheduled}'
    with session_scope() as session:
        recorded = list(session.exec(select(JobRun.started_at).where(JobRun.job == 'kpi-refresh')))
        kpi_runs = list(session.exec(select(KpiJobRun.started_at).where(KpiJobRun.job == 'kpi-refresh')))
    # (a run under way when the database went may have left no record; those after its return all have one)
    assert len([t for t in recorded if aware(t) > back_at]) >= 3, 'the runs are recorded in job_runs'
    assert len([t for t in kpi_runs if aware(t) > back_at]) >= 3, 'the refreshes are recorded in kpi_job_runs'
    assert twice(slots(recorded, start)) == {}, f'job_runs shows a run twice for the same time: {sorted(recorded)}'
    assert twice(slots(kpi_runs, start)) == {}, f'kpi_job_runs shows a refresh twice for one time: {sorted(kpi_runs)}'


async def one_leads_and_runs(runners: dict[str, JobRunner], ran: list[tuple[str, datetime]], when: str) -> str:
    """Wait until exactly one runner leads and it ran the job twice since; return its name."""
    await eventually(lambda: len(leaders(runners)) == 1, message=f'one runner leads {when}')
    count = len(ran)
    await runs_after(count + 2, ran, f'the jobs run again {when}')
    assert len(leaders(runners)) == 1, f'exactly one runner leads {when}: {leaders(runners)}'
    (leader,) = leaders(runners)
    assert {name for name, _ in ran[count:]} == {leader}, f'only the leader ran the job {when}'
    return leader


async def runs_after(count: int, ran: list[tuple[str, datetime]], message: str) -> None:
    await eventually(lambda: len(ran) >= count, timeout=max(15.0, 6 * EVERY), message=message)


def leaders(runners: dict[str, JobRunner]) -> list[str]:
    return [name for name, runner in runners.items() if runner.is_leader]


def lock_holders() -> int:
    with session_scope() as session:
        return session.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key"),
            {'key': ADVISORY_LOCK_KEY},
        ).scalar_one()


def slots(times, start: datetime) -> list[int]:
    """The scheduled time each recorded run belongs to (it starts a few milliseconds after that time)."""
    return [round((aware(t) - start).total_seconds() / EVERY) for t in times]


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def twice(numbers: list[int]) -> dict[int, int]:
    return {number: count for number, count in Counter(numbers).items() if count > 1}
