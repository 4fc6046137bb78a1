"""Scheduled jobs (APScheduler), started and stopped with the app; with several processes exactly one runs them."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from backoffice import secret_hint, write_failures
from backoffice.config import Settings
from backoffice.db import get_engine, session_scope

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x6261636B  # 'back': the one PostgreSQL advisory lock that elects the job runner
# SQLite: a run whose write met other writers holding the database past the busy timeout (5 s, `db.BUSY_TIMEOUT_MS`) is
# tried again after each of these pauses (seconds), then left to the job's next turn (recorded "skipped: database busy")
BUSY_PAUSES: tuple[float, ...] = (1, 2, 4)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Settings], Any]
    trigger: str  # APScheduler trigger: 'cron', 'interval' or 'date' (once)
    options: dict[str, Any]


def purge_trash(settings: Settings) -> dict[str, Any]:
    """Delete for good what has been in the trash longer than the retention period set at /settings; the result
    counts what went, by resource, and says in words why each record that stayed was kept."""
    from backoffice.services import app_settings, trash

    with session_scope() as session:
        days = app_settings.value(session=session, key='trash_days')
        done = trash.purge_all_expired(session=session, older_than=timedelta(days=days))
    result = {
        'purged': {key: purge.purged for key, purge in done.items()},
        'kept': [reason for purge in done.values() for reason in purge.kept],
    }
    log.info('purged from the trash: %s; kept: %d', result['purged'], len(result['kept']))
    return result


def check_sla(settings: Settings) -> list[int]:
    """Flag requests past their SLA due time and notify their assignees."""
    from backoffice.services import ticket_sla

    with session_scope() as session:
        return ticket_sla.flag_sla_breaches(session=session)


def wake_snoozed(settings: Settings) -> list[int]:
    """Bring back the snoozed requests whose time has come, and tell their agents."""
    from backoffice.services import ticket_snooze

    with session_scope() as session:
        return ticket_snooze.wake_snoozed(session=session)


def send_outbox(settings: Settings) -> dict[str, int]:
    """Send the replies and the staff emails waiting in the outbox (when BACKOFFICE_SMTP_URL is set)."""
    from backoffice.services import mail, staff_mail

    counts = mail.send_outbox(settings)
    for outcome, count in staff_mail.send_staff_mail(settings).items():
        counts[outcome] = counts.get(outcome, 0) + count
    return counts


def queue_reminders(settings: Settings) -> list[int]:
    """Write the payment reminders that overdue invoices reached (the levels set in the settings)."""
    from backoffice.services import dunning

    with session_scope() as session:
        return dunning.queue_reminders(session=session)


def send_reminders(settings: Settings) -> dict[str, int]:
    """Send the approved payment reminders, each with its invoice PDF (when BACKOFFICE_SMTP_URL is set)."""
    from backoffice.services import dunning

    return dunning.send_reminders(settings)


def purge_idempotency(settings: Settings) -> int:
    """Forget stored API answers older than the window in which a front office may retry."""
    from backoffice.services import api_keys

    with session_scope() as session:
        return api_keys.purge_idempotency_records(session=session)


def sweep_exports(settings: Settings) -> int:
    """Remove exported files (personal data) that a download never fetched, an hour after they were written."""
    from backoffice.transfer import export_files

    return export_files.sweep()


def nightly_backup(settings: Settings) -> str:
    """A copy of the whole database in <data>/backups, keeping the last two weeks."""
    from backoffice.services import backups

    with session_scope() as session:
        return backups.take_backup(session=session, actor=None, settings=settings).name


def refresh_kpis(settings: Settings) -> int:
    """Bring today's KPIs up to date from the rows new since the last run."""
    from backoffice.kpi import refresh

    rows = refresh.run_job('kpi-refresh', refresh.refresh_incremental)
    check_alerts(settings)
    return rows


def check_alerts(settings: Settings) -> dict[str, int]:
    """After each refresh: check the alert rules on the fresh aggregates, then send what they queued (and retries)."""
    from backoffice.services import alert_checks, alert_delivery

    counts = alert_checks.evaluate()
    alert_delivery.send_due(settings)
    return counts


def recompute_kpis(settings: Settings) -> int:
    """Recompute the last weeks of KPIs fully (late events, cancelled orders, refunds of older orders), and any day
    of their history not computed yet."""
    from backoffice.kpi import refresh

    return refresh.run_job('kpi-nightly', lambda: refresh.backfill_history() + refresh.recompute())


def backfill_kpis(settings: Settings) -> int:
    """Once at start: compute the days of KPI history that have no aggregate yet (all of them back to the first order
    or event; nothing to do once that is done)."""
    from backoffice.kpi import refresh

    return refresh.run_job('kpi-backfill', refresh.backfill_history)


def check_low_stock(settings: Settings) -> list[int]:
    """Tell the staff who run stock about products at or below their minimum (once until restocked)."""
    from backoffice.services import stock

    with session_scope() as session:
        return stock.alert_low_stock(session=session)


def send_webhooks(settings: Settings) -> dict[str, int]:
    """POST the webhook deliveries that are due (new ones, and retries whose backoff has passed)."""
    from backoffice.services import webhooks

    return webhooks.dispatch_due()


def poll_mailboxes(settings: Settings) -> dict[str, int]:
    """Read the support mailboxes' new mail: new requests, replies joining their thread, auto-replies set aside."""
    from backoffice.services import mail_intake

    return mail_intake.poll_all()


def apply_retention(settings: Settings) -> int:
    """Anonymise the usage events and closed requests older than the retention months set at /settings (empty: kept);
    each run is recorded with the other jobs' runs (the KPI jobs list on /settings)."""
    from backoffice.kpi import refresh
    from backoffice.services import retention

    return refresh.run_job('retention', retention.run)


def send_report_schedules(settings: Settings) -> int:
    """Queue the scheduled reports whose week or month has ended (each period once)."""
    from backoffice.services import report_schedules

    with session_scope() as session:
        return report_schedules.send_due(session=session)


def send_digests(settings: Settings) -> int:
    """Queue the digests whose day or week has come (each period once per person, however often it runs)."""
    from backoffice.services import digest

    return digest.send_due()


def send_customer_reports(settings: Settings) -> int:
    """Queue the companies' reports whose week or month has ended (each period once per company)."""
    from backoffice.services import customer_reports

    return customer_reports.send_due()


def push_segments(settings: Settings) -> dict[str, int]:
    """Push the saved segments whose scheduled day has come to the campaign tool's webhook (each once that day; a
    failed one again at the next run)."""
    from backoffice.services import segment_pushes

    return segment_pushes.push_due()


def run_automations(settings: Settings) -> dict[str, int]:
    """Run the automation triggers no worker ran yet (another process's, or one that died), then prune the run log."""
    from backoffice.services import automation_runner

    return automation_runner.run_job()


JOBS: list[Job] = [
    Job('purge-trash', purge_trash, 'cron', {'hour': 3, 'minute': 17}),
    Job('sla-check', check_sla, 'interval', {'minutes': 1}),
    Job('snooze-wake', wake_snoozed, 'interval', {'minutes': 1}),
    Job('send-outbox', send_outbox, 'interval', {'minutes': 1}),
    Job('payment-reminders', queue_reminders, 'cron', {'hour': 6, 'minute': 7}),
    Job('send-reminders', send_reminders, 'interval', {'minutes': 1}),
    Job('purge-idempotency', purge_idempotency, 'cron', {'hour': 3, 'minute': 41}),
    Job('backup', nightly_backup, 'cron', {'hour': 2, 'minute': 30}),
    Job('kpi-refresh', refresh_kpis, 'interval', {'minutes': 1}),
    Job('kpi-nightly', recompute_kpis, 'cron', {'hour': 2, 'minute': 23}),
    Job('kpi-backfill', backfill_kpis, 'date', {}),  # once, as soon as this process runs the jobs
    Job('low-stock', check_low_stock, 'interval', {'minutes': 15}),
    Job('webhooks', send_webhooks, 'interval', {'seconds': 10}),
    Job('sweep-exports', sweep_exports, 'interval', {'minutes': 15}),
    Job('retention', apply_retention, 'cron', {'hour': 3, 'minute': 53}),
    Job('report-schedules', send_report_schedules, 'cron', {'minute': 47}),
    Job('digests', send_digests, 'cron', {'minute': 2}),
    Job('customer-reports', send_customer_reports, 'cron', {'minute': 33}),
    Job('segment-pushes', push_segments, 'cron', {'minute': 13}),
    Job('mailboxes', poll_mailboxes, 'interval', {'minutes': 1}),
    Job('automations', run_automations, 'interval', {'seconds': 30}),
]


class JobRunner:
    """Starts the scheduler when this process wins the leader lock; otherwise retries as a standby. The leader checks
    every few seconds, and again just before each job, that it still holds the lock (a database restart or a dropped
    connection frees it without telling anyone): if not, it stops running jobs and stands by again, so two processes
    never both run them."""

    def __init__(self, settings: Settings, *, jobs: list[Job] | None = None, standby_seconds: float = 5) -> None:
        self.settings = settings
        self.jobs = JOBS if jobs is None else jobs
        self.standby_seconds = standby_seconds
        self.lock = leader_lock(settings)
        self.scheduler: AsyncIOScheduler | None = None
        self.is_leader = False
        self._turn = threading.Lock()  # leading and standing down, one at a time (jobs run in threads)

    async def start(self) -> None:
        secret_hint.scrub_logs_of('apscheduler.executors.default')  # a failed job's exception is logged there
        self.scheduler = AsyncIOScheduler(timezone='UTC')
        self.scheduler.start()
        if not self._try_to_lead():
            self._stand_by()

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.lock.release()
        self.is_leader = False

    def _stand_by(self) -> None:
        if self.scheduler is not None and not self.scheduler.get_job('standby'):
            self.scheduler.add_job(self._try_to_lead, 'interval', seconds=self.standby_seconds, id='standby')

    def _try_to_lead(self) -> bool:
        with self._turn:
            if self.is_leader or not self.lock.acquire():
                return self.is_leader
            _close_runs_left_running([job.name for job in self.jobs])
            if self.scheduler.get_job('standby'):
                self.scheduler.remove_job('standby')
            for job in self.jobs:
                self.scheduler.add_job(
                    self._guarded(job),
                    job.trigger,
                    args=[self.settings],
                    id=job.name,
                    name=job.name,
                    coalesce=True,
                    max_instances=1,
                    misfire_grace_time=3600,
                    **job.options,
                )
            self.scheduler.add_job(self._keep_leading, 'interval', seconds=self.standby_seconds, id='leadership')
            self.is_leader = True  # once its jobs are on (a job that fires before waits for this turn to end)
        log.info('this process runs the scheduled jobs: %s', ', '.join(j.name for j in self.jobs))
        return True

    def _guarded(self, job: Job) -> Callable[[Settings], Any]:
        def run(settings: Settings) -> Any:
            if not self.still_leading():
                return None
            from backoffice.services import job_runs

            try:
                return job_runs.record(job.name, lambda: _patient_with_busy_writers(job, settings))
            except job_runs.DatabaseStayedBusy as busy:  # other writers' load, nothing broken: no ERROR, no traceback
                log.warning(
                    'scheduled job %s skipped: %s; it runs again %s',
                    job.name,
                    busy,
                    'when asked at /system (Run now)' if job.trigger == 'date' else 'at its next turn',
                )
                return None

        return run

    def _keep_leading(self) -> None:
        """Every few seconds: still the leader? Then start the runs asked for at /system ("Run now")."""
        if self.still_leading():
            self.run_requested()

    def run_requested(self) -> list[str]:
        """Start now each job a person asked to run (job_runs.request_run), through the scheduler: a job already running
        is not started twice (max_instances), nor one whose own time came after it was asked for (that run answers
        it: job_runs.take_requested), and its run is recorded like any other."""
        from datetime import UTC, datetime

        from backoffice.services import job_runs

        try:
            asked = job_runs.take_requested([job.name for job in self.jobs])
        except Exception as error:  # the requests must never stop the jobs
            job_runs.not_recorded(error, 'the runs asked for at /system')
            return []
        by_name = {job.name: job for job in self.jobs}
        for name in asked:
            if self.scheduler is None:
                break
            if self.scheduler.get_job(name) is not None:
                self.scheduler.modify_job(name, next_run_time=datetime.now(UTC))
            else:  # a job that runs once and has run (kpi-backfill): once more
                job = by_name[name]
                self.scheduler.add_job(  # as the leader adds its jobs: a busy loop's delay is no misfire (1 s)
                    self._guarded(job),
                    'date',
                    args=[self.settings],
                    id=name,
                    name=name,
                    coalesce=True,
                    max_instances=1,
                    misfire_grace_time=3600,
                )
            log.info('run of %s asked for at /system: started', name)
        return asked

    def still_leading(self) -> bool:
        """True while this process holds the lock; if it lost it, it removes its jobs and stands by."""
        with self._turn:
            if not self.is_leader:
                return False
            if self.lock.still_held():
                return True
            self.is_leader = False
            for name in [*(job.name for job in self.jobs), 'leadership']:
                if self.scheduler is not None and self.scheduler.get_job(name):
                    self.scheduler.remove_job(name)
        log.warning('this process lost the scheduler lock (database restarted or connection lost): standing by')
        self._stand_by()
        return False


def _patient_with_busy_writers(job: Job, settings: Settings) -> Any:
    """Run the job; when its writes meet other writers holding SQLite's write lock past the busy timeout ("database is
    locked"), run it again after a short pause, a few times (a job picks up where the database says it is, as at its
    next turn), and then raise `DatabaseStayedBusy`. Any other error propagates at once."""
    from backoffice.services import job_runs

    for pause in (*BUSY_PAUSES, None):
        try:
            return job.run(settings)
        except Exception as error:
            if not write_failures.lock_contention(error):
                raise
            if pause is None:
                tries = len(BUSY_PAUSES) + 1
                raise job_runs.DatabaseStayedBusy(
                    f'other writes kept the database busy through {tries} tries ({type(error).__name__}: {error})'
                ) from error
            log.info('scheduled job %s met a busy database: trying again in %g s', job.name, pause)
            time.sleep(pause)
    raise AssertionError('unreachable')  # the last pass returns or raises


def _close_runs_left_running(jobs: list[str]) -> None:
    """On taking the lead: the runs an earlier leader left "running" are closed as interrupted (that leader is gone,
    or has lost the lock and will overwrite the outcome if it still finishes them)."""
    from backoffice.services import job_runs

    try:
        job_runs.close_interrupted(kpi_jobs=jobs)
    except Exception as error:  # the history must never be why this process does not run the jobs
        job_runs.not_recorded(error, 'the runs an earlier leader left running')


def leader_lock(settings: Settings) -> FileLeaderLock | PostgresLeaderLock:
    if settings.is_sqlite:
        return FileLeaderLock(settings.data_dir / 'scheduler.lock')
    return PostgresLeaderLock()


class FileLeaderLock:
    """One machine: an exclusive flock, released by the OS when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None  # the OS keeps a flock for as long as the process lives

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class PostgresLeaderLock:
    """Several machines on one PostgreSQL: a session advisory lock held on a connection kept open; PostgreSQL frees
    it when that connection dies, so a standby takes over."""

    def __init__(self) -> None:
        self._connection: Connection | None = None
        self._using = threading.Lock()  # one connection, asked from the job threads and the event loop

    def acquire(self) -> bool:
        if self._connection is not None:
            return True
        try:
            connection = get_engine().connect()
        except OperationalError:  # the database is down: try again at the next standby round
            return False
        try:
            won = connection.execute(text('SELECT pg_try_advisory_lock(:key)'), {'key': ADVISORY_LOCK_KEY}).scalar()
            connection.commit()
        except DBAPIError as error:  # the database went between the pool's ping and this query: try again later
            log.warning('could not ask PostgreSQL for the scheduler lock (%s): standing by', type(error).__name__)
            try:
                connection.invalidate()  # never back to the pool: its session may hold the lock after all
            finally:
                connection.close()
            return False
        if not won:
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        """Asks PostgreSQL whether this connection still holds the lock; a dead connection does not."""
        with self._using:
            if self._connection is None:
                return False
            try:
                held = self._connection.execute(_HOLDS_LOCK, {'key': ADVISORY_LOCK_KEY}).scalar()
                self._connection.commit()
            except DBAPIError:
                held = False
            if not held:
                self._forget()
            return bool(held)

    def release(self) -> None:
        with self._using:
            if self._connection is not None:
                try:
                    self._connection.execute(text('SELECT pg_advisory_unlock(:key)'), {'key': ADVISORY_LOCK_KEY})
                    self._connection.commit()
                except DBAPIError:
                    pass  # the connection is gone, and the lock with it
                finally:
                    self._forget()

    def _forget(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()  # never back to the pool: its session may hold the lock
            finally:
                self._connection.close()
                self._connection = None


_HOLDS_LOCK = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objid = :key"
)
