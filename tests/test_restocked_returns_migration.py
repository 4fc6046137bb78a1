"""Migration 0056: the returns received before it say how much of them went back on the shelf (from their return
movements), those not received say nothing; existing products stay stocked; the downgrade drops the columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from backoffice import i18n, stored_text

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')


def test_returns_received_before_say_what_was_restocked(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0055')
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO products (id, sku, name, description, price, currency, active, created_at, updated_at, '
                "version) VALUES (1, 'MUG', 'Mug', '', 10, 'EUR', 1, 0, 0, 1)"
            )
        )
        for id_, status, received in ((1, 'received', 5), (2, 'closed', 5), (3, 'requested', None)):
            connection.execute(
                text(
                    'INSERT INTO returns (id, number, order_id, status, reason, received_at, created_at, updated_at, '
                    "version) VALUES (:id, :number, 1, :status, '', :received, 0, 0, 1)"
                ),
                {'id': id_, 'number': f'R-{1000 + id_}', 'status': status, 'received': received},
            )
            connection.execute(
                text(
                    'INSERT INTO return_lines (return_id, order_line_id, product_id, quantity, reason) '
                    "VALUES (:id, 1, 1, 3, '')"
                ),
                {'id': id_},
            )
        connection.execute(  # return 1: two of its three back on the shelf; return 2: none
            text(
                'INSERT INTO stock_movements (product_id, kind, quantity, balance, reason, return_id, created_at) '
                "VALUES (1, 'return', 2, 2, 'Return R-1001', 1, 0)"
            )
        )
    migrate_to(engine, '0056')
    with engine.connect() as connection:
        rows = connection.execute(
            text('SELECT id, restocked_quantity, restocked, restocked_key, restocked_params FROM returns ORDER BY id')
        ).all()
        assert connection.execute(text('SELECT stocked FROM products')).scalar_one() in (1, True)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (1, 2, '2 of 3'),
        (2, 0, '0 of 3'),
        (3, None, ''),
    ]
    with i18n.use('fr'):
        params = rows[0][4] if isinstance(rows[0][4], dict) else json.loads(rows[0][4])
        assert stored_text.show(rows[0][2], rows[0][3], params) == '2 sur 3'
    migrate_to(engine, '0055', down=True)
    assert 'restocked' not in {c['name'] for c in inspect(engine).get_columns('returns')}
    assert 'stocked' not in {c['name'] for c in inspect(engine).get_columns('products')}
