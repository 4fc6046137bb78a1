"""A segment pushed to the campaign tool's webhook on a schedule (every day, every week on the day chosen — Monday
unless said —, the 1st of each month), as the person who scheduled it: a saved segment (its row in `segments`) or a
built-in one (Inactive for 30 days, At risk…: a row in `built_in_segment_pushes`, the segment selected afresh at each
push, never copied into a saved one). The hourly `segment-pushes` job pushes each segment whose day has come, once
that day; a failed push is tried again at the next run, its reason shown on the segment's card, its scheduler told
once in their notifications, and the job's run fails on /system (the chat channels' "Failed scheduled job")."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from backoffice import formatting, i18n, stored_text, write_failures
from backoffice.db import session_scope
from backoffice.errors import NotFound, StaleRecord, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import BuiltInSegmentPush, Segment, User, utcnow
from backoffice.permissions import can, require
from backoffice.services import app_settings, audit, notifications, roles, segments
from backoffice.stored_text import Sentence, sentence

log = logging.getLogger(__name__)

FREQUENCIES = {
    'daily': N_('Every day'),
    'weekly': N_('Every week'),
    'monthly': N_('On the 1st of each month'),
}
WEEKDAYS = {  # a weekly push's day (date.weekday()); Monday unless chosen
    0: N_('Monday'),
    1: N_('Tuesday'),
    2: N_('Wednesday'),
    3: N_('Thursday'),
    4: N_('Friday'),
    5: N_('Saturday'),
    6: N_('Sunday'),
}
EVERY_WEEKDAY = {
    0: N_('Every Monday'),
    1: N_('Every Tuesday'),
    2: N_('Every Wednesday'),
    3: N_('Every Thursday'),
    4: N_('Every Friday'),
    5: N_('Every Saturday'),
    6: N_('Every Sunday'),
}
LINK = '/segments'
NO_LONGER_ALLOWED = N_('{person} may no longer export segments: schedule it again as someone who may')
SCHEDULER_GONE = N_('The person who scheduled it')
FAILED = N_('The scheduled push of segment “{name}” failed: {error}')


class PushesFailed(Exception):
    """Some scheduled pushes failed: the job's run is recorded as failed, with their segments and reasons."""


Scheduled = Segment | BuiltInSegmentPush  # a saved segment's schedule, or a built-in one's


def schedule(
    *,
    session: Session,
    actor: User,
    segment_id: int | None = None,
    built_in: str | None = None,
    version: int,
    frequency: str | None,
    weekday: Any = None,
    today: date | None = None,
) -> Scheduled:
    """Push a saved segment (`segment_id`) or a built-in one (`built_in`: a key of segments.BUILT_IN_BY_KEY) on a
    schedule (`frequency`: a key of FREQUENCIES; `weekday` a weekly push's day, 0 Monday … 6 Sunday, Monday when
    left out), or never again (None or ''); it then runs as the actor, at the version of the schedule they opened (a
    built-in segment never scheduled: 0). The first push is on the next day the frequency names (today when it is
    one); audited."""
    require(actor, 'segments.export')
    frequency = frequency or None
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValidationFailed({'frequency': _('Choose how often, or never')})
    day_of_week = _weekday(weekday) if frequency == 'weekly' else None
    row, name = _row(session, segment_id, built_in)
    if (row.version if row is not None else 0) != version:
        record = row.id if isinstance(row, Segment) else None
        last = audit.last_change(session, 'segments', record) if record is not None else None
        raise StaleRecord(
            N_('segment'),
            audit.named(session, last.actor_email) if last else None,
            last.at if last else (row.updated_at if row is not None else None),
            row.version if row is not None else 0,
            sent_version=version,
        )
    if frequency is not None and not segments.webhook_address(session=session):
        raise ValidationFailed({'frequency': _(segments.NO_ADDRESS)})
    if row is None:  # a built-in segment's first schedule
        row = BuiltInSegmentPush(key=built_in or '', version=0)
    before = [row.push_frequency, row.push_weekday]
    row.push_frequency = frequency
    row.push_weekday = day_of_week
    row.push_by = actor.id if frequency else None
    row.next_push_on = next_day(frequency, today or _today(), include=True, weekday=day_of_week) if frequency else None
    row.push_error, row.push_error_key, row.push_error_params = None, None, None
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    changes: dict[str, list[Any]] = {'push_frequency': [before[0], frequency]}
    if before[1] != day_of_week:
        changes['push_weekday'] = [before[1], day_of_week]
    if isinstance(row, BuiltInSegmentPush):
        changes['built_in'] = [None, row.key]
    audit.record(
        session,
        actor,
        'segments.push_scheduled',
        'segments',
        row.id if isinstance(row, Segment) else None,
        changes=changes,
        version=row.version,
        summary=sentence(
            N_('Segment “{name}” pushed on a schedule: {how}')
            if frequency
            else N_('Segment “{name}”: no longer pushed on a schedule'),
            name=name,
            how=stored_text.word(_how(frequency, day_of_week)) if frequency else '',
        ),
    )
    try:
        session.commit()
    except IntegrityError:  # a built-in segment's first schedule saved by someone else at the same instant
        session.rollback()
        raise StaleRecord(N_('segment'), None, None, 1, sent_version=version) from None
    return row


def built_in_schedules(*, session: Session) -> dict[str, BuiltInSegmentPush]:
    """The built-in segments' schedules by key (a built-in segment never scheduled has none)."""
    return {row.key: row for row in session.exec(select(BuiltInSegmentPush).order_by(col(BuiltInSegmentPush.key)))}


def _row(session: Session, segment_id: int | None, built_in: str | None) -> tuple[Scheduled | None, Any]:
    """The schedule's row (None: a built-in segment not scheduled yet) and the segment's name for the audit."""
    locked = session.get_bind().dialect.name != 'sqlite'
    if built_in is not None:
        known = segments.BUILT_IN_BY_KEY.get(built_in)
        if known is None:
            raise NotFound(_('This segment does not exist.'))
        return session.get(BuiltInSegmentPush, built_in, with_for_update=locked), stored_text.word(known.name)
    segment = session.get(Segment, segment_id, with_for_update=locked) if segment_id is not None else None
    if segment is None:
        raise NotFound(_('This segment no longer exists (someone deleted it).'))
    return segment, segment.name


def _weekday(value: Any) -> int:
    """A weekly push's day from a form (0 Monday … 6 Sunday; none chosen: Monday)."""
    if value is None or value == '':
        return 0
    if isinstance(value, bool) or str(value).strip() not in {str(n) for n in WEEKDAYS}:
        raise ValidationFailed({'weekday': _('Choose a day of the week.')})
    return int(str(value).strip())


def _how(frequency: str, weekday: int | None) -> str:
    return EVERY_WEEKDAY[weekday or 0] if frequency == 'weekly' else FREQUENCIES[frequency]


def next_day(frequency: str, after: date, *, include: bool = False, weekday: int | None = None) -> date:
    """The next day a push of this frequency is due: after `after`, or on it too with `include` (weekly: on
    `weekday`, 0 Monday … 6 Sunday; None: Monday)."""
    day = after if include else after + timedelta(days=1)
    if frequency == 'weekly':
        return day + timedelta(days=((weekday or 0) - day.weekday()) % 7)
    if frequency == 'monthly':
        if day.day == 1:
            return day
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return day


def said(segment: Scheduled) -> str:
    """The schedule on the segment's card, in the reader's language ('' when it has none)."""
    if segment.push_frequency not in SCHEDULE_SAID:
        return ''
    day = formatting.day(segment.next_push_on) if segment.next_push_on else '—'
    if segment.push_frequency == 'weekly':
        return _(WEEKLY_SAID.get(segment.push_weekday or 0, WEEKLY_SAID[0])).format(day=day)
    return _(SCHEDULE_SAID[segment.push_frequency or '']).format(day=day)


SCHEDULE_SAID = {
    'daily': N_('Pushed to the webhook every day · next on {day}'),
    'weekly': N_('Pushed to the webhook every Monday · next on {day}'),  # on the day chosen: WEEKLY_SAID
    'monthly': N_('Pushed to the webhook on the 1st of each month · next on {day}'),
}
WEEKLY_SAID = {
    0: N_('Pushed to the webhook every Monday · next on {day}'),
    1: N_('Pushed to the webhook every Tuesday · next on {day}'),
    2: N_('Pushed to the webhook every Wednesday · next on {day}'),
    3: N_('Pushed to the webhook every Thursday · next on {day}'),
    4: N_('Pushed to the webhook every Friday · next on {day}'),
    5: N_('Pushed to the webhook every Saturday · next on {day}'),
    6: N_('Pushed to the webhook every Sunday · next on {day}'),
}


def error_said(segment: Segment) -> str:
    """Why the last scheduled push failed, in the reader's language ('' when the last one went through)."""
    if not segment.push_error:
        return ''
    return stored_text.show(segment.push_error, segment.push_error_key, segment.push_error_params)


def push_due(*, now: datetime | None = None) -> dict[str, int]:
    """Push every segment whose day has come, saved or built-in (the hourly job): each in its own transaction, as the
    person who scheduled it. Returns the counts; raises PushesFailed, once all were tried, when any failed."""
    today = _today(now)
    due: list[tuple[type[Segment] | type[BuiltInSegmentPush], Any]] = []
    with session_scope() as session:
        for model, key in ((Segment, Segment.id), (BuiltInSegmentPush, BuiltInSegmentPush.key)):
            due += [
                (model, found)
                for found in session.exec(
                    select(col(key))
                    .where(col(model.push_frequency).is_not(None), col(model.next_push_on) <= today)
                    .order_by(col(key))
                ).all()
                if found is not None
            ]
    sent, waiting, failures = 0, 0, []
    for index, (model, key) in enumerate(due):
        try:
            problem = _push_one(model, key, today)
        except Exception as error:
            if not write_failures.busy_item(log, error, 'scheduled push of segment %s', key):
                raise
            waiting = len(due) - index  # nothing stored, nobody told: still due, as the next ones (the same lock)
            break
        if problem:
            failures.append(problem)
        else:
            sent += 1
    if failures:
        raise PushesFailed('; '.join(failures))
    return {'sent': sent, 'failed': 0, 'waiting': waiting} if waiting else {'sent': sent, 'failed': 0}


def _push_one(model: type[Segment] | type[BuiltInSegmentPush], key: Any, today: date) -> str:
    """One segment's scheduled push; '' when it went through (or there was nothing to do), else what failed. Other
    writes keeping the database busy raise (the push still due). Three short transactions, none open while the
    campaign tool answers: the push is claimed, sent (`segments.deliver`), then its outcome recorded."""
    claimed = _claim(model, key, today)
    if not isinstance(claimed, Claim):
        return claimed
    try:
        with session_scope() as session:
            person = session.get(User, claimed.person_id)
            problem: Sentence | int = (
                segments.deliver(session=session, actor=person, which=claimed.which, name=claimed.name, scheduled=True)
                if person is not None
                else sentence(NO_LONGER_ALLOWED, person=stored_text.word(SCHEDULER_GONE))  # deleted since the claim
            )
    except Exception as error:  # the next segments are still pushed; this one is said failed
        if write_failures.lock_contention(error):
            _release(model, key, claimed)
            raise  # not the push's failure: still due (push_due)
        log.exception('scheduled push of segment %s', key)
        problem = sentence(FAILED_UNEXPECTEDLY, error=type(error).__name__)
    return _record(model, key, claimed, problem, today)


class Claim:
    """A due push this process took (its next day moved to the lease day, so no other process takes it) and what it
    sends; `was` is the day it was due, put back when the push fails."""

    def __init__(self, row: Scheduled, lease: date, person_id: int, which: str | segments.Filters, name: str) -> None:
        self.was, self.lease = row.next_push_on, lease
        self.schedule = (row.push_frequency, row.push_weekday, row.push_by)
        self.person_id, self.which, self.name = person_id, which, name


def _claim(model: type[Segment] | type[BuiltInSegmentPush], key: Any, today: date) -> Claim | str:
    """Take a due push: its next day becomes tomorrow (the lease), only if nobody changed or took it since it was
    read — two processes never push the same segment, and one that dies mid-push leaves it to tomorrow's run.
    A push that cannot be made (its scheduler may no longer export…) is recorded failed here: that string."""
    with session_scope() as session:
        roles.sync(session)  # a custom role changed in another process: its holders' permissions follow at once
        row = cast(Scheduled | None, session.get(model, key))
        if row is None or not row.push_frequency or not row.next_push_on or row.next_push_on > today:
            return ''  # deleted, unscheduled or pushed since the list was read
        person = session.get(User, row.push_by) if row.push_by else None
        built_in = segments.BUILT_IN_BY_KEY.get(row.key) if isinstance(row, BuiltInSegmentPush) else None
        if person is None or not person.is_active or not can(person, 'segments.export'):
            who = person.name if person is not None else stored_text.word(SCHEDULER_GONE)
            return _failed(session, row, person, built_in, key, sentence(NO_LONGER_ALLOWED, person=who))
        if isinstance(row, BuiltInSegmentPush) and built_in is None:  # a built-in segment a newer version dropped
            return _failed(session, row, person, built_in, key, sentence(FAILED_UNEXPECTEDLY, error=row.key))
        which: str | segments.Filters
        if built_in is not None:  # named as its scheduler reads it, as their own Push would have
            with i18n.use(person.language):
                which, name = built_in.key, _(built_in.name)
        else:
            assert isinstance(row, Segment)
            which, name = segments.Filters.model_validate(row.filters), row.name
        claim = Claim(row, today + timedelta(days=1), person.id or 0, which, name)
        taken = session.exec(
            update(model)
            .where(
                col(_key_of(model)) == key,
                col(model.next_push_on) == claim.was,
                col(model.push_frequency) == row.push_frequency,
                col(model.push_by) == row.push_by,
            )
            .values(next_push_on=claim.lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        return claim if taken == 1 else ''


def _record(
    model: type[Segment] | type[BuiltInSegmentPush], key: Any, claim: Claim, problem: Sentence | int, today: date
) -> str:
    """The claimed push's outcome on its schedule. A schedule changed while the push was in flight (unscheduled,
    another frequency or day, rescheduled) stands as its person left it: only that the push went through is kept.
    A segment deleted meanwhile has nothing left to record."""
    with session_scope() as session:
        row = cast(Scheduled | None, session.get(model, key, with_for_update=_locks(session)))
        if row is None:
            return ''
        ours = (row.push_frequency, row.push_weekday, row.push_by) == claim.schedule and row.next_push_on == claim.lease
        if not isinstance(problem, Sentence):
            row.last_pushed_at = utcnow()
            if ours:
                row.next_push_on = next_day(row.push_frequency or 'daily', today, weekday=row.push_weekday)
                row.push_error, row.push_error_key, row.push_error_params = None, None, None
            session.add(row)
            session.commit()
            return ''
        if not ours:
            english = stored_text.stored(problem)[0] or ''
            session.rollback()
            return f'segment “{claim.name}”: {english[:500]}'
        row.next_push_on = claim.was  # still due: the next run tries again
        person = session.get(User, claim.person_id)
        built_in = segments.BUILT_IN_BY_KEY.get(row.key) if isinstance(row, BuiltInSegmentPush) else None
        return _failed(session, row, person, built_in, key, problem)


def _failed(session: Session, row: Scheduled, person: User | None, built_in: Any, key: Any, problem: Sentence) -> str:
    """A push that failed, said on its segment and told to its scheduler once for a streak of failures; committed.
    What failed in English, for the job's run."""
    first = row.push_error is None  # a streak of failures is told once, as a failing job is
    row.push_error, row.push_error_key, row.push_error_params = stored_text.stored(problem)
    row.push_error = (row.push_error or '')[:500]
    session.add(row)
    named: Any = stored_text.word(built_in.name) if built_in is not None else getattr(row, 'name', str(key))
    if first and person is not None:  # (an account deleted since: nobody to tell but the job's run)
        notifications.notify(
            session,
            user_id=person.id or 0,
            text=sentence(FAILED, name=named, error=problem),
            link=LINK,
        )
    english = row.push_error
    label = built_in.name if built_in is not None else getattr(row, 'name', str(key))
    session.commit()
    return f'segment “{label}”: {english}'


def _release(model: type[Segment] | type[BuiltInSegmentPush], key: Any, claim: Claim) -> None:
    """A push the database's other writers kept from finishing is due again (when they let this write through: else
    the lease has it tried tomorrow)."""
    try:
        with session_scope() as session:
            session.exec(
                update(model)
                .where(col(_key_of(model)) == key, col(model.next_push_on) == claim.lease)
                .values(next_push_on=claim.was)
                .execution_options(synchronize_session=False)
            )
            session.commit()
    except Exception as error:
        if not write_failures.lock_contention(error):
            raise
        log.warning('scheduled push of segment %s: left to tomorrow (the database stayed busy)', key)


def _key_of(model: type[Segment] | type[BuiltInSegmentPush]) -> Any:
    return Segment.id if model is Segment else BuiltInSegmentPush.key


def _locks(session: Session) -> bool:
    """Row locks on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the whole database."""
    return session.get_bind().dialect.name != 'sqlite'


FAILED_UNEXPECTEDLY = N_('an unexpected error ({error}); the next run tries again')


def _today(now: datetime | None = None) -> date:
    return shop_today(app_settings.time_zone(), now)
