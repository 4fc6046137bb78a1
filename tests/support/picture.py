"""A customer with everything a customer can have (orders, an invoice, a request, a return, activity, a segment), in a
company, with hostile text in every name: what the customer and company page tests open."""

from __future__ import annotations

from dataclasses import dataclass

from backoffice.db import read_session, session_scope
from backoffice.models import Customer, EventType, Order, Return, Ticket, UsageEvent, utcnow
from backoffice.services import orders, returns, segments

from .factories import advance, make_company, make_customer, make_product, make_user, pay, place, submit_request

EMAIL = 'pat.picture@example.com'
NAME = 'Pat "Quote": <script>window.__pwned=1</script>'
COMPANY = 'Acme "Ltd": <b>bold</b>'
SUBJECT = 'Refund? "Now": <script>window.__pwned=1</script>'
SEGMENT = 'Active "VIP": <i>x</i>'


@dataclass
class Picture:
    manager: object
    customer: Customer
    company_id: int
    paid: Order  # paid, invoiced, shipped, with a return
    pending: Order  # placed after the paid one
    request: Ticket
    rma: Return
    other: Order  # someone else's


def a_customer_with_everything() -> Picture:
    manager = make_user('manager')
    company = make_company(COMPANY)
    customer = make_customer(EMAIL, name=NAME, company_id=company.id)
    make_product('PICTURE-MUG', stock_on_hand=20, actor=manager)
    paid = place(('PICTURE-MUG', 2), email=EMAIL)
    pay(manager, paid)
    paid = advance(manager, paid, 'pack', 'ship')
    pending = place(('PICTURE-MUG', 1), email=EMAIL)
    other = place(('PICTURE-MUG', 1), email='someone.else@example.com')
    request = submit_request(SUBJECT, email=EMAIL, order_number=paid.number)
    with read_session() as session:
        line = orders.order_lines(session, paid.id)[0]
    with session_scope() as session:
        rma = returns.create_return(
            session=session,
            actor=manager,
            order_id=paid.id,
            reason='Too small',
            lines=[{'order_line_id': line.id, 'quantity': 1}],
        )
        session.add(
            UsageEvent(client_id='picture-1', type=int(EventType.cart_add), ts=utcnow(), customer_id=customer.id)
        )
        session.commit()
    with session_scope() as session:
        segments.save_segment(session=session, actor=manager, name=SEGMENT, filters={'status': 'active'})
        segments.save_segment(session=session, actor=manager, name='Banned ones', filters={'status': 'banned'})
    return Picture(manager, customer, company.id, paid, pending, request, rma, other)
