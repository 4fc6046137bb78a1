"""The header's search service: each record type found by number, email, name or SKU, named by its type, linked to
its record; types the user may not read are never searched."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.models import Invoice, Role
from backoffice.permissions import ROLE_PERMISSIONS
from backoffice.resources import resource
from backoffice.services import crud, global_search

from .support.factories import (
    make_company,
    make_content,
    make_customer,
    make_product,
    make_user,
    place,
    submit_request,
)
from .support.plans import plan_of, reading, statements_of

HOSTILE = 'Zoë "<script>alert(1)</script>": O\'Brien'


def search(actor, term: str) -> list[global_search.Hit]:
    with read_session() as session:
        return global_search.search(session=session, actor=actor, term=term)


def kinds_and_titles(actor, term: str) -> list[tuple[str, str]]:
    return [(hit.kind, hit.title) for hit in search(actor, term)]


def test_customers_by_email_prefix_and_name_prefix_in_any_case() -> None:
    customer = make_customer('maria.lopez@example.com', name=HOSTILE)
    agent = make_user('agent')
    by_email = search(agent, 'MARIA.LO')
    assert [(h.kind, h.title, h.detail) for h in by_email] == [('Customer', HOSTILE, 'maria.lopez@example.com')]
    assert by_email[0].link == f'/customers?open={customer.id}'
    assert ('Customer', HOSTILE) in kinds_and_titles(agent, 'Zoë "<script>')


def test_companies_by_name_prefix() -> None:
    company = make_company('Acme: "Rockets" & Co')
    hits = search(make_user('agent'), 'acme: "rock')
    assert [(h.kind, h.title) for h in hits] == [('Company', 'Acme: "Rockets" & Co')]
    assert hits[0].link == f'/companies?open={company.id}'


def test_orders_by_exact_number_and_by_email_and_their_invoices_by_number() -> None:
    admin = make_user('admin')
    make_product('SKU-1', stock_on_hand=5, actor=admin)
    order = place(('SKU-1', 1), email='olga@example.com')
    hits = search(admin, order.number)
    assert ('Order', f'Order {order.number}') in [(h.kind, h.title) for h in hits]
    assert next(h for h in hits if h.kind == 'Order').link == f'/orders/{order.number}'
    assert ('Order', f'Order {order.number}') in kinds_and_titles(admin, 'olga@')
    assert kinds_and_titles(admin, order.number[:-1]) == []  # a number is found whole, not by its start
    with session_scope() as session:
        session.add(
            Invoice(number='INV-2026-000042', year=2026, sequence=42, order_id=order.id, currency='EUR', total=10)
        )
        session.commit()
    invoice = search(admin, 'inv-2026-000042')
    assert [(h.kind, h.title, h.link) for h in invoice] == [('Invoice', 'INV-2026-000042', f'/orders/{order.number}')]


def test_requests_by_number_with_or_without_hash() -> None:
    ticket = submit_request('Where is "my" <parcel>?')
    agent = make_user('agent')
    for term in (str(ticket.number), f'#{ticket.number}'):
        hits = [h for h in search(agent, term) if h.kind == 'Request']
        assert [(h.title, h.detail, h.link) for h in hits] == [
            (f'Request {ticket.number}', 'Where is "my" <parcel>?', f'/requests/{ticket.number}')
        ]


def test_products_by_sku_prefix_and_name_prefix() -> None:
    product = make_product('TSHIRT-RED-M', name='Red T-shirt: "M"')
    viewer = make_user('viewer')
    assert kinds_and_titles(viewer, 'tshirt-r') == [('Product', 'Red T-shirt: "M"')]
    assert kinds_and_titles(viewer, 'red t-') == [('Product', 'Red T-shirt: "M"')]
    assert search(viewer, 'tshirt')[0].link == f'/products?open={product.id}'


def test_content_by_slug_or_title_prefix() -> None:
    entry = make_content('returns-policy', title='How "returns" <work>')
    viewer = make_user('viewer')
    assert kinds_and_titles(viewer, 'returns-p') == [('Content', 'How "returns" <work>')]
    assert kinds_and_titles(viewer, 'how "ret') == [('Content', 'How "returns" <work>')]
    assert search(viewer, 'returns-p')[0].link == f'/content?open={entry.id}'


def test_trashed_records_and_blank_terms_find_nothing() -> None:
    customer = make_customer('gone@example.com', name='Gone Customer')
    agent = make_user('agent')
    with session_scope() as session:
        crud.delete_record(
            session=session, actor=make_user('manager'), resource=resource('customers'), record_id=customer.id
        )
    assert search(agent, 'gone@') == []
    assert search(agent, '   ') == []
    assert search(agent, '%') == [] and search(agent, '_') == []  # wildcards are plain characters
    assert search(agent, '#²') == [] and search(agent, '²³') == []  # digits to Python's isdigit, not to int()


def test_a_type_the_user_may_not_read_is_never_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_user('admin')
    make_product('SKU-9', stock_on_hand=5, actor=admin)
    order = place(('SKU-9', 1), email='nina@example.com')
    agent = make_user('agent')
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.agent, ROLE_PERMISSIONS[Role.agent] - {'orders.read'})
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = db.get_engine()
    event.listen(engine, 'before_cursor_execute', seen)
    try:
        hits = search(agent, 'nina@')
        assert [h.kind for h in hits] == ['Customer']  # the customer the order made; not the order
        assert all(h.kind not in ('Order', 'Invoice') for h in hits)
        assert search(agent, order.number) == []
    finally:
        event.remove(engine, 'before_cursor_execute', seen)
    assert statements and not any('FROM orders' in s or 'FROM invoices' in s for s in statements)
    assert 'Order' not in global_search.readable_kinds(agent)
    assert 'Order' in global_search.readable_kinds(admin)


def test_names_and_titles_are_found_with_or_without_their_accents() -> None:
    make_customer('cust.gs.accents@example.com', name='Zoé López: "<script>"')
    make_customer('cust.gs.plain@example.com', name='Zoe Lopez-Garcia')
    make_company('Société Générale d\'Öl: "<b>"')
    make_product('SKU-GS-ACC', name='Crème brûlée "<i>"')
    make_content('gs-accents', title='Ça va: "<script>"')
    agent = make_user('agent')
    for term in ('zoe lopez', 'ZOÉ LÓPEZ', 'Zoë Lopez'):  # typed without accents, with them, with other ones
        assert sorted(t for k, t in kinds_and_titles(agent, term) if k == 'Customer') == [
            'Zoe Lopez-Garcia',
            'Zoé López: "<script>"',
        ]
    assert [t for k, t in kinds_and_titles(agent, 'zoe lopez:') if k == 'Customer'] == ['Zoé López: "<script>"']
    assert ('Company', 'Société Générale d\'Öl: "<b>"') in kinds_and_titles(agent, 'societe generale d\'ol: "<')
    assert ('Product', 'Crème brûlée "<i>"') in kinds_and_titles(agent, 'creme brulee')
    assert ('Content', 'Ça va: "<script>"') in kinds_and_titles(make_user('viewer'), 'ca va: "<script')
    assert kinds_and_titles(agent, 'zoe lopes') == []  # still a prefix, not a likeness


def test_a_search_by_name_reads_the_folded_prefix_indexes() -> None:
    make_customer('cust.gs.plan@example.com', name='Émile Plan')
    admin = make_user('admin')
    engine = db.get_engine()
    with read_session() as session:
        seen = statements_of(engine, lambda: global_search.search(session=session, actor=admin, term='emile pl'))
    for table, index in (
        ('customers', 'ix_customers_name_fold'),
        ('companies', 'ix_companies_name_fold'),
        ('products', 'ix_products_name_fold'),
        ('content_entries', 'ix_content_entries_title_fold'),
    ):
        plans = [plan_of(engine, s, p) for s, p in seen if s in reading(seen, table)]
        assert any(index in plan for plan in plans), f'{table} is not read by {index}: {plans}'


def test_a_companys_name_finds_its_contacts_as_customers_naming_their_company() -> None:
    """Typing 'Acme' in the header's search finds the company and its contacts (read by the companies' name index,
    then customers.company_id's); a customer found by their own name or email comes first and only once."""
    acme = make_company('Acmé: "<script>x</script>" O\'Brien')
    make_customer('ann.gs@example.com', name='Ann Member', company_id=acme.id)
    make_customer('acme.gs@example.com', name='Own Email', company_id=acme.id)  # found by her email first
    make_customer('other.gs@example.com', name='Not A Member')
    agent = make_user('agent')
    hits = [(h.kind, h.title, h.detail) for h in search(agent, 'acme: "<script>')]
    company = 'Acmé: "<script>x</script>" O\'Brien'
    assert hits == [
        ('Customer', 'Ann Member', f'ann.gs@example.com · {company}'),
        ('Customer', 'Own Email', f'acme.gs@example.com · {company}'),
        ('Company', company, ''),
    ]
    hits = [(h.kind, h.title) for h in search(agent, 'ACME')]
    assert hits == [
        ('Customer', 'Own Email'),
        ('Customer', 'Ann Member'),
        ('Company', 'Acmé: "<script>x</script>" O\'Brien'),
    ]
    assert kinds_and_titles(make_user(Role.agent), 'nowhere co') == []


def test_several_words_find_a_name_in_any_order_and_a_name_as_typed_first() -> None:
    """As a list's search: the words as typed when a name starts with them, else each word, one of them starting the
    name, in any order; a repeated or lone short word is no start."""
    agent = make_user('agent')
    anna = make_customer('anna.words@example.com', name='Anna Maria Smith')
    smithers = make_customer('smithers.words@example.com', name='Smithers, Anna "<b>"')
    make_company('Smith & Sons: "Anna" <b>Ltd</b>')
    assert kinds_and_titles(agent, 'Anna Maria') == [('Customer', 'Anna Maria Smith')]  # as typed: no more
    assert kinds_and_titles(agent, 'smith anna') == [
        ('Customer', 'Smithers, Anna "<b>"'),  # its name starts with 'smith'
        ('Customer', 'Anna Maria Smith'),
        ('Company', 'Smith & Sons: "Anna" <b>Ltd</b>'),
    ]
    assert {h.link for h in search(agent, 'SMÏTH   ánna')} >= {
        f'/customers?open={anna.id}',
        f'/customers?open={smithers.id}',
    }
    assert kinds_and_titles(agent, 'smith zed') == []  # each word, or nothing
    assert kinds_and_titles(agent, 'maria "<b>" anna') == []  # each word, in the one name
    assert kinds_and_titles(agent, '<b> smithers') == [('Customer', 'Smithers, Anna "<b>"')]
