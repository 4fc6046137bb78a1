"""Payment reminders: the daily job writes the reminder of the level an overdue invoice reached, never the same level
twice, in the customer's language, from the settings' template (hostile text stays text), on the order's timeline;
review mode holds them for a person; the outbox sends them with the invoice PDF attached."""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from sqlmodel import col, select

from backoffice import i18n, stored_text
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError
from backoffice.kpi.days import today as shop_today
from backoffice.models import AuditEntry, Customer, OrderEvent, Reminder, ReminderStatus
from backoffice.permissions import PermissionDenied
from backoffice.runtime.scheduler import JOBS
from backoffice.services import app_settings, dunning, orders

from .support.factories import make_user, pay
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.smtp import FakeSmtp

HOSTILE = 'Pay "now": <script>alert(1)</script> {invoice} {amount} {due} {days} {other}'


def set_settings(admin, **changes) -> None:
    with session_scope() as session:
        app_settings.save(
            session=session, actor=admin, loaded=app_settings.current_values(session=session), changes=changes
        )


def run_job(days_later: int) -> list[int]:
    with session_scope() as session:
        return dunning.queue_reminders(
            session=session, today=shop_today(app_settings.time_zone()) + timedelta(days=days_later)
        )


def stored() -> list[Reminder]:
    with read_session() as session:
        return list(session.exec(select(Reminder).order_by(Reminder.id)))


@pytest.fixture
def shop():
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    return admin, manager


def test_each_level_once_when_reached_in_the_customers_language(shop) -> None:
    admin, manager = shop
    set_settings(admin, reminder_review=False, reminder_1_subject=HOSTILE, reminder_1_body=HOSTILE)
    order, invoice = invoiced_on_terms(manager, 'ann@example.com', 2, 15)  # 20.00 due in 15 days
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.language = 'fr'
        session.add(customer)
        session.commit()

    assert run_job(17) == []  # 2 days late: no level reached yet
    assert len(run_job(18)) == 1  # 3 days: level 1, from the settings' template, placeholders filled
    first = stored()[0]
    assert (first.level, first.status, first.language) == (1, ReminderStatus.queued, 'fr')
    assert first.subject == f'Pay "now": <script>alert(1)</script> {invoice.number} 20,00\u00a0€ ' + (
        f'{(shop_today(app_settings.time_zone()) + timedelta(days=15)).strftime("%d/%m/%Y")} 3 {{other}}'
    )
    assert run_job(20) == [] and run_job(29) == []  # level 1 is never written twice
    assert len(run_job(30)) == 1  # 15 days: level 2, the built-in text in French
    second = stored()[1]
    assert second.level == 2 and second.subject == f'Relance de paiement\u00a0: facture {invoice.number}'
    assert 'est en retard de 15 jours' in second.body
    assert run_job(200) != [] and run_job(201) == []  # level 3 once, then nothing more
    with read_session() as session:
        timeline = [e.text for e in session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id))]
    assert sum('Payment reminder' in text for text in timeline) == 3


def test_a_late_invoice_gets_only_the_highest_level_it_reached_and_paid_ones_none(shop) -> None:
    _admin, manager = shop
    _o1, _i1 = invoiced_on_terms(manager, 'ann@example.com', 1, 15)
    o2, _i2 = invoiced_on_terms(manager, 'bob@example.com', 1, 15)
    pay(manager, o2)
    run_job(15 + 40)
    assert [(r.level, r.email) for r in stored()] == [(3, 'ann@example.com')]


def test_in_review_mode_a_manager_approves_or_cancels_and_a_viewer_may_not(shop) -> None:
    _admin, manager = shop  # review is on by default
    invoiced_on_terms(manager, 'ann@example.com', 1, 15)
    invoiced_on_terms(manager, 'bob@example.com', 1, 15)
    first, second = run_job(20)
    assert {r.status for r in stored()} == {ReminderStatus.review}
    with session_scope() as session, pytest.raises(PermissionDenied):
        dunning.decide(session=session, actor=make_user('viewer'), reminder_id=first, approve=True)
    with session_scope() as session:
        dunning.decide(session=session, actor=manager, reminder_id=first, approve=True)
    with session_scope() as session:
        dunning.decide(session=session, actor=manager, reminder_id=second, approve=False)
    with session_scope() as session, pytest.raises(ServiceError):
        dunning.decide(session=session, actor=manager, reminder_id=second, approve=True)
    assert [r.status for r in stored()] == [ReminderStatus.queued, ReminderStatus.cancelled]
    assert run_job(21) == []  # a cancelled level is not written again


def test_the_outbox_sends_each_reminder_with_its_invoice_pdf(shop, smtp_server: FakeSmtp) -> None:
    admin, manager = shop
    set_settings(admin, reminder_review=False)
    _o1, invoice = invoiced_on_terms(manager, 'ann@example.com', 1, 15)
    o2, _i2 = invoiced_on_terms(manager, 'bob@example.com', 1, 15)
    run_job(20)
    pay(manager, o2)  # paid before the outbox ran: not sent
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url})
    assert dunning.send_reminders(settings) == {'sent': 1, 'failed': 0, 'retry': 0, 'cancelled': 1}
    [(sender, recipients, data)] = smtp_server.received
    assert recipients == ['ann@example.com'] and sender == 'billing@shop.example'
    message = email.message_from_bytes(data)
    assert message['Subject'] == f'Payment reminder: invoice {invoice.number}'
    [attachment] = [part for part in message.walk() if part.get_content_type() == 'application/pdf']
    assert attachment.get_filename() == f'{invoice.number}.pdf'
    assert attachment.get_payload(decode=True).startswith(b'%PDF')
    assert [r.status for r in stored()] == [ReminderStatus.sent, ReminderStatus.cancelled]


def test_a_reminder_asks_for_what_is_open_when_read_and_sent_not_when_written(shop, smtp_server: FakeSmtp) -> None:
    """Written for 20.00 overdue, then the customer pays 5.00 while it waits for review: the reviewer reads 15.00 and
    the email asks for 15.00 (it asked for the 20.00 it was written with, money already received)."""
    admin, manager = shop
    set_settings(admin, reminder_review=True)
    order, _invoice = invoiced_on_terms(manager, 'ann@example.com', 2, 15)  # 20.00, due in 15 days
    [reminder_id] = run_job(20)
    assert '€20.00' in stored()[0].body
    pay(manager, order, '5,00')
    with read_session() as session:
        [row] = dunning.reminders(session=session, actor=manager, status=ReminderStatus.review)
    assert '€15.00' in row.body and '€20.00' not in row.body
    with session_scope() as session:
        dunning.decide(session=session, actor=manager, reminder_id=reminder_id, approve=True)
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url})
    assert dunning.send_reminders(settings)['sent'] == 1
    [(_sender, _recipients, data)] = smtp_server.received
    sent = email.message_from_bytes(data)
    text = next(part for part in sent.walk() if part.get_content_type() == 'text/plain').get_payload(decode=True)
    text = text.decode()
    assert '€15.00 is still open' in text and '€20.00' not in text
    assert '€15.00' in stored()[0].body  # the reminder keeps what was sent


def test_the_scheduler_writes_reminders_daily_and_sends_them_every_minute() -> None:
    jobs = {job.name: job for job in JOBS}
    assert jobs['payment-reminders'].trigger == 'cron' and jobs['send-reminders'].options == {'minutes': 1}


def timeline_of(order_id: int) -> list[str]:
    with read_session() as session:
        events = session.exec(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id, OrderEvent.kind == 'reminder')
            .order_by(col(OrderEvent.id))
        )
        return [orders.timeline_text(event) for event in events]


def test_reminders_on_the_timeline_and_in_the_audit_log_read_in_french_old_entries_too(
    shop, smtp_server: FakeSmtp
) -> None:
    """Written, approved or cancelled, sent or not: each entry in the reader's language; one written before they kept
    their msgid (its English text only) reads the same, a machine's words in it as they are."""
    _admin, manager = shop  # review is on by default
    o1, i1 = invoiced_on_terms(manager, 'ann@example.com', 1, 15)
    o2, i2 = invoiced_on_terms(manager, 'bob@example.com', 1, 15)
    first, second = run_job(20)
    with session_scope() as session:
        dunning.decide(session=session, actor=manager, reminder_id=first, approve=True)
    with session_scope() as session:
        dunning.decide(session=session, actor=manager, reminder_id=second, approve=False)
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url})
    assert dunning.send_reminders(settings)['sent'] == 1

    assert timeline_of(o1.id) == [
        f'Payment reminder 1 for invoice {i1.number} waits for review',
        f'Payment reminder 1 for {i1.number} approved',
        'Payment reminder 1 sent to ann@example.com',
    ]
    with i18n.use('fr'):
        assert timeline_of(o1.id) == [
            f'Relance de paiement 1 pour la facture {i1.number} en attente de relecture',
            f'Relance de paiement 1 pour {i1.number} approuvée',
            'Relance de paiement 1 envoyée à ann@example.com',
        ]
        assert timeline_of(o2.id) == [
            f'Relance de paiement 1 pour la facture {i2.number} en attente de relecture',
            f'Relance de paiement 1 pour {i2.number} annulée',
        ]
        with read_session() as session:
            audited = [
                stored_text.show(e.summary, e.summary_key, e.summary_params)
                for e in session.exec(
                    select(AuditEntry).where(AuditEntry.entity == 'reminders').order_by(col(AuditEntry.id))
                )
            ]
    assert audited == [
        f'Relance de paiement 1 pour la commande {o1.id} rédigée\u00a0: en attente de relecture',
        f'Relance de paiement 1 pour la commande {o2.id} rédigée\u00a0: en attente de relecture',
        f'Relance de paiement 1 pour la facture {i1.number} approuvée',
        f'Relance de paiement 1 pour la facture {i2.number} annulée',
    ]

    # entries written before: their English text only, as the code wrote it then
    old = [
        f'Payment reminder 1 for invoice {i1.number} queued',
        f'Payment reminder 2 for {i1.number} cancelled',
        f'Payment reminder 2 could not be sent: {HOSTILE}',
        'Payment reminder 3 not sent: the invoice is paid',
        f'Payment reminder 1 for order {o1.id} (queued)',
        f'Payment reminder 1 for invoice {i1.number} cancelled',
        f'Paid by hand: {HOSTILE}',  # not one of them: as stored
    ]
    assert [stored_text.show(text) for text in old] == old
    with i18n.use('fr'):
        assert [stored_text.show(text) for text in old] == [
            f'Relance de paiement 1 pour la facture {i1.number} mise en file d’envoi',
            f'Relance de paiement 2 pour {i1.number} annulée',
            f'La relance de paiement 2 n’a pas pu être envoyée\u00a0: {HOSTILE}',
            'Relance de paiement 3 non envoyée\u00a0: la facture est payée',
            f'Relance de paiement 1 pour la commande {o1.id} rédigée\u00a0: en file d’envoi',
            f'Relance de paiement 1 pour la facture {i1.number} annulée',
            f'Paid by hand: {HOSTILE}',
        ]
