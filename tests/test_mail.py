"""The outbox: replies wait while no mail server is set, go out by SMTP when one is, and failures are kept visible."""

from __future__ import annotations

from email import message_from_bytes

import pytest
from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.models import Delivery, MessageKind, TicketMessage
from backoffice.runtime.scheduler import JOBS
from backoffice.services import app_settings, mail, tickets

from .support.factories import make_user
from .support.smtp import FakeSmtp


def replies_to(*emails: str) -> list[int]:
    """One queued reply to each customer; returns the message ids."""
    agent = make_user('agent', name='Sam Okafor')
    ids = []
    for email in emails:
        with session_scope() as session:
            ticket = tickets.submit_request(
                session=session, email=email, name='Cleo', subject='Parcel late', body='Where is it?', source='api'
            )
        with session_scope() as session:
            ids.append(
                tickets.reply(
                    session=session,
                    actor=agent,
                    ticket_id=ticket.id,
                    version=1,
                    body=f'Dear customer,\nit ships today ({email}).',
                ).id
            )
    return ids


def deliveries(ids: list[int]) -> list[tuple]:
    with read_session() as session:
        rows = [session.get(TicketMessage, i) for i in ids]
        return [(m.delivery, m.delivery_error, m.attempts) for m in rows]


def configure(monkeypatch: pytest.MonkeyPatch, smtp_url: str | None, support_email: str = 'help@shop.example'):
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            changes={'support_email': support_email, 'company_name': 'Shop & Co'},
            loaded={},
        )
    settings = get_settings()
    return settings.model_copy(update={'smtp_url': smtp_url})


def test_without_an_smtp_url_replies_wait_in_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = replies_to('cleo@example.com')
    settings = configure(monkeypatch, None)
    assert mail.send_outbox(settings) == {'sent': 0, 'failed': 0, 'retry': 0}
    assert deliveries(ids) == [(Delivery.queued, None, 0)]
    assert mail.outbox_size() == 1


def test_replies_are_sent_from_the_support_address_and_marked_sent(
    monkeypatch: pytest.MonkeyPatch, smtp_server: FakeSmtp
) -> None:
    ids = replies_to('cleo@example.com', 'max@example.com')
    colleague = make_user('agent')
    with session_scope() as session:  # a note is never sent
        ticket_id = session.get(TicketMessage, ids[0]).ticket_id
        tickets.add_note(session=session, actor=colleague, ticket_id=ticket_id, body='internal only')
    settings = configure(monkeypatch, smtp_server.url)
    assert mail.send_outbox(settings) == {'sent': 2, 'failed': 0, 'retry': 0}
    assert [d[0] for d in deliveries(ids)] == [Delivery.sent, Delivery.sent]
    assert [r[1] for r in smtp_server.received] == [['cleo@example.com'], ['max@example.com']]
    sender, _, data = smtp_server.received[0]
    email = message_from_bytes(data)
    assert sender == 'help@shop.example' and email['From'] == 'Shop & Co <help@shop.example>'
    assert email['Subject'] == 'Re: Parcel late [#1001]' and email['To'] == 'Cleo <cleo@example.com>'
    assert 'it ships today (cleo@example.com).' in email.get_payload(decode=True).decode()
    assert all(b'internal only' not in r[2] for r in smtp_server.received)
    assert mail.send_outbox(settings)['sent'] == 0  # nothing is sent twice
    with read_session() as session:
        note = session.exec(select(TicketMessage).where(TicketMessage.kind == MessageKind.note)).one()
    assert note.delivery is None


def test_a_refused_recipient_fails_with_the_error_and_can_be_retried(
    monkeypatch: pytest.MonkeyPatch, smtp_server: FakeSmtp
) -> None:
    good, bad = replies_to('cleo@example.com', 'bounce@example.com')
    settings = configure(monkeypatch, smtp_server.url)
    assert mail.send_outbox(settings) == {'sent': 1, 'failed': 1, 'retry': 0}
    assert deliveries([good, bad]) == [
        (Delivery.sent, None, 1),
        (Delivery.failed, 'bounce@example.com: 550 No such user here', 1),
    ]
    agent = make_user('agent')
    with session_scope() as session:
        tickets.retry_delivery(session=session, actor=agent, message_id=bad)
    assert deliveries([bad]) == [(Delivery.queued, None, 0)]


def test_an_unreachable_server_keeps_replies_queued_until_the_last_attempt(
    monkeypatch: pytest.MonkeyPatch, smtp_server: FakeSmtp
) -> None:
    [reply] = replies_to('cleo@example.com')
    url = smtp_server.url
    smtp_server.shutdown()
    smtp_server.server_close()  # nothing listens on that port any more
    settings = configure(monkeypatch, url)
    assert mail.send_outbox(settings) == {'sent': 0, 'failed': 0, 'retry': 1}
    delivery, error, attempts = deliveries([reply])[0]
    assert (delivery, attempts) == (Delivery.queued, 1) and 'refused' in error.lower()
    for _ in range(mail.MAX_ATTEMPTS - 1):
        mail.send_outbox(settings)
    assert deliveries([reply])[0][0] == Delivery.failed


def test_no_support_email_means_nothing_is_sent(monkeypatch: pytest.MonkeyPatch, smtp_server: FakeSmtp) -> None:
    ids = replies_to('cleo@example.com')
    settings = configure(monkeypatch, smtp_server.url, support_email='')
    assert mail.send_outbox(settings)['sent'] == 0 and smtp_server.received == []
    assert deliveries(ids) == [(Delivery.queued, None, 0)]


def test_the_scheduler_runs_the_outbox_and_the_sla_check_every_minute() -> None:
    jobs = {job.name: job for job in JOBS}
    assert jobs['send-outbox'].options == {'minutes': 1} and jobs['sla-check'].options == {'minutes': 1}
    assert jobs['sla-check'].run(get_settings()) == []
