"""The Orders list finds an order by its customer's name (`search_related`), as well as by its number and the email it
was placed with, pages and counts what it finds, and only for those who may read customers."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.listing import query, search
from backoffice.models import Customer, User
from backoffice.resources import resource
from backoffice.seed import people

from .support.factories import make_product, make_role, make_user, place
from .support.plans import statements_of

R = query.ListRequest
NAME = 'Zoë "Z" O\'Hara: <script>alert(1)</script> <img src=x onerror=alert(2)>'
EMAIL = "o'hara+%_z@example.com"


@pytest.fixture(params=['index', 'like'])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a search of three characters or more can run: through the search index, or by LIKE in list order."""
    common = 0 if request.param == 'like' else 10**9
    monkeypatch.setattr(search, 'COMMON_TERM', max(common, 1))
    monkeypatch.setattr(search, 'COMMON_TERM_POSTGRESQL', common)
    return request.param


def numbers(actor: User, term: str, **request) -> list[str]:
    with read_session() as session:
        page = query.list_page(
            session=session, actor=actor, resource=resource('orders'), request=R(search=term, page_size=100, **request)
        )
    assert (page.total, page.exact) == (len(page.rows), True)
    return [row.number for row in page.rows]


@pytest.mark.usefixtures('search_path')
def test_an_order_is_found_by_its_customers_name_as_well_as_its_number_and_email() -> None:
    manager = make_user('manager')
    make_product('SEARCH-CUP', stock_on_hand=20, actor=manager)
    first = place(('SEARCH-CUP', 1), email=EMAIL, name=NAME)
    second = place(('SEARCH-CUP', 1), email=EMAIL, name=NAME)
    other = place(('SEARCH-CUP', 1), email='cora@example.com', name='Cora Customer')
    zoe = [second.number, first.number]  # the newest first, as the list reads
    assert numbers(manager, "O'HARA: <script>") == zoe  # a fragment of the name, taken as text
    assert numbers(manager, '<img src=x onerror') == zoe
    assert numbers(manager, '"Z"') == zoe
    assert numbers(manager, 'zoë') == zoe
    assert numbers(manager, 'cora customer') == [other.number]
    assert numbers(manager, EMAIL) == zoe  # the email, as before
    assert numbers(manager, str(other.number)) == [other.number]  # and the number
    assert numbers(manager, 'Nobody Known') == []


@pytest.mark.usefixtures('search_path')
def test_paging_through_orders_found_by_a_customers_name_reads_each_once() -> None:
    manager = make_user('manager')
    make_product('SEARCH-PLATE', stock_on_hand=50, actor=manager)
    mine = [place(('SEARCH-PLATE', 1), email='busy@example.com', name='Bea Busybuyer').number for _ in range(7)]
    for n in range(5):
        place(('SEARCH-PLATE', 1), email=f'else{n}@example.com', name='Someone Else')
    with read_session() as session:
        orders = resource('orders')
        first = query.list_page(
            session=session, actor=manager, resource=orders, request=R(search='busybuyer', page_size=3)
        )
        second = query.list_page(
            session=session,
            actor=manager,
            resource=orders,
            request=R(search='busybuyer', page_size=3, page=2),
            cursor=first.cursor,
        )
        third = query.list_page(
            session=session,
            actor=manager,
            resource=orders,
            request=R(search='busybuyer', page_size=3, page=3),
            cursor=second.cursor,
        )
    assert (first.total, first.exact) == (7, True)
    assert [row.number for page in (first, second, third) for row in page.rows] == mine[::-1]


def test_who_may_not_read_customers_finds_no_order_by_a_customers_name() -> None:
    manager = make_user('manager')
    orders_only = make_user(make_role('orders.read', name='Orders only').key)
    make_product('SEARCH-BOWL', stock_on_hand=5, actor=manager)
    order = place(('SEARCH-BOWL', 1), email='quinn@example.com', name='Quinn Quasimodo')
    assert numbers(manager, 'quasimodo') == [order.number]
    assert numbers(orders_only, 'quasimodo') == []
    assert numbers(orders_only, 'quinn@example.com') == [order.number]  # the order's own email, as before


def test_the_orders_search_reads_the_customers_by_their_name_and_email_indexes() -> None:
    """PostgreSQL, 20,000 customers settled as autovacuum leaves them: the customers an Orders search goes through (a
    name, an order number, an email) are read by their trigram indexes, not every row (plans asked as they are,
    sequential scans not made dear). Right after a bulk load, before a VACUUM, the trigram indexes' pending lists are
    still to be merged and the planner reads the whole table instead (bench/orders_customer_search.py)."""
    engine = db.get_engine()
    if engine.dialect.name != 'postgresql':
        pytest.skip('a PostgreSQL planner question (SQLite reads each field by its FTS5 index)')
    manager = make_user('manager')
    with session_scope() as session:
        people.seed_customers(session=session, customers=20_000, seed=3)
    with engine.connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
        connection.exec_driver_sql('VACUUM ANALYZE customers')  # settled, as autovacuum leaves a table that grew
    with read_session() as session:
        name = session.exec(select(Customer.name).order_by(col(Customer.id)).offset(10_000).limit(1)).one()
    for term in (name, '100042', 'smith7'):
        with read_session() as session:
            seen = statements_of(engine, lambda term=term: numbers_seen(session, manager, term))
        reading_customers = [s for s in seen if 'FROM customers' in s[0]]
        assert reading_customers, f'{term!r} did not go through the customers'
        for statement, parameters in reading_customers:
            with engine.connect() as connection:
                plan = '\n'.join(
                    row[0] for row in connection.exec_driver_sql(f'EXPLAIN {statement}', parameters).fetchall()
                )
            assert 'Seq Scan on customers' not in plan, f'{term!r} reads every customer:\n{plan}'


def numbers_seen(session, actor: User, term: str) -> list:
    return query.list_page(
        session=session, actor=actor, resource=resource('orders'), request=query.ListRequest(search=term)
    ).rows
