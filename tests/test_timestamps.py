"""Instants on SQLite are integers, microseconds since the epoch (models.base.UTCTimestamp, migration 0043): every
model's datetime column has that type, a value comes back exactly as it went in and sorts as instants do, and the
migration turns the text stored before into the same instants (and back on downgrade)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import DateTime, create_engine, text
from sqlmodel import Session, SQLModel, col, select

from backoffice import db
from backoffice.models import Customer, Order
from backoffice.models.base import UTCTimestamp

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

# one microsecond apart, across midnight, before 1970, with an offset: what a rounding or a text sort gets wrong
INSTANTS = [
    datetime(2026, 2, 26, 14, 37, 29, 881956, tzinfo=UTC),
    datetime(2026, 2, 26, 14, 37, 29, 881957, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2027, 1, 1, 1, 0, 0, 1, tzinfo=timezone(timedelta(hours=1))),  # 00:00:00.000001 UTC
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def test_every_datetime_column_of_every_model_is_stored_compact() -> None:
    import backoffice.models  # noqa: F401  (every table on the metadata)

    instants = [
        f'{t.name}.{c.name}'
        for t in SQLModel.metadata.tables.values()
        for c in t.columns
        if isinstance(c.type, DateTime) or isinstance(getattr(c.type, 'impl', None), DateTime)
    ]
    assert len(instants) > 100 and 'orders.placed_at' in instants
    assert [name for name in instants if not isinstance(_column(name).type, UTCTimestamp)] == []


def _column(name: str):
    table, column = name.split('.')
    return SQLModel.metadata.tables[table].c[column]


def test_an_instant_comes_back_exactly_and_sorts_as_instants_do(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "t.db"}')
    Order.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as session:
        for n, at in enumerate(INSTANTS):
            session.add(Order(number=f'N{n}', customer_id=1, email='a@example.com', placed_at=at, currency='EUR'))
        session.commit()
        read = session.exec(select(Order.placed_at).order_by(Order.placed_at)).all()
        after = session.exec(select(Order.number).where(Order.placed_at > INSTANTS[1]).order_by(Order.number)).all()
        stored = session.execute(text('SELECT typeof(placed_at), placed_at FROM orders WHERE number = :n'), {'n': 'N0'})
        kind, value = stored.one()
    assert read == sorted(INSTANTS) and all(r.tzinfo is UTC for r in read)
    assert after == ['N2', 'N3']
    assert (kind, value) == ('integer', 1772116649881956)
    engine.dispose()


def test_text_written_past_the_type_is_refused_when_read(tmp_path: Path) -> None:
    """A raw insert of a string would sort before every number: reading it fails loudly instead of going unnoticed."""
    engine = create_engine(f'sqlite:///{tmp_path / "t.db"}')
    Order.__table__.create(engine)  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO orders (created_at, updated_at, version, number, customer_id, email, status, source, '
                'currency, subtotal, discount_total, tax_total, shipping_total, total, paid_total, refunded_total, '
                'placed_at, '
                "shipping_name, shipping_address, note, shipping_waived_reason) VALUES (1, 1, 1, 'N', 1, 'a@b.c', "
                "'paid', 'api', 'EUR', 0, 0, 0, 0, 0, 0, 0, '2026-11-01 10:00:00.000000', '', '', '', '')"
            )
        )
    with Session(engine) as session, pytest.raises(TypeError, match='not as microseconds'):
        session.exec(select(Order.placed_at)).all()
    engine.dispose()


def run(engine, target: str, *, down: bool = False) -> None:
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        (command.downgrade if down else command.upgrade)(config, target)


STORED = {  # customer id → signed_up_at as text before 0043 (SQLAlchemy's form, and forms a raw insert may have left)
    1: '2026-02-26 14:37:29.881956',
    2: '2026-02-26 14:37:29.881957',
    3: '1969-12-31 23:59:59.999999',
    4: '2026-11-01 10:00:00',
    5: '2026-11-01T09:00:00.5+01:00',
}
MEANT = {
    1: INSTANTS[0],
    2: INSTANTS[1],
    3: INSTANTS[4],
    4: datetime(2026, 11, 1, 10, tzinfo=UTC),
    5: datetime(2026, 11, 1, 8, 0, 0, 500000, tzinfo=UTC),
}


def test_the_migration_turns_text_into_the_same_instants_and_back(tmp_path: Path) -> None:
    check_the_migration(f'sqlite:///{tmp_path / "m.db"}')


@pytest.mark.skipif(not os.environ.get('BACKOFFICE_MIGRATION_TEST_POSTGRES'), reason='an empty PostgreSQL database')
def test_the_migration_leaves_postgresql_as_it_is() -> None:
    check_the_migration(os.environ['BACKOFFICE_MIGRATION_TEST_POSTGRES'])


def check_the_migration(url: str) -> None:
    engine = create_engine(url)
    sqlite = engine.dialect.name == 'sqlite'
    run(engine, '0042')
    with engine.begin() as connection:
        for id_, at in STORED.items():
            connection.execute(
                text(
                    'INSERT INTO customers (id, created_at, updated_at, version, email, name, status, '
                    "marketing_consent, signed_up_at) VALUES (:id, :at, :at, 1, :email, :name, 'active', false, :at)"
                ),
                {'id': id_, 'at': at if sqlite else MEANT[id_], 'email': f'c{id_}@example.com', 'name': 'Zoé "x": <b>'},
            )
        connection.execute(text('UPDATE customers SET last_seen_at = signed_up_at WHERE id = 2'))
    run(engine, '0043')

    with Session(engine) as session:  # what the application reads, and the order it sorts in
        read = dict(session.exec(select(Customer.id, Customer.signed_up_at)).all())  # the columns of 0043's table
        newest = session.exec(select(Customer.id).order_by(col(Customer.signed_up_at).desc())).all()
        seen = session.exec(select(Customer.last_seen_at).where(Customer.id == 2)).one()
        later = session.exec(select(Customer.id).where(Customer.created_at >= MEANT[4]).order_by(Customer.id)).all()
    assert read == MEANT and seen == MEANT[2]
    assert newest == [4, 5, 2, 1, 3] and later == [4]
    if sqlite:
        with engine.connect() as connection:
            kinds = set(
                connection.execute(
                    text('SELECT typeof(created_at) FROM customers UNION SELECT typeof(signed_up_at) FROM customers')
                ).scalars()
            )
            indexed = connection.execute(
                text('EXPLAIN QUERY PLAN SELECT id FROM orders ORDER BY placed_at DESC, id DESC LIMIT 5')
            ).all()
        assert kinds == {'integer'}
        assert 'TEMP B-TREE' not in ' '.join(str(row[-1]) for row in indexed)  # the index still gives the order

    run(engine, '0042', down=True)
    if sqlite:
        with engine.connect() as connection:
            back = dict(connection.execute(text('SELECT id, signed_up_at FROM customers')).all())
        # SQLAlchemy's own form, for every value (those of other forms as the instant they meant)
        assert back == {id_: f'{at:%Y-%m-%d %H:%M:%S.%f}' for id_, at in MEANT.items()}
    run(engine, '0043')  # and up again
    with Session(engine) as session:
        assert dict(session.exec(select(Customer.id, Customer.signed_up_at)).all()) == MEANT
    engine.dispose()
