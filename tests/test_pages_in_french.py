"""The main screens seen by a French-speaking user: the dashboard, the orders and one order (with an action done), and
one request — their texts in French, counts with the right plural, nothing left in English where it was marked.

The user signs in first (in English: the sign-in page is not this file's concern), then the reader's language is
switched to French for what follows (`in_french`); the switch is undone after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from nicegui import run, ui
from nicegui.testing import User

from backoffice import i18n
from backoffice.db import session_scope
from backoffice.models import Ticket
from backoffice.models import User as Staff
from backoffice.services import tickets

from .support.colleagues import colleague_changes
from .support.factories import make_product, make_user, place, submit_request
from .support.lists import caption, the_list
from .support.signin import signed_in
from .support.waiting import eventually

NBSP = '\u00a0'


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it to read every page in French from then on (the resolver the core sets per user, patched for the
    test and put back after it)."""
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


async def test_the_dashboard_in_french(user: User, in_french: Callable[[], None]) -> None:
    owner = make_user('manager', name='Camille Martin')
    await signed_in(user, owner.email)
    in_french()
    await user.open('/')
    await user.should_see('Bonjour Camille.')
    await user.should_see('Chiffre d’affaires et commandes par jour')
    await user.should_see('Entonnoir de conversion')
    await user.should_see('comparé aux 30 jours précédents')
    toggle = next(iter(user.find(ui.toggle).elements))
    assert set(toggle.options.values()) == {'7 j', '30 j', '90 j', 'Personnalisée'}
    await user.should_not_see('Turnover and orders per day')


async def test_the_orders_and_an_order_in_french(user: User, in_french: Callable[[], None]) -> None:
    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    order = place(('MUG', 2), shipping_name='Cleo Stone')
    await signed_in(user, manager.email, path='/orders')
    in_french()
    await user.open('/orders')
    await user.should_see('Nouvelle commande brouillon')
    await user.should_see('Liste de préparation')

    await user.open(f'/orders/{order.number}')
    await user.should_see(f'Commande {order.number}')
    await user.should_see('Paiements, remboursements et factures')
    await user.should_see('Expéditions et retours')
    await user.should_see('Pas encore expédiée.')
    await user.should_see('Historique')
    await user.should_see('Sous-total')
    user.find(marker='record-payment').click()
    await user.should_see('Référence (ligne du relevé bancaire)')
    user.find(marker='amount').elements.pop().set_value('25.00')
    user.find(marker='dialog-submit').click()
    await user.should_see('Paiement enregistré', retries=40)
    await user.should_not_see('Payment recorded')
    await user.should_not_see('Record payment')


async def test_a_request_in_french(user: User, in_french: Callable[[], None]) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')  # what the customer wrote stays as written
    in_french()
    await user.open(f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    await user.should_see('Envoyer la réponse')
    await user.should_see('Ajouter une note')
    await user.should_see('Les notes sont internes' + NBSP + ': le client ne les voit jamais.')
    await user.should_see('M’attribuer')
    user.find(marker='reply-body').type('Bonjour, votre colis est parti.')
    user.find(marker='send-reply').click()
    await user.should_see('Réponse en file d’attente', retries=40)
    await eventually(lambda: user.find(marker='thread-reply').elements, message='the reply shows in the thread')
    await user.should_see('Réponse')
    await user.should_not_see('Send reply')

    await user.open('/requests')  # the queues: a context of their own ("Résolues", not the status "Résolue")
    await user.should_see('Non attribuées')
    await user.should_see('Les miennes')
    await user.should_see('Résolues')


async def test_a_french_agents_list_and_request_stay_french_when_an_english_colleague_changes_it(user: User) -> None:
    """A change is published in its maker's language (an English colleague's save runs in a worker thread in English,
    as a request from the API does): the live update of a French agent's list and open request is still in French.
    They redrew in English ("Customer", "1 request", "Normal") while the rest of the page stayed French."""
    agent = make_user('agent')
    with session_scope() as session:  # the agent chose French for themselves (their account, not the shop's default)
        stored = session.get(Staff, agent.id)
        stored.language = 'fr'
        session.add(stored)
        session.commit()
    colleague = make_user('agent', name='Eve "E" <b>English</b>')
    ticket = submit_request('Colis : « perdu » <script>alert(1)</script>')
    await signed_in(user, agent.email, path='/requests')
    await user.should_see('Toutes les ouvertes')

    def in_english(work: Callable[[], object]) -> Callable[[], None]:
        def run_it() -> None:
            with i18n.use('en'):
                work()

        return run_it

    await run.io_bound(in_english(lambda: colleague_changes(ticket.number, colleague, priority='high')))
    await eventually(lambda: ticket_row(user, ticket.number)['priority'] == 'Haute', message='the row in French')
    assert caption(user) == '1 demande'

    await user.open(f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    await run.io_bound(in_english(lambda: customer_writes(ticket, 'Any news? "x"')))
    await eventually(lambda: len(user.find(marker='thread-customer').elements) == 2, message='the message arrived')
    await user.should_see('Any news? "x"')
    headings = [label.text for label in user.find(ui.label).elements if label.text in ('Customer', 'Client')]
    assert headings == ['Client', 'Client']  # each message's card, the one that came live too


def ticket_row(user: User, number: int) -> dict:
    return next(row for row in the_list(user, 'subject').rows if str(row['number']) == str(number))


def customer_writes(ticket: Ticket, body: str) -> None:
    with session_scope() as session:
        tickets.add_customer_message(session=session, number=ticket.number, body=body, token=ticket.token)


async def test_counts_take_the_french_plural(user: User, in_french: Callable[[], None]) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/segments')
    in_french()
    await user.open('/segments')
    await user.should_see('Construire un segment')
    # the staff account is no customer: nobody matches yet, and French says "0 client correspond" (0 is singular)
    await user.should_see('0 client correspond', retries=40)


async def test_a_product_refused_at_its_fields_in_french(user: User, in_french: Callable[[], None]) -> None:
    """The product's own rules (SKU, price) speak the reader's language at the field, as the other fields do; the
    price is typed as text now (12,50), so a word in it reaches them."""
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/products')
    in_french()
    await user.open('/products')
    user.find('Nouveau produit').click()
    user.find('Réf. *').type('tasse "Q" : <script>')
    user.find('Nom *').type('Tasse « Q » : <script>alert(1)</script>')
    user.find('Prix *').type('douze')
    user.find('Créer le produit').click()
    await user.should_see('Saisissez un montant, par exemple 12,50')
    await user.should_see('N’utilisez que des lettres, des chiffres, - et _ (sans espace)')
    await user.should_not_see('Enter an amount, e.g. 12.50')
