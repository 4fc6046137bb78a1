"""Scheduled jobs: they run inside the app, and with two processes exactly one of them runs the jobs."""

import fcntl
from datetime import timedelta

from sqlalchemy import text

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.models import Customer, utcnow
from backoffice.runtime.scheduler import FileLeaderLock, Job, JobRunner, PostgresLeaderLock, purge_trash

from .support.factories import make_customer
from .support.waiting import eventually


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
