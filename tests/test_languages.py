"""Who sees which language (issue #14): a staff user's choice, else the settings' default; the browser's language on
the sign-in page; a customer's language for their emails and documents; Quasar's own widgets in the page's language;
a service's refusal in the caller's language; dates, numbers and money in the reader's conventions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fpdf import FPDF
from nicegui import Event, ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import db, formatting, i18n
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import resource
from backoffice.errors import ValidationFailed
from backoffice.i18n import from_accept_language
from backoffice.models import (
    AuditEntry,
    Customer,
    CustomerCreate,
    Invoice,
    MessageKind,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from backoffice.models import User as Staff
from backoffice.services import app_settings, crud, documents, mail, users
from components.session_language import quasar_pack

from .support.factories import make_product, make_user, pay, place
from .support.plans import statements_of
from .support.signin import signed_in
from .support.waiting import eventually

NBSP = '\u00a0'


def save_settings(actor: Staff, **changes: object) -> None:
    with session_scope() as session:
        loaded = app_settings.current_values(session=session)
        app_settings.save(session=session, actor=actor, changes=changes, loaded=loaded)


def test_the_browser_language_is_read_by_preference() -> None:
    assert from_accept_language('fr-CH, fr;q=0.9, en;q=0.8') == 'fr'
    assert from_accept_language('de-DE,de;q=0.9,fr;q=0.5,en;q=0.7') == 'en'  # German is not available: English first
    assert from_accept_language('en-GB;q=0.2, fr-FR') == 'fr'
    assert from_accept_language('de, *;q=0.1') is None
    assert from_accept_language('fr;q=0') is None  # q=0: "not this one"
    assert from_accept_language('') is None and from_accept_language(None) is None
    assert from_accept_language('fr;q=x,;;,') is None  # a malformed header is ignored, not an error


def test_quasar_speaks_each_available_language() -> None:
    assert quasar_pack('fr') == 'fr'
    assert quasar_pack('en') == 'en-US'
    assert quasar_pack('zh') == 'zh-CN'  # a third language needs no code: its first regional pack when no plain one
    for code in i18n.available():
        assert (quasar_pack(code) == 'en-US') == (code == 'en')


def test_french_formats_and_english_ones_unchanged() -> None:
    instant = datetime(2026, 3, 7, 9, 5, tzinfo=UTC)
    with i18n.use('fr'):
        assert formatting.day(date(2026, 3, 7)) == '07/03/2026'
        assert formatting.when(instant) == '07/03/2026 09:05 UTC'
        assert formatting.money(Decimal('1234.56'), 'EUR') == f'1\u202f234,56{NBSP}€'
        assert formatting.money(Decimal('1234.5')) == '1\u202f234,50'
        assert formatting.money(42, 'CHF') == f'42,00{NBSP}CHF'
        assert formatting.money(Decimal('-18.90'), 'EUR') == f'-18,90{NBSP}€'
        assert formatting.number(12345) == '12\u202f345'
        assert formatting.percent(Decimal('0.125'), 1) == f'12,5{NBSP}%'
        assert formatting.display_value(True, 'bool') == 'Oui'
        assert formatting.ago(instant - timedelta(days=1), now=instant) == 'il y a 1 jour'
        assert formatting.ago(instant - timedelta(hours=3), now=instant) == 'il y a 3 heures'
        assert formatting.ago(instant, now=instant) == 'à l’instant'
        assert formatting.due(instant + timedelta(hours=2, minutes=5), now=instant) == 'dans 2 h 05 min'
        assert formatting.due(instant - timedelta(days=1, hours=2), now=instant) == 'en retard de 1 j 2 h'
    assert formatting.money(Decimal('1234.56'), 'EUR') == '€1,234.56'
    assert formatting.money(42, 'CHF') == 'CHF\u00a042.00'  # a currency without a sign: its code, as CLDR spaces it
    assert formatting.money(Decimal('-18.90'), 'EUR') == '-€18.90'  # a bank fee: the minus before the sign
    assert formatting.money(Decimal('-1234.5'), 'CHF') == '-CHF\u00a01,234.50'
    assert formatting.number(12345) == '12,345'
    assert formatting.percent(0.5) == '50%'
    assert formatting.ago(instant - timedelta(days=2), now=instant) == '2 days ago'
    assert formatting.ago(instant - timedelta(minutes=1), now=instant) == '1 minute ago'
    assert formatting.due(instant + timedelta(minutes=35), now=instant) == 'in 35 min'
    assert formatting.display_value(False, 'bool') == 'No'


def test_dates_follow_the_time_zone_from_the_settings() -> None:
    admin = make_user('admin')
    instant = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)
    assert formatting.when(instant) == '2026-03-07 23:30 UTC'
    save_settings(admin, time_zone='Europe/Paris')
    assert formatting.when(instant) == '2026-03-08 00:30 CET'  # the saving process sees it at once
    assert formatting.day(instant) == '2026-03-08'
    assert formatting.clock(instant) == '00:30'
    assert formatting.clock(instant, 'UTC') == '23:30'


def test_the_default_language_is_a_setting_audited_like_the_others() -> None:
    admin = make_user('admin')
    assert app_settings.default_language() == 'en'
    with pytest.raises(ValidationFailed) as refused:
        save_settings(admin, default_language='xx')
    assert refused.value.errors == {'default_language': 'Choose one of the listed values'}
    save_settings(admin, default_language='fr')
    assert app_settings.default_language() == 'fr'
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'settings.changed')).one()
    assert entry.changes == {'default_language': ['en', 'fr']}
    i18n.set_default(app_settings.default_language)  # as main.py does
    try:
        with i18n.use(None):  # a customer without a language of their own: the default, whoever reads the page
            assert i18n.current() == 'fr'
        with i18n.use('de'):  # not available: the default too
            assert i18n._('Log out') == 'Se déconnecter'
    finally:
        i18n.set_default(lambda: i18n.SOURCE_LOCALE)


def test_a_staff_users_language_is_stored_and_checked() -> None:
    agent = make_user('agent')
    with session_scope() as session:
        assert users.set_language(session=session, actor=agent, language='fr-FR').language == 'fr'
    with session_scope() as session, pytest.raises(ValidationFailed):
        users.set_language(session=session, actor=agent, language='klingon')
    with session_scope() as session:
        assert users.set_language(session=session, actor=agent, language=None).language is None


def test_a_customers_language_is_checked() -> None:
    assert CustomerCreate(email='zoe@example.com', language='FR').language == 'fr'
    assert CustomerCreate(email='zoe@example.com', language='').language is None
    with pytest.raises(ValueError, match='Choose one of the listed languages'):
        CustomerCreate(email='zoe@example.com', language='de')


async def test_a_user_sees_the_app_in_their_language_and_switches_it_from_the_user_menu(user: User) -> None:
    staff = make_user('agent', email='ana@example.com')
    await signed_in(user, staff.email)
    await user.should_see('Welcome')
    user.find(marker='account').click()  # the user menu, built on its opening
    await user.should_see('Log out')
    assert user.client.page.resolve_language() == 'en-US'
    user.find(marker='language-fr').click()
    await user.should_see('Tableau de bord', retries=40)  # the page reloaded in French
    with read_session() as session:
        assert session.get(Staff, staff.id).language == 'fr'
    assert user.client.page.resolve_language() == 'fr'  # Quasar's date pickers and pagination too
    assert user.client.title == 'Tableau de bord · Backoffice' or user.client.title.endswith(' · Backoffice')
    user.find(marker='dark-mode')  # the header is the same, its words are not
    user.find(marker='account').click()
    await user.should_see('Changer de mot de passe')


async def test_a_services_refusal_comes_back_in_the_users_language(user: User) -> None:
    staff = make_user('viewer', email='vic@example.com')
    with session_scope() as session:
        users.set_language(session=session, actor=staff, language='fr')
    await signed_in(user, staff.email)
    user.find(marker='account').click()  # the user menu, built on its opening
    user.find(marker='change-password').click()
    user.find('Mot de passe actuel').type('wrong-password')
    user.find('Nouveau mot de passe').type('A-much-better-passphrase')
    user.find('Confirmez le nouveau mot de passe').type('A-different-passphrase')
    user.find(kind=ui.button, content='Changer de mot de passe').click()
    await user.should_see('Ce n’est pas votre mot de passe actuel')  # raised in a worker thread, in French
    await user.should_see('Les deux mots de passe sont différents')


async def test_the_sign_in_page_speaks_the_browsers_language_then_the_default(user: User) -> None:
    user.http_client.headers['Accept-Language'] = 'fr-FR,fr;q=0.9,en;q=0.5'
    await user.open('/login')
    await user.should_see('Connectez-vous pour continuer')
    assert user.client.page.resolve_language() == 'fr'
    user.http_client.headers['Accept-Language'] = 'de-DE'  # nothing available: the settings' default language
    await user.open('/login')
    await user.should_see('Sign in to continue')
    save_settings(make_user('admin'), default_language='fr')
    await user.open('/login')
    await user.should_see('Connectez-vous pour continuer')


def test_an_email_to_a_customer_is_in_their_language() -> None:
    customer = Customer(email='zoe@example.com', name='Zoé', language='fr')
    ticket = Ticket(id=1, number=42, subject='Colis abîmé', token='t0ken', customer_id=1, status=TicketStatus.solved)
    notice = TicketMessage(id=7, ticket_id=1, kind=MessageKind.notice, body='Votre demande est résolue.')
    email = mail._email(notice, ticket, customer, 'support@shop.example', 'Ma Boutique', 'https://shop.example')
    assert email['Subject'] == f'Résolue{NBSP}: Colis abîmé [#42]'
    assert f'Comment nous en sommes-nous sortis{NBSP}?' in email.get_content()
    customer.language = None  # no language of their own: the default (English here)
    email = mail._email(notice, ticket, customer, 'support@shop.example', 'Ma Boutique', 'https://shop.example')
    assert email['Subject'] == 'Solved: Colis abîmé [#42]'
    assert 'How did we do?' in email.get_content()


def test_an_invoice_pdf_is_in_its_customers_language(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = make_user('manager')
    written: list[str] = []
    for method in ('cell', 'multi_cell'):
        original = getattr(FPDF, method)

        def recording(self, *args, _original=original, **kwargs):
            text = kwargs.get('text', args[2] if len(args) > 2 else '')
            written.append(str(text))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(FPDF, method, recording)
    make_product('MUG', '12.50', stock_on_hand=900, actor=manager)
    order = place(('MUG', 100), email='zoe@example.com')
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.language = 'fr'
        session.add(customer)
        session.commit()
    pay(manager, order)
    with read_session() as session:
        invoice = session.exec(select(Invoice)).one()
    pdf = documents.invoice_pdf(invoice)
    assert pdf.startswith(b'%PDF')
    text = '\n'.join(written)
    assert 'Facture' in text and invoice.number in text and 'Date d’émission' in text
    assert 'Prix unitaire HT' in text and 'Sous-total' in text and 'Total TTC' in text and 'Échéance' in text
    assert '1\u202f250,00' in text  # 100 × 12,50, French separators
    assert f'{NBSP}€' in text
    written.clear()
    documents.invoice_pdf(invoice, language='en')
    assert 'Unit price excl. VAT' in '\n'.join(written) and 'Invoice' in '\n'.join(written)


def test_a_page_of_texts_costs_no_query_per_text() -> None:
    """The reader's language is read once per page load, then from the client: 10,000 texts run no SQL at all."""

    def ten_thousand_texts() -> None:
        with i18n.use('fr'):
            for _ in range(10_000):
                i18n._('Log out')

    assert statements_of(db.get_engine(), ten_thousand_texts) == []


async def test_a_timer_and_a_live_update_speak_the_language_of_their_page(user: User) -> None:
    staff = make_user('agent', email='eve@example.com')
    with session_scope() as session:
        users.set_language(session=session, actor=staff, language='fr')
    await signed_in(user, staff.email)
    user.find(marker='account').click()  # the user menu, built on its opening
    await user.should_see('Se déconnecter')
    heard: list[str] = []
    changed: Event[str] = Event()
    with user.client.content:
        ui.timer(0.01, lambda: heard.append('timer: ' + i18n._('Log out')), once=True)
        changed.subscribe(lambda _payload: heard.append('event: ' + i18n._('Log out')))
    changed.emit('from another client or a service')  # emitted outside any page: the subscriber's language counts
    await eventually(lambda: len(heard) >= 2, message='the timer and the event ran')
    assert sorted(heard) == ['event: Se déconnecter', 'timer: Se déconnecter']
    assert i18n._('Log out') == 'Log out'  # the test itself runs outside the page: the default


async def test_the_settings_page_in_french(user: User) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        users.set_language(session=session, actor=admin, language='fr')
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('Langue par défaut')
    await user.should_see('Fuseau horaire')
    await user.should_see('Taux de TVA (%)')
    user.find('Taux de TVA (%)').elements.pop().set_value(120)
    user.find('Enregistrer les paramètres').click()
    await user.should_see('Saisissez un nombre de 0 à 100')  # checked by the service in a worker thread
    user.find('Taux de TVA (%)').elements.pop().set_value(5.5)
    user.find('Enregistrer les paramètres').click()
    await user.should_see('Paramètres enregistrés')


def test_a_customers_language_is_chosen_on_their_form() -> None:
    admin = make_user('admin')
    with session_scope() as session:
        created = crud.create_record(
            session=session,
            actor=admin,
            resource=resource('customers'),
            data={'email': 'zoe@example.com', 'language': 'fr'},
        )
    with read_session() as session:
        assert session.get(Customer, created.id).language == 'fr'
    field = next(f for f in resource('customers').fields if f.name == 'language')
    assert field.kind == 'choice' and field.choices == {'en': 'English', 'fr': 'Français'}
