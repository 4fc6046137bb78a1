"""The Customers list finds a customer the ways a person looks one up: by name, by email, and by phone however it is
typed (spaced or not, with the country code or the national 0)."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlalchemy import event

from backoffice.db import read_session, session_scope
from backoffice.listing import query, search
from backoffice.models import User as Staff
from backoffice.resources import resource
from backoffice.services import crud

from .support.factories import make_company, make_customer, make_user
from .support.lists import rows_show
from .support.signin import signed_in

NAME = 'Zoë "Q" O\'Hara: <script>alert(1)</script>'


def emails(actor: Staff, term: str) -> list[str]:
    with read_session() as session:
        page = query.list_page(
            session=session, actor=actor, resource=resource('customers'), request=query.ListRequest(search=term)
        )
    return sorted(row.email for row in page.rows)


def test_a_customer_is_found_by_phone_however_it_is_typed() -> None:
    manager = make_user('manager')
    zoe = make_customer('zoe.phone@example.com', name=NAME)
    make_customer('other.phone@example.com', name='Other Person')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            record_id=zoe.id,
            version=zoe.version,
            changes={'phone': '+33 6 12 34 56 78'},
        )
    for typed in ('+33 6 12 34 56 78', '+33612345678', '06 12 34 56 78', '0612345678', '0033 6 12 34 56 78', '56 78'):
        assert emails(manager, typed) == ['zoe.phone@example.com'], typed
    assert emails(manager, "O'Hara: <script>") == ['zoe.phone@example.com']  # the name still finds her
    assert emails(manager, '+44 6 12 34 56 78') == []  # another country's number is not hers
    assert emails(manager, '78') == []  # two digits are no phone number


async def test_found_by_phone_typed_with_spaces_the_customer_page_shows_the_number(user: User) -> None:
    manager = make_user('manager')
    zoe = make_customer('zoe.page@example.com', name=NAME)
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            record_id=zoe.id,
            version=zoe.version,
            changes={'phone': '+33 6 98 76 54 32'},
        )
    await signed_in(user, manager.email, path='/customers')
    user.find(marker='search').type('06 98 76 54 32')
    await rows_show(user, 'zoe.page@example.com')
    await user.open(f'/customers/{zoe.id}')
    await user.should_see(marker='fact-phone', retries=40)
    await user.should_see('+33 6 98 76 54 32')
    await user.should_see(NAME)


@pytest.fixture(params=['index', 'like'])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a search of three characters or more can run: through the search indexes, or by LIKE in list order."""
    common = 0 if request.param == 'like' else 10**9
    monkeypatch.setattr(search, 'COMMON_TERM', max(common, 1))
    monkeypatch.setattr(search, 'COMMON_TERM_POSTGRESQL', common)
    return request.param


@pytest.mark.usefixtures('search_path')
def test_a_customer_is_found_by_their_companys_name_or_vat_number_with_or_without_accents() -> None:
    """Typing 'Acme' in the customers' search box finds Acme's contacts (and a customer whose own name or email holds
    it); accents folded as for names; hostile text found as text; another company's contacts are not found."""
    manager = make_user('manager')
    acme = make_company('Société Acmé: "<script>x</script>" O\'Brien', vat_number='FR12345678901')
    other = make_company('Globex')
    make_customer('ann.member@example.com', name='Ann', company_id=acme.id)
    make_customer('bob.member@example.com', name='Bob', company_id=acme.id)
    make_customer('cleo@acme-fans.example', name='Cleo')  # her own email holds it
    make_customer('dan@example.com', name='Dan', company_id=other.id)
    members = ['ann.member@example.com', 'bob.member@example.com']
    assert emails(manager, 'societe acme') == members
    assert emails(manager, 'SOCIÉTÉ ACMÉ: "<script>') == members
    assert emails(manager, "o'brien") == members
    assert emails(manager, 'fr1234567') == members
    assert emails(manager, 'acme') == [*members, 'cleo@acme-fans.example']
    assert emails(manager, 'globex') == ['dan@example.com']
    assert emails(manager, 'nowhere ltd') == []


def test_a_search_through_the_company_reads_the_companies_index_and_the_company_id_index() -> None:
    """A rare company name is looked up in the companies' search index (migration 0071) and its members read by the
    index on customers.company_id, not by testing every customer against every company."""
    manager = make_user('manager')
    quokka = make_company('Quokka Freight: "<b>"')
    make_customer('q.member@example.com', company_id=quokka.id)
    asked: list[str] = []
    with read_session() as session:
        dialect = session.connection().dialect.name
        listen = lambda conn, cursor, statement, *rest: asked.append(statement)  # noqa: E731
        event.listen(session.connection(), 'before_cursor_execute', listen)
        found, _ = search.search_conditions(session, resource('customers'), 'quokka freight', dialect, manager)
        event.remove(session.connection(), 'before_cursor_execute', listen)
    read = str(found[0].compile())
    if dialect == 'sqlite':
        assert any('companies_fts MATCH' in statement for statement in asked), 'the companies are looked up'
        assert 'customers.company_id IN' in read and '+customers.company_id' not in read
    else:
        assert 'customers.company_id = ANY (array(' in read
    assert emails(manager, 'quokka freight: "<b>') == ['q.member@example.com']


def company_names(actor: Staff, term: str) -> list[str]:
    with read_session() as session:
        page = query.list_page(
            session=session, actor=actor, resource=resource('companies'), request=query.ListRequest(search=term)
        )
    return sorted(row.name for row in page.rows)


def test_a_company_is_found_by_a_contacts_email_or_name_without_accents(search_path: str) -> None:
    """A support agent with a member's email types it in the companies' search box and finds the member's company
    (read by the customers' search index, accents folded); hostile text is found as text; a contact in the trash, or
    two characters, find nothing; the company's own name and VAT number still find it. A term common among the
    customers (read by LIKE, here every term) names no contact in particular: it finds companies by their own fields."""
    manager = make_user('manager')
    acme = make_company('Acme "Labs": <script>x</script>', vat_number='FR98765432109')
    make_company('Globex Contacts')
    make_customer("zoe.o'hara@acme-contact.example", name=NAME, company_id=acme.id)
    gone = make_customer('gone.member@trashed-contact.example', name='Gone', company_id=acme.id)
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=resource('customers'), record_id=gone.id)
    found = ['Acme "Labs": <script>x</script>'] if search_path == 'index' else []
    assert company_names(manager, "zoe.o'hara@acme-contact.example") == found
    assert company_names(manager, 'ZOË "Q" O\'HARA: <SCRIPT>') == found
    assert company_names(manager, 'zoe "q"') == found  # accents folded as in the customers list
    assert company_names(manager, 'fr9876543') == ['Acme "Labs": <script>x</script>']
    assert company_names(manager, 'labs": <script>') == ['Acme "Labs": <script>x</script>']
    assert company_names(manager, 'gone.member@trashed-contact') == []
    assert company_names(manager, 'nobody@acme-contact.example') == []
    assert company_names(manager, 'zo') == []  # two characters: no contact is looked up
