"""The core's messages in French (issue #14): refusals raised inside `i18n.use('fr')` come out in French with their
placeholders filled, an audit entry reads as a French sentence, password advice is French, and the API answers in
the language its caller's Accept-Language asks for (English when it asks for none we have)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import col, select

from backoffice import i18n
from backoffice.api.input_rules import language_of
from backoffice.api.routes import ROUTERS
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed, field_errors
from backoffice.kpi import registry
from backoffice.kpi.definitions import Definitions
from backoffice.listing import query
from backoffice.models import AuditEntry, MessageKind, TicketMessage
from backoffice.password_strength import password_problem
from backoffice.resources import resource
from backoffice.runtime import ratelimit
from backoffice.services import audit_story, bills, crud, orders, payments, purchases, stock, tickets
from backoffice.validation import clean_name, normalize_email

from .support.factories import (
    advance,
    fresh,
    make_category,
    make_product,
    make_user,
    pay,
    place,
    receive,
    stored_request,
    submit_request,
)
from .support.payables import make_supplier

NBSP = '\u00a0'
NNBSP = '\u202f'  # what French puts between thousands (Babel's CLDR data: 2 000)


@pytest.fixture
def manager():
    return make_user('manager', name='Maria Lopez')


def test_an_illegal_order_transition_is_refused_in_french_with_the_number_and_statuses(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = fresh(place(('MUG', 1)).id)
    with i18n.use('fr'), session_scope() as session, pytest.raises(orders.IllegalTransition) as refused:
        orders.change_status(session=session, actor=manager, order_id=order.id, version=order.version, status='packed')
    assert str(refused.value) == (
        f'La commande {order.number} est en attente de paiement{NBSP}: elle ne peut pas devenir préparée '
        f'(étape suivante{NBSP}: annulée ou payée)'
    )
    with session_scope() as session, pytest.raises(orders.IllegalTransition) as refused:  # English outside the block
        orders.change_status(session=session, actor=manager, order_id=order.id, version=order.version, status='packed')
    assert str(refused.value).startswith(f'Order {order.number} is pending: it cannot become packed')


def test_a_payment_over_what_is_due_is_refused_with_the_amount_written_the_french_way(manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))  # 50.00 + 10.00 VAT
    with i18n.use('fr'), pytest.raises(ValidationFailed) as refused:
        pay(manager, order, '1240.01')
    assert refused.value.errors == {'amount': f'Il ne reste que 60,00{NBSP}€ à payer sur la commande {order.number}'}
    with i18n.use('fr'), pytest.raises(ValidationFailed) as refused:
        pay(manager, order, 'dix')
    assert refused.value.errors == {'amount': 'Saisissez un montant, par exemple 12,50'}
    assert payments.amount_in_words(order.total, 'EUR') == '€60.00'  # English as the messages always said it


def test_out_of_stock_and_a_refused_stock_adjustment_read_in_french(manager) -> None:
    mug = make_product('MUG', stock_on_hand=1, actor=manager)
    with i18n.use('fr'), pytest.raises(stock.OutOfStock) as short:
        place(('MUG', 3))
    assert str(short.value) == f'Stock insuffisant — MUG{NBSP}: 3 demandés, 1 disponibles.'
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=2, reason='')
    assert refused.value.errors == {
        'reason': 'Indiquez pourquoi le stock change (par exemple «\u00a012 comptés en rayon\u00a0», '
        '«\u00a02 cassés pendant le transport\u00a0»)'
    }


def test_a_request_refusal_names_the_statuses_in_french() -> None:
    agent = make_user('agent')
    ticket = stored_request(submit_request('Où est mon colis ?').number)
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')
    ticket = stored_request(ticket.number)
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='new')
    assert refused.value.errors == {'status': 'Une demande ne peut pas redevenir nouvelle'}
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='waiting')
    assert refused.value.errors == {
        'status': f'Une demande «{NBSP}résolue{NBSP}» ne peut pas passer à «{NBSP}en attente{NBSP}»'
    }


def test_permissions_stale_records_and_field_rules_in_french(manager) -> None:
    with i18n.use('fr'):
        assert str(PermissionDenied('orders.write')) == 'Vous n’êtes pas autorisé à faire ceci (orders.write).'
        stale = StaleRecord('order', 'kim@example.com', datetime(2026, 12, 3, 14, 5, tzinfo=UTC), 3)
        assert str(stale).startswith('kim@example.com a modifié cet élément (commande) le ')
        assert str(stale).endswith(f'Rechargez pour voir sa modification{NBSP}; ce que vous avez saisi est conservé.')
        with pytest.raises(ValueError, match='Saisissez une adresse e-mail valide'):
            normalize_email('pas une adresse')
        with pytest.raises(ValueError) as too_long:
            clean_name('x' * 90)
        assert str(too_long.value) == '80 caractères au maximum (il y en a 90)'


def test_a_text_too_long_is_refused_with_both_figures_written_the_readers_way(manager) -> None:
    """Every service says a refused length the same way, with the limit and the length as the fields' counters show
    them (2,000; French 2 000), and the text's own length even where it once said only the limit."""
    agent = make_user('agent')
    ticket = submit_request('Où est mon colis ? "x": <script>')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=1, status='solved')
    comment = 'Merci "x": <script>' + 'y' * (2_001 - 19)
    for language, said in (
        ('en', 'Use at most 2,000 characters (this has 2,001)'),
        ('fr', f'2{NNBSP}000 caractères au maximum (il y en a 2{NNBSP}001)'),
    ):
        with i18n.use(language), session_scope() as session, pytest.raises(ValidationFailed) as refused:
            tickets.rate(session=session, number=ticket.number, token=ticket.token, score=4, comment=comment)
        assert refused.value.errors == {'comment': said}
    supplier = make_supplier('Acme "x": <script>')
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bills.create_bill(
            session=session,
            actor=manager,
            supplier_id=supplier.id,
            number='N°"x": <b>' + '9' * 60,
            issued_on=None,
            lines=[],
        )
    assert refused.value.errors['number'] == f'{bills.NUMBER_MAX} caractères au maximum (il y en a 70)'
    why = 'Plus "x": <script>' + 'z' * purchases.CLOSE_REASON_MAX
    for close in (purchases.close_short, purchases.cancel):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            close(session=session, actor=manager, purchase_id=1, reason=why)
        assert refused.value.errors == {'reason': f'Use at most 300 characters (this has {len(why)})'}
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.adjust(session=session, actor=manager, product_id=1, quantity=2_000_000, reason='Compté "x": <b>')
    assert refused.value.errors == {'quantity': f'1{NNBSP}000{NNBSP}000 au maximum'}  # not an English 1,000,000


def test_password_advice_is_french_including_what_zxcvbn_says() -> None:
    with i18n.use('fr'):
        assert password_problem('short') == 'Utilisez au moins 10 caractères'
        advice = password_problem('qwertyuiop1')
    assert advice is not None and advice.startswith('Trop ')  # too common, or too easy to guess
    with i18n.use('fr'):
        guessable = password_problem('Jennifer1990!')
    assert guessable == (  # zxcvbn's warning and suggestions, translated too
        'Trop facile à deviner. Les prénoms et noms courants sont faciles à deviner. Ajoutez un ou deux mots. '
        'Des mots peu courants, c’est mieux. Les majuscules n’aident pas beaucoup.'
    )


def test_kpi_descriptions_follow_the_reader() -> None:
    with i18n.use('fr'):
        active = registry.kpi('active_users').describe(Definitions(active_min_events=2, active_days=30))
        abandonment = registry.kpi('checkout_abandonment').describe(Definitions(abandonment_hours=24))
    assert active.startswith('Clients ayant au moins 2 événements (visite, page vue, ')
    assert abandonment == 'Part des commandes commencées ce jour-là sans commande passée dans les 24 h.'
    assert i18n.gettext(registry.kpi('turnover').label) == 'Turnover'  # the label is marked, shown through _()


def test_an_audit_entry_reads_as_a_french_sentence(manager) -> None:
    product = make_product('MUG-1', price='12.50')
    receive(manager, product.id, 5)
    order = place(('MUG-1', 1))
    pay(manager, order)
    advance(manager, order, 'pack')
    with read_session() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.entity == 'orders').order_by(col(AuditEntry.id).desc())
        ).first()
        with i18n.use('fr'):
            story = audit_story.tell(session=session, actor=make_user('admin'), entry_id=entry.id)
    # "the status of order N from Paid to Packed": the field and values by their labels, translated where the
    # resources part of the catalog has them (Statut, Payée, Préparée), the sentence itself from this part
    assert story.sentence.startswith(f'Maria Lopez a modifié le champ «{NBSP}'), story.sentence
    assert story.sentence.endswith(f'{order.number}){NBSP}: {story.changes[0].before} → {story.changes[0].after}')
    assert story.link_label.startswith('Ouvrir ') and story.link_label.endswith(order.number)
    assert entry.summary.startswith(f'Order {order.number}: ')  # what is stored stays English


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    ratelimit.api_keys.reset()
    ratelimit.ratings.reset()
    app = FastAPI()
    for router in ROUTERS:
        app.include_router(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url='http://backoffice') as client:
        yield client


async def test_the_api_answers_in_the_language_its_caller_asks_for(client) -> None:
    french = await client.post('/api/requests', headers={'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.8'})
    english = await client.post('/api/requests')
    assert french.status_code == english.status_code == 401
    assert french.json()['detail'].startswith('Une clé d’API est requise')
    assert english.json()['detail'].startswith('An API key is required')
    with i18n.use('fr'):  # a staff default does not leak into the API: no header is English
        assert (await client.post('/api/requests')).json()['detail'].startswith('An API key is required')


def test_accept_language_is_read_by_its_weights() -> None:
    def of(header: str | None) -> str:
        scope = {'type': 'http', 'headers': [(b'accept-language', header.encode())] if header else []}
        from starlette.requests import Request

        return language_of(Request(scope))

    assert (of(None), of('de-DE'), of('fr-CA'), of('de, en;q=0.5, fr;q=0.8'), of('fr;q=0, en')) == (
        'en',
        'en',
        'fr',
        'fr',
        'en',
    )


def test_pydantic_messages_are_ours_for_a_form_in_french_and_in_english() -> None:
    class Form(BaseModel):
        quantity: int
        code: str = Field(max_length=3)
        minimum: int = Field(ge=1)

    with pytest.raises(ValidationError) as refused:
        Form.model_validate({'quantity': 'x', 'code': 'abcdef', 'minimum': 0})
    # a form's field says it as the other screens do, not pydantic's "Input should be greater than or equal to 1"
    assert field_errors(refused.value) == {
        'quantity': 'Enter a whole number',
        'code': 'Use at most 3 characters',
        'minimum': 'Enter 1 or more',
    }
    with i18n.use('fr'):
        assert field_errors(refused.value) == {
            'quantity': 'Saisissez un nombre entier',
            'code': '3 caractères au maximum',
            'minimum': 'Saisissez 1 ou plus',
        }


def test_the_solved_notice_is_written_in_the_customers_language_not_the_agents() -> None:
    agent = make_user('agent')
    ticket = stored_request(submit_request('Où est mon colis ?').number)
    english_default = i18n._default
    i18n.set_default(lambda: 'fr')  # the shop's default language (the customer chose none)
    try:
        with i18n.use('en'), session_scope() as session:  # the agent reads English
            tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')
    finally:
        i18n.set_default(english_default)
    with read_session() as session:
        notice = session.exec(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket.id, TicketMessage.kind == MessageKind.notice)
        ).one()
    assert notice.body.startswith(
        f'Nous avons marqué votre demande #{ticket.number} «{NBSP}Où est mon colis ?{NBSP}» comme résolue.'
    )


def test_a_french_reader_finds_names_typed_without_their_accents_in_every_list() -> None:
    """'creme' finds 'Crème brûlée' in the products list, 'helene' the colleague 'Hélène', 'francois' the supplier
    'François & Fils', 'reponse' the canned reply 'Réponse type', and typed with the accents they find the same;
    hostile text is found as text, and a name that merely looks alike is not."""
    manager = make_user('manager', name='Maria Lopez')
    make_user('agent', name='Hélène Dubois: "<script>x</script>"', email='helene@example.com')
    make_user('agent', name='Helena Costa', email='helena@example.com')
    make_category('Pâtisserie fine')
    make_product('CREME-1', name='Crème brûlée: "<b>x</b>" l\'originale')
    make_product('CREMA-1', name='Crema catalana')
    make_supplier('François & Fils')
    with session_scope() as session:
        crud.create_record(
            session=session,
            actor=manager,
            resource=resource('canned-replies'),
            data={'title': 'Réponse type « délai »', 'body': 'Nous expédions sous 48 h : merci !'},
        )

    def found(key: str, term: str, shown: str) -> list[str]:
        with read_session() as session:
            page = query.list_page(
                session=session, actor=manager, resource=resource(key), request=query.ListRequest(search=term)
            )
        return sorted(getattr(row, shown) for row in page.rows)

    assert found('products', 'creme brulee', 'sku') == ['CREME-1']
    assert found('products', 'CRÈME BRÛLÉE: "<B>', 'sku') == ['CREME-1']
    assert found('products', "l'originale", 'sku') == ['CREME-1']
    assert found('products', 'crem', 'sku') == ['CREMA-1', 'CREME-1']
    assert found('categories', 'patisserie', 'name') == ['Pâtisserie fine']
    assert found('suppliers', 'francois', 'name') == ['François & Fils']
    assert found('staff', 'helene', 'email') == ['helene@example.com']
    assert found('staff', 'hélène', 'email') == ['helene@example.com']
    assert found('staff', 'helen', 'email') == ['helena@example.com', 'helene@example.com']
    assert found('canned-replies', 'reponse type « delai', 'title') == ['Réponse type « délai »']
    assert found('canned-replies', 'expedions', 'title') == ['Réponse type « délai »']
    assert found('products', 'crème glacée', 'sku') == []
