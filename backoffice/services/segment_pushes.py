"""A saved segment pushed to the campaign tool's webhook on a schedule (every day, every Monday, the 1st of each
month), as the person who scheduled it: the hourly `segment-pushes` job pushes each segment whose day has come, once
that day; a failed push is tried again at the next run, its reason shown on the segment's card, its scheduler told
once in their notifications, and the job's run fails on /system (the chat channels' "Failed scheduled job")."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from backoffice import formatting, stored_text
from backoffice.db import session_scope
from backoffice.errors import NotFound, StaleRecord, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import Segment, User, utcnow
from backoffice.permissions import can, require
from backoffice.services import app_settings, audit, notifications, roles, segments
from backoffice.stored_text import Sentence, sentence

log = logging.getLogger(__name__)

FREQUENCIES = {
    'daily': N_('Every day'),
    'weekly': N_('Every Monday'),
    'monthly': N_('On the 1st of each month'),
}
LINK = '/segments'
NO_LONGER_ALLOWED = N_('{person} may no longer export segments: schedule it again as someone who may')
SCHEDULER_GONE = N_('The person who scheduled it')
FAILED = N_('The scheduled push of segment "{name}" failed: {error}')


class PushesFailed(Exception):
    """Some scheduled pushes failed: the job's run is recorded as failed, with their segments and reasons."""


def schedule(
    *, session: Session, actor: User, segment_id: int, version: int, frequency: str | None, today: date | None = None
) -> Segment:
    """Push this saved segment on a schedule (`frequency`: a key of FREQUENCIES), or never again (None or ''); it then
    runs as the actor, at the version of the segment they opened. The first push is on the next day the frequency
    names (today when it is one); audited."""
    require(actor, 'segments.export')
    frequency = frequency or None
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValidationFailed({'frequency': _('Choose how often, or never')})
    segment = session.get(Segment, segment_id, with_for_update=session.get_bind().dialect.name != 'sqlite')
    if segment is None:
        raise NotFound(_('This segment no longer exists (someone deleted it).'))
    if segment.version != version:
        last = audit.last_change(session, 'segments', segment_id)
        raise StaleRecord(
            N_('segment'),
            last.actor_email if last else None,
            last.at if last else segment.updated_at,
            segment.version,
            sent_version=version,
        )
    if frequency is not None and not segments.webhook_address(session=session):
        raise ValidationFailed({'frequency': _(segments.NO_ADDRESS)})
    before = segment.push_frequency
    segment.push_frequency = frequency
    segment.push_by = actor.id if frequency else None
    segment.next_push_on = next_day(frequency, today or _today(), include=True) if frequency else None
    segment.push_error, segment.push_error_key, segment.push_error_params = None, None, None
    segment.version += 1
    segment.updated_at = utcnow()
    session.add(segment)
    audit.record(
        session,
        actor,
        'segments.push_scheduled',
        'segments',
        segment.id,
        changes={'push_frequency': [before, frequency]},
        version=segment.version,
        summary=sentence(
            N_('Segment {name} pushed on a schedule: {how}')
            if frequency
            else N_('Segment {name}: no longer pushed on a schedule'),
            name=repr(segment.name),
            how=stored_text.word(FREQUENCIES[frequency]) if frequency else '',
        ),
    )
    session.commit()
    return segment


def next_day(frequency: str, after: date, *, include: bool = False) -> date:
    """The next day a push of this frequency is due: after `after`, or on it too with `include`."""
    day = after if include else after + timedelta(days=1)
    if frequency == 'weekly':
        return day + timedelta(days=(7 - day.weekday()) % 7)
    if frequency == 'monthly':
        if day.day == 1:
            return day
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return day


def said(segment: Segment) -> str:
    """The schedule on the segment's card, in the reader's language ('' when it has none)."""
    if segment.push_frequency not in SCHEDULE_SAID:
        return ''
    day = formatting.day(segment.next_push_on) if segment.next_push_on else '—'
    return _(SCHEDULE_SAID[segment.push_frequency or '']).format(day=day)


SCHEDULE_SAID = {
    'daily': N_('Pushed to the webhook every day · next on {day}'),
    'weekly': N_('Pushed to the webhook every Monday · next on {day}'),
    'monthly': N_('Pushed to the webhook on the 1st of each month · next on {day}'),
}


def error_said(segment: Segment) -> str:
    """Why the last scheduled push failed, in the reader's language ('' when the last one went through)."""
    if not segment.push_error:
        return ''
    return stored_text.show(segment.push_error, segment.push_error_key, segment.push_error_params)


def push_due(*, now: datetime | None = None) -> dict[str, int]:
    """Push every segment whose day has come (the hourly job): each in its own transaction, as the person who scheduled
    it. Returns the counts; raises PushesFailed, once all were tried, when any failed."""
    today = _today(now)
    with session_scope() as session:
        due = [
            segment_id
            for segment_id in session.exec(
                select(col(Segment.id))
                .where(col(Segment.push_frequency).is_not(None), col(Segment.next_push_on) <= today)
                .order_by(col(Segment.id))
            ).all()
            if segment_id is not None
        ]
    sent, failures = 0, []
    for segment_id in due:
        problem = _push_one(segment_id, today)
        if problem:
            failures.append(problem)
        else:
            sent += 1
    if failures:
        raise PushesFailed('; '.join(failures))
    return {'sent': sent, 'failed': 0}


def _push_one(segment_id: int, today: date) -> str:
    """One segment's scheduled push; '' when it went through (or there was nothing to do), else what failed."""
    with session_scope() as session:
        roles.sync(session)  # a custom role changed in another process: its holders' permissions follow at once
        segment = session.get(Segment, segment_id)
        if segment is None or not segment.push_frequency or not segment.next_push_on or segment.next_push_on > today:
            return ''  # deleted, unscheduled or pushed since the list was read
        person = session.get(User, segment.push_by) if segment.push_by else None
        problem: Sentence | int
        if person is None or not person.is_active or not can(person, 'segments.export'):
            who = person.name if person is not None else stored_text.word(SCHEDULER_GONE)
            problem = sentence(NO_LONGER_ALLOWED, person=who)
        else:
            try:
                problem = segments.deliver(
                    session=session,
                    actor=person,
                    which=segments.Filters.model_validate(segment.filters),
                    name=segment.name,
                    scheduled=True,
                )
            except Exception as error:  # the next segments are still pushed; this one is said failed
                log.exception('scheduled push of segment %s', segment_id)
                problem = sentence(FAILED_UNEXPECTEDLY, error=type(error).__name__)
                session.rollback()
        segment = session.get(Segment, segment_id)
        if segment is None:
            return ''
        if not isinstance(problem, Sentence):
            segment.last_pushed_at = utcnow()
            segment.next_push_on = next_day(segment.push_frequency or 'daily', today)
            segment.push_error, segment.push_error_key, segment.push_error_params = None, None, None
            session.add(segment)
            session.commit()
            return ''
        first = segment.push_error is None  # a streak of failures is told once, as a failing job is
        segment.push_error, segment.push_error_key, segment.push_error_params = stored_text.stored(problem)
        segment.push_error = (segment.push_error or '')[:500]
        session.add(segment)
        if first and person is not None:  # (an account deleted since: nobody to tell but the job's run)
            notifications.notify(
                session,
                user_id=person.id or 0,
                text=sentence(FAILED, name=segment.name, error=problem),
                link=LINK,
            )
        name, english = segment.name, segment.push_error
        session.commit()
        return f'segment "{name}": {english}'


FAILED_UNEXPECTEDLY = N_('an unexpected error ({error}); the next run tries again')


def _today(now: datetime | None = None) -> date:
    return shop_today(app_settings.time_zone(), now)
