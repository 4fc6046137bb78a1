"""A scheduled job whose last run failed can be run at once from /system ("Run now"): the request is audited, checked
on the server (system.manage), and the process that runs the jobs starts it within seconds, recorded like any run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import AuditEntry, JobRun
from backoffice.permissions import PermissionDenied
from backoffice.runtime.scheduler import JOBS, Job, JobRunner
from backoffice.services import job_runs

from .support.factories import make_role, make_user
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'SMTP said "no": <script>alert(1)</script> <img src=x onerror=alert(2)>'
KNOWN = [job.name for job in JOBS]


def fail(job: str) -> None:
    def broken() -> None:
        raise RuntimeError(HOSTILE)

    with pytest.raises(RuntimeError):
        job_runs.record(job, broken)


def outcomes(job: str) -> list[str]:
    with read_session() as session:
        return list(session.exec(select(JobRun.outcome).where(JobRun.job == job).order_by(col(JobRun.id))))


def asked_entries() -> list[str]:
    with read_session() as session:
        return list(
            session.exec(
                select(AuditEntry.summary)
                .where(AuditEntry.action == 'system.job_run_requested')
                .order_by(col(AuditEntry.id))
            )
        )


async def test_an_admin_runs_a_failed_job_now_from_the_system_page(user: User) -> None:
    admin = make_user('admin')
    fail('backup')
    job_runs.record('send-outbox', lambda: {'sent': 1})
    await signed_in(user, admin.email, path='/system')
    await user.should_see(f'RuntimeError: {HOSTILE}')
    await user.should_not_see(marker='run-now-send-outbox')  # its last run went well
    user.find(marker='run-now-backup').click()
    await user.should_see('will run within a few seconds.')
    await eventually(lambda: outcomes('backup') == ['failed', job_runs.REQUESTED])
    assert asked_entries() == ['Run of backup asked for']
    await user.should_see(marker='run-asked')
    await user.should_not_see(marker='run-now-backup')  # asked once is enough
    with session_scope() as session, pytest.raises(ValidationFailed):
        job_runs.request_run(session=session, actor=admin, job='backup', jobs=KNOWN)


def test_someone_who_does_not_manage_the_system_cannot_run_a_job_and_only_known_jobs_run() -> None:
    fail('backup')
    for person in (make_user('manager'), make_user(make_role('audit.read', name='Auditor').key)):
        with session_scope() as session, pytest.raises(PermissionDenied):
            job_runs.request_run(session=session, actor=person, job='backup', jobs=KNOWN)
    with session_scope() as session, pytest.raises(NotFound):
        job_runs.request_run(session=session, actor=make_user('admin'), job=HOSTILE[:40], jobs=KNOWN)
    assert outcomes('backup') == ['failed'] and asked_entries() == []


async def test_the_process_that_runs_the_jobs_starts_a_job_asked_for_and_records_its_run() -> None:
    ran: list[int] = []
    nightly = Job('test-nightly', lambda settings: ran.append(1) or len(ran), 'cron', {'hour': 3, 'minute': 0})
    once = Job('test-once', lambda settings: ran.append(2) or len(ran), 'date', {})
    runner = JobRunner(reload_settings(), jobs=[nightly, once])
    await runner.start()
    done: list[str] = []  # the scheduler's word that a run is over (its instance count is down: max_instances)
    runner.scheduler.add_listener(lambda event: done.append(event.job_id), EVENT_JOB_EXECUTED)
    try:
        assert runner.is_leader
        await eventually(lambda: ran == [2] and 'test-once' in done)  # the run-once job ran at the start, and is gone
        admin = make_user('admin')
        for job in ('test-nightly', 'test-once'):
            with session_scope() as session:
                job_runs.request_run(session=session, actor=admin, job=job, jobs=['test-nightly', 'test-once'])
        assert sorted(runner.run_requested()) == ['test-nightly', 'test-once']
        await eventually(lambda: sorted(ran) == [1, 2, 2], message='each once more, now, not at 03:00')
        await eventually(lambda: outcomes('test-nightly') == ['ok'])  # the request became its run
        await eventually(lambda: outcomes('test-once') == ['ok', 'ok'])
        assert runner.run_requested() == []  # taken once
        assert runner.scheduler.get_job('test-nightly').next_run_time.hour == 3  # still nightly after
    finally:
        await runner.stop()


def start_running(job: str) -> JobRun:
    """The scheduler's own start of `job` (its time came), still going: the row `job_runs.record` writes first."""
    with session_scope() as session:
        run = JobRun(job=job, started_at=datetime(2026, 12, 6, 5, 41, tzinfo=UTC))
        session.add(run)
        session.commit()
        session.refresh(run)
        return run


async def test_run_now_on_a_job_that_started_meanwhile_says_since_when_it_runs_and_asks_nothing(user: User) -> None:
    """The page showed the failed backup with "Run now"; its next run started before the click: the click was taken,
    the scheduler skipped the second start, and nobody was told."""
    admin = make_user('admin')
    fail('backup')
    await signed_in(user, admin.email, path='/system')
    await user.should_see(f'RuntimeError: {HOSTILE}')  # the failure's text, literally
    start_running('backup')
    user.find(marker='run-now-backup').click()
    await user.should_see('Nightly backup is already running, started at 2026-12-06 05:41 UTC.')
    await user.should_not_see('will run within a few seconds.')
    await user.should_not_see(marker='run-now-backup')  # the card now shows the run going on
    await user.should_see(marker='outcome-running')
    assert outcomes('backup') == ['failed', 'running'] and asked_entries() == []


def test_a_job_running_is_not_asked_for_and_a_run_started_after_the_request_is_the_run_asked_for() -> None:
    admin = make_user('admin')
    fail('digests')
    start_running('digests')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        job_runs.request_run(session=session, actor=admin, job='digests', jobs=KNOWN)
    assert refused.value.errors == {'': 'Send digests is already running, started at 2026-12-06 05:41 UTC.'}
    assert outcomes('digests') == ['failed', 'running'] and asked_entries() == []

    job_runs.record('digests', lambda: 1)  # that run ended (the next one closes it), and this one went well
    with session_scope() as session:
        job_runs.request_run(session=session, actor=admin, job='digests', jobs=KNOWN)
    job_runs.record('backup', lambda: None)  # another job's run is no answer to this request
    start_running('digests')  # the job's time came before the runner took the request: that run is the one asked for
    assert job_runs.take_requested(KNOWN) == []
    assert outcomes('digests') == ['failed', job_runs.INTERRUPTED, 'ok', 'running']  # the request is gone

    fail('backup')
    with session_scope() as session:
        job_runs.request_run(session=session, actor=admin, job='backup', jobs=KNOWN)
    assert job_runs.take_requested(KNOWN) == ['backup']  # nothing started meanwhile: taken to run
    assert job_runs.take_requested(KNOWN) == []
