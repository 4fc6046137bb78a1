"""Retention (GDPR storage limitation): the nightly job that anonymises usage events and closed requests older than
the months set at /settings (empty: kept), in batches, each its own short transaction."""

from __future__ import annotations

import calendar
from datetime import datetime

from sqlalchemy import func, null, or_, update
from sqlmodel import Session, col, select

from backoffice.changes import commit
from backoffice.db import session_scope
from backoffice.events import Topic
from backoffice.models import AuditEntry, Ticket, TicketMessage, TicketStatus, UsageEvent, utcnow
from backoffice.services import app_settings, mail_traces
from backoffice.services.personal_data import ERASED, MIN_NEEDLE, erased_changes, redact

BATCH = 5000
CLOSED = (TicketStatus.solved, TicketStatus.closed)


def run(now: datetime | None = None) -> int:
    """One night's work: how many events and requests were anonymised."""
    now = now or utcnow()
    with session_scope() as session:
        events_months = app_settings.value(session=session, key='retention_events_months')
        requests_months = app_settings.value(session=session, key='retention_requests_months')
    done = 0
    if events_months:
        done += anonymise_events(before=months_before(now, int(events_months)))
    if requests_months:
        done += anonymise_requests(before=months_before(now, int(requests_months)))
    return done


def anonymise_events(*, before: datetime) -> int:
    """Usage events older than `before` lose who sent them and their details; type and time stay for the KPIs."""
    identified = or_(
        col(UsageEvent.customer_id).is_not(None),
        col(UsageEvent.anonymous_id).is_not(None),
        col(UsageEvent.session_id).is_not(None),
        col(UsageEvent.props).is_not(None),
    )
    done = 0
    while True:
        with session_scope() as session:
            ids = list(session.exec(select(UsageEvent.id).where(UsageEvent.ts < before, identified).limit(BATCH)))
            if not ids:
                return done
            session.execute(
                update(UsageEvent)
                .where(col(UsageEvent.id).in_(ids))
                .values(customer_id=None, anonymous_id=None, session_id=None, props=null())
                .execution_options(synchronize_session=False)
            )
            session.commit()
            done += len(ids)


def anonymise_requests(*, before: datetime) -> int:
    """Solved and closed requests last solved (or changed) before `before` lose their words: subject, messages, steps,
    rating comment, and those values in their audit entries. Their list order (last change) stays."""
    done = 0
    while True:
        with session_scope() as session:
            tickets = list(
                session.exec(
                    select(Ticket)
                    .where(
                        col(Ticket.status).in_(CLOSED),
                        func.coalesce(Ticket.solved_at, Ticket.updated_at) < before,
                        Ticket.subject != ERASED,
                    )
                    .limit(BATCH // 10)
                )
            )
            if not tickets:
                return done
            _anonymise(session, tickets)
            commit(session, *((Topic.tickets, {'id': t.id, 'action': 'updated'}) for t in tickets))
            done += len(tickets)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's last day)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _anonymise(session: Session, tickets: list[Ticket]) -> None:
    ids = [t.id for t in tickets]
    subjects = {str(t.id): [t.subject] if len(t.subject) >= MIN_NEEDLE else [] for t in tickets}
    for ticket in tickets:
        ticket.subject, ticket.steps, ticket.rating_comment = ERASED, None, None
        ticket.version += 1  # not updated_at: an old request does not jump to the top of the lists
        session.add(ticket)
    mail_traces.forget(session, ticket_ids=[i for i in ids if i is not None])
    session.execute(
        update(TicketMessage)
        .where(col(TicketMessage.ticket_id).in_(ids))
        .values(body=ERASED, delivery_error=None, body_key=None, body_params=null())
        .execution_options(synchronize_session=False)
    )
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.entity == 'tickets', col(AuditEntry.entity_id).in_([str(i) for i in ids]))
    )
    for entry in entries:
        entry.changes = erased_changes(entry.changes, [], ours=True)
        entry.summary = redact(entry.summary, subjects.get(entry.entity_id or '', []))
        entry.summary_params = redact(entry.summary_params, subjects.get(entry.entity_id or '', []))
        session.add(entry)
