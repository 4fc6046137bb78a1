"""A customer with something of every kind the personal-data export and erasure cover: an order paid (so invoiced),
delivered and partly returned, a request with a reply, usage events, a consent change — hostile text throughout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import Customer, Invoice, OrderLine, UsageEvent, User, utcnow
from backoffice.resources import resource
from backoffice.services import crud, returns, tickets

from .factories import advance, make_product, make_user, pay, place, submit_request

NAME = 'Zoë "Q" O\'Hara: <script>alert(1)</script>'
EMAIL = 'zoe.ohara@example.com'
PHONE = '+33 6 12 34 56 78'
ADDRESS = '12 rue des "Lilas": <b>3e</b>\n75020 Paris'
BODY = 'My neighbour <script>x()</script> signs for parcels: call me on +33 6 12 34 56 78'


@dataclass
class Person:
    customer_id: int
    order_number: str
    invoice_number: str
    request_number: int
    manager: User


def a_customer_with_everything() -> Person:
    manager = make_user('manager')
    make_product('PRIVACY-MUG', stock_on_hand=10, actor=manager)
    order = place(('PRIVACY-MUG', 2), email=EMAIL, name=NAME, shipping_address=ADDRESS, note='Ring twice: "Zoë"')
    pay(manager, order)
    advance(manager, order, 'pack', 'ship', 'deliver')
    with read_session() as session:
        line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
        invoice = session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
    with session_scope() as session:
        returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            lines=[{'order_line_id': line.id, 'quantity': 1, 'reason': 'Too small for "Zoë"'}],
        )
    request = submit_request('Parcel for "Zoë" <script>', email=EMAIL, name=NAME, body=BODY, order_number=None)
    with session_scope() as session:
        tickets.reply(
            session=session, actor=manager, ticket_id=request.id, version=request.version, body=f'Hello {NAME}!'
        )
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            record_id=customer.id,
            version=customer.version,
            changes={'phone': PHONE, 'marketing_consent': True},
        )
        now = utcnow()
        for minutes, kind in ((30, 1), (20, 5), (10, 9)):
            session.add(
                UsageEvent(
                    client_id=f'{customer.id}-{minutes}',
                    type=kind,
                    ts=now - timedelta(minutes=minutes),
                    customer_id=customer.id,
                    anonymous_id='anon-zoe-1',
                    session_id='sess-zoe-1',
                    props={'path': '/cart', 'name': NAME},
                )
            )
        session.add(
            UsageEvent(client_id='before-signin', type=1, ts=now - timedelta(hours=1), anonymous_id='anon-zoe-1')
        )
        session.commit()
    return Person(order.customer_id, order.number, invoice.number, request.number, manager)
