"""Service levels of support requests: the targets per priority (from the settings), the due time that counts now,
and the `sla-check` job that flags a request once it is past due and tells its assignee."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from backoffice import events
from backoffice.events import Topic
from backoffice.i18n import N_, _, pgettext
from backoffice.models import Ticket, TicketPriority, TicketStatus, utcnow
from backoffice.services import app_settings, audit, notifications
from backoffice.stored_text import sentence

DONE = (TicketStatus.solved, TicketStatus.closed)
# the statuses whose clock runs: waiting on the customer stops it (refresh_sla_due), solved or closed ends it
CLOCK_RUNS = (TicketStatus.new, TicketStatus.open)


def sla_targets(*, session: Session, priority: TicketPriority | str) -> tuple[timedelta, timedelta]:
    """(time to the first response, time to the resolution) for a priority, from the settings."""
    priority = TicketPriority(priority).value
    first = app_settings.value(session=session, key=f'sla_first_response_{priority}')
    resolution = app_settings.value(session=session, key=f'sla_resolution_{priority}')
    return timedelta(hours=first), timedelta(hours=resolution)


def flag_sla_breaches(*, session: Session, limit: int = 500) -> list[int]:
    """The `sla-check` job: flag each request past its due time (once), tell its assignee in the app, publish.
    Returns the ids flagged."""
    now = utcnow()
    statement = (
        select(Ticket)
        .where(col(Ticket.sla_due_at) < now, col(Ticket.sla_breached_at).is_(None))
        .order_by(col(Ticket.sla_due_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name != 'sqlite':
        statement = statement.with_for_update(skip_locked=True)  # one an agent is saving right now: next minute
    breached = list(session.exec(statement))
    for ticket in breached:
        first = ticket.first_responded_at is None
        # a system flag, not an edit: the version stays, so no agent's open form becomes stale because of it
        ticket.sla_breached_at = now
        session.add(ticket)
        audit.record(
            session,
            None,
            'ticket.sla_breached',
            'tickets',
            ticket.id,
            version=ticket.version,
            changes={'sla_breached_at': [None, now.isoformat()]},
            summary=sentence(
                N_('#{number} missed its first-response target')
                if first
                else N_('#{number} missed its resolution target'),
                number=ticket.number,
            ),
        )
        if ticket.assignee_id is not None:
            notifications.notify(
                session,
                user_id=ticket.assignee_id,
                link=f'/requests/{ticket.number}',
                text=sentence(
                    N_('Request #{number} missed its first-response target: {subject}')
                    if first
                    else N_('Request #{number} missed its resolution target: {subject}'),
                    number=ticket.number,
                    subject=ticket.subject,
                ),
            )
    for ticket in breached:
        events.after_commit(session, Topic.tickets, {'id': ticket.id, 'action': 'sla-breached'})
    session.commit()
    return [ticket.id for ticket in breached]


def set_due_times(session: Session, ticket: Ticket) -> None:
    """A new request's due times from its priority's targets."""
    first, resolution = sla_targets(session=session, priority=ticket.priority)
    ticket.first_response_due = ticket.created_at + first
    ticket.resolution_due = ticket.created_at + resolution
    refresh_sla_due(ticket)


def due_times(session: Session, ticket: Ticket, priority: TicketPriority | str) -> dict[str, datetime]:
    """The due times of a request whose priority changes: its new targets from its creation, plus the time it waited
    on the customer (the first response's only while unanswered: a wait after the answer never moved it)."""
    first, resolution = sla_targets(session=session, priority=priority)
    waited = timedelta(seconds=ticket.paused_seconds)
    unanswered = waited if ticket.first_responded_at is None else timedelta()
    return {
        'first_response_due': ticket.created_at + first + unanswered,
        'resolution_due': ticket.created_at + resolution + waited,
    }


def refresh_sla_due(ticket: Ticket, now: datetime | None = None) -> None:
    """The due time that counts now: none while solved or waiting on the customer, the first response until there
    is one, then the resolution. Waiting on the customer stops the clock; leaving it (the customer replied, an agent
    opened or solved it) moves the due times on by the time waited, so the request comes back with the time it had."""
    now = now or utcnow()
    if ticket.status == TicketStatus.waiting:
        if ticket.paused_at is None:
            ticket.paused_at = now
    elif ticket.paused_at is not None:
        waited = timedelta(seconds=max(int((now - ticket.paused_at).total_seconds()), 0))
        ticket.paused_seconds += int(waited.total_seconds())
        if ticket.resolution_due is not None:
            ticket.resolution_due += waited
        if ticket.first_responded_at is None and ticket.first_response_due is not None:
            ticket.first_response_due += waited
        ticket.paused_at = None
    if ticket.status in (*DONE, TicketStatus.waiting) or ticket.resolution_due is None:
        ticket.sla_due_at = None
    elif ticket.first_responded_at is None:
        ticket.sla_due_at = min(ticket.first_response_due, ticket.resolution_due)
    else:
        ticket.sla_due_at = ticket.resolution_due


def is_paused(ticket: Ticket) -> bool:
    """Whether the request's clock is stopped: it waits on the customer."""
    return ticket.status == TicketStatus.waiting


def paused_cell(ticket: Ticket) -> str:
    """The "SLA due" cell of a request with no deadline counting: 'Paused' while it waits on the customer."""
    return pgettext('SLA', 'Paused') if is_paused(ticket) else ''


def paused_line(ticket: Ticket) -> str:
    """The request page's SLA line while the clock is stopped ('' when it runs)."""
    return _('SLA paused while waiting on the customer') if is_paused(ticket) else ''
