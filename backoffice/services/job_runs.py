"""The run history of every scheduled job: each run's start, duration, outcome and error, recorded around the job by
the scheduler, kept bounded (the newest runs of each job), and read by /system with the jobs that failed first."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, delete, select, update

from backoffice import formatting, secret_hint, stored_text, write_failures
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, NP_, _
from backoffice.models import JobRun, KpiJobRun, User, utcnow
from backoffice.permissions import require
from backoffice.runtime import job_titles
from backoffice.services import audit, channel_events
from backoffice.stored_text import Sentence, sentence

log = logging.getLogger(__name__)

INTERRUPTED = 'abandoned'  # the outcome of a run whose process died under it (the column holds 10 characters)
KPI_INTERRUPTED = 'interrupted'  # the error of a KPI job run whose process died under it (shown translated)
# a run asked for at /system ("Run now"), not started yet: the process that runs the jobs takes it within seconds
# (runtime/scheduler.py's JobRunner) and the job's own run row follows
REQUESTED = 'requested'
# a run whose writes met other writers holding the database (SQLite's write lock) through every try: shown "skipped:
# database busy", neither a failure (nothing is broken; no chat message) nor done; the job runs again at its next turn
SKIPPED_BUSY = 'busy'
KEEP_PER_JOB = 50  # the newest runs of each job; older ones are pruned after each run
SHOWN_PER_JOB = 10
ALREADY_RUNNING = N_('{job} is already running, started at {started}.')


class DatabaseStayedBusy(Exception):
    """Raised by a job's work (the scheduler's wrapper) when other writes kept the database busy through every try: the
    run is recorded as skipped, and the scheduler logs a warning instead of an error."""


def record(job: str, work: Callable[[], Any]) -> Any:
    """Run `work` as a recorded run of `job`: the row is written before it starts (running), then its duration and
    outcome, or the error, which is raised again for the scheduler to log (a run skipped because the database stayed
    busy: `SKIPPED_BUSY`, and `DatabaseStayedBusy` raised again for the scheduler to warn of). A run whose process died
    stays running until the next leader, or the job's next run, closes it as interrupted (`close_interrupted`)."""
    try:
        with session_scope() as session:
            run = JobRun(job=job[:40], started_at=utcnow())
            session.add(run)
            session.flush()
            # only the leader runs jobs, one run of each at a time: an earlier run still "running" lost its process
            _close_interrupted(session, JobRun.job == run.job, col(JobRun.id) < (run.id or 0))
            session.commit()
            run_id = run.id
    except Exception as error:  # the history must never be why a job does not run
        not_recorded(error, f'the start of the scheduled job {job}')
        run_id = None
    started = time.monotonic()
    try:
        result = work()
    except DatabaseStayedBusy:
        _finish(run_id, started, SKIPPED_BUSY, '', None)
        raise
    except Exception as error:
        _finish(run_id, started, 'failed', '', f'{type(error).__name__}: {error}')
        raise
    _finish(run_id, started, 'ok', _summary(result), None)
    return result


def close_interrupted(*, kpi_jobs: Iterable[str] = ()) -> int:
    """Called by a process that has just taken the lead: every run still "running" was started by a leader that is
    gone (killed, crashed, or cut off from the database), so it is closed as interrupted and /system no longer shows
    it running; so are the unfinished KPI job runs (/settings) of `kpi_jobs`, the jobs only the leader runs (not a
    recompute started from /settings by any process, nor the command line's kpi-full). Should that leader (or the
    command line's kpi-refresh) still be alive and finish a run, its outcome replaces this one. Returns how many runs
    were closed."""
    with session_scope() as session:
        closed = _close_interrupted(session)
        kpi_jobs = list(kpi_jobs)
        if kpi_jobs:
            closed += (
                session.exec(
                    update(KpiJobRun)
                    .where(col(KpiJobRun.finished_at).is_(None), col(KpiJobRun.job).in_(kpi_jobs))
                    .values(finished_at=utcnow(), error=KPI_INTERRUPTED)
                ).rowcount
                or 0
            )
        session.commit()
    if closed:
        log.warning('%d scheduled job run(s) left running by a process that is gone: closed as interrupted', closed)
    return closed


def _close_interrupted(session: Session, *where: Any) -> int:
    result = session.exec(update(JobRun).where(col(JobRun.outcome) == 'running', *where).values(outcome=INTERRUPTED))
    return result.rowcount or 0


@dataclass(frozen=True)
class JobHistory:
    """One job as /system shows it: its newest runs (failures first among them), and whether the last one failed."""

    job: str
    runs: list[JobRun]
    last: JobRun | None
    failures: int

    @property
    def failing(self) -> bool:
        return self.last is not None and self.last.outcome == 'failed'

    @property
    def interrupted(self) -> bool:
        return self.last is not None and self.last.outcome == INTERRUPTED

    @property
    def skipped(self) -> bool:
        return self.last is not None and self.last.outcome == SKIPPED_BUSY

    @property
    def requested(self) -> bool:
        return self.last is not None and self.last.outcome == REQUESTED

    @property
    def may_run_now(self) -> bool:
        """Whether /system offers "Run now": the last run failed, was interrupted or skipped (and none is asked for
        yet)."""
        return self.failing or self.interrupted or self.skipped


def request_run(*, session: Session, actor: User, job: str, jobs: Iterable[str]) -> JobRun:
    """Ask the process that runs the scheduled jobs to run `job` (one of `jobs`) now, rather than at its next time:
    a row the leader reads within seconds (`take_requested`). Audited. A job running already is not asked for again
    (the scheduler would skip the second start without a word): the refusal says since when it runs."""
    require(actor, 'system.manage')
    if job not in set(jobs):
        raise NotFound(_('There is no scheduled job by that name.'))
    running = session.exec(
        select(JobRun.started_at)
        .where(JobRun.job == job, JobRun.outcome == 'running')
        .order_by(col(JobRun.id).desc())
        .limit(1)
    ).first()
    if running is not None:
        raise ValidationFailed(
            {'': _(ALREADY_RUNNING).format(job=job_titles.title(job), started=formatting.when(running))}
        )
    waiting = session.exec(select(JobRun.id).where(JobRun.job == job, JobRun.outcome == REQUESTED)).first()
    if waiting is not None:
        raise ValidationFailed({'': _('A run of this job is already asked for.')})
    run = JobRun(job=job, started_at=utcnow(), outcome=REQUESTED)
    session.add(run)
    audit.record(
        session,
        actor,
        'system.job_run_requested',
        'system',
        None,
        summary=sentence(N_('Run of {job} asked for'), job=job),
    )
    session.commit()
    return run


def take_requested(jobs: Iterable[str]) -> list[str]:
    """For the process that runs the jobs, every few seconds: the jobs asked to run now, the requests removed as they
    are taken (the job's own run row follows when it starts). Looked for without the write lock (SQLite): taken only
    when there is one."""
    names = list(jobs)
    asking = select(JobRun.id, JobRun.job).where(JobRun.outcome == REQUESTED, col(JobRun.job).in_(names))
    with read_session() as session:
        if session.exec(asking.limit(1)).first() is None:
            return []
    with session_scope() as session:
        asked = session.exec(asking).all()
        session.exec(delete(JobRun).where(col(JobRun.id).in_([run_id for run_id, _job in asked])))
        # a run of the job that started after it was asked for (its time came meanwhile) is the run asked for: not
        # started a second time (while it runs, the scheduler would skip the start anyway, and the request be lost)
        started = select(JobRun.job, func.max(JobRun.id)).where(
            col(JobRun.job).in_([job for _id, job in asked]), JobRun.outcome != REQUESTED
        )
        newest = dict(session.exec(started.group_by(col(JobRun.job))).all())
        session.commit()
    return list(dict.fromkeys(job for run_id, job in asked if (newest.get(job) or 0) < (run_id or 0)))


def overview(*, session: Session, actor: User, jobs: Iterable[str]) -> list[JobHistory]:
    """Every job's recent runs; jobs whose last run failed come first, then those with failures among their recent
    runs, then the others by name. Runs of a job no longer scheduled are shown too."""
    require(actor, 'system.manage')
    # one statement for every job (not one per job): each job's runs numbered newest first, the first few kept
    ranked = select(
        JobRun, func.row_number().over(partition_by=col(JobRun.job), order_by=col(JobRun.id).desc()).label('rank')
    ).subquery()
    shown = aliased(JobRun, ranked)
    newest: dict[str, list[JobRun]] = {}
    for one in session.exec(select(shown).where(ranked.c.rank <= SHOWN_PER_JOB).order_by(ranked.c.id.desc())):
        newest.setdefault(one.job, []).append(one)
    names = list(dict.fromkeys([*jobs, *newest]))
    found = []
    for name in names:
        runs = newest.get(name, [])
        failures = sum(1 for run in runs if run.outcome == 'failed')  # (a request counts as no run)
        ordered = sorted(runs, key=lambda run: (run.outcome != 'failed', -(run.id or 0)))
        found.append(JobHistory(name, ordered, runs[0] if runs else None, failures))
    return sorted(found, key=lambda history: (not history.failing, history.failures == 0, history.job))


def _finish(run_id: int | None, started: float, outcome: str, result: Sentence | str, error: str | None) -> None:
    if run_id is None:
        return
    try:
        with session_scope() as session:
            run = session.get(JobRun, run_id)
            if run is None:
                return
            run.duration_ms = round((time.monotonic() - started) * 1000)
            english, run.result_key, run.result_params = stored_text.stored(result)
            # an error's text may quote an address with its secret (a chat hook, a password in a URL): masked
            run.outcome, run.result, run.error = (
                outcome,
                english[:300],
                secret_hint.scrub(error)[:2000] if error else None,
            )
            session.add(run)
            if outcome == 'failed' and _first_failure(session, run):  # a streak of failures is told once
                channel_events.job_failed(session, run.job, run.error or '')
            keep = select(JobRun.id).where(JobRun.job == run.job).order_by(col(JobRun.id).desc()).limit(KEEP_PER_JOB)
            oldest_kept = min([run_id or 0 for run_id in session.exec(keep).all()] or [0])
            session.exec(delete(JobRun).where(col(JobRun.job) == run.job, col(JobRun.id) < oldest_kept))
            session.commit()
    except Exception as error:  # the history must never be why a job fails
        not_recorded(error, 'the run of a scheduled job')


def not_recorded(error: Exception, what: str) -> None:
    """A history row not written: a warning when other writes kept the database busy past the wait (the job itself
    ran or runs; /system shows the gap), an error with its traceback for anything else."""
    if isinstance(write_failures.classify(error), write_failures.DatabaseBusy):
        log.warning('could not record %s: the database was busy with other writes', what)
    else:
        log.exception('could not record %s', what)


def _first_failure(session: Session, run: JobRun) -> bool:
    previous = session.exec(
        select(JobRun.outcome)
        .where(
            JobRun.job == run.job,
            col(JobRun.id) < (run.id or 0),
            col(JobRun.outcome).not_in(('running', INTERRUPTED, REQUESTED, SKIPPED_BUSY)),
        )
        .order_by(col(JobRun.id).desc())
        .limit(1)
    ).first()
    return previous != 'failed'


def _summary(result: Any) -> Sentence | str:
    """What the job returned, in a few words (a count, the counts by outcome, a file name), stored as a msgid and its
    values so /system reads it in each reader's language: 'sent: 2, failed: 0' / 'envoyés : 2, en échec : 0'."""
    if result is None:
        return ''
    if isinstance(result, str):
        return result  # a file name: the same in every language
    return stored_text.sentence(RESULT, result=_said(result))


RESULT = N_('{result}')  # a job's result as a whole: its parts below, each formatted for the reader
PART = N_('{name}: {value}')  # one of its counts by outcome ('sent: 2')
# the outcomes jobs count by (the keys of what they return), as words; a key not here shows as it is
OUTCOMES = {
    'sent': NP_('job result', 'sent'),
    'failed': NP_('job result', 'failed'),
    'retry': NP_('job result', 'retry'),
    'cancelled': NP_('job result', 'cancelled'),
    'checked': NP_('job result', 'checked'),
    'fired': NP_('job result', 'fired'),
    'resolved': NP_('job result', 'resolved'),
    'delivered': NP_('job result', 'delivered'),
    'ran': NP_('job result', 'ran'),
    'pruned': NP_('job result', 'pruned'),
    'purged': NP_('job result', 'purged'),
    'kept': NP_('job result', 'kept'),
    'opened': NP_('job result', 'opened'),
    'joined': NP_('job result', 'joined'),
    'auto_reply': NP_('job result', 'auto_reply'),
    'bounce': NP_('job result', 'bounce'),
    'refused': NP_('job result', 'refused'),
    'skipped': NP_('job result', 'skipped'),
}


def _said(value: Any) -> Any:
    """A result's value as stored: counts and lengths as counts (grouped for the reader), a dict as its named parts."""
    if value is None:
        return ''
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return stored_text.count(value)
    if isinstance(value, list | tuple | set | frozenset):
        return stored_text.count(len(value))
    if isinstance(value, dict):
        return stored_text.joined(
            [stored_text.sentence(PART, name=_name(str(key)), value=_said(item)) for key, item in value.items()]
        )
    return str(value)


def _name(key: str) -> Any:
    """An outcome's word, or a resource's name (what the trash purge counts by), else the key as it is."""
    if key in OUTCOMES:
        return stored_text.word(OUTCOMES[key], 'job result')
    declared = RESOURCES.get(key)
    if declared is not None:
        return stored_text.word(declared.label, getattr(declared.label, 'context', None), lower=True)
    return key
