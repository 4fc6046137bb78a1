"""Retention as an admin sets it: usage events and closed requests older than the months set are anonymised by the
nightly job, newer ones and open requests are not; empty keeps everything; each run is listed with the KPI jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.kpi import refresh
from backoffice.models import Ticket, TicketMessage, TicketStatus, UsageEvent, utcnow
from backoffice.runtime.scheduler import JOBS, apply_retention
from backoffice.services import app_settings, retention
from backoffice.services.personal_data import ERASED

from .support.factories import make_customer, make_user, submit_request

HOSTILE = 'Zoë "Q": <script>alert(1)</script>'


def test_old_events_and_old_closed_requests_are_anonymised_and_nothing_else() -> None:
    admin = make_user('admin')
    customer = make_customer('old@example.com', name=HOSTILE)
    now = utcnow()
    _events(customer.id, old=now - timedelta(days=250), recent=now - timedelta(days=20))
    old_closed = _request('Old and closed', TicketStatus.closed, solved=now - timedelta(days=400))
    old_open = _request('Old but open', TicketStatus.open, solved=None, changed=now - timedelta(days=400))
    recent_solved = _request('Recently solved', TicketStatus.solved, solved=now - timedelta(days=30))
    with session_scope() as session:
        loaded = app_settings.current_values(session=session)
        app_settings.save(
            session=session,
            actor=admin,
            changes={'retention_events_months': 6, 'retention_requests_months': 12},
            loaded=loaded,
        )

    assert apply_retention(get_settings()) == 2 + 1

    with read_session() as session:
        events = {e.client_id: e for e in session.exec(select(UsageEvent))}
        assert (events['old-1'].customer_id, events['old-1'].anonymous_id, events['old-1'].props) == (None, None, None)
        assert events['old-1'].type == 5 and events['old-2'].session_id is None
        assert events['recent'].customer_id == customer.id and events['recent'].props == {'name': HOSTILE}
        tickets = {t.id: t for t in session.exec(select(Ticket))}
        assert tickets[old_closed].subject == ERASED
        assert tickets[old_open].subject == 'Old but open' and tickets[recent_solved].subject == 'Recently solved'
        bodies = session.exec(select(TicketMessage.body).where(TicketMessage.ticket_id == old_closed)).all()
        assert set(bodies) == {ERASED}
        assert 'retention' in [run.job for run in refresh.latest_runs(session=session)]
    assert apply_retention(get_settings()) == 0  # the next night finds nothing left to do
    assert 'retention' in {job.name for job in JOBS}


def test_empty_settings_keep_everything() -> None:
    customer = make_customer('keep@example.com')
    now = utcnow()
    _events(customer.id, old=now - timedelta(days=4000), recent=now)
    _request('Very old', TicketStatus.closed, solved=now - timedelta(days=4000))
    assert retention.run() == 0
    with read_session() as session:
        assert all(e.customer_id == customer.id for e in session.exec(select(UsageEvent)))


def test_a_retention_setting_may_be_emptied_but_not_zero() -> None:
    spec = app_settings.BY_KEY['retention_events_months']
    assert spec.clean('') is None and spec.clean(None) is None and spec.clean(18) == 18
    admin = make_user('admin')
    with session_scope() as session, pytest.raises(ValidationFailed):
        app_settings.save(session=session, actor=admin, changes={'retention_requests_months': 0}, loaded={})


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert retention.months_before(datetime(2026, 3, 31, 4), 1) == datetime(2026, 2, 28, 4)
    assert retention.months_before(datetime(2026, 1, 15), 13) == datetime(2024, 12, 15)


def _events(customer_id: int, *, old: datetime, recent: datetime) -> None:
    with session_scope() as session:
        for client_id, ts, kind in (('old-1', old, 5), ('old-2', old, 2), ('recent', recent, 1)):
            session.add(
                UsageEvent(
                    client_id=client_id,
                    type=kind,
                    ts=ts,
                    customer_id=customer_id,
                    anonymous_id='anon-1',
                    session_id='sess-1',
                    props={'name': HOSTILE},
                )
            )
        session.commit()


def _request(subject: str, status: TicketStatus, *, solved: datetime | None, changed: datetime | None = None) -> int:
    ticket = submit_request(subject, email='asker@example.com', name=HOSTILE, body=f'{HOSTILE} wrote this')
    with session_scope() as session:
        row = session.get(Ticket, ticket.id)
        row.status, row.solved_at = status, solved
        if changed is not None:
            row.updated_at = changed
        session.add(row)
        session.commit()
        return ticket.id
