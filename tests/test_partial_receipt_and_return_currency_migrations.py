"""Migrations 0048 and 0049: the lines of purchases already received count all of their quantity as arrived (those on
order nothing); each return takes its order's currency; and the downgrades drop both columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')


def test_received_lines_count_as_arrived_and_returns_take_their_orders_currency(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0047')
    with engine.begin() as connection:
        for id_, status in ((1, 'ordered'), (2, 'received')):
            connection.execute(
                text(
                    'INSERT INTO purchases (id, supplier, reference, status, ordered_at, line_count) '
                    "VALUES (:id, 'Acme', '', :status, 0, 1)"
                ),
                {'id': id_, 'status': status},
            )
            connection.execute(
                text('INSERT INTO purchase_lines (id, purchase_id, product_id, quantity) VALUES (:id, :id, 1, 7)'),
                {'id': id_},
            )
        for id_, currency in ((1, 'CHF'), (2, 'EUR')):
            connection.execute(
                text(
                    'INSERT INTO orders (id, created_at, updated_at, version, number, customer_id, email, status, '
                    'source, currency, subtotal, discount_total, tax_total, shipping_total, total, paid_total, '
                    'refunded_total, placed_at, shipping_name, shipping_address, note) VALUES (:id, 0, 0, 1, :number, '
                    "1, 'a@example.com', 'shipped', 'web', :currency, 0, 0, 0, 0, 0, 0, 0, 0, '', '{}', '')"
                ),
                {'id': id_, 'number': str(100000 + id_), 'currency': currency},
            )
            connection.execute(
                text(
                    'INSERT INTO returns (id, number, order_id, status, reason, created_at, updated_at, version) '
                    "VALUES (:id, :number, :id, 'closed', '', 0, 0, 1)"
                ),
                {'id': id_, 'number': f'R-{1000 + id_}'},
            )
    migrate_to(engine, '0049')
    with engine.connect() as connection:
        arrived = dict(connection.execute(text('SELECT purchase_id, received_quantity FROM purchase_lines')).all())
        currencies = dict(connection.execute(text('SELECT id, currency FROM returns')).all())
    assert (arrived, currencies) == ({1: 0, 2: 7}, {1: 'CHF', 2: 'EUR'})

    migrate_to(engine, '0047', down=True)
    columns = inspect(engine)
    assert 'received_quantity' not in {c['name'] for c in columns.get_columns('purchase_lines')}
    assert 'currency' not in {c['name'] for c in columns.get_columns('returns')}
