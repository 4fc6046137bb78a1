"""A company's report shows only what the company may see of its contacts: a member who joined by accepting a company
admin's invitation, from joining; one the company removed, until removed — and a removed member is sent none."""

from __future__ import annotations

import io
from datetime import timedelta

from nicegui.testing import User
from pypdf import PdfReader
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import resource
from backoffice.kpi.days import today as shop_today
from backoffice.models import CompanyMember, CompanyMemberPeriod, Customer, StaffMail
from backoffice.services import company_members, crud, customer_reports, portal

from .support.companies import BASE_URL, actor, add_member, company_with, member_id
from .support.customer_reports import choose_report
from .support.factories import make_user, submit_request
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.portal import delivered_order
from .support.signin import signed_in

HOSTILE = 'Zoë "O\'Brien" <script>alert(1)</script>: <img src=x onerror=alert(1)>'
NEXT_MONTH = shop_today('UTC').replace(day=1) + timedelta(days=40)  # its last complete month: this month


def joined(email: str, company_email: str) -> None:
    """A company admin invites the customer, who accepts."""
    admin = actor(company_email)
    with session_scope() as session:
        company_members.invite(
            session=session, by=admin, company_id=admin.company_id, email=email, name=HOSTILE, base_url=BASE_URL
        )
    with read_session() as session:
        (invitation,) = company_members.invitations(session=session, actor=actor(email))
    with session_scope() as session:
        company_members.accept(
            session=session, actor=actor(email), member_id=invitation.member_id, version=invitation.version
        )


def pdf_text(pdf: bytes) -> str:
    return ' '.join('\n'.join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_company_report_covers_each_contact_only_while_they_shared() -> None:
    manager, admin = make_user('manager'), make_user('admin')
    round_prices(admin)
    mugs(admin)
    acme = company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin'})
    ada_order = delivered_order('ada@acme.com', sku='REP-ADA')  # made a contact by the shop: shares all
    carl_before, carl_unpaid = invoiced_on_terms(manager, 'carl@example.com', 2, 30, name=HOSTILE)
    submit_request(f'Carl alone {HOSTILE}', email='carl@example.com', order_number=None)
    joined('carl@example.com', 'ada@acme.com')
    carl_after = delivered_order('carl@example.com', sku='REP-CARL')
    joined('dan@example.com', 'ada@acme.com')
    dan_during = delivered_order('dan@example.com', sku='REP-DAN1')
    with read_session() as session:
        ids = {c.email: c.id for c in session.exec(select(Customer).where(Customer.company_id == acme.id))}
    choose_report(manager, 'monthly', list(ids.values()), company_id=acme.id)  # Dan too, while a member
    with session_scope() as session:
        company_members.remove(
            session=session, by=actor('ada@acme.com'), member_id=member_id('dan@example.com'), version=None
        )
    dan_after, dan_unpaid = invoiced_on_terms(manager, 'dan@example.com', 1, 30)
    submit_request(f'Dan alone {HOSTILE}', email='dan@example.com', order_number=None)

    with read_session() as session:
        pdf, _name = customer_reports.preview_pdf(session=session, actor=manager, company_id=acme.id, today=NEXT_MONTH)
    shown = pdf_text(pdf)
    for number in (ada_order.number, carl_after.number, dan_during.number):
        assert number in shown
    for number in (carl_before.number, carl_unpaid.number, dan_after.number, dan_unpaid.number):
        assert number not in shown  # neither before joining nor after leaving: never the company's
    assert 'Carl alone' not in shown and 'Dan alone' not in shown

    with read_session() as session:
        contacts = {c.email for c in session.exec(select(Customer).where(Customer.company_id == acme.id))}
    assert contacts == {'ada@acme.com', 'carl@example.com', 'dan@example.com'}  # Dan is still a contact for staff
    assert customer_reports.send_due(today=NEXT_MONTH) == 1
    with read_session() as session:
        mailed = set(session.exec(select(StaffMail.to_address).where(StaffMail.subject.contains('statement'))).all())
    assert mailed == {'ada@acme.com', 'carl@example.com'}  # the company removed Dan: its report is not his


def test_a_member_who_left_and_came_back_shares_both_periods_never_the_gap_between() -> None:
    """Dan joins, orders, is removed, orders on his own, is asked again and accepts, orders again; Eve the same, added
    back by staff: the company's report and its members in the portal see the first and the last order of each, never
    the one in between."""
    manager, admin = make_user('manager'), make_user('admin')
    round_prices(admin)
    mugs(admin)
    acme = company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin'})
    joined('dan@example.com', 'ada@acme.com')
    add_member(acme.id, 'eve@example.com', 'buyer')  # staff add her: she shares all of hers until removed
    first = {who: delivered_order(f'{who}@example.com', sku=f'GAP-{who}-1') for who in ('dan', 'eve')}
    for who in ('dan', 'eve'):
        with session_scope() as session:
            company_members.remove(
                session=session, by=actor('ada@acme.com'), member_id=member_id(f'{who}@example.com'), version=None
            )
    gap = {who: delivered_order(f'{who}@example.com', sku=f'GAP-{who}-2') for who in ('dan', 'eve')}
    submit_request(f'Dan between {HOSTILE}', email='dan@example.com', order_number=None)
    joined('dan@example.com', 'ada@acme.com')  # asked again by the company's admin, accepted
    add_member(acme.id, 'eve@example.com', 'buyer')  # added back by staff
    last = {who: delivered_order(f'{who}@example.com', sku=f'GAP-{who}-3') for who in ('dan', 'eve')}

    with read_session() as session:
        pdf, _name = customer_reports.preview_pdf(session=session, actor=manager, company_id=acme.id, today=NEXT_MONTH)
        seen_in_portal = {o.number for o in portal.my_orders(session=session, actor=actor('ada@acme.com'))}
    shown = pdf_text(pdf)
    for who in ('dan', 'eve'):
        assert first[who].number in shown and last[who].number in shown  # both periods
        assert gap[who].number not in shown  # never the time in between
        assert {first[who].number, last[who].number} <= seen_in_portal and gap[who].number not in seen_in_portal
    assert 'Dan between' not in shown
    with read_session() as session:  # the earlier periods are kept, one each
        kept = session.exec(select(CompanyMemberPeriod).order_by(col(CompanyMemberPeriod.id))).all()
    assert [(p.company_id, p.ended_at is not None) for p in kept] == [(acme.id, True), (acme.id, True)]
    assert kept[1].shared_from is None  # Eve's first period: all of hers before it ended, as staff added her


async def test_a_contact_the_company_removed_is_not_offered_as_a_recipient(user: User) -> None:
    """They are sent none (above): the panel does not offer them, nor keep them among the chosen."""
    manager = make_user('manager')
    acme = company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin'})
    joined('carl@example.com', 'ada@acme.com')
    joined('dan@example.com', 'ada@acme.com')
    with read_session() as session:
        ids = {c.email: c.id for c in session.exec(select(Customer).where(Customer.company_id == acme.id))}
    choose_report(manager, 'monthly', list(ids.values()), company_id=acme.id)
    with session_scope() as session:
        company_members.remove(
            session=session, by=actor('ada@acme.com'), member_id=member_id('dan@example.com'), version=None
        )
    await signed_in(user, manager.email, path=f'/companies/{acme.id}')
    await user.should_see('Reports sent to this company')
    recipients = user.find(marker='customer-report-recipients').elements.pop()
    assert set(recipients.options) == {ids['ada@acme.com'], ids['carl@example.com']}
    assert sorted(recipients.value) == sorted([ids['ada@acme.com'], ids['carl@example.com']])
    user.find(marker='customer-report-frequency').click()
    user.find('Every week').click()
    user.find(marker='customer-report-save').click()
    await user.should_see('Saved: the reports go as chosen.')
    with read_session() as session:
        saved = customer_reports.shown(session=session, actor=manager, company_id=acme.id)
    assert (saved.frequency, sorted(saved.recipients)) == (
        'weekly',
        sorted([ids['ada@acme.com'], ids['carl@example.com']]),
    )


def moved(email: str, company_id: int | None) -> None:
    """Staff move the contact to another company (or none) from their form."""
    manager = make_user('manager')
    with session_scope() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).one()
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            record_id=customer.id,
            version=customer.version,
            changes={'company_id': company_id},
        )


def test_a_member_moved_to_another_company_and_back_shares_with_the_first_only_what_they_did_as_its_member() -> None:
    """Dan, Acme's member, is moved by staff to Beta, orders and asks there, then is moved back to Acme: Acme's report
    and its admin in the portal see his order as Acme's member, never what he did while at Beta nor after coming back
    (a contact again, a member again only once invited again)."""
    manager, admin = make_user('manager'), make_user('admin')
    round_prices(admin)
    mugs(admin)
    acme = company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin'})
    beta = company_with(f'Beta {HOSTILE}', {'bob@beta.com': 'admin'})
    joined('dan@example.com', 'ada@acme.com')
    as_member = delivered_order('dan@example.com', sku='MOVE-1')
    moved('dan@example.com', beta.id)
    at_beta = delivered_order('dan@example.com', sku='MOVE-2')
    submit_request(f'Dan at Beta {HOSTILE}', email='dan@example.com', order_number=None)
    moved('dan@example.com', acme.id)
    back = delivered_order('dan@example.com', sku='MOVE-3')

    assert actor('dan@example.com').company_id is None  # a contact of Acme again, not its member
    with read_session() as session:
        pdf, _name = customer_reports.preview_pdf(session=session, actor=manager, company_id=acme.id, today=NEXT_MONTH)
        seen = {o.number for o in portal.my_orders(session=session, actor=actor('ada@acme.com'))}
        asked = [t.subject for t in portal.my_requests(session=session, actor=actor('ada@acme.com'))]
    shown = pdf_text(pdf)
    assert as_member.number in shown and as_member.number in seen
    for order in (at_beta, back):
        assert order.number not in shown and order.number not in seen
    assert 'Dan at Beta' not in shown and not any('Dan at Beta' in subject for subject in asked)
    with read_session() as session:
        (kept,) = session.exec(
            select(CompanyMember).where(CompanyMember.customer_id == actor('dan@example.com').customer_id)
        )
    assert kept.company_id == acme.id and kept.ended_at is not None  # his membership ended as he moved

    joined('dan@example.com', 'ada@acme.com')  # asked again, accepted: from then on
    again = delivered_order('dan@example.com', sku='MOVE-4')
    with read_session() as session:
        seen = {o.number for o in portal.my_orders(session=session, actor=actor('ada@acme.com'))}
    assert {as_member.number, again.number} <= seen and not {at_beta.number, back.number} & seen
