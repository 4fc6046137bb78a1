"""The cross-tenant walk: signed in to the portal as customer A, every portal page, action and download with customer
B's ids answers "not found" (never B's data, never "forbidden"), and every staff page is refused. The same for a member
of company A (admin or buyer) with company B's and a private customer's ids; a removed member loses the company's."""

from __future__ import annotations

import re

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound
from backoffice.models import Customer, OrderLine, TicketAttachment
from backoffice.services import company_members, portal
from backoffice.services.portal_scope import NOT_FOUND, PortalActor
from components.portal_pages import PORTAL_PAGES
from components.screens import SCREENS

from .support.companies import actor as member_actor
from .support.companies import company_with
from .support.companies import member_id as member_id_of
from .support.factories import submit_request, tiny_png
from .support.portal import delivered_order, enter_portal, invoice_of


def actor_of(email: str) -> PortalActor:
    with read_session() as session:
        return PortalActor.of(session.exec(select(Customer).where(Customer.email == email)).one())


@pytest.fixture
def two_customers() -> dict:
    """Customers A and B, each with a delivered, invoiced order and a request."""
    mine, theirs = delivered_order('a@example.com', sku='A-1'), delivered_order('b@example.com', sku='B-1')
    my_request = submit_request('My parcel', email='a@example.com', order_number=None)
    their_request = submit_request('Their secret parcel', email='b@example.com', order_number=None)
    with session_scope() as session:
        their_file = portal.reply(
            session=session,
            actor=actor_of('b@example.com'),
            number=their_request.number,
            body='The photo',
            files=[('secret.png', tiny_png())],
        )
    with read_session() as session:
        attached = session.exec(select(TicketAttachment).where(TicketAttachment.message_id == their_file.id)).one()
    return {
        'mine': mine,
        'theirs': theirs,
        'their_invoice': invoice_of(theirs),
        'my_request': my_request,
        'their_request': their_request,
        'their_attachment': attached,
    }


async def test_every_portal_page_with_another_customers_ids_is_not_found(user: User, two_customers: dict) -> None:
    theirs, their_request = two_customers['theirs'], two_customers['their_request']
    await enter_portal(user, 'a@example.com')
    values = {'number': {'/portal/orders/{number}': theirs.number, '/portal/requests/{number}': their_request.number}}
    walked = 0
    for path, declared in PORTAL_PAGES.items():
        if declared.public:
            continue
        names = re.findall(r'\{(\w+)\}', path)
        url = path
        for name in names:
            url = url.replace(f'{{{name}}}', str(values[name][path]))
        await user.open(url)
        if names:
            await user.should_see(NOT_FOUND)
        await user.should_not_see(theirs.number)
        await user.should_not_see('Their secret parcel')
        walked += 1
    assert walked == len([p for p in PORTAL_PAGES.values() if not p.public]) >= 7
    await user.open(f'/portal/requests/new?order={theirs.number}')  # their order is not offered to ask about
    await user.should_not_see(theirs.number)


def test_every_portal_action_and_download_with_another_customers_ids_is_not_found(two_customers: dict) -> None:
    me = actor_of('a@example.com')
    theirs, invoice, request = two_customers['theirs'], two_customers['their_invoice'], two_customers['their_request']
    attempts = {
        'order': lambda s: portal.order_view(session=s, actor=me, number=theirs.number),
        'invoice PDF': lambda s: portal.document_pdf(session=s, actor=me, invoice_id=invoice.id),
        'request': lambda s: portal.request_view(session=s, actor=me, number=request.number),
        'reply': lambda s: portal.reply(session=s, actor=me, number=request.number, body='Hello'),
        'attachment download': lambda s: portal.attachment(
            session=s, actor=me, attachment_id=two_customers['their_attachment'].id
        ),
        'reply with a file': lambda s: portal.reply(
            session=s, actor=me, number=request.number, body='Hi', files=[('x.png', tiny_png())]
        ),
        'rate': lambda s: portal.rate(session=s, actor=me, number=request.number, score=5, comment=None),
        'ask about their order': lambda s: portal.open_request(
            session=s, actor=me, subject='Hi', body='Hi', order_number=theirs.number
        ),
        'return their order': lambda s: portal.start_return(
            session=s, actor=me, number=theirs.number, lines=[{'order_line_id': 1, 'quantity': 1}], reason='Mine now'
        ),
        'a number that is no number': lambda s: portal.request_view(session=s, actor=me, number='1 OR 1=1'),
        'a huge number': lambda s: portal.request_view(session=s, actor=me, number=str(2**40)),
    }
    for what, attempt in attempts.items():
        with session_scope() as session, pytest.raises(NotFound) as refused:
            attempt(session)
        assert str(refused.value) == NOT_FOUND, what
    with read_session() as session:
        assert [o.number for o in portal.my_orders(session=session, actor=me)] == [two_customers['mine'].number]
        assert {d.order_id for d in portal.my_documents(session=session, actor=me)} == {two_customers['mine'].id}
        assert [t.number for t in portal.my_requests(session=session, actor=me)] == [two_customers['my_request'].number]


async def test_every_staff_page_is_refused_to_a_portal_session(user: User, two_customers: dict) -> None:
    theirs, request = two_customers['theirs'], two_customers['their_request']
    await enter_portal(user, 'a@example.com')
    ids = {'id': str(theirs.customer_id), 'number': str(request.number)}
    walked = 0
    for path, declared in SCREENS.items():
        if declared.public:
            continue
        url = re.sub(r'\{(\w+)\}', lambda m: ids.get(m.group(1), '1'), path)
        if path.startswith('/orders/'):
            url = f'/orders/{theirs.number}'
        await user.open(url)
        await user.should_see('Sign in to continue')
        await user.should_not_see('Their secret parcel')
        walked += 1
    assert walked >= 20
    await user.open('/portal')  # and the portal session itself is still there
    await user.should_see(marker='portal-orders')


# --- B2B: a member of company A, with company B's and a private customer's ids ---------------------------------------


@pytest.fixture
def two_companies() -> dict:
    """Acme (admin Ada, buyer Bob) and Globex (admin Gil, buyer Gus), and a private customer Pat: each with a delivered,
    invoiced order and a request with an attached file."""
    company_with('Acme', {'ada@acme.com': 'admin', 'bob@acme.com': 'buyer'})
    company_with('Globex', {'gil@globex.com': 'admin', 'gus@globex.com': 'buyer'})
    found: dict = {}
    for who in ('ada@acme.com', 'bob@acme.com', 'gil@globex.com', 'gus@globex.com', 'pat@private.com'):
        order = delivered_order(who, sku=f'S-{who[:3]}')
        request = submit_request(f'Secret of {who}', email=who, order_number=None)
        with session_scope() as session:
            attached = portal.reply(
                session=session, actor=member_actor(who), number=request.number, body='x', files=[('f.png', tiny_png())]
            )
        with read_session() as session:
            file = session.exec(select(TicketAttachment).where(TicketAttachment.message_id == attached.id)).one()
        found[who] = {'order': order, 'invoice': invoice_of(order), 'request': request, 'file': file}
    return found


OUTSIDERS = ('gil@globex.com', 'gus@globex.com', 'pat@private.com')


@pytest.mark.parametrize('me', ['ada@acme.com', 'bob@acme.com'])
def test_a_company_member_finds_nothing_of_another_company_or_a_private_customer(me: str, two_companies: dict) -> None:
    actor = member_actor(me)
    for outsider in OUTSIDERS:
        for what, attempt in _attempts(actor, two_companies[outsider], outsider).items():
            with session_scope() as session, pytest.raises(NotFound) as refused:
                attempt(session)
            assert what.startswith('members') or str(refused.value) == NOT_FOUND, (outsider, what)
    with read_session() as session:
        seen = {o.number for o in portal.my_orders(session=session, actor=actor)}
        asked = {t.number for t in portal.my_requests(session=session, actor=actor)}
        papers = {d.id for d in portal.my_documents(session=session, actor=actor)}
    mine = [two_companies[w] for w in ('ada@acme.com', 'bob@acme.com')]
    assert seen == {m['order'].number for m in mine}
    assert asked == {m['request'].number for m in mine}
    expected = mine if me == 'ada@acme.com' else [two_companies[me]]
    assert papers == {m['invoice'].id for m in expected}


async def test_every_portal_page_as_a_company_admin_with_another_companys_ids(user: User, two_companies: dict) -> None:
    theirs = two_companies['gil@globex.com']
    private = two_companies['pat@private.com']
    await enter_portal(user, 'ada@acme.com')
    for other in (theirs, private):
        values = {
            '/portal/orders/{number}': other['order'].number,
            '/portal/requests/{number}': other['request'].number,
        }
        for path, declared in PORTAL_PAGES.items():
            if declared.public:
                continue
            url = path.replace('{number}', str(values.get(path, '')))
            await user.open(url)
            if '{number}' in path:
                await user.should_see(NOT_FOUND)
            await user.should_not_see(other['order'].number)
            await user.should_not_see('Secret of gil')
            await user.should_not_see('Secret of pat')
            await user.should_not_see('gil@globex.com')
    await user.open('/portal/company')
    await user.should_see('bob@acme.com')
    await user.should_not_see('gus@globex.com')


async def test_a_removed_member_loses_the_company_at_their_next_request(user: User, two_companies: dict) -> None:
    ada_order = two_companies['ada@acme.com']['order']
    await enter_portal(user, 'bob@acme.com')
    await user.open(f'/portal/orders/{ada_order.number}')
    await user.should_see(marker='portal-order')
    with session_scope() as session:
        company_members.remove(
            session=session, by=member_actor('ada@acme.com'), member_id=member_id_of('bob@acme.com'), version=None
        )
    await user.open(f'/portal/orders/{ada_order.number}')
    await user.should_see(NOT_FOUND)
    await user.open('/portal')
    await user.should_not_see(ada_order.number)
    await user.should_not_see('Company')


def order_line_of(order) -> int:
    with read_session() as session:
        return session.exec(select(OrderLine.id).where(OrderLine.order_id == order.id)).first()


def _attempts(actor: PortalActor, theirs: dict, outsider: str) -> dict:
    """Every portal action and download on another's records; and, for another company's member, every managing."""
    order, invoice, request, file = theirs['order'], theirs['invoice'], theirs['request'], theirs['file']
    line = order_line_of(order)
    attempts = {
        'order': lambda s: portal.order_view(session=s, actor=actor, number=order.number),
        'invoice PDF': lambda s: portal.document_pdf(session=s, actor=actor, invoice_id=invoice.id),
        'request': lambda s: portal.request_view(session=s, actor=actor, number=request.number),
        'reply': lambda s: portal.reply(session=s, actor=actor, number=request.number, body='Hello'),
        'attachment': lambda s: portal.attachment(session=s, actor=actor, attachment_id=file.id),
        'rate': lambda s: portal.rate(session=s, actor=actor, number=request.number, score=5, comment=None),
        'ask about it': lambda s: portal.open_request(
            session=s, actor=actor, subject='Hi', body='Hi', order_number=order.number
        ),
        'return it': lambda s: portal.start_return(
            session=s, actor=actor, number=order.number, lines=[{'order_line_id': line, 'quantity': 1}], reason='x'
        ),
    }
    if outsider == 'pat@private.com':
        return attempts
    company_id, member = member_actor(outsider).company_id, member_id_of(outsider)
    return attempts | {
        'members list': lambda s: company_members.members(session=s, by=actor, company_id=company_id),
        'members invite': lambda s: company_members.invite(
            session=s, by=actor, company_id=company_id, email='n@x.com', base_url='x'
        ),
        'members role': lambda s: company_members.change_role(
            session=s, by=actor, member_id=member, version=None, role='viewer'
        ),
        'members remove': lambda s: company_members.remove(session=s, by=actor, member_id=member, version=None),
        'members resend': lambda s: company_members.resend(session=s, by=actor, member_id=member, base_url='x'),
    }
