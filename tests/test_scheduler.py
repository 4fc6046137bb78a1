"""Scheduled jobs: they run inside the app, and with two processes exactly one of them runs the jobs."""

from __future__ import annotations

import fcntl
import logging
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.kpi import read
from backoffice.models import Customer, JobRun, KpiJobRun, utcnow
from backoffice.runtime import scheduler
from backoffice.runtime.scheduler import FileLeaderLock, Job, JobRunner, PostgresLeaderLock, purge_trash
from backoffice.services import job_runs

from .support.dead_leader import leader_killed_while_running
from .support.factories import make_customer, make_user
from .support.waiting import eventually
from .support.write_lock import busy_timeout_shortened, sqlite_write_lock


async def test_only_one_of_two_runners_leads_and_the_standby_takes_over() -> None:
    settings = get_settings()
    runs: list[str] = []
    job = [Job('tick', lambda s: runs.append('tick'), 'interval', {'seconds': 0.05})]
    first, second = (
        JobRunner(settings, jobs=job, standby_seconds=0.1),
        JobRunner(settings, jobs=job, standby_seconds=0.1),
    )
    await first.start()
    await second.start()
    try:
        assert (first.is_leader, second.is_leader) == (True, False)
        await eventually(lambda: runs, message='the leader runs its jobs')
        assert second.scheduler.get_job('tick') is None

        await first.stop()  # the leader goes away (a crash frees the lock the same way)
        await eventually(lambda: second.is_leader, message='the standby takes the lead')
        assert second.is_leader and second.scheduler.get_job('tick') is not None
    finally:
        await first.stop()
        await second.stop()


def test_the_trash_purge_job_removes_only_what_is_past_the_retention() -> None:
    old, recent = make_customer('old@example.com'), make_customer('recent@example.com')
    with session_scope() as session:
        for customer, days in ((old, 31), (recent, 2)):
            row = session.get(Customer, customer.id)
            row.deleted_at = utcnow() - timedelta(days=days)
            session.add(row)
        session.commit()
    assert purge_trash(get_settings())['purged']['customers'] == 1
    with session_scope() as session:
        assert session.get(Customer, old.id) is None and session.get(Customer, recent.id) is not None


def test_every_scheduled_job_runs_on_an_empty_database() -> None:
    from backoffice.runtime.scheduler import JOBS

    settings = get_settings()
    for job in JOBS:
        job.run(settings)  # raises if a job is broken, instead of failing quietly at night
    assert {job.name for job in JOBS} >= {'purge-trash', 'sla-check', 'send-outbox', 'purge-idempotency', 'low-stock'}


async def test_a_leader_that_lost_its_lock_stops_running_jobs_and_one_other_leads() -> None:
    """A database restart or a dropped connection frees the leader's lock without telling it: it must notice (before
    its next job at the latest) and stand by, so that exactly one process runs the jobs."""
    settings = get_settings()
    runs: dict[str, int] = {'first': 0, 'second': 0}

    def ticking(name: str) -> list[Job]:
        return [Job('tick', lambda s: runs.__setitem__(name, runs[name] + 1), 'interval', {'seconds': 0.05})]

    first = JobRunner(settings, jobs=ticking('first'), standby_seconds=0.1)
    second = JobRunner(settings, jobs=ticking('second'), standby_seconds=0.1)
    await first.start()
    await second.start()
    try:
        assert (first.is_leader, second.is_leader) == (True, False)
        lose_lock(first)
        await eventually(lambda: second.is_leader, message='another process takes the lead')
        await eventually(lambda: not first.is_leader, message='the old leader notices and stands by')
        assert first.scheduler.get_job('tick') is None
        ran_before = runs['first']
        await eventually(lambda: runs['second'] >= 3, message='the new leader runs the jobs')
        assert runs['first'] == ran_before, 'the old leader still ran a job'
        await eventually(lambda: first.scheduler.get_job('standby') is not None, message='it stands by')
    finally:
        await first.stop()
        await second.stop()


def lose_lock(runner: JobRunner) -> None:
    """What a restart does to the leader: its lock is gone, the process is not told."""
    lock = runner.lock
    if isinstance(lock, PostgresLeaderLock):
        pid = lock._connection.execute(text('SELECT pg_backend_pid()')).scalar()
        lock._connection.commit()
        with session_scope() as session:
            session.execute(text('SELECT pg_terminate_backend(:pid)'), {'pid': pid})
            session.commit()
    else:  # one machine: the lock file replaced under it (the flock stays on the old file)
        assert isinstance(lock, FileLeaderLock)
        fcntl.flock(lock._fd, fcntl.LOCK_UN)
        lock.still_held = lambda: False  # type: ignore[method-assign]


async def test_a_run_left_running_by_a_killed_leader_reads_interrupted_once_a_new_leader_runs_the_jobs() -> None:
    """kill -9 of the process running kpi-refresh left its run "running" for ever (and /system with it): the process
    that takes the lead closes it as interrupted, before any job runs, and the job's next runs are recorded as usual."""
    settings = get_settings()
    left = await leader_killed_while_running('kpi-refresh')
    assert outcomes('kpi-refresh') == [(left, 'running')], 'the dead leader left its run running'

    runner = JobRunner(settings, jobs=[Job('kpi-refresh', lambda s: 7, 'interval', {'seconds': 0.2})])
    await runner.start()
    try:
        assert runner.is_leader, 'the lock of the killed process is free'
        assert outcomes('kpi-refresh')[0] == (left, job_runs.INTERRUPTED), 'closed on taking the lead'
        await eventually(lambda: [o for _, o in outcomes('kpi-refresh')[1:]][:1] == ['ok'], message='the next run')
    finally:
        await runner.stop()
    assert outcomes('kpi-refresh')[0] == (left, job_runs.INTERRUPTED)
    with session_scope() as session:
        assert session.exec(select(JobRun.result).where(JobRun.outcome == 'ok')).first() == '7'


def test_a_run_left_running_is_closed_by_the_next_run_of_the_same_job_and_not_told_as_a_failure_streak() -> None:
    """Without a change of leader (the row was written by a leader that died just after its lock check), the job's
    next run closes the earlier one; other jobs' runs under way are left alone."""
    with session_scope() as session:
        session.add(JobRun(job='sla-check', outcome='failed', error='boom'))
        session.add(JobRun(job='sla-check'))  # left running by a dead process
        session.add(JobRun(job='backup'))  # another job, under way
        session.commit()
    with pytest.raises(RuntimeError):
        job_runs.record('sla-check', fail)
    assert [outcome for _, outcome in outcomes('sla-check')] == ['failed', job_runs.INTERRUPTED, 'failed']
    assert [outcome for _, outcome in outcomes('backup')] == ['running']


async def test_the_new_leader_closes_the_kpi_runs_only_a_leader_runs_and_leaves_a_recompute_alone() -> None:
    """kpi-refresh also writes a KPI job run (/settings, and the KPIs' freshness): a dead leader's stays unfinished
    until the next leader closes it as interrupted, which does not count as a refresh that succeeded. A recompute
    started from /settings may belong to any live process: left as it is."""
    with session_scope() as session:
        session.add(KpiJobRun(job='kpi-refresh'))
        session.add(KpiJobRun(job='kpi-recompute'))
        session.commit()
    runner = JobRunner(get_settings(), jobs=[Job('kpi-refresh', lambda s: 0, 'cron', {'hour': 3})])
    await runner.start()
    await runner.stop()
    with session_scope() as session:
        runs = {run.job: run for run in session.exec(select(KpiJobRun))}
        assert runs['kpi-refresh'].finished_at is not None and runs['kpi-refresh'].error == job_runs.KPI_INTERRUPTED
        assert runs['kpi-recompute'].finished_at is None
        assert read.freshness(session=session) is None, 'an interrupted run is no refresh'


async def test_the_leader_lock_asked_while_the_database_goes_stands_by_closes_its_connection_and_leads_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgresLeaderLock.acquire: the database went between the pool's ping and the lock query. The runner starts
    (no error out of start()), does not lead, has closed that connection, and leads at a later check."""
    connections: list[FakeConnection] = []
    down = {'now': True}

    class FakeEngine:
        def connect(self) -> FakeConnection:
            connections.append(FakeConnection(down['now']))
            return connections[-1]

    monkeypatch.setattr(scheduler, 'get_engine', lambda: FakeEngine())
    monkeypatch.setattr(scheduler, 'leader_lock', lambda settings: PostgresLeaderLock())
    runner = JobRunner(get_settings(), jobs=[], standby_seconds=0.05)
    await runner.start()
    try:
        assert not runner.is_leader and runner.scheduler.get_job('standby') is not None
        assert connections[0].closed and connections[0].invalidated, 'the broken connection is not kept or pooled'
        down['now'] = False
        await eventually(lambda: runner.is_leader, message='it leads at a later check once the database is back')
        assert all(c.closed for c in connections[:-1]) and not connections[-1].closed
    finally:
        await runner.stop()


class FakeConnection:
    """A connection the pool handed out; its queries fail while the database is down."""

    def __init__(self, down: bool) -> None:
        self.down, self.closed, self.invalidated = down, False, False

    def execute(self, *args: object, **kwargs: object) -> FakeConnection:
        if self.down:
            raise OperationalError('SELECT pg_try_advisory_lock', {}, Exception('server closed the connection'))
        return self

    def scalar(self) -> int:
        return 1

    def commit(self) -> None:
        pass

    def invalidate(self) -> None:
        self.invalidated = True

    def close(self) -> None:
        self.closed = True


def fail() -> None:
    raise RuntimeError('still broken')


def outcomes(job: str) -> list[tuple[int, str]]:
    with session_scope() as session:
        rows = session.exec(select(JobRun.id, JobRun.outcome).where(JobRun.job == job).order_by(col(JobRun.id)))
        return [(run_id, outcome) for run_id, outcome in rows]


# SQLite's write lock held by another connection while a job runs (a CI run under load: "database is locked")


async def test_a_job_that_meets_the_write_lock_tries_again_and_does_its_work_once_the_lock_is_let_go(
    short_busy_timeout: None, caplog: pytest.LogCaptureFixture
) -> None:
    """It used to fail the run with "database is locked" and an ERROR with its traceback (a browser test's teardown
    failed on it). Now the run tries again after a short pause: the trash is purged, the run reads done, nothing logged
    at ERROR."""
    old = make_customer('gone@example.com')
    in_the_trash_since(old.id, days=31)
    with sqlite_write_lock() as holder:
        job, tries = held_through(holder, scheduler.purge_trash, tries=1)
        await run_once(Job('purge-trash', job, 'date', {}))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'nothing logged as an error'
    assert len(tries) == 2, 'the first try met the lock, the second did the work'
    with session_scope() as session:
        assert session.get(Customer, old.id) is None
    assert [outcome for _, outcome in outcomes('purge-trash')] == ['ok']


async def test_a_job_that_meets_the_write_lock_through_every_try_is_skipped_with_a_warning_and_recorded_so(
    short_busy_timeout: None, caplog: pytest.LogCaptureFixture
) -> None:
    old = make_customer('kept@example.com')
    admin = make_user('admin')
    in_the_trash_since(old.id, days=31)
    with sqlite_write_lock() as holder:
        job, tries = held_through(holder, scheduler.purge_trash, tries=len(scheduler.BUSY_PAUSES) + 1)
        await run_once(Job('purge-trash', job, 'date', {}))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'no error: nothing is broken'
    assert len(tries) == len(scheduler.BUSY_PAUSES) + 1
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == scheduler.__name__]
    assert 'purge-trash skipped' in warning.getMessage() and 'database busy' in warning.getMessage()
    assert warning.exc_info is None and not warning.exc_text, 'no traceback'
    with session_scope() as session:
        [run] = session.exec(select(JobRun).where(JobRun.job == 'purge-trash')).all()
        assert (run.outcome, run.error) == (job_runs.SKIPPED_BUSY, None)
        assert session.get(Customer, old.id) is not None, 'left for the next turn'
        history = job_runs.overview(session=session, actor=admin, jobs=['purge-trash'])
    assert history[0].skipped and history[0].may_run_now and not history[0].failing


async def test_a_job_that_fails_otherwise_after_meeting_the_write_lock_logs_that_error(
    short_busy_timeout: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Only lock contention is tried again: another error, even on a later try, is an ERROR with its traceback and a
    failed run, as before."""

    def purge_then_break(settings: object) -> None:
        if len(tries) == 1:
            scheduler.purge_trash(get_settings())
        raise RuntimeError('broken "for real" <script>: not the lock')

    with sqlite_write_lock() as holder:
        job, tries = held_through(holder, purge_then_break, tries=1)
        await run_once(Job('purge-trash', job, 'date', {}))
    assert len(tries) == 2, 'the lock was tried again, the other error was not'
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and 'RuntimeError: broken' in (errors[0].exc_text or ''), 'logged with its traceback'
    with session_scope() as session:
        [run] = session.exec(select(JobRun).where(JobRun.job == 'purge-trash')).all()
    assert run.outcome == 'failed' and run.error.startswith('RuntimeError: broken')


async def test_a_kpi_job_whose_refresh_meets_the_write_lock_logs_no_error_and_refreshes_at_the_next_try(
    short_busy_timeout: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The KPI jobs record their own runs (/settings) and logged every failure as an ERROR, the lock's included."""
    from backoffice.kpi import refresh

    with sqlite_write_lock() as holder:
        refreshing, tries = held_through(holder, lambda settings: refresh.refresh_incremental(), tries=1)
        await run_once(Job('kpi-refresh', lambda s: refresh.run_job('kpi-refresh', lambda: refreshing(s)), 'date', {}))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'nothing logged as an error'
    assert len(tries) == 2
    assert [outcome for _, outcome in outcomes('kpi-refresh')] == ['ok']
    with session_scope() as session:
        runs = session.exec(select(KpiJobRun).order_by(col(KpiJobRun.id))).all()
    assert [run.error is None for run in runs] == [False, True], 'the first try is told at /settings, the second done'


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SQLite's busy timeout at 0.2 s instead of 5 (connections made from now on), and short pauses between tries."""
    with busy_timeout_shortened(monkeypatch):
        monkeypatch.setattr(scheduler, 'BUSY_PAUSES', (0.01, 0.01, 0.01))
        yield


def held_through(holder: sqlite3.Connection, work: Callable[[Any], Any], *, tries: int) -> tuple[Callable, list[int]]:
    """A job doing `work`, during whose first `tries` tries the holder holds the write lock (taken as the first starts,
    let go as the last of them ends: between two tries of the job, as another writer's transaction would end)."""
    made: list[int] = []

    def run(settings: Any) -> Any:
        made.append(1)
        if len(made) == 1:
            holder.execute('BEGIN IMMEDIATE')
        try:
            return work(settings)
        finally:
            if len(made) == tries:
                holder.rollback()

    return run, made


async def run_once(job: Job) -> None:
    """Run `job` once through a leading JobRunner, until APScheduler has told its end (after logging what it raised)."""
    runner = JobRunner(get_settings(), jobs=[job])
    ended: list[object] = []
    await runner.start()  # no await inside: the job cannot start before the listener is on
    runner.scheduler.add_listener(ended.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        await eventually(lambda: ended, message=f'the run of {job.name} ends')
    finally:
        await runner.stop()


def in_the_trash_since(customer_id: int, *, days: int) -> None:
    with session_scope() as session:
        row = session.get(Customer, customer_id)
        row.deleted_at = utcnow() - timedelta(days=days)
        session.add(row)
        session.commit()
