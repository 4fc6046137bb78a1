"""B2B in the customer portal and on the company page, as people use them: a company admin invites, re-roles and
removes colleagues in the Company tab; staff do the same from the company page; a viewer is offered no write but the
return of their own order; a customer keeps an address book (staff edit it too); the current tab is marked; the
timeline speaks the customer's words; the personal-data ZIP carries the request's attachments."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import CompanyRole, Customer, CustomerAddress, Return, Ticket
from backoffice.services import company_members, customer_addresses, orders, portal, tickets
from backoffice.services.portal_scope import READ_ONLY, ReadOnly
from backoffice.validation import EMAIL_MAX, PHONE_MAX

from .support.companies import actor, ban_replaced_as_before_the_fix, company_with, member_id
from .support.factories import make_customer, make_user, submit_request, tiny_png
from .support.portal import delivered_order, enter_portal, last_link
from .support.signin import signed_in
from .support.too_long import one_past, refused_at
from .support.waiting import eventually

HOSTILE = 'Zoë "O\'Brien" <script>alert(1)</script>: ünïcode'


def select_value(user: User, marker: str, value: str) -> None:
    user.find(marker=marker, kind=ui.select).elements.pop().set_value(value)


async def test_a_company_admin_invites_re_roles_and_removes_colleagues(user: User) -> None:
    company_with('Acme', {'ada@acme.com': 'admin', 'bob@acme.com': 'buyer'})
    await enter_portal(user, 'ada@acme.com')
    await user.should_see('Company')
    await user.open('/portal/company')
    await user.should_see(marker='portal-company')
    await user.should_see('Your role: Company admin.')
    await user.should_see('bob@acme.com')
    user.find(marker='invite-email').type('carl@acme.com')
    user.find(marker='invite-name').type(HOSTILE)
    select_value(user, 'invite-role', 'viewer')
    user.find(marker='invite-send').click()
    await user.should_see('The invitation is on its way to carl@acme.com.', retries=200)
    await user.should_see(HOSTILE)
    assert last_link('carl@acme.com').startswith('/portal/link')
    await user.should_see('Invited by ada@acme.com: not accepted yet')
    assert actor('carl@acme.com').company_role is None  # until Carl accepts (tests/test_company_invitations.py)
    # Ada tries to step down while she is the only admin: told in words, nothing changed
    ada, bob = actor('ada@acme.com').customer_id, actor('bob@acme.com').customer_id
    await user.should_see(marker=f'member-resend-{bob}')
    await user.should_not_see(marker=f'member-resend-{ada}')  # she is signed in: no invitation of her own to resend
    user.find(marker=f'member-role-{ada}', kind=ui.select).elements.pop().set_value('buyer')
    await user.should_see('is the last company admin of Acme: make another member company admin first.', retries=200)
    assert actor('ada@acme.com').company_role == CompanyRole.admin
    # Bob goes, after a confirmation
    user.find(marker=f'member-remove-{bob}').click()
    await user.should_see(marker='confirm-question', retries=200)
    user.find(marker='confirm-yes').click()
    await user.should_see('is no longer a member.', retries=200)
    assert actor('bob@acme.com').company_id is None


async def test_a_buyer_sees_the_company_tab_but_cannot_manage(user: User) -> None:
    company_with('Acme', {'ada@acme.com': 'admin', 'bob@acme.com': 'buyer'})
    await enter_portal(user, 'bob@acme.com')
    await user.open('/portal/company')
    await user.should_see('Your role: Buyer.')
    await user.should_see('ada@acme.com')
    await user.should_not_see(marker='invite-email')
    await user.should_not_see(marker='member-remove')


async def test_a_private_customer_has_no_company_tab(user: User) -> None:
    await enter_portal(user, 'pat@private.com')
    await user.should_not_see('Company')
    await user.open('/portal/company')
    await user.should_see('Your account is not part of a company account with us.')


async def test_a_viewer_is_offered_no_write(user: User) -> None:
    company_with('Acme', {'ada@acme.com': 'admin', 'vic@acme.com': 'viewer'})
    order = delivered_order('ada@acme.com', sku='V-1')
    request = submit_request('Where is it?', email='ada@acme.com', order_number=None)
    await enter_portal(user, 'vic@acme.com')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see(marker='portal-order')
    await user.should_not_see(marker='portal-request-return')
    await user.should_not_see(marker='portal-ask')
    await user.open('/portal/requests')
    await user.should_not_see(marker='portal-new-request')
    await user.open('/portal/requests/new')
    await user.should_see(READ_ONLY)
    await user.open(f'/portal/requests/{request.number}')
    await user.should_see('Where is it?')
    await user.should_see(marker='portal-read-only')
    await user.should_not_see(marker='portal-reply')


async def test_a_member_removed_from_the_company_no_longer_follows_a_colleagues_request_live(user: User) -> None:
    """A buyer reads a colleague's request in the portal; staff remove them from the company. The agent's next reply
    reached their open page all the same (its live refresh read as the page was built, a member): now the page reads
    as they are now, and says the request is not theirs to see, showing none of it."""
    company_with('Acme', {'ada@acme.com': 'admin', 'bob@acme.com': 'buyer'})
    request = submit_request(f'Colleague {HOSTILE}', email='ada@acme.com', order_number=None)
    await enter_portal(user, 'bob@acme.com')
    await user.open(f'/portal/requests/{request.number}')
    await user.should_see(f'Colleague {HOSTILE}')
    manager, agent, bob = make_user('manager'), make_user('agent'), member_id('bob@acme.com')
    with session_scope() as session:
        company_members.remove(session=session, by=manager, member_id=bob, version=None)
    with session_scope() as session:
        stored = session.get(Ticket, request.id)
        tickets.reply(session=session, actor=agent, ticket_id=stored.id, version=stored.version,
                      body=f'Refund sent {HOSTILE}')  # fmt: skip
    await user.should_see(marker='not-found', retries=200)
    await user.should_not_see(f'Refund sent {HOSTILE}')
    await user.should_not_see(f'Colleague {HOSTILE}')


async def test_a_viewer_returns_their_own_order_in_the_portal_not_a_colleagues(user: User) -> None:
    """The portal asks portal_scope.order_to_return, as the API and the contact form do: a viewer's own delivered order
    is theirs to return; a colleague's they read is offered no return, and a forged call is refused on the server."""
    company_with('Acme', {'ada@acme.com': 'admin', 'vic@acme.com': 'viewer'})
    own = delivered_order('vic@acme.com', sku='VR-OWN')
    colleagues = delivered_order('ada@acme.com', sku='VR-ADA')
    await enter_portal(user, 'vic@acme.com')
    await user.open(f'/portal/orders/{colleagues.number}')
    await user.should_see(marker='portal-order')
    await user.should_not_see(marker='portal-request-return')
    await user.open(f'/portal/orders/{own.number}')
    user.find('Return items').click()
    next(iter(user.find(marker='portal-return-quantity').elements)).set_value(1)
    user.find(marker='portal-return-reason').type(f'Trop petit {HOSTILE}')
    user.find(marker='portal-request-return').click()
    await user.should_see(marker='portal-return-requested', retries=200)
    with read_session() as session:
        stored = session.exec(select(Return).where(Return.order_id == own.id)).one()
        line = orders.order_lines(session, colleagues.id)[0]
    assert stored.reason == f'Trop petit {HOSTILE}' and stored.created_by is None
    forged = {'order_line_id': line.id, 'quantity': 1}
    with session_scope() as session, pytest.raises(ReadOnly) as refused:
        portal.start_return(session=session, actor=actor('vic@acme.com'), number=colleagues.number, lines=[forged],
                            reason='x')  # fmt: skip
    assert str(refused.value) == READ_ONLY
    with read_session() as session:
        assert session.exec(select(Return).where(Return.order_id == colleagues.id)).first() is None


async def test_staff_manage_members_from_the_company_page(user: User) -> None:
    company = company_with('Acme', {'ada@acme.com': 'admin'})
    make_customer('solo@private.com', name='Solo')
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/companies/{company.id}')
    await user.should_see(marker='company-members')
    await user.should_see('ada@acme.com')
    user.find(marker='invite-email').type('solo@private.com')
    select_value(user, 'invite-role', 'admin')
    user.find(marker='invite-send').click()
    await user.should_see('The invitation is on its way to solo@private.com.', retries=200)
    assert actor('solo@private.com').company_role == CompanyRole.admin
    # the next invitation starts again at the default role: nobody else is made company admin by an overlooked field
    assert user.find(marker='invite-role', kind=ui.select).elements.pop().value == CompanyRole.buyer.value
    select_value(user, f'member-role-{actor("ada@acme.com").customer_id}', 'viewer')  # one of two admins now
    await user.should_see('is now Viewer.', retries=200)
    assert actor('ada@acme.com').company_role == CompanyRole.viewer
    user.find(marker=f'member-resend-{actor("solo@private.com").customer_id}').click()
    await user.should_see('The invitation is on its way to solo@private.com.', retries=200)


async def test_a_company_whose_contacts_were_all_removed_says_so_not_none_yet(user: User) -> None:
    """The members list and the report's recipients, empty because everyone was removed, say who removed the last
    one and when; a company that never had a member still says "yet"."""
    acme = company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin', 'bob@acme.com': 'buyer'})
    empty = company_with(f'Empty {HOSTILE}')
    manager = make_user('manager')
    with session_scope() as session:  # staff move the admin elsewhere: their membership here ends with it
        ada = session.exec(select(Customer).where(Customer.email == 'ada@acme.com')).one()
        ada.company_id = empty.id
        session.add(ada)
        session.commit()
    with session_scope() as session:
        company_members.remove(session=session, by=manager, member_id=member_id('bob@acme.com'), version=None)
    with read_session() as session:
        said = company_members.nobody_said(session=session, by=manager, company_id=acme.id)
    assert said.startswith(f'Nobody of this company uses the portal any more: {manager.email} removed the last member')
    await signed_in(user, manager.email, path=f'/companies/{acme.id}')
    await user.should_see(marker='company-members')
    await user.should_see(said)
    await user.should_see(
        'No contact left to send it to: every member was removed from the company, the last, bob@acme.com, by '
        f'{manager.email} on'
    )
    await user.should_not_see('no contact yet')
    await user.should_not_see('uses the portal yet')
    await user.open(f'/companies/{empty.id}')  # ada is its contact now, but no member: nobody "yet"
    await user.should_see('Nobody of this company uses the portal yet.')
    await user.should_not_see('any more')


async def test_a_role_that_may_only_read_sees_the_members_without_the_controls(user: User) -> None:
    company = company_with('Acme', {'ada@acme.com': 'admin'})
    agent = make_user('viewer')
    await signed_in(user, agent.email, path=f'/companies/{company.id}')
    await user.should_see(marker='company-members')
    await user.should_see('ada@acme.com')
    await user.should_not_see(marker='invite-email')
    await user.should_not_see(marker='member-remove')


async def test_a_customer_keeps_an_address_book_in_the_portal(user: User) -> None:
    await enter_portal(user, 'eve@example.com', name='Eve')
    await user.open('/portal/account')
    await user.should_see('No address saved yet.')
    user.find(marker='address-add').click()
    await user.should_see(marker='address-dialog')
    user.find(marker='address-save').click()
    await user.should_see('This field is required', retries=200)
    for name, value in {
        'label': HOSTILE,
        'name': HOSTILE,
        'line1': '1 "Rue" de l\'Église <b>',
        'postcode': '75001',
        'city': 'Paris: ça',
        'country': 'France',
    }.items():
        user.find(marker=f'address-{name}').type(value)
    (phone,) = user.find(marker='address-phone').elements  # counted as the others: pasted past it, refused, not cut
    assert (phone.props.get('counter'), phone.props.get('maxlength')) == (True, PHONE_MAX)
    user.find(marker='address-phone').type(one_past(PHONE_MAX))
    user.find(marker='address-save').click()
    await eventually(lambda: phone.error == refused_at(PHONE_MAX))
    assert phone.value == one_past(PHONE_MAX)
    user.find(marker='address-phone').clear()
    user.find(marker='address-default-shipping').click()
    user.find(marker='address-save').click()
    await user.should_see('The address is saved.', retries=200)
    await user.should_see('Default shipping')
    with read_session() as session:
        saved = session.exec(select(CustomerAddress)).one()
    assert (saved.label, saved.line1, saved.city, saved.default_shipping) == (
        HOSTILE,
        '1 "Rue" de l\'Église <b>',
        'Paris: ça',
        True,
    )


async def test_staff_edit_a_customers_addresses_and_a_stale_edit_is_told(user: User) -> None:
    customer = make_customer('eve@example.com', name='Eve')
    manager = make_user('manager')
    with session_scope() as session:
        address = customer_addresses.save(
            session=session,
            by=manager,
            customer_id=customer.id,
            address_id=None,
            version=None,
            data={'name': 'Eve', 'line1': '1 Main St', 'postcode': '10115', 'city': 'Berlin', 'country': 'Germany'},
        )
        address_id, loaded = address.id, address.version
    await signed_in(user, manager.email, path=f'/customers/{customer.id}')
    await user.should_see(marker='address-book')
    await user.should_see('1 Main St')
    user.find(marker='address-edit').click()
    await user.should_see(marker='address-dialog')
    with session_scope() as session:  # someone else saves it meanwhile
        customer_addresses.save(
            session=session,
            by=manager,
            customer_id=customer.id,
            address_id=address_id,
            version=loaded,
            data={'name': 'Eve', 'line1': '2 Main St', 'postcode': '10115', 'city': 'Berlin', 'country': 'Germany'},
        )
    user.find(marker='address-city').clear()
    user.find(marker='address-city').type('Hamburg')
    user.find(marker='address-save').click()
    await user.should_see('after you opened it', retries=200)


async def test_the_current_tab_is_marked_on_every_portal_page(user: User) -> None:
    order = delivered_order('eve@example.com', sku='T-1')
    request = submit_request('Hello', email='eve@example.com', order_number=None)
    await enter_portal(user, 'eve@example.com')
    for path, tab in (
        ('/portal', '/portal'),
        (f'/portal/orders/{order.number}', '/portal'),
        ('/portal/invoices', '/portal/invoices'),
        ('/portal/requests', '/portal/requests'),
        (f'/portal/requests/{request.number}', '/portal/requests'),
        ('/portal/requests/new', '/portal/requests'),
        ('/portal/account', '/portal/account'),
    ):
        await user.open(path)
        current = list(user.find(marker='portal-tab-current').elements)
        assert len(current) == 1, path
        assert current[0].props.get('aria-current') == 'page'
        assert current[0].props.get('href') == tab, path


async def test_the_portals_timeline_speaks_the_customers_words(user: User) -> None:
    order = delivered_order('eve@example.com', sku='W-1')
    await enter_portal(user, 'eve@example.com')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see(marker='portal-timeline')
    for said in ('Order placed', 'Payment received', 'Packed', 'Shipped', 'Delivered'):
        await user.should_see(said)
    await user.should_not_see('Placed (api)')
    await user.should_not_see('waiting for payment')


def test_the_personal_data_zip_carries_the_requests_attachments() -> None:
    request = submit_request('With a photo', email='eve@example.com', order_number=None)
    me = actor('eve@example.com')
    with session_scope() as session:
        portal.reply(
            session=session, actor=me, number=request.number, body='See', files=[('../../a/b:c.png', tiny_png())]
        )
    with session_scope() as session:
        customer_addresses.save(
            session=session,
            by=me,
            customer_id=me.customer_id,
            address_id=None,
            version=None,
            data={'name': HOSTILE, 'line1': 'x', 'postcode': '1', 'city': 'y', 'country': 'z'},
        )
    with read_session() as session:
        data, _name = portal.personal_data_zip(session=session, actor=me)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    attached = [n for n in names if n.startswith(f'attachments/request-{request.number}/')]
    assert len(attached) == 1 and attached[0].endswith('b_c.png') and '..' not in attached[0]
    assert zipfile.ZipFile(io.BytesIO(data)).read(attached[0]) == tiny_png()
    saved = zipfile.ZipFile(io.BytesIO(data)).read('saved_addresses.csv').decode('utf-8-sig')
    assert [row['name'] for row in csv.DictReader(io.StringIO(saved))] == [HOSTILE]


async def test_banning_a_company_s_last_admin_says_who_took_over(user: User) -> None:
    """The ban's side effect on the company (its longest-standing member made admin, the banned one a buyer) is said
    when the ban is done, not only in the company's log."""
    company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin', 'bob@acme.com': 'viewer'})
    ada = actor('ada@acme.com').customer_id
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/customers/{ada}')
    user.find(marker='action-ban').click()
    await user.should_see(marker='confirm-action')
    user.find('Reason *').type('Fraud: "<script>x</script>"')
    user.find(marker='confirm-action').click()
    await user.should_see(
        f'Customer banned. bob@acme.com is now company admin of Acme {HOSTILE} in their place, and ada@acme.com a buyer'
        ' (unbanned, they come back as one).',
        retries=200,
    )
    assert (actor('bob@acme.com').company_role, actor('ada@acme.com').company_role) == (
        CompanyRole.admin,
        CompanyRole.buyer,
    )


async def test_the_company_page_says_which_admin_took_over_automatically_and_who_kept_the_role(user: User) -> None:
    make_customer('early@took.example', name=HOSTILE)
    make_customer('boss@took.example', name='Boss: "<b>x</b>"')
    acme = company_with('Took: "<i>"', {'early@took.example': 'viewer', 'boss@took.example': 'admin'})
    ban_replaced_as_before_the_fix('boss@took.example')  # replaced as the app did before: still company admin
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/companies/{acme.id}')
    await user.should_see(marker='member-took-over')
    [took_over] = [e.text for e in user.find(marker='member-took-over').elements]
    assert took_over.startswith('Company admin automatically since ')
    assert took_over.endswith(': its last admin, boss@took.example, was banned')
    [replaced] = [e.text for e in user.find(marker='member-replaced').elements]
    assert replaced.startswith(f'{HOSTILE} took over as company admin automatically on ')
    assert 'yet Boss: "<b>x</b>" kept the role' in replaced
    with read_session() as session:
        boss = session.exec(select(Customer).where(Customer.email == 'boss@took.example')).one()
    select_value(user, f'member-role-{boss.id}', 'buyer')
    await user.should_see('Boss: "<b>x</b>" is now Buyer.')
    await user.should_not_see(marker='member-replaced')


async def test_an_invitations_email_counts_up_to_its_limit_and_a_longer_one_is_refused_at_it(user: User) -> None:
    """The invitation's email field counts up to the 254 characters an address may have; a longer one (pasted past
    it) is refused at the field with both figures and kept as typed, nobody invited."""
    company = company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin'})
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/companies/{company.id}')
    await user.should_see(marker='company-members')
    (email,) = user.find(marker='invite-email').elements
    assert (email.props.get('counter'), email.props.get('maxlength')) == (True, EMAIL_MAX)
    user.find(marker='invite-email').type(one_past(EMAIL_MAX))
    user.find(marker='invite-name').type(HOSTILE)
    user.find(marker='invite-send').click()
    await eventually(lambda: email.error == refused_at(EMAIL_MAX))
    assert (email.value, email.slots['counter'].children[0].text) == (one_past(EMAIL_MAX), '255 / 254')
    assert [e.text for e in user.find(marker='count-contacts').elements] == ['1']


async def test_a_person_staff_invite_shows_among_the_company_contacts_at_once(user: User) -> None:
    company = company_with(f'Acme {HOSTILE}', {'ada@acme.com': 'admin'})
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/companies/{company.id}')
    await user.should_see(marker='company-members')
    assert [e.text for e in user.find(marker='count-contacts').elements] == ['1']
    user.find(marker='invite-email').type('new.contact@acme.com')
    user.find(marker='invite-name').type(HOSTILE)
    user.find(marker='invite-send').click()
    await user.should_see('The invitation is on its way to new.contact@acme.com.', retries=200)
    await eventually(lambda: [e.text for e in user.find(marker='count-contacts').elements] == ['2'])
    await user.should_see(HOSTILE, marker='row-contacts')
