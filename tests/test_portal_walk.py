"""The cross-tenant walk: signed in to the portal as customer A, every portal page, action and download with customer
B's ids answers "not found" (never B's data, never "forbidden"), and every staff page is refused."""

from __future__ import annotations

import re

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound
from backoffice.models import Customer, TicketAttachment
from backoffice.services import portal
from backoffice.services.portal_scope import NOT_FOUND, PortalActor
from components.portal_pages import PORTAL_PAGES
from components.screens import SCREENS

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
