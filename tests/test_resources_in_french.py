"""The resource engine in French: a reader whose language is French sees the lists' column labels, statuses, counts,
filters and empty states, and the record form, in French — whole sentences agreed with each resource's noun — while
an import still reads the English headers and values an export writes."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice import i18n
from backoffice.db import read_session
from backoffice.engine.declaration import RESOURCES
from backoffice.i18n import Verbatim
from backoffice.resources import resource
from backoffice.transfer import import_map, import_plan, import_read

from .support.factories import banned_customer, make_customer, make_product, make_user, pay, place
from .support.lists import as_if_counted, ask_for, caption, footer, listed, rows_show
from .support.picture import EMAIL, a_customer_with_everything
from .support.signin import signed_in
from .support.waiting import eventually

NBSP = '\u00a0'  # French puts one before : ; ! ? (and inside « »)
NNBSP = '\u202f'  # ... and a narrow one between a number's thousands


@pytest.fixture
def french(monkeypatch: pytest.MonkeyPatch):
    """Every reader reads French (the per-user choice is the core's): the resolver is put back after the test."""

    def read_in_french() -> None:
        monkeypatch.setattr(i18n, '_resolver', i18n._resolver)  # noqa: SLF001 (restored by monkeypatch)
        i18n.set_resolver(lambda: 'fr')

    return read_in_french


def column_labels(user: User) -> list[str]:
    return [column['label'] for column in user.find(ui.table).elements.pop().columns]


async def test_the_customers_list_reads_in_french(user: User, french) -> None:
    make_customer('ann@example.com', name='Ann')
    make_customer('una@example.com', name='Una', status='unfinished')
    banned_customer('bad@example.com')
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/customers')
    french()
    await user.open('/customers')
    await rows_show(user, 'ann@example.com', 'una@example.com', 'bad@example.com')
    assert {'E-mail', 'Statut', 'Entreprise', 'Dernière visite'} <= set(column_labels(user))
    assert {'Actif', 'Inscription inachevée', 'Banni'} <= set(listed(user, 'status'))
    await user.should_see('3 clients')
    await user.should_see(f'Rechercher{NBSP}: clients')
    await user.should_see('Consentement marketing')  # a filter
    user.find(marker='filter-status').elements.pop().set_value(['banned'])
    await rows_show(user, 'bad@example.com', absent=('ann@example.com',))
    await user.should_see('1 client')


async def test_a_big_list_counts_in_french_under_it_as_over_it(
    user: User, french, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The footer's range and count read as the caption's: French words, French separators."""
    for n in range(11):
        make_customer(f'grand{n:02}@example.com', name=f'Grand « {n} » : <script>window.__x={n}</script>')
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/customers')
    french()
    as_if_counted(monkeypatch, 990_000, exact=False)
    await user.open('/customers')
    await rows_show(user, 'grand10@example.com')
    ask_for(user, rows_per_page=10)
    await eventually(lambda: footer(user) == f'1–10 sur environ 990{NNBSP}000')
    assert caption(user) == f'environ 990{NNBSP}000 clients'


async def test_an_empty_list_says_so_in_french_and_offers_the_first_record(user: User, french) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/carriers')
    french()
    await user.open('/carriers')
    await user.should_see('Il n’y a encore aucun transporteur.')
    await user.should_see(f'Pour commencer{NBSP}: Nouveau transporteur.')
    assert {'Nom', 'Code', 'Lien de suivi', 'Actif'} <= set(column_labels(user))
    user.find(marker='empty-state-create').click()
    await user.should_see('Nom *')
    assert user.find('Code *').elements.pop().props['hint'] == 'Court, par ex. dhl'  # a help text
    user.find('Nom *').type('DHL Express')
    user.find('Code *').type('dhl')
    user.find('Créer le transporteur').click()
    await user.should_see('Transporteur créé')
    await rows_show(user, 'DHL Express', column='name')
    await user.should_see('1 transporteur')


async def test_the_orders_list_shows_statuses_and_filters_in_french(user: User, french) -> None:
    manager = make_user('manager')
    make_product('MUG', stock_on_hand=20, actor=manager)
    place(('MUG', 1), email='ann@example.com')
    pay(manager, place(('MUG', 2), email='bob@example.com'))
    await signed_in(user, manager.email, path='/orders')
    french()
    await user.open('/orders')
    await rows_show(user, 'ann@example.com', 'bob@example.com')
    assert {'Statut', 'Client', 'Total', 'Payé', 'Expédiée le'} <= set(column_labels(user))  # a sum, a date: by context
    await eventually(lambda: {'En attente de paiement', 'Payée'} <= set(listed(user, 'status')))
    await user.should_see('2 commandes')
    statuses = user.find(marker='filter-status').elements.pop()
    assert statuses.options['paid'] == 'Payée'


async def test_a_customer_form_and_its_actions_read_in_french(user: User, french) -> None:
    make_customer('ann@example.com', name='Ann')
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/customers')
    french()
    await user.open('/customers')
    await rows_show(user, 'ann@example.com')
    user.find(ui.table).trigger('rowClick', [{}, listed_rows(user)[0], 0])
    await user.should_see('Détails')
    await user.should_see('Historique')
    await user.should_see('Accepte les e-mails marketing')
    hints = {element.props.get('hint') for element in user.find('Statut').elements}
    assert 'Le bannissement est une action à part, avec un motif' in hints  # the status field's help
    await user.should_see('Bannir')
    await user.should_see('Enregistrer les modifications')
    await user.should_see(f'Statut{NBSP}: — → Actif')  # the history, with the status by its label
    user.find('Bannir').click()
    await user.should_see('Motif *')
    assert [button.text for button in user.find(marker='confirm-action').elements] == ['Bannir']  # says what it does


async def test_a_customer_page_reads_in_french(user: User, french) -> None:
    p = a_customer_with_everything()
    await signed_in(user, p.manager.email, path='/customers')
    french()
    await user.open(f'/customers/{p.customer.id}')
    await user.should_see(EMAIL, retries=40)
    for text in ('Commandes', 'Demandes', 'Retours', 'Factures et avoirs', 'Activité récente', 'Segments'):
        await user.should_see(text)  # the sections
    await user.should_see('Expédiée')  # an order's status
    await user.should_see('En attente de paiement')
    await user.should_see('Nouvelle')  # a request's
    await user.should_see('Tout voir')
    await user.should_see('Modifier')
    await user.should_see('Dernière visite')  # a fact's label
    await user.should_see(marker='fact-status')
    await user.should_see('Actif')


def listed_rows(user: User) -> list[dict]:
    return user.find(ui.table).elements.pop().rows


def test_every_resource_declares_its_wording_and_every_text_is_in_french() -> None:
    """Counts and empty states are whole sentences per resource; each declared text has its French translation."""
    with i18n.use('fr'):
        catalog = i18n.translations('fr')
        for declared in RESOURCES.values():
            assert declared.wording is not None, f'{declared.key} declares no wording'
            texts = [declared.label, declared.description, declared.wording.none_yet]
            texts += [c.label for c in declared.columns] + [f.label for f in declared.fields]
            texts += [f.label for f in declared.filters] + [a.label for a in declared.actions]
            texts += [f.help for f in declared.fields if f.help] + [a.confirm for a in declared.actions if a.confirm]
            for choices in [c.choices for c in declared.columns] + [f.choices for f in declared.fields]:
                texts += [
                    text for value, text in (choices or {}).items() if text != value and not isinstance(text, Verbatim)
                ]
            untranslated = [t for t in texts if t and french_of(catalog, t) == t and t not in SAME_IN_FRENCH]
            assert not untranslated, f'{declared.key}: no French for {untranslated}'
            in_french = (declared.counted(2), declared.arrivals(2), declared.said('none_yet'))
        with i18n.use('en'):
            in_english = (declared.counted(2), declared.arrivals(2), declared.said('none_yet'))
        with i18n.use('fr'):
            assert in_french[1:] != in_english[1:] and (in_french[0] != in_english[0] or declared.key in SAME_COUNT)


def french_of(catalog, text: str) -> str:
    """The French of a declared text, in its message context when it has one (NP_: a return's 'Requested')."""
    context = getattr(text, 'context', None)
    return catalog.pgettext(context, text) if context else catalog.gettext(text)


SAME_IN_FRENCH = {
    'BIC',
    'Invitation',  # the users' column
    'Date',
    'IBAN',
    'Points',  # the loyalty extension's column: the same word in French
    'Contact',
    'Agent',
    'Bug',
    'Code',
    'Contacts',
    'Description',
    'Document',
    'Image',
    'Max',
    'Message',
    'Min',
    'Notes',
    'Page',
    'Question',
    'Segment',
    'Segments',
    'Slug',
    'Stock',
    'Total',
    'Type',
    'Version',
    'Versions',
    'Webhook',
    'Webhooks',
    'EUR — Euro',
    'https://…',
    'Port',
    'STARTTLS (port 143)',
}
SAME_COUNT = {'webhooks'}  # '2 webhooks' in both


CSV = 'Email;Name;Status;Agrees to marketing email\nann@example.com;Ann King;Unfinished sign-up;yes\n'
CSV_IN_FRENCH = 'E-mail;Nom;Statut;Accepte les e-mails marketing\nzoe@example.com;Zoé;Inscription inachevée;oui\n'


def preview(actor, text: str) -> list[import_plan.RowPlan]:
    customers = resource('customers')
    rows = import_read.read_table(text.encode(), 'customers.csv')
    mapping = import_map.map_columns(customers, rows[0].keys())
    with read_session() as session:
        return import_plan.preview(session=session, actor=actor, resource=customers, rows=rows, mapping=mapping)


def test_an_import_reads_the_english_headers_and_values_an_export_writes_while_the_reader_reads_french() -> None:
    manager = make_user('manager')
    with i18n.use('fr'):
        (row,) = preview(manager, CSV)
        assert row.action == 'create', row.errors
        assert row.values['status'] == 'unfinished'
        assert row.values['marketing_consent'] is True
        # a file written by hand with the French labels is understood too
        (row,) = preview(manager, CSV_IN_FRENCH)
        assert row.action == 'create', row.errors
        assert row.values['status'] == 'unfinished' and row.values['name'] == 'Zoé'
        assert row.values['marketing_consent'] is True  # 'oui'
        # and what it refuses, it says in French
        (row,) = preview(manager, CSV.replace('Unfinished sign-up', 'Parti'))
        assert row.action == 'error'
        assert row.errors['status'].startswith(f'Choisissez l’une des valeurs{NBSP}: Actif, '), row.errors
