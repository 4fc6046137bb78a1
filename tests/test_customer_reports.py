"""Reports a company is sent: its orders, invoices, what is open and its requests as a branded PDF in each contact's
language, mailed with a templated email; chosen, previewed and sent from the company page; each period once by the
job; refused to a role that may not read receivables or change customers."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import pytest
from nicegui.testing import User
from sqlalchemy import text
from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.kpi.days import today as shop_today
from backoffice.models import CustomerReportSend, StaffMail
from backoffice.services import customer_reports, staff_mail

from .support.at_once import first_saves_at_once
from .support.customer_reports import choose_report
from .support.factories import make_company, make_customer, make_user, submit_request
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.pdf import pdf_words
from .support.signin import signed_in
from .support.smtp import FakeSmtp

HOSTILE = 'Acme "Labs": <script>x</script> Zoë'
NEXT_MONTH = shop_today('UTC').replace(day=1) + timedelta(days=40)  # its last complete month: this month


def shop():
    manager = make_user('manager')
    admin = make_user('admin')
    round_prices(admin)
    mugs(admin)
    acme = make_company(HOSTILE)
    _o1, i1 = invoiced_on_terms(manager, 'ann@acme.example', 2, 30, company_id=acme.id, name=f'Ann {HOSTILE}')
    _o2, i2 = invoiced_on_terms(manager, 'bob@acme.example', 3, 30, company_id=acme.id, name='Bob')
    with session_scope() as session:
        session.execute(text("UPDATE customers SET language = 'fr' WHERE email = 'bob@acme.example'"))
        session.commit()
    submit_request(subject=f'Broken mug {HOSTILE}', email='ann@acme.example', name='Ann')
    contacts = {c.email: c.id for c in (_customer('ann@acme.example'), _customer('bob@acme.example'))}
    return manager, acme, contacts, (i1, i2)


def _customer(address: str):
    from backoffice.models import Customer

    with read_session() as session:
        return session.exec(select(Customer).where(Customer.email == address)).one()


def test_the_pdf_holds_the_periods_orders_invoices_open_amounts_and_requests() -> None:
    manager, acme, _contacts, (i1, i2) = shop()
    with read_session() as session:
        pdf, name = customer_reports.preview_pdf(session=session, actor=manager, company_id=acme.id, today=NEXT_MONTH)
    Path('/tmp/customer-report.pdf').write_bytes(pdf)
    shown = pdf_words(pdf)
    assert name.startswith(f'report-company-{acme.id}-') and name.endswith('.pdf')
    assert 'Statement and activity' in shown and 'Acme "Labs": <script>x</script> Zoë' in shown
    assert i1.number in shown and i2.number in shown
    assert '€50.00' in shown  # 2 + 3 mugs at 10.00, ordered, invoiced and open
    assert 'Broken mug' in shown and 'No order over this period.' not in shown
    with read_session() as session, pytest.raises(PermissionDenied):
        customer_reports.preview_pdf(session=session, actor=make_user('agent'), company_id=acme.id)


def test_each_contact_gets_the_pdf_in_their_language_once_per_period(smtp_server: FakeSmtp) -> None:
    manager, acme, contacts, _invoices = shop()
    choose_report(manager, 'monthly', company_id=acme.id, recipients=list(contacts.values()))
    assert customer_reports.send_due(today=NEXT_MONTH) == 1
    assert customer_reports.send_due(today=NEXT_MONTH) == 0  # a second run: the period was sent
    assert customer_reports.send_due(today=NEXT_MONTH + timedelta(days=3)) == 0  # later the same month: still sent
    with read_session() as session:
        mails = {m.to_address: m for m in session.exec(select(StaffMail))}
        sends = session.exec(select(CustomerReportSend)).all()
    assert set(mails) == {'ann@acme.example', 'bob@acme.example'}
    assert len(sends) == 1 and sends[0].period_key.startswith('monthly:') and sends[0].sent_by is None
    assert set(sends[0].recipients) == {'ann@acme.example', 'bob@acme.example'}
    english, french = mails['ann@acme.example'], mails['bob@acme.example']
    assert 'statement and activity of Acme "Labs"' in english.subject and english.body.startswith('Hello Ann')
    assert 'Bonjour Bob' in french.body and 'relevé' in french.subject.lower()
    french_pdf = pdf_words(__import__('base64').b64decode(french.parts[0]['data']))
    assert 'Relevé et activité' in french_pdf
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url})
    assert staff_mail.send_staff_mail(settings)['sent'] == 2
    message = email.message_from_bytes(smtp_server.received[-1][2], policy=email.policy.default)
    attached = [part for part in message.iter_attachments()]
    assert [part.get_content_type() for part in attached] == ['application/pdf']
    assert attached[0].get_content().startswith(b'%PDF')


def test_send_now_choices_bad_input_and_stale_forms() -> None:
    manager, acme, contacts, _invoices = shop()
    other = make_company('Other')
    stranger = make_customer('zed@other.example', company_id=other.id)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        customer_reports.save(
            session=session, actor=manager, company_id=acme.id, frequency='daily', recipients=[stranger.id], version=0
        )
    assert set(refused.value.errors) == {'frequency', 'recipients'}
    with session_scope() as session, pytest.raises(ValidationFailed):
        customer_reports.send_now(session=session, actor=manager, company_id=acme.id)  # nobody chosen yet
    choose_report(manager, 'none', company_id=acme.id, recipients=[contacts['ann@acme.example']])
    with session_scope() as session, pytest.raises(StaleRecord):
        customer_reports.save(
            session=session,
            actor=manager,
            company_id=acme.id,
            frequency='weekly',
            recipients=[contacts['bob@acme.example']],
            version=0,
        )
    with session_scope() as session:
        customer_reports.send_now(session=session, actor=manager, company_id=acme.id)
    with read_session() as session:
        shown = customer_reports.shown(session=session, actor=manager, company_id=acme.id)
        assert session.exec(select(StaffMail)).one().to_address == 'ann@acme.example'
    assert [(s.recipients, s.by) for s in shown.sent] == [(['ann@acme.example'], manager.name)]
    viewer = make_user('viewer')  # reads receivables, may not change customers
    with session_scope() as session, pytest.raises(PermissionDenied):
        customer_reports.send_now(session=session, actor=viewer, company_id=acme.id)
    assert customer_reports.send_due(today=NEXT_MONTH) == 0  # "not sent": the job leaves it


def test_two_first_choices_of_a_companys_report_at_once_the_second_is_refused_naming_the_first(monkeypatch) -> None:
    """Two managers choose Acme's report, never chosen before, at the same moment: no row to lock yet; the first is
    saved, the second refused naming the first (it used to fail on the duplicate company_id)."""
    manager, acme, contacts, _invoices = shop()
    other = make_user('manager', email='other.manager@example.com', name=f'Other {HOSTILE}')

    def save(actor, frequency: str, address: str):
        def saving():
            with session_scope() as session:
                customer_reports.save(
                    session=session,
                    actor=actor,
                    company_id=acme.id,
                    frequency=frequency,
                    recipients=[contacts[address]],
                    version=0,
                )
            return 'saved'

        return saving

    first, second = first_saves_at_once(
        monkeypatch,
        customer_reports,
        save(manager, 'weekly', 'ann@acme.example'),
        save(other, 'monthly', 'bob@acme.example'),
    )
    assert first == 'saved' and isinstance(second, StaleRecord), (first, second)
    assert manager.name in str(second)
    with read_session() as session:
        shown = customer_reports.shown(session=session, actor=manager, company_id=acme.id)
    assert (shown.frequency, shown.recipients, shown.version) == ('weekly', [contacts['ann@acme.example']], 1)


async def test_a_manager_chooses_previews_and_sends_from_the_company_page(user: User) -> None:
    manager, acme, _contacts, _invoices = shop()
    await signed_in(user, manager.email, path=f'/companies/{acme.id}')
    await user.should_see('Reports sent to this company')
    user.find(marker='customer-report-frequency').click()
    user.find('Every month').click()
    user.find(marker='customer-report-recipients').click()
    user.find('Bob <bob@acme.example>').click()
    user.find(marker='customer-report-save').click()
    await user.should_see('Saved: the reports go as chosen.')
    user.find(marker='customer-report-preview').click()
    downloaded = await user.download.next(timeout=30)
    assert downloaded.content.startswith(b'%PDF')
    user.find(marker='customer-report-send-now').click()
    await user.should_see('The report is on its way')
    await user.should_see('to bob@acme.example')
    with read_session() as session:
        assert session.exec(select(StaffMail)).one().to_address == 'bob@acme.example'
