"""Service levels of support requests: the targets per priority (from the settings), the due time that counts now,
and the `sla-check` job that flags a request once it is past due and tells its assignee."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from backoffice import events
from backoffice.events import Topic
from backoffice.i18n import N_
from backoffice.models import Ticket, TicketPriority, TicketStatus, utcnow
from backoffice.services import app_settings, audit, notifications
from backoffice.stored_text import sentence

DONE = (TicketStatus.solved, TicketStatus.closed)


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


def refresh_sla_due(ticket: Ticket) -> None:
    """The due time that counts now: none while solved or waiting on the customer, the first response until there
    is one, then the resolution."""
    if ticket.status in (*DONE, TicketStatus.waiting) or ticket.resolution_due is None:
        ticket.sla_due_at = None
    elif ticket.first_responded_at is None:
        ticket.sla_due_at = min(ticket.first_response_due, ticket.resolution_due)
    else:
        ticket.sla_due_at = ticket.resolution_due
