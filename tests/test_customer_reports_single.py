"""Reports a customer without a company is sent: their own orders, invoices, open amounts and requests as a PDF in their
language, chosen, previewed and sent from the customer page, each period once by the job; a customer in a company is
pointed to the company's report; refused on the server to roles that may not."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from nicegui.testing import User
from sqlalchemy import text
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.kpi.days import today as shop_today
from backoffice.models import Customer, CustomerReportSend, StaffMail, Ticket
from backoffice.services import customer_reports, ticket_links

from .support.customer_reports import choose_report
from .support.factories import make_company, make_customer, make_user, submit_request
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.pdf import pdf_words
from .support.signin import signed_in

HOSTILE = 'Dana "Buyer": <script>x</script> Zoë'
NEXT_MONTH = shop_today('UTC').replace(day=1) + timedelta(days=40)  # its last complete month: this month


def shop(language: str = 'en'):
    manager = make_user('manager')
    admin = make_user('admin')
    round_prices(admin)
    mugs(admin)
    _o1, mine = invoiced_on_terms(manager, 'dana@buyer.example', 2, 30, name=HOSTILE)
    _o2, theirs = invoiced_on_terms(manager, 'eve@other.example', 3, 30, name='Eve')  # another customer: not in it
    with session_scope() as session:
        session.execute(
            text('UPDATE customers SET language = :language WHERE email = :email'),
            {'language': language, 'email': 'dana@buyer.example'},
        )
        session.commit()
    submit_request(subject=f'Chipped mug {HOSTILE}', email='dana@buyer.example', name='Dana')
    submit_request(subject='Not mine', email='eve@other.example', name='Eve')
    with read_session() as session:
        dana = session.exec(select(Customer).where(Customer.email == 'dana@buyer.example')).one()
    return manager, dana, mine, theirs


def test_the_pdf_holds_only_that_customers_orders_invoices_open_amounts_and_requests() -> None:
    manager, dana, mine, theirs = shop()
    with read_session() as session:
        pdf, name = customer_reports.preview_pdf(session=session, actor=manager, customer_id=dana.id, today=NEXT_MONTH)
        shown = customer_reports.shown(session=session, actor=manager, customer_id=dana.id)
    words = pdf_words(pdf)
    assert name.startswith(f'report-customer-{dana.id}-') and name.endswith('.pdf')
    assert 'Statement and activity' in words and HOSTILE in words
    assert mine.number in words and theirs.number not in words
    assert '€20.00' in words and '€30.00' not in words  # 2 mugs at 10.00 ordered, invoiced and open
    assert 'Chipped mug' in words and 'Not mine' not in words
    assert shown.contacts == {dana.id: f'{HOSTILE} <dana@buyer.example>'} and shown.frequency == 'none'
    assert shown.recipients == [dana.id]
    with read_session() as session, pytest.raises(PermissionDenied):
        customer_reports.preview_pdf(session=session, actor=make_user('agent'), customer_id=dana.id)


def test_a_request_merged_into_another_says_so_and_is_not_resolved_at_the_merge() -> None:
    """The merge closes a request: the report listed it as Closed, resolved in 0.0 h, and counted that in the median
    resolution. It says where it goes on, naming the request only when it is the customer's own."""
    manager, dana, _mine, _theirs = shop()
    agent = make_user('agent')
    first = submit_request(subject='Lid: "first" <script>x</script>', email='dana@buyer.example', name='Dana')
    kept = submit_request(subject='Lid: "kept"', email='dana@buyer.example', name='Dana')
    eves = submit_request(subject='Eve: lid', email='eve@other.example', name='Eve')
    with read_session() as session:
        chipped = session.exec(select(Ticket).where(col(Ticket.subject).startswith('Chipped mug'))).one()
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=first.id, version=first.version, into_number=kept.number
        )
        ticket_links.merge(
            session=session,
            actor=agent,
            ticket_id=chipped.id,
            version=chipped.version,
            into_number=eves.number,
            other_customer=True,
        )
    with read_session() as session:
        pdf, _name = customer_reports.preview_pdf(session=session, actor=manager, customer_id=dana.id, today=NEXT_MONTH)
    words = pdf_words(pdf)
    assert f'Merged into #{kept.number}' in words and 'Merged into another request' in words
    assert f'#{eves.number}' not in words and 'Closed' not in words
    assert ' h ' not in f'{words} ' and ' d ' not in f'{words} '  # no resolution time: none was solved


def test_the_job_sends_each_period_once_in_the_customers_language() -> None:
    manager, dana, _mine, _theirs = shop('fr')
    choose_report(manager, 'monthly', customer_id=dana.id, recipients=[dana.id])
    assert customer_reports.send_due(today=NEXT_MONTH) == 1
    assert customer_reports.send_due(today=NEXT_MONTH) == 0  # a second run: the period was sent
    assert customer_reports.send_due(today=NEXT_MONTH + timedelta(days=3)) == 0
    with read_session() as session:
        mail = session.exec(select(StaffMail)).one()
        sends = session.exec(select(CustomerReportSend)).all()
    assert len(sends) == 1 and sends[0].customer_id == dana.id and sends[0].company_id is None
    assert sends[0].period_key.startswith('monthly:') and sends[0].recipients == ['dana@buyer.example']
    assert mail.to_address == 'dana@buyer.example'
    assert 'relevé' in mail.subject.lower() and HOSTILE in mail.subject and 'Bonjour' in mail.body
    assert 'Relevé et activité' in pdf_words(base64.b64decode(mail.parts[0]['data']))
    # next month's period is a new one: sent once more
    assert customer_reports.send_due(today=NEXT_MONTH + timedelta(days=32)) == 1


def test_choices_bad_input_stale_forms_permissions_and_customers_of_a_company() -> None:
    manager, dana, _mine, _theirs = shop()
    eve = make_customer('eve2@other.example')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        customer_reports.save(
            session=session, actor=manager, customer_id=dana.id, frequency='daily', recipients=[eve.id], version=0
        )
    assert set(refused.value.errors) == {'frequency', 'recipients'}
    with session_scope() as session, pytest.raises(ValidationFailed):
        customer_reports.send_now(session=session, actor=manager, customer_id=dana.id)  # nobody chosen yet
    choose_report(manager, 'none', customer_id=dana.id, recipients=[dana.id])
    with session_scope() as session, pytest.raises(StaleRecord):
        customer_reports.save(
            session=session, actor=manager, customer_id=dana.id, frequency='weekly', recipients=[dana.id], version=0
        )
    for role in ('viewer', 'agent'):  # a viewer reads receivables but may not change customers; an agent neither
        with session_scope() as session, pytest.raises(PermissionDenied):
            customer_reports.save(
                session=session,
                actor=make_user(role),
                customer_id=dana.id,
                frequency='weekly',
                recipients=[],
                version=1,
            )
        with session_scope() as session, pytest.raises(PermissionDenied):
            customer_reports.send_now(session=session, actor=make_user(role), customer_id=dana.id)
    with session_scope() as session:
        customer_reports.send_now(session=session, actor=manager, customer_id=dana.id)
    with read_session() as session:
        shown = customer_reports.shown(session=session, actor=manager, customer_id=dana.id)
        assert session.exec(select(StaffMail)).one().to_address == 'dana@buyer.example'
    assert [(s.recipients, s.by) for s in shown.sent] == [(['dana@buyer.example'], manager.name)]
    assert customer_reports.send_due(today=NEXT_MONTH) == 0  # "not sent": the job leaves it

    acme = make_company('Acme')
    member = make_customer('ann@acme.example', company_id=acme.id)
    with session_scope() as session, pytest.raises(ValidationFailed):
        customer_reports.save(
            session=session, actor=manager, customer_id=member.id, frequency='weekly', recipients=[member.id], version=0
        )
    with session_scope() as session:  # Dana joins a company: her own report stops, the company's takes over
        session.execute(text('UPDATE customers SET company_id = :c WHERE id = :d'), {'c': acme.id, 'd': dana.id})
        session.commit()
    choose_weekly = {'frequency': 'weekly'}
    with session_scope() as session:
        session.execute(text('UPDATE customer_report_choices SET frequency = :frequency'), choose_weekly)
        session.commit()
    assert customer_reports.send_due(today=NEXT_MONTH) == 0


async def test_a_manager_chooses_previews_and_sends_from_the_customer_page(user: User) -> None:
    manager, dana, _mine, _theirs = shop()
    await signed_in(user, manager.email, path=f'/customers/{dana.id}')
    await user.should_see('Reports sent to this customer')
    user.find(marker='customer-report-frequency').click()
    user.find('Every month').click()
    await user.should_see(f'{HOSTILE} <dana@buyer.example>')  # the only possible recipient, already chosen
    user.find(marker='customer-report-save').click()
    await user.should_see('Saved: the reports go as chosen.')
    user.find(marker='customer-report-preview').click()
    downloaded = await user.download.next(timeout=30)
    assert downloaded.content.startswith(b'%PDF')
    user.find(marker='customer-report-send-now').click()
    await user.should_see('The report is on its way')
    await user.should_see('to dana@buyer.example')
    with read_session() as session:
        assert session.exec(select(StaffMail)).one().to_address == 'dana@buyer.example'


async def test_a_customer_of_a_company_is_pointed_to_the_companys_report(user: User) -> None:
    manager = make_user('manager')
    acme = make_company('Acme')
    member = make_customer('ann@acme.example', company_id=acme.id)
    await signed_in(user, manager.email, path=f'/customers/{member.id}')
    await user.should_see('This customer’s reports go with their company’s:')
    await user.should_not_see(marker='customer-report-save')


async def test_an_agent_who_may_not_read_receivables_does_not_see_the_panel(user: User) -> None:
    _manager, dana, _mine, _theirs = shop()
    agent = make_user('agent')
    await signed_in(user, agent.email, path=f'/customers/{dana.id}')
    await user.should_not_see('Reports sent to this customer')
