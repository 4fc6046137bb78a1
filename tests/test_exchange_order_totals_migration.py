"""Migration 0077: an exchange order's subtotal and discounts are its lines' (they were 0); other orders, and an
exchange order whose totals were already set, are untouched."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')


def test_an_exchange_orders_subtotal_and_discounts_are_its_lines(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')  # no customer row: SQLite's foreign keys are off here
    migrate_to(engine, '0076')
    with engine.begin() as connection:
        for id_, source, subtotal in ((1, 'exchange', 0), (2, 'api', 0), (3, 'exchange', 7)):
            connection.execute(
                text(
                    'INSERT INTO orders (id, created_at, updated_at, version, number, customer_id, email, status, '
                    'source, currency, subtotal, discount_total, tax_total, shipping_total, total, paid_total, '
                    'refunded_total, placed_at, shipping_name, shipping_address, note) VALUES (:id, 0, 0, 1, :id, 1, '
                    "'ann@example.com', 'paid', :source, 'EUR', :subtotal, 0, 0, 0, 0, 0, 0, 0, :name, '', '')"
                ),
                {'id': id_, 'source': source, 'subtotal': subtotal, 'name': 'Ann "O\'Brien": <b>x</b>'},
            )
            for quantity, price in ((2, '10.00'), (1, '4.50')):
                connection.execute(
                    text(
                        'INSERT INTO order_lines (order_id, sku, name, quantity, unit_price, tax_rate, discount, '
                        "line_total, tax_amount) VALUES (:id, 'MUG', 'Mug', :quantity, :price, 0.2, :discount, 0, 0)"
                    ),
                    {'id': id_, 'quantity': quantity, 'price': price, 'discount': str(Decimal(price) * quantity)},
                )
    migrate_to(engine, '0077')
    with engine.connect() as connection:
        rows = connection.execute(text('SELECT id, subtotal, discount_total, total FROM orders ORDER BY id')).all()
    assert [(id_, Decimal(str(a)), Decimal(str(b)), Decimal(str(c))) for id_, a, b, c in rows] == [
        (1, Decimal('24.5'), Decimal('24.5'), Decimal('0')),
        (2, Decimal('0'), Decimal('0'), Decimal('0')),  # not an exchange
        (3, Decimal('7'), Decimal('0'), Decimal('0')),  # already set: left as it is
    ]
    migrate_to(engine, '0076', down=True)
