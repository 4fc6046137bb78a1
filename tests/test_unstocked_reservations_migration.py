"""Migration 0058: reservations left on the hidden stock row of a product no longer stocked are released; a stocked
product's are untouched; the downgrade leaves the data as it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')


def test_reservations_on_a_product_no_longer_stocked_are_released(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0057')
    with engine.begin() as connection:
        for id_, sku, stocked in ((1, 'PLAN', 0), (2, 'MUG', 1)):
            connection.execute(
                text(
                    'INSERT INTO products (id, sku, name, description, price, currency, active, stocked, created_at, '
                    "updated_at, version) VALUES (:id, :sku, 'x', '', 10, 'EUR', 1, :stocked, 0, 0, 1)"
                ),
                {'id': id_, 'sku': sku, 'stocked': stocked},
            )
            connection.execute(  # 2 on the shelf, 3 reserved, minimum 5: low
                text(
                    'INSERT INTO stock_levels (product_id, sku, on_hand, reserved, available, min_qty, max_qty, '
                    'low_stock, created_at, updated_at, version) VALUES (:id, :sku, 2, 3, -1, 5, 10, 1, 0, 0, 1)'
                ),
                {'id': id_, 'sku': sku},
            )
    migrate_to(engine, '0058')
    with engine.connect() as connection:
        rows = connection.execute(
            text('SELECT sku, on_hand, reserved, available, low_stock FROM stock_levels ORDER BY product_id')
        ).all()
    assert [tuple(row) for row in rows] == [('PLAN', 2, 0, 2, 1), ('MUG', 2, 3, -1, 1)]
    migrate_to(engine, '0057', down=True)
