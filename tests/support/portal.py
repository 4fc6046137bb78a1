"""The customer portal in tests: a customer invited by staff (the link read from the outbox, as the email carries it)
and signed in through that link in NiceGUI's simulated browser."""

from __future__ import annotations

import re

from nicegui.testing import User as SimulatedUser
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.models import Customer, StaffMail
from backoffice.services import portal_access

from .factories import make_customer, make_user
from .waiting import eventually

LINK = re.compile(r'https?://[^\s]+(/portal/link\?token=[\w%-]+)')


def invite(customer: Customer) -> str:
    """An agent invites the customer; returns the path of the link the invitation email carries."""
    agent = make_user('agent')
    with session_scope() as session:
        portal_access.invite(session=session, actor=agent, customer_id=customer.id, base_url='http://shop.test')
    return last_link(customer.email)


def last_link(email: str) -> str:
    """The path of the newest portal link emailed to this address."""
    with read_session() as session:
        mail = session.exec(
            select(StaffMail).where(StaffMail.to_address == email).order_by(col(StaffMail.id).desc())
        ).first()
    assert mail is not None, f'no email to {email}'
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


async def enter_portal(user: SimulatedUser, email: str, *, name: str = '') -> Customer:
    """A customer (made if needed) invited and signed in through the invitation's link, on /portal."""
    with read_session() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).first()
    customer = customer or make_customer(email, name=name)
    await user.open(invite(customer))
    pages_opened = len(user.back_history)
    user.find(marker='portal-open').click()
    await eventually(lambda: len(user.back_history) > pages_opened, message='the link signs the customer in')
    await user.should_see(marker='portal-shop')
    return customer
