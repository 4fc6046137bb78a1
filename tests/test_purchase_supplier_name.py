"""A purchase keeps its supplier's whole name (migration 0081): a supplier's name holds 200 characters, and so does
the name a purchase copies from it when ordered — it was cut at 120 (or refused, on PostgreSQL, when typed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.listing.folding import register_sqlite_fold
from backoffice.models import Purchase
from backoffice.services import purchases

from .support.databases import fresh_database
from .support.factories import make_product, make_user
from .support.migrations import migrate_to
from .support.payables import make_supplier

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

HOSTILE = 'Brûlerie "du Port": <script>alert(1)</script> '
LONG_NAME = (HOSTILE * 5)[:199] + 'Z'  # 200 characters, its end the part that was cut


def test_a_purchase_from_a_supplier_with_a_long_name_keeps_it_whole() -> None:
    assert len(LONG_NAME) == 200
    manager = make_user('manager')
    mug = make_product('MUG', actor=manager)
    supplier = make_supplier(LONG_NAME)
    with session_scope() as session:
        ordered = purchases.create_purchase(
            session=session,
            actor=manager,
            supplier_id=supplier.id,
            received=False,
            lines=[{'product_id': mug.id, 'quantity': 2}],
        )
    with session_scope() as session:  # typed, not chosen: linked to the supplier of that name, kept as typed
        typed = purchases.create_purchase(
            session=session, actor=manager, supplier=LONG_NAME, lines=[{'product_id': mug.id, 'quantity': 1}]
        )
    with read_session() as session:
        kept = [session.get(Purchase, ordered.id), session.get(Purchase, typed.id)]
    assert [(p.supplier, p.supplier_id) for p in kept if p] == [(LONG_NAME, supplier.id), (LONG_NAME, supplier.id)]


def test_a_typed_supplier_name_longer_than_a_suppliers_is_refused_at_its_field() -> None:
    manager = make_user('manager')
    mug = make_product('MUG', actor=manager)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        purchases.create_purchase(
            session=session, actor=manager, supplier=LONG_NAME + 'x', lines=[{'product_id': mug.id, 'quantity': 1}]
        )
    assert set(refused.value.errors) == {'supplier'}


def test_migration_0081_widens_the_purchases_supplier_and_cuts_it_back_going_down(tmp_path: Path) -> None:
    url, drop = fresh_database(tmp_path, 'm0081')
    engine = create_engine(url)
    if url.startswith('sqlite'):
        event.listen(engine, 'connect', lambda connection, _record: register_sqlite_fold(connection))
    try:
        migrate_to(engine, '0080')
        migrate_to(engine, '0081')
        with engine.begin() as connection:
            connection.execute(
                text(
                    'INSERT INTO purchases (id, supplier, reference, status, ordered_at, line_count, close_reason) '
                    "VALUES (1, :name, '', 'ordered', '2026-12-07', 0, '')"
                ),
                {'name': LONG_NAME},
            )
            assert connection.execute(text('SELECT supplier FROM purchases')).scalar_one() == LONG_NAME
        migrate_to(engine, '0080', down=True)
        with engine.connect() as connection:
            assert connection.execute(text('SELECT supplier FROM purchases')).scalar_one() == LONG_NAME[:120]
        migrate_to(engine, '0081')
    finally:
        engine.dispose()
        drop()
