"""Snoozing a request: an agent puts it aside until a date ("remind me on Monday"); it leaves the open queues (the
Snoozed queue shows it) and comes back by itself at that time (the `snooze-wake` job) or at once when the customer
writes, its agent told by the bell.

The SLA clock is not paused by a snooze: a snooze is the agent's reminder, not the customer's silence. While the
request waits on the customer its status says so (waiting), which pauses the clock already (ticket_sla); a snooze on a
request the customer still waits for would otherwise hide a breach the desk owes them. So a snoozed request still
breaches, shows in "Breaching SLA" and tells its assignee."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from backoffice import events, formatting
from backoffice.db import session_scope
from backoffice.errors import NotFound, ServiceError, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import Ticket, TicketStatus, User, utcnow
from backoffice.permissions import require
from backoffice.services import audit, bulk, notifications, tickets
from backoffice.stored_text import instant, sentence

MORNING = time(9, 0)  # "tomorrow morning", "next Monday": at nine, the shop's time
LONGEST = timedelta(days=366)


def may_snooze(ticket: Ticket) -> bool:
    """A request still being worked on may be put aside; a solved or closed one waits on nobody."""
    return ticket.status not in tickets.DONE


def quick_choices(now: datetime | None = None) -> dict[str, datetime]:
    """The usual times to snooze until, in the shop's time zone: tomorrow at nine, next Monday at nine (a week on when
    today is Monday; none on a Sunday, when it is tomorrow)."""
    zone = _zone()
    today = (now or utcnow()).astimezone(zone).date()
    tomorrow, monday = today + timedelta(days=1), today + timedelta(days=(7 - today.weekday()) or 7)
    return {'tomorrow': _at_nine(tomorrow, zone)} | ({'monday': _at_nine(monday, zone)} if monday != tomorrow else {})


def unreadable_time() -> str:
    """The refusal of a time that is no day and time: the format to type, shown as the app writes dates
    ('e.g. 2026-12-31 09:00'; in French '31/12/2026 09:00')."""
    return _('Enter the day and time it should come back, e.g. {example}').format(
        example=f'{formatting.day(date(2026, 12, 31))} 09:00'
    )


def choice(key: str) -> datetime:
    """The time a quick choice ('tomorrow', 'monday') stands for now: worked out when it is chosen, so that a menu drawn
    yesterday does not snooze until what was "tomorrow" then (today)."""
    moment = quick_choices().get(key)
    if moment is None:  # next Monday on a Sunday is tomorrow, a choice of its own
        raise ValidationFailed({'snoozed_until': unreadable_time()})
    return moment


def snooze(*, session: Session, actor: User, ticket_id: int, version: int, until: datetime | str | None) -> Ticket:
    """Put a request aside until `until` (an instant, or the ISO text a form sends, UTC): in the future, within a
    year; refused for a solved or closed request."""
    require(actor, 'tickets.write')
    moment = _moment(until)
    ticket = tickets._locked(session, ticket_id, version)
    if ticket.status == TicketStatus.closed:
        raise ValidationFailed({'snoozed_until': _('This request is closed, which is final: it cannot be snoozed')})
    if not may_snooze(ticket):
        raise ValidationFailed({'snoozed_until': _('This request is solved: it waits on nobody, so it is not snoozed')})
    return tickets._save(
        session,
        actor,
        ticket,
        {'snoozed_until': moment, 'snoozed_by_id': actor.id},
        'snoozed',
        summary=sentence(N_('Snoozed #{number} until {until}'), number=ticket.number, until=instant(moment)),
    )


def bulk_snooze(*, actor: User, ids: list[int], until: datetime) -> bulk.Summary:
    """Snooze each of these requests until `until` (the list's bulk bar), one transaction each; a solved or closed one
    (or one gone meanwhile) is skipped, saying why."""
    require(actor, 'tickets.write')
    summary = bulk.Summary()
    for ticket_id in ids:
        try:
            with session_scope() as session:
                ticket = session.get(Ticket, ticket_id)
                if ticket is None:
                    raise NotFound(_('This request no longer exists.'))
                if not may_snooze(ticket):
                    raise ValidationFailed({'': _('{action} does not apply to it now').format(action=_('Snooze'))})
                snooze(session=session, actor=actor, ticket_id=ticket_id, version=ticket.version, until=until)
            summary.done += 1
        except ServiceError as error:
            errors = getattr(error, 'errors', None)
            summary.skipped.append((ticket_id, '; '.join(errors.values()) if errors else str(error)))
    return summary


def unsnooze(*, session: Session, actor: User, ticket_id: int, version: int) -> Ticket:
    """Bring a snoozed request back now."""
    require(actor, 'tickets.write')
    ticket = tickets._locked(session, ticket_id, version)
    if ticket.snoozed_until is None:
        return ticket
    return tickets._save(
        session,
        actor,
        ticket,
        {'snoozed_until': None, 'snoozed_by_id': None},
        'unsnoozed',
        summary=sentence(N_('#{number} is back from snooze'), number=ticket.number),
    )


def wake_snoozed(*, session: Session, limit: int = 500) -> list[int]:
    """The `snooze-wake` job: each request whose snooze time has come goes back to the queues, its assignee (or whoever
    snoozed it, when nobody is assigned) told by the bell; audited, published. Like the SLA flag, a system change:
    the version stays, so no agent's open form becomes stale because of it. Returns the ids woken."""
    now = utcnow()
    statement = (
        select(Ticket)
        .where(col(Ticket.snoozed_until) <= now)
        .order_by(col(Ticket.snoozed_until), col(Ticket.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name != 'sqlite':
        statement = statement.with_for_update(skip_locked=True)  # one an agent is saving right now: next minute
    woken = list(session.exec(statement))
    for ticket in woken:
        until, told = ticket.snoozed_until, ticket.assignee_id or ticket.snoozed_by_id
        ticket.snoozed_until, ticket.snoozed_by_id = None, None
        session.add(ticket)
        audit.record(
            session,
            None,
            'ticket.snooze_ended',
            'tickets',
            ticket.id,
            version=ticket.version,
            changes={'snoozed_until': [until.isoformat() if until else None, None]},
            summary=sentence(N_('#{number} is back from snooze'), number=ticket.number),
        )
        person = session.get(User, told) if told is not None else None  # whoever snoozed it may have gone since
        if person is not None and person.is_active and ticket.status not in tickets.DONE:
            notifications.notify(
                session,
                user_id=person.id or 0,
                link=f'/requests/{ticket.number}',
                text=sentence(
                    N_('Request #{number} is back from snooze: {subject}'), number=ticket.number, subject=ticket.subject
                ),
            )
    for ticket in woken:
        events.after_commit(session, Topic.tickets, {'id': ticket.id, 'action': 'snooze-ended'})
    session.commit()
    return [ticket.id for ticket in woken if ticket.id is not None]


def _moment(until: Any) -> datetime:
    """The instant asked for, in UTC; ValidationFailed at the field unless it is ahead and within a year."""
    moment: datetime | None = None
    if isinstance(until, datetime):
        moment = until
    elif isinstance(until, str) and until.strip():
        try:
            moment = datetime.fromisoformat(until.strip())
        except ValueError:
            moment = None
    if moment is None:
        raise ValidationFailed({'snoozed_until': unreadable_time()})
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    now = utcnow()
    if moment <= now:
        raise ValidationFailed({'snoozed_until': _('Choose a time that is still to come')})
    if moment > now + LONGEST:
        raise ValidationFailed({'snoozed_until': _('Snooze for a year at most')})
    return moment.replace(second=0, microsecond=0)


def _at_nine(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=zone).astimezone(UTC)


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(formatting.time_zone())
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo('UTC')
