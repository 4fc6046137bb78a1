"""The customer portal in French (issue #14): a customer whose language is French walks every portal screen — orders,
one order, invoices, requests, one request (answered and solved, so the rating shows), a new request, the account —
and every text the portal asks for in French that the catalog lacks fails the test."""

from __future__ import annotations

from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n
from backoffice.db import session_scope
from backoffice.models import Customer, Ticket
from backoffice.services import tickets

from .support.factories import make_customer, make_user
from .support.portal import delivered_order, enter_portal, invite


async def test_every_portal_screen_in_french_has_its_translations(user: User) -> None:
    order = delivered_order('lea@example.com', sku='BOL-1', tracking='FR0001')
    with session_scope() as session:
        customer = session.exec(select(Customer).where(Customer.email == 'lea@example.com')).one()
        customer.language = 'fr'
        session.add(customer)
        session.commit()
    agent = make_user('agent')
    with session_scope() as session:
        ticket = tickets.log_request(
            session=session,
            actor=agent,
            data={
                'email': 'lea@example.com',
                'subject': 'Bol ébréché',
                'body': 'Arrivé cassé',
                'type': 'return_exchange',
            },
        )
    with session_scope() as session:
        stored = session.get(Ticket, ticket.id)
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=stored.version, body='Un autre part')
    missing: dict[str, str] = {}
    where = ['sign-in']

    def record(locale: str, text: str) -> None:
        if locale == 'fr':
            missing.setdefault(text, where[-1])

    i18n.on_missing(record)
    try:
        await enter_portal(user, 'lea@example.com')
        await user.should_see(f'Commande {order.number}')
        for path in (
            '/portal',
            f'/portal/orders/{order.number}',
            '/portal/invoices',
            '/portal/requests',
            f'/portal/requests/{ticket.number}',
            '/portal/requests/new',
            '/portal/account',
        ):
            where.append(path)
            await user.open(path)
            await user.should_see(marker='portal-shop')
        await user.should_see(
            'Se déconnecter'
        )  # the customer signs themself out ('Déconnecter' ends another's session)
        with session_scope() as session:
            stored = session.exec(select(Ticket).order_by(col(Ticket.id).desc())).first()
            tickets.change(session=session, actor=agent, ticket_id=stored.id, version=stored.version, status='solved')
        where.append(f'/portal/requests/{ticket.number} (solved)')
        await user.open(f'/portal/requests/{ticket.number}')
        await user.should_see(marker='portal-shop')
    finally:
        i18n.on_missing(None)
    assert not missing, 'Shown in French without a translation:\n' + '\n'.join(
        f'{text!r} on {path}' for text, path in sorted(missing.items())
    )


async def test_the_page_a_link_opens_speaks_the_customers_language_not_the_browsers(user: User) -> None:
    """The invitation was French; the page its link opened followed the browser's language (here none: English)."""
    customer = make_customer('zoe@example.com', name='Zoé')
    with session_scope() as session:
        stored = session.get(Customer, customer.id)
        stored.language = 'fr'
        session.add(stored)
        session.commit()
    await user.open(invite(customer))
    await user.should_see('Appuyez sur le bouton pour ouvrir votre espace client. Le lien n’est valable qu’une fois.')
    await user.should_see('Ouvrir mon espace client')
    user.find(marker='portal-open').click()
    await user.should_see('Vos commandes')
    await user.open('/portal/link?token=not-a-link')  # a link that is none: the browser's language, as before
    await user.should_see('Open my account')
