"""The customer portal as a customer uses it: signing in with the invitation's link, a link asked for, or a password;
their orders, invoices and requests; a staff session never opens it, a portal session never opens the staff's pages."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.formatting import money
from backoffice.models import Customer, Order, Return, StaffMail, Ticket
from backoffice.resources import resource
from backoffice.services import app_settings, crud, customers, orders, payments, portal, portal_scope, tickets
from components.portal_pages import logo_source

from .support.factories import PASSWORD, advance, fresh, make_customer, make_product, make_user, pay, place, tiny_png
from .support.portal import delivered_order, enter_portal, invite, last_link
from .support.signin import signed_in
from .support.too_long import one_past, refused_at
from .support.uploads import attach
from .support.waiting import default_timeout, eventually

HOSTILE = '<script>alert(1)</script> "quoted": it\'s'


async def test_an_invited_customer_opens_the_portal_from_the_email_link(user: User) -> None:
    await enter_portal(user, 'cleo@example.com', name='Cleo')
    await user.should_see('Your orders')
    await user.should_see('You have no orders yet.')
    await user.should_see('Cleo')


async def test_a_link_works_once(user: User) -> None:
    customer = make_customer('once@example.com')
    path = invite(customer)
    await user.open(path)
    user.find(marker='portal-open').click()
    await user.should_see('Your orders')
    await user.open(path)
    user.find(marker='portal-open').click()
    await user.should_see('This sign-in link does not work any more. Ask for a new one below.')


async def test_a_customer_asks_for_a_link_and_signs_in_with_it(user: User) -> None:
    make_customer('dora@example.com', name='Dora')
    await user.open('/portal/login')
    user.find(marker='portal-link-email').type('Dora@Example.com')
    user.find(marker='portal-send-link').click()
    await user.should_see('If this email has an account with us, a sign-in link is on its way.', retries=200)
    await user.open(last_link('dora@example.com'))
    user.find(marker='portal-open').click()
    await user.should_see('Your orders')


async def test_an_unknown_email_gets_the_same_answer_and_no_email(user: User) -> None:
    await user.open('/portal/login')
    user.find(marker='portal-link-email').type('nobody@example.com')
    user.find(marker='portal-send-link').click()
    await user.should_see('If this email has an account with us, a sign-in link is on its way.', retries=200)
    with read_session() as session:
        assert session.exec(select(StaffMail).where(StaffMail.to_address == 'nobody@example.com')).first() is None


async def test_a_customer_sets_a_password_and_signs_in_with_it(user: User) -> None:
    await enter_portal(user, 'eve@example.com', name='Eve')
    await user.open('/portal/account')
    await user.should_see('Choose a password to sign in without waiting for an email link.')
    user.find(marker='portal-new-password').type('short')
    user.find(marker='portal-save-password').click()
    await user.should_see('Use at least', retries=200)
    user.find(marker='portal-new-password').clear()
    user.find(marker='portal-new-password').type(PASSWORD)
    user.find(marker='portal-save-password').click()
    await user.should_see('Your password is saved.', retries=200)
    await user.should_see('You have a password: sign in with it or with an email link. A new password replaces it.')
    await user.open('/portal/account')  # and so it says once they come back (it said "Choose a password")
    await user.should_see('You have a password: sign in with it or with an email link. A new password replaces it.')
    user.find(marker='portal-sign-out').click()
    await user.should_see(marker='portal-sign-in')
    user.find(marker='portal-email').type('eve@example.com')
    user.find(marker='portal-password').type('wrong password 1')
    user.find(marker='portal-sign-in').click()
    await user.should_see('Email or password is incorrect.', retries=200)
    user.find(marker='portal-password').type(PASSWORD)
    user.find(marker='portal-sign-in').click()
    await user.should_see('You have no orders yet.', retries=200)


async def test_a_banned_customer_is_signed_out_and_cannot_get_back_in(user: User) -> None:
    customer = await enter_portal(user, 'fred@example.com')
    manager = make_user('manager')
    with session_scope() as session:
        stored = session.get(Customer, customer.id)
        customers.ban_customer(
            session=session, actor=manager, record_id=customer.id, version=stored.version, reason='Fraud'
        )
    await user.open('/portal')
    await user.should_see(marker='portal-sign-in')
    await user.open(last_link('fred@example.com'))  # the invitation's link, not used yet? used: asks for a new one
    user.find(marker='portal-open').click()
    await user.should_see(marker='portal-new-link')


async def test_a_staff_session_does_not_open_the_portal(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email)
    await user.open('/portal')
    await user.should_see(marker='portal-sign-in')
    await user.should_not_see(marker='portal-orders')


async def test_a_portal_session_opens_no_staff_page_nor_the_staff_api(user: User) -> None:
    await enter_portal(user, 'gus@example.com')
    for path in ('/', '/customers', '/orders', '/requests', '/settings'):
        await user.open(path)
        await user.should_see('Sign in to continue')
    response = await user.http_client.post('/api/orders', json={'email': 'gus@example.com', 'lines': []})
    assert response.status_code == 401  # the staff API takes keys, never a browser's session


async def test_a_customer_sees_their_order_its_tracking_and_history_and_downloads_the_invoice(user: User) -> None:
    order = delivered_order('hana@example.com', sku='MUG-1', tracking='JJD0001')
    await enter_portal(user, 'hana@example.com', name='Hana')
    await user.should_see(f'Order {order.number}')
    await user.should_see('Delivered')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see('2 × Mug MUG-1')
    await user.should_see('DHL')
    links = [e for e in user.find('JJD0001').elements if isinstance(e, ui.link)]
    assert [link.props['href'] for link in links] == ['https://track.example/JJD0001']
    await user.should_see('History')
    await user.open('/portal/invoices')
    await user.should_see('Invoice INV-')
    user.find('PDF').click()
    pdf = await user.download.next(timeout=default_timeout())
    assert pdf.content.startswith(b'%PDF')


async def test_a_customer_sees_each_parcel_of_an_order_shipped_in_two_with_its_items(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG-2', '12.50', name='Mug', stock_on_hand=10, actor=manager)
    make_product('TEE-2', '20.00', name=f'Tee {HOSTILE}', stock_on_hand=10, actor=manager)
    order = advance(manager, paid(place(('MUG-2', 3), ('TEE-2', 1), email='ivo@example.com'), manager), 'pack')
    with read_session() as session:
        mug_line = orders.order_lines(session, order.id)[0].id
    with session_scope() as session:
        orders.ship(
            session=session,
            actor=manager,
            order_id=order.id,
            version=fresh(order.id).version,
            lines={mug_line: 2},
            tracking_number=HOSTILE,
        )
    await enter_portal(user, 'ivo@example.com', name='Ivo')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see('Partly shipped')
    await user.should_see('Parcel 1')
    await user.should_see('2 × Mug')
    await user.should_see('<script>alert(1)</script>"quoted":it\'s')  # the tracking number, as text
    await user.should_see('A parcel was shipped; the rest follows')
    with session_scope() as session:
        orders.ship(session=session, actor=manager, order_id=order.id, version=fresh(order.id).version)
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see('Parcel 2')
    items = sorted(label.text for label in user.find(marker='portal-parcel-item').elements)
    assert items == ['1 × Mug', f'1 × Tee {HOSTILE}', '2 × Mug']


async def test_a_customer_sees_what_of_each_line_was_cancelled_and_whether_it_was_refunded(user: User) -> None:
    """The rest of an order cancelled ("Cancel what is not shipped"): the portal read as if everything were coming."""
    manager = make_user('manager')
    make_product('MUG-3', '10.00', name=f'Mug {HOSTILE}', stock_on_hand=10, actor=manager)
    make_product('TEE-3', '20.00', name='Tee', stock_on_hand=10, actor=manager)
    order = advance(manager, paid(place(('MUG-3', 3), ('TEE-3', 1), email='jun@example.com'), manager), 'pack')
    with read_session() as session:
        mug, tee = orders.order_lines(session, order.id)
    with session_scope() as session:
        orders.ship(
            session=session, actor=manager, order_id=order.id, version=fresh(order.id).version, lines={mug.id: 2}
        )
    with session_scope() as session:
        orders.cancel_rest(session=session, actor=manager, order_id=order.id, version=fresh(order.id).version)
    await enter_portal(user, 'jun@example.com', name='Jun')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see(f'3 × Mug {HOSTILE}')
    said = sorted(label.text for label in user.find(marker='portal-line-cancelled').elements)
    mug_value = orders.value_of([mug, tee], {mug.id: 1})
    tee_value = orders.value_of([mug, tee], {tee.id: 1})
    assert said == [
        f'1 cancelled: not shipped, {money(mug_value, "EUR")} to be refunded',
        f'1 cancelled: not shipped, {money(tee_value, "EUR")} to be refunded',
    ]
    await user.should_see('Shipped; what was not shipped yet is cancelled and will not come')
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount=mug_value, reason=HOSTILE)
    await user.open(f'/portal/orders/{order.number}')
    said = sorted(label.text for label in user.find(marker='portal-line-cancelled').elements)
    assert said == [  # the first line's paid back; the refunds do not cover the second yet
        f'1 cancelled: not shipped, {money(mug_value, "EUR")} refunded',
        f'1 cancelled: not shipped, {money(tee_value, "EUR")} to be refunded',
    ]


def paid(order: Order, manager) -> Order:
    pay(manager, order)
    return order


async def test_a_customer_opens_a_request_replies_and_never_sees_internal_notes(user: User) -> None:
    await enter_portal(user, 'ines@example.com', name='Ines')
    await user.open('/portal/requests')
    user.find(marker='portal-new-request').click()
    await user.should_see(marker='portal-subject')
    user.find(marker='portal-subject').type(HOSTILE)
    user.find(marker='portal-body').type(f'Body {HOSTILE}')
    user.find(marker='portal-send').click()
    await user.should_see(marker='portal-thread', retries=200)
    await user.should_see(HOSTILE)
    await user.should_see(f'Body {HOSTILE}')
    with read_session() as session:
        ticket = session.exec(select(Ticket).order_by(col(Ticket.id).desc())).first()
    assert ticket.source == 'portal' and ticket.subject == HOSTILE
    agent = make_user('agent', name='Zoé "Z" Dubois-<b>Ahmed</b>')
    with session_scope() as session:
        tickets.add_note(session=session, actor=agent, ticket_id=ticket.id, body='Internal: customer seems upset')
    with session_scope() as session:
        stored = session.get(Ticket, ticket.id)
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=stored.version, body='We are on it')
    await user.should_see('We are on it')  # live, without a reload
    await user.should_see('Zoé, support')  # who answered, by first name: not 'Our team', not her full name
    await user.should_not_see('Our team')
    await user.should_not_see('Dubois')
    await user.should_not_see('Internal: customer seems upset')
    await user.should_see('Waiting for your answer')
    user.find(marker='portal-reply').type('Thanks: any news?')
    user.find(marker='portal-send-reply').click()
    await user.should_see('In progress', retries=200)
    await user.open(f'/portal/requests/{ticket.number}')
    await user.should_see('Thanks: any news?')
    await user.should_not_see('Internal: customer seems upset')
    with session_scope() as session:
        stored = session.get(Ticket, ticket.id)
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=stored.version, status='solved')
    await user.should_see(marker='portal-score', retries=200)
    user.find(marker='portal-score').elements.pop().set_value(2)
    user.find(marker='portal-send-rating').click()
    await user.should_see('Thank you for your rating!', retries=200)
    await user.should_see('You rated our help 2 out of 5. Thank you!', retries=200)  # the form gone, the rating said
    await user.open(f'/portal/requests/{ticket.number}')
    await user.should_see('You rated our help 2 out of 5. Thank you!')
    await user.should_not_see(marker='portal-rating')


async def test_a_reply_the_customer_is_typing_stays_when_the_agent_solves_and_when_they_rate(user: User) -> None:
    """The rating appears live when an agent solves the request, and the customer may rate it: neither empties the
    reply box they were writing in (the whole part under the thread was rebuilt, their text gone without a word)."""
    customer = await enter_portal(user, 'typing.portal@example.com', name='Tess')
    agent = make_user('agent')
    with session_scope() as session:
        ticket = tickets.submit_request(
            session=session, email=customer.email, subject=f'Mug {HOSTILE}', body='Chipped', source='portal'
        )
    await user.open(f'/portal/requests/{ticket.number}')
    typed = f'Still chipped: {HOSTILE}'
    user.find(marker='portal-reply').type(typed)
    with session_scope() as session:
        stored = session.get(Ticket, ticket.id)
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=stored.version, status='solved')
    await user.should_see(marker='portal-score', retries=200)  # live
    [box] = user.find(marker='portal-reply').elements
    assert box.value == typed and not box.is_deleted
    user.find(marker='portal-score').elements.pop().set_value(4)
    user.find(marker='portal-send-rating').click()
    await user.should_see('You rated our help 4 out of 5. Thank you!', retries=200)
    [box] = user.find(marker='portal-reply').elements
    assert box.value == typed and not box.is_deleted
    user.find(marker='portal-send-reply').click()  # and it is sent as typed, opening the request again
    await user.should_see('In progress', retries=200)
    with read_session() as session:
        assert session.get(Ticket, ticket.id).status == 'open'
        assert typed in [m.body for m in tickets.thread(session=session, actor=agent, ticket_id=ticket.id)]


async def test_staff_invite_a_customer_from_the_customer_page(user: User) -> None:
    customer = make_customer('jo@example.com', name='Jo')
    agent = make_user('agent')
    await signed_in(user, agent.email, path=f'/customers/{customer.id}')
    user.find(marker='portal-invite-button').click()
    await user.should_see('The invitation is on its way.', retries=200)
    await user.should_see('Resend the invitation')
    assert '/portal/link?token=' in last_link('jo@example.com')


async def test_a_banned_customers_page_says_they_cannot_be_invited_instead_of_offering_it(user: User) -> None:
    """Banned (here by a colleague, while the page is open), the customer is said not invitable in place of the
    button, which was offered and refused once pressed; unbanned, it is offered again."""
    customer = make_customer('no.portal@example.com', name='Nell "<script>x</script>": O\'Hara')
    agent = make_user('agent')
    await signed_in(user, agent.email, path=f'/customers/{customer.id}')
    await user.should_see('Invite to the customer portal')
    with session_scope() as session:
        customers.ban_customer(session=session, actor=agent, record_id=customer.id, version=1, reason='Spam: "<b>"')
    await user.should_see('This customer is banned: they cannot be invited to the portal.', retries=200)
    await user.should_not_see(marker='portal-invite-button')
    with session_scope() as session:
        customers.unban_customer(session=session, actor=agent, record_id=customer.id, version=2)
    await user.should_not_see('This customer is banned: they cannot be invited to the portal.', retries=200)
    await user.should_see(marker='portal-invite-button')
    await user.open(f'/customers/{customer.id}')
    await user.should_see('Invite to the customer portal')


async def test_a_customer_changes_their_profile_and_consent_and_downloads_their_data(user: User) -> None:
    customer = await enter_portal(user, 'kai@example.com', name='Kai')
    await user.open('/portal/account')
    user.find(marker='portal-profile-name').clear()
    user.find(marker='portal-profile-name').type(HOSTILE)
    user.find(marker='portal-consent').click()
    user.find(marker='portal-save-profile').click()
    await user.should_see('Your profile is saved.', retries=200)
    with read_session() as session:
        stored = session.get(Customer, customer.id)
    assert stored.name == HOSTILE and stored.marketing_consent is True
    await user.open('/portal/account')
    await user.should_see(HOSTILE)  # in the header, as text
    user.find(marker='portal-my-data').click()
    data = await user.download.next(timeout=default_timeout())
    with zipfile.ZipFile(io.BytesIO(data.content)) as archive:
        names = archive.namelist()
        assert any('kai@example.com' in archive.read(name).decode(errors='ignore') for name in names)


def test_the_profile_service_refuses_a_name_past_its_limit_and_counts_it_without_the_outer_spaces() -> None:
    customer = make_customer(email='ida@example.com', name='Ida')
    with session_scope() as session:
        actor = portal_scope.actor_of(session, session.get(Customer, customer.id))

    def save(name: str) -> portal.Profile:
        with session_scope() as session:
            return portal.update_profile(
                session=session, actor=actor, name=name, phone=None, language=None, marketing_consent=False
            )

    with pytest.raises(ValidationFailed) as refused:
        save(one_past(portal.PROFILE_NAME_MAX))
    assert refused.value.errors == {'name': refused_at(portal.PROFILE_NAME_MAX)}
    with read_session() as session:
        assert session.get(Customer, customer.id).name == 'Ida'
    at_limit = one_past(portal.PROFILE_NAME_MAX)[:-1]
    assert save(f'  {at_limit}  ').name == at_limit


async def test_a_profile_name_past_its_limit_is_refused_at_the_field_and_counted(user: User) -> None:
    customer = await enter_portal(user, 'noa@example.com', name='Noa')
    await user.open('/portal/account')
    name = user.find(marker='portal-profile-name').elements.pop()
    assert (name.props['maxlength'], name.props['counter']) == (portal.PROFILE_NAME_MAX, True)
    user.find(marker='portal-profile-name').clear()
    user.find(marker='portal-profile-name').type(one_past(portal.PROFILE_NAME_MAX))  # pasted past maxlength
    user.find(marker='portal-save-profile').click()
    await eventually(lambda: name.error == refused_at(portal.PROFILE_NAME_MAX))
    assert name.value == one_past(portal.PROFILE_NAME_MAX)  # what was typed stays to be shortened
    with read_session() as session:
        assert session.get(Customer, customer.id).name == 'Noa'


async def test_a_customer_attaches_an_image_and_a_pdf_and_the_agent_downloads_them(user: User) -> None:
    await enter_portal(user, 'lou@example.com', name='Lou')
    await user.open('/portal/requests/new')
    user.find(marker='portal-subject').type('Broken lid')
    user.find(marker='portal-body').type('See the photo and the delivery note.')
    await attach(user, 'not-a-pdf.pdf', b'<html><script>alert(1)</script></html>', 'application/pdf')
    await user.should_see('not-a-pdf.pdf')
    user.find(marker='portal-send').click()
    await user.should_see('not-a-pdf.pdf is not an image (PNG, JPEG, WebP, GIF) or a PDF', retries=200)
    with read_session() as session:
        assert session.exec(select(Ticket)).first() is None  # nothing was kept: not the request, not a file
    user.find(marker='attached-file').elements.pop().set_value(False)  # the chip's remove
    await attach(user, 'lid.png', tiny_png(), 'image/png')
    await attach(user, 'note.pdf', b'%PDF-1.4\n%%EOF\n', 'application/pdf')
    user.find(marker='portal-send').click()
    await user.should_see(marker='portal-thread', retries=200)
    await user.should_see('lid.png')
    await user.should_see('note.pdf')
    with read_session() as session:
        ticket = session.exec(select(Ticket)).one()
    user.find(kind=ui.button, content='note.pdf').click()  # the customer gets their own file back
    assert (await user.download.next(timeout=default_timeout())).content == b'%PDF-1.4\n%%EOF\n'
    agent = make_user('agent')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('See the photo and the delivery note.')
    await user.should_see('lid.png')
    user.find(kind=ui.button, content='note.pdf').click()
    assert (await user.download.next(timeout=default_timeout())).content == b'%PDF-1.4\n%%EOF\n'


async def test_a_customer_returns_part_of_a_delivered_order_within_the_window(user: User) -> None:
    order = delivered_order('mia@example.com', sku='RET-1')
    await enter_portal(user, 'mia@example.com')
    await user.open(f'/portal/orders/{order.number}')
    user.find('Return items').click()
    quantity = next(iter(user.find(marker='portal-return-quantity').elements))
    quantity.set_value(3)  # bought 2
    user.find(marker='portal-return-reason').type(f'Too small {HOSTILE}')
    user.find(marker='portal-request-return').click()
    await user.should_see('RET-1: at most 2 can still be returned', retries=200)
    quantity.set_value(1)
    user.find(marker='portal-request-return').click()

    await user.should_see(marker='portal-return-requested', retries=200)
    with read_session() as session:
        stored = session.exec(select(Return).where(Return.order_id == order.id)).one()
    assert stored.reason == f'Too small {HOSTILE}' and stored.created_by is None
    await user.should_see(marker='portal-return', retries=200)  # listed under Returns at once, not after a reload
    [row] = user.find(marker='portal-return').elements
    shown = [getattr(element, 'text', '') for element in row.descendants()]
    assert [text for text in shown if text] == [f'Return {stored.number}', 'Requested']
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see(f'Return {stored.number}')
    await user.should_see('Requested')


async def test_no_return_from_the_portal_after_the_window(user: User) -> None:
    order = delivered_order('noa@example.com', sku='RET-2')
    with session_scope() as session:
        stored = session.get(Order, order.id)
        stored.delivered_at = stored.delivered_at - timedelta(days=31)
        session.add(stored)
        session.commit()
    await enter_portal(user, 'noa@example.com')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see('Delivered on')
    await user.should_not_see('Return items')


async def test_a_profile_saved_in_the_portal_keeps_what_staff_changed_meanwhile(user: User) -> None:
    """The customer's account page is open; support takes a new phone number on a call; the customer then changes
    only their name: the new number stays, and the page shows it."""
    customer = await enter_portal(user, 'mia@example.com', name='Mia')
    await user.open('/portal/account')
    await user.should_see(marker='portal-profile-name')
    manager = make_user('manager')
    with session_scope() as session:
        stored = session.get(Customer, customer.id)
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            record_id=customer.id,
            version=stored.version,
            changes={'phone': '+33 6 55 44 33 22'},
        )
    user.find(marker='portal-profile-name').clear()
    user.find(marker='portal-profile-name').type(HOSTILE)
    user.find(marker='portal-save-profile').click()
    await user.should_see('Your profile is saved.', retries=200)
    with read_session() as session:
        stored = session.get(Customer, customer.id)
    assert (stored.name, stored.phone) == (HOSTILE, '+33 6 55 44 33 22')
    await user.should_see('+33 6 55 44 33 22')


async def test_the_portal_header_shows_the_company_name_saved_at_settings_without_a_reload(
    user: User, create_user
) -> None:
    """An admin saved a new company name at /settings: the customer's open portal page kept the old one in its header
    until it was loaded again (the back office's header followed at once)."""
    await enter_portal(user, 'noa@example.com', name='Noa')
    await user.should_see(marker='portal-shop')
    admin = create_user()
    await signed_in(admin, make_user('admin').email, path='/settings')
    await admin.should_see('Days in the trash')
    hostile = 'Nordwind "<b>x</b>": \'Outfitters\''
    admin.find('Company name').clear().type(hostile)
    admin.find('Save settings').click()
    await admin.should_see('Settings saved')
    await user.should_see(marker='portal-shop', content=hostile)
    assert user.find(marker='portal-shop').elements.pop().text == hostile


async def test_the_portal_header_shows_a_logo_uploaded_or_removed_at_settings_without_a_reload(
    user: User, create_user
) -> None:
    """An admin uploaded the shop's logo at /settings, then removed it: the customer's open portal page showed neither
    until it was loaded again (the company name beside it followed at once)."""
    await enter_portal(user, 'noa@example.com', name='Noa "<b>x</b>": \'N\'')
    await user.should_see(marker='portal-shop')
    with user:  # hidden while there is no logo: found among the hidden elements too
        logo = next(iter(ElementFilter(kind=ui.image, marker='portal-logo')))
    assert not logo.visible  # no logo saved yet
    admin = create_user()
    await signed_in(admin, make_user('admin').email, path='/settings')
    await admin.should_see('Days in the trash')
    field = admin.find(marker='seller_logo').elements.pop()
    upload = next(element for element in admin.find(ui.upload).elements if field in element.ancestors())
    await upload.handle_uploads([SmallFileUpload('logo "<b>x</b>".png', 'image/png', tiny_png())])
    await eventually(lambda: field.value, message='the uploaded logo in the field')
    admin.find('Save settings').click()
    await admin.should_see('Settings saved')
    with read_session() as session:
        saved = app_settings.value(session=session, key='seller_logo')

    await eventually(lambda: logo.visible, message='the new logo shown in the open portal page')
    assert logo.source == logo_source(saved) and saved.rsplit('/', 1)[-1][:8] in logo.source

    admin.find('Remove image').click()
    admin.find('Save settings').click()
    await admin.should_see('Settings saved')
    await eventually(lambda: not logo.visible, message='the removed logo gone from the open portal page')
