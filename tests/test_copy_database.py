"""`python -m backoffice copy-database --to URL`: a shop's SQLite file copied onto PostgreSQL (and back) runs as the
same shop — every row and value, the team's sign-in, new records numbered after the copied ones, search — and a target
that holds data, or a row the target refuses, leaves the target as it was.

Always its own scratch SQLite file and scratch PostgreSQL database (on BACKOFFICE_TEST_DATABASE_URL's server, else
127.0.0.1:5432 as postgres), whatever database the suite runs on; skipped only when no PostgreSQL server answers."""

from __future__ import annotations

import contextlib
import io
import random
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from backoffice import auth, db
from backoffice.__main__ import main
from backoffice.config import reload_settings
from backoffice.database_copy import CopyRefused, copy_database
from backoffice.db import read_session
from backoffice.listing import query
from backoffice.listing.folding import register_sqlite_fold
from backoffice.models import AuditEntry, Customer, Order, Role, Ticket
from backoffice.resources.customers import CUSTOMERS
from backoffice.seed import demo, support

from .support.databases import configured_url
from .support.factories import PASSWORD, make_customer, make_product, make_user, place, submit_request

HOSTILE = '\'; DROP TABLE customers; -- <script>alert("x")</script> Zoë : 😀 "quoted"'
AN_INSTANT = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)  # microseconds, the night the clocks change


@dataclass
class Shop:
    source: str  # the seeded SQLite file's URL
    target: str  # the PostgreSQL copy's URL (with a password, which the output hides)
    back: str  # the copy of that copy onto a new SQLite file
    output: str  # what the command printed
    source_rows: dict[str, list[tuple]]  # every table's rows, read through the models
    target_rows: dict[str, list[tuple]]  # the same, read from the target right after the copy
    back_rows: dict[str, list[tuple]]  # ... and from the copy of that copy onto a new SQLite file
    customer: Customer  # a copied customer with a hostile name
    staff_password: str
    indexes: tuple[list[tuple], list[tuple]]  # the target's indexes before the copy and after it


@pytest.fixture(scope='module')
def shop(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    server = _postgresql_server()
    folder = tmp_path_factory.mktemp('copy')
    source = f'sqlite:///{folder / "shop.db"}'
    name = f'bo_copy_test_{secrets.token_hex(4)}'
    _run_on(server, f'CREATE DATABASE "{name}"')
    target = make_url(server).set(database=name, password='hunter2').render_as_string(hide_password=False)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv('BACKOFFICE_DATABASE_URL', source)
            patch.setenv('BACKOFFICE_DATA_DIR', str(folder / 'data'))
            patch.setenv('BACKOFFICE_STORAGE_SECRET', 'test-storage-secret-0123456789')
            reload_settings()
            db.migrate(db.configure(source))
            password, customer = _seed_a_small_shop()
            db.migrate(_engine(target))  # as the command would: to see its indexes before the copy
            indexes = _indexes(target)
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                # given as hosts hand it out (postgres://: it failed on SQLAlchemy's "Can't load plugin")
                assert main(['copy-database', '--to', target.replace('postgresql+psycopg://', 'postgres://', 1)]) == 0
            back = f'sqlite:///{folder / "back.db"}'
            copied_back = copy_database(_engine(target), back, progress=lambda line: None)
            assert copied_back.total > 0
            yield Shop(
                source=source,
                target=target,
                back=back,
                output=printed.getvalue(),
                source_rows=_every_row(source),
                target_rows=_every_row(target),
                back_rows=_every_row(back),
                customer=customer,
                staff_password=password,
                indexes=(indexes, _indexes(target)),
            )
    finally:
        _dispose_engines()
        db.configure(database_url)
        reload_settings()
        _run_on(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_row_and_value_is_copied_to_postgresql_and_back(shop: Shop) -> None:
    assert shop.target_rows == shop.source_rows
    assert shop.back_rows == shop.source_rows  # PostgreSQL onto SQLite: the same code, the other way
    assert {table: len(rows) for table, rows in shop.target_rows.items() if rows}.keys() >= {
        'customers', 'orders', 'order_lines', 'invoices', 'tickets', 'audit_log', 'users', 'categories', 'payments'
    }  # fmt: skip
    assert 'hunter2' not in shop.output and '***' in shop.output  # the password is hidden
    assert f'Copied {len(SQLModel.metadata.tables)} tables, ' in shop.output
    assert 'row counts checked equal' in shop.output and 'data folder' in shop.output
    before, after = shop.indexes
    assert after == before and len(after) > 100  # dropped for the load, built again

    with _session(shop.target) as session:
        customer = session.get(Customer, shop.customer.id)
        assert customer.name == HOSTILE and customer.last_seen_at == AN_INSTANT
        assert customer.marketing_consent is True and customer.phone is None
        merged = session.execute(select(Ticket).where(Ticket.duplicate_of_id.is_not(None))).scalars().all()
        assert any(ticket.duplicate_of_id > ticket.id for ticket in merged)  # refers to a row copied after it
        created = select(AuditEntry.changes).where(
            AuditEntry.entity == 'customers', AuditEntry.entity_id == str(customer.id)
        )
        assert HOSTILE in str(session.execute(created).scalars().all())  # JSON, with its hostile text
    for stored in ("CAST(summary_params AS TEXT) = 'null'", 'summary_params IS NULL'):  # JSON null is not SQL NULL
        counted = text(f'SELECT count(*) FROM audit_log WHERE {stored}')
        assert _scalar(shop.target, counted) == _scalar(shop.source, counted) == _scalar(shop.back, counted)
        assert _scalar(shop.target, counted) == 3


def test_the_copy_works_as_the_shop_signs_in_numbers_new_records_and_finds_copied_ones(shop: Shop) -> None:
    db.configure(shop.target)
    admin = auth.sign_in(email='ada.copy@example.com', password=PASSWORD, address=None)
    assert admin.ok
    assert auth.sign_in(email=demo.DEMO_STAFF[0][1], password=shop.staff_password, address=None).ok

    customer = make_customer('new.after.copy@example.com', name=HOSTILE)  # ids continue past the copied ones
    product = make_product(f'COPY-{secrets.token_hex(3)}', stock_on_hand=5, actor=admin.user)
    order = place((product.sku, 1), email='new.after.copy@example.com')
    ticket = submit_request('After the copy: ça marche ?', order_number=order.number)
    assert customer.id > _scalar(shop.source, select(func.max(Customer.id)))
    assert order.id > _scalar(shop.source, select(func.max(Order.id)))
    assert ticket.number > _scalar(shop.source, select(func.max(Ticket.number)))

    viewer = make_user(Role.viewer, email='vic.copy@example.com')
    with read_session() as session:
        found = query.matching_ids(
            session=session, actor=viewer, resource=CUSTOMERS, request=query.ListRequest(search='DROP TABLE cust')
        )
        assert set(found) == {shop.customer.id, customer.id}


def test_search_finds_copied_customers_on_a_sqlite_copy(shop: Shop) -> None:
    """SQLite's search index (FTS5, not copied) is rebuilt on the target, in the copy's transaction."""
    db.configure(shop.back)
    viewer = make_user(Role.viewer, email='vic.back@example.com')
    with read_session() as session:
        found = query.matching_ids(
            session=session, actor=viewer, resource=CUSTOMERS, request=query.ListRequest(search='DROP TABLE cust')
        )
        assert list(found) == [shop.customer.id]
    triggers = text("SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1)")
    assert _scalar(shop.back, triggers) == _scalar(shop.source, triggers)  # the index follows later changes again


def test_a_target_holding_data_is_refused_and_replace_copies_again(shop: Shop) -> None:
    db.configure(shop.source)
    before = _counts(shop.target)
    refused = io.StringIO()
    with contextlib.redirect_stderr(refused), _settings(shop.source):
        assert main(['copy-database', '--to', shop.target]) == 1
    assert 'already holds data' in refused.getvalue() and '--replace' in refused.getvalue()
    assert _counts(shop.target) == before

    with _settings(shop.source), contextlib.redirect_stdout(io.StringIO()):
        assert main(['copy-database', '--to', shop.target, '--replace']) == 0
    assert _every_row(shop.target) == shop.source_rows  # records made on the target since are gone


def test_a_row_the_target_refuses_leaves_the_target_as_it_was(shop: Shop, tmp_path: Path) -> None:
    broken = tmp_path / 'broken.db'
    with sqlite3.connect(make_url(shop.source).database) as original, sqlite3.connect(broken) as copy:
        original.backup(copy)
        register_sqlite_fold(copy)  # the customers' search index folds accents with the app's function
        # SQLite keeps any length in a VARCHAR(120); PostgreSQL refuses it, mid-copy (after the tables before customers)
        copy.execute('UPDATE customers SET name = ? WHERE id = ?', ('x' * 500, shop.customer.id))
    before = _every_row(shop.target)

    with pytest.raises(CopyRefused, match='refused a row of customers') as refused:
        copy_database(_engine(f'sqlite:///{broken}'), shop.target, replace=True, progress=lambda line: None)
    assert 'the target is as it was' in str(refused.value)
    assert _every_row(shop.target) == before


def test_a_target_that_cannot_be_reached_or_read_is_refused_in_a_sentence(shop: Shop) -> None:
    source = _engine(shop.source)
    with pytest.raises(CopyRefused, match='Cannot reach or migrate the target'):
        copy_database(source, make_url(shop.target).set(port=1).render_as_string(hide_password=False))
    with pytest.raises(CopyRefused, match='not a database URL'):
        copy_database(source, 'postgres is over there')
    with pytest.raises(CopyRefused, match='the configured database itself'):
        copy_database(source, shop.source)
    with _engine(shop.target).begin() as connection:  # as a newer version of Backoffice would have left it
        real = connection.execute(text('SELECT version_num FROM alembic_version')).scalars().all()
        connection.execute(text('DELETE FROM alembic_version'))
        connection.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
    try:
        with pytest.raises(CopyRefused, match='newer schema than this version of Backoffice knows'):
            copy_database(source, shop.target, replace=True)
    finally:
        with _engine(shop.target).begin() as connection:
            connection.execute(text('DELETE FROM alembic_version'))
            for revision in real:
                connection.execute(text('INSERT INTO alembic_version VALUES (:revision)'), {'revision': revision})
    spelt_otherwise = make_url(shop.target).set(host='localhost', password=None).render_as_string(hide_password=False)
    with pytest.raises(CopyRefused, match='the configured database itself'):  # would wait for ever on its own locks
        copy_database(_engine(shop.target), spelt_otherwise, replace=True)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _seed_a_small_shop() -> tuple[str, Customer]:
    """The demo shop at a tenth of its size, an admin, and records with the values a copy could get wrong."""
    with (
        mock.patch.object(demo, 'DEMO_CUSTOMERS', 30),
        mock.patch.object(demo, 'DEMO_COMPANIES', 3),
        mock.patch.object(demo, 'DEMO_ORDERS', 40),
        mock.patch.object(support, 'TICKETS', 20),
        mock.patch.object(demo, 'seed_kpi_demo', lambda session, seed: []),
        db.session_scope() as session,
    ):
        lines = demo.seed_demo(session=session, seed=random.Random(5).randint(1, 9))
    make_user(Role.admin, email='ada.copy@example.com', name=HOSTILE)
    customer = make_customer('zoe.copy@example.com', name=HOSTILE, consent=True)
    with db.session_scope() as session:
        stored = session.get(Customer, customer.id)
        stored.last_seen_at = AN_INSTANT
        session.add(stored)
        first, last = session.execute(select(func.min(Ticket.id), func.max(Ticket.id))).one()
        session.execute(update(Ticket).where(Ticket.id == first).values(duplicate_of_id=last))
        for value in ('NULL', "'null'"):  # SQL NULL and JSON null, both read as None, both kept as they are
            session.execute(
                text(
                    f'UPDATE audit_log SET summary_params = {value} WHERE id IN (SELECT id FROM audit_log '
                    f'WHERE summary_params IS NOT NULL ORDER BY id LIMIT 3)'
                )
            )
        session.commit()
    return lines[-1].rsplit(' ', 1)[1], stored


def _every_row(url: str) -> dict[str, list[tuple]]:
    """Every table's rows in the order of their primary key, as the app reads them (instants, JSON, money…)."""
    with _engine(url).connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


def _indexes(url: str) -> list[tuple]:
    query = 'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname'
    with _engine(url).connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def _scalar(url: str, query):
    with _engine(url).connect() as connection:
        return connection.execute(query).scalar_one()


def _counts(url: str) -> dict[str, int]:
    with _engine(url).connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


@contextlib.contextmanager
def _session(url: str):
    from sqlmodel import Session

    with Session(_engine(url)) as session:
        yield session


@contextlib.contextmanager
def _settings(source: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('BACKOFFICE_DATABASE_URL', source)
        reload_settings()
        yield
    reload_settings()


_engines: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    if url not in _engines:
        _engines[url] = db.create_database_engine(url)
    return _engines[url]


def _dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def _postgresql_server() -> str:
    """The PostgreSQL server to make the scratch database on (its maintenance database's URL), or skip."""
    import psycopg

    configured = configured_url()
    url = make_url(
        configured if configured.startswith('postgresql') else 'postgresql+psycopg://postgres@127.0.0.1:5432'
    )
    server = url.set(database='postgres').render_as_string(hide_password=False)
    try:
        _run_on(server, 'SELECT 1')
    except psycopg.OperationalError as error:
        pytest.skip(f'no PostgreSQL server answers ({error})')
    return server


def _run_on(server: str, statement: str) -> None:
    import psycopg

    conninfo = make_url(server).set(drivername='postgresql').render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as connection:
        connection.execute(statement)
