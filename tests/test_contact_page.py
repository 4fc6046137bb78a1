"""The public contact form as a visitor uses it: no sign-in, errors at the field, the request number on success,
a honeypot that fools bots, and a limit per address."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session
from backoffice.models import Customer, Ticket, TicketSource, TicketType
from backoffice.runtime import ratelimit

from .support.factories import banned_customer


@pytest.fixture(autouse=True)
def full_buckets() -> None:
    ratelimit.reset_all()


def tickets() -> list[Ticket]:
    with read_session() as session:
        return list(session.exec(select(Ticket).order_by(Ticket.id)))


async def fill_in(
    user: User,
    *,
    email: str = 'jo@example.com',
    subject: str = 'Broken zip',
    message: str = 'The zip on my jacket broke.',
    name: str = 'Jo',
) -> None:
    await user.open('/contact')
    await user.should_see('Contact us')
    user.find('Your email').type(email)
    user.find('Your name (optional)').type(name)
    user.find('Subject').type(subject)
    user.find('Message').type(message)


async def test_a_visitor_without_an_account_sends_a_request_and_gets_its_number(user: User) -> None:
    await fill_in(user)
    user.find(ui.select).elements.pop().value = TicketType.return_exchange.value
    user.find('Send').click()

    await user.should_see('Thank you, we received your message.')
    [ticket] = tickets()
    await user.should_see(f'Your request number is {ticket.number}.')
    assert (ticket.subject, ticket.type, ticket.source) == (
        'Broken zip',
        TicketType.return_exchange,
        TicketSource.contact,
    )
    with read_session() as session:
        assert session.get(Customer, ticket.customer_id).email == 'jo@example.com'


async def test_bad_input_is_shown_at_the_field_and_nothing_is_created(user: User) -> None:
    await fill_in(user, email='not-an-email', subject='   ')
    user.find('Send').click()

    await user.should_see('Enter a valid email address')
    await user.should_see('This field is required')
    assert tickets() == []
    user.find('Your email').clear().type('jo@example.com')
    user.find('Subject').type('Broken zip')
    user.find('Send').click()
    await user.should_see('Thank you, we received your message.')
    assert len(tickets()) == 1


async def test_the_subject_name_and_message_count_up_to_what_a_request_takes(user: User) -> None:
    await fill_in(user, subject='Zip: "broken" <script>x</script>', name='Jo "O\'Hara"')
    counts = {
        label: (field.props.get('counter'), field.props.get('maxlength'))
        for label in ('Your name (optional)', 'Subject', 'Message')
        for field in user.find(label).elements
    }
    assert counts == {'Your name (optional)': (True, 120), 'Subject': (True, 200), 'Message': (True, 20_000)}
    user.find('Send').click()
    await user.should_see('Thank you, we received your message.')
    assert tickets()[0].subject == 'Zip: "broken" <script>x</script>'


async def test_script_in_a_message_is_kept_as_text(user: User) -> None:
    await fill_in(user, subject='<b>Hi</b>', message='<script>alert(1)</script>')
    user.find('Send').click()
    await user.should_see('Thank you, we received your message.')
    assert tickets()[0].subject == '<b>Hi</b>'


async def test_a_filled_honeypot_pretends_success_and_creates_nothing(user: User) -> None:
    await fill_in(user)
    user.find('Leave this field empty').type('http://spam.example')
    user.find('Send').click()

    await user.should_see('Thank you, we received your message.')
    await user.should_not_see('Your request number is')
    assert tickets() == []


async def test_a_banned_customer_is_told_at_the_form(user: User) -> None:
    banned_customer('jo@example.com')
    await fill_in(user)
    user.find('Send').click()
    await user.should_see('This customer is banned')
    assert tickets() == []


async def test_an_address_sending_too_many_is_asked_to_wait(user: User) -> None:
    for _ in range(ratelimit.CONTACT_FORM_SUBMISSIONS):
        await fill_in(user)
        user.find('Send').click()
        await user.should_see('Thank you, we received your message.')

    await fill_in(user)
    user.find('Send').click()

    await user.should_see('You have sent several messages in a short time. Please wait 2 minutes before sending')
    assert len(tickets()) == ratelimit.CONTACT_FORM_SUBMISSIONS


async def test_mistakes_do_not_count_towards_the_limit(user: User) -> None:
    await fill_in(user, email='nope')
    for _ in range(ratelimit.CONTACT_FORM_SUBMISSIONS + 1):
        user.find('Send').click()
        await user.should_see('Enter a valid email address')
    user.find('Your email').clear().type('jo@example.com')
    user.find('Send').click()
    await user.should_see('Thank you, we received your message.')


def test_the_contact_page_is_public() -> None:
    from components.screens import SCREENS

    declared = SCREENS['/contact']
    assert (declared.public, declared.in_menu, declared.permission) == (True, False, None)
