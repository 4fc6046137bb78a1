"""Migration 0080: each stocked product's reservations are recounted from what its open orders still wait for — a
pre-order that reserved nothing reserves now (the product reads as short: its units were sold again), what parcels
took and what was called off is not reserved, a reservation no open order holds goes; a product not stocked, and one
already right, are untouched. A stock row holding a product's old SKU gets its new one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from backoffice.listing.folding import register_sqlite_fold

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

HOSTILE = 'Mug "1": <script>alert(1)</script>'

# sku, stocked, on hand, reserved (as left by the bug), min
PRODUCTS = {
    1: ('PRE"1":<script>', 1, 5, 5, 0),  # 5 arrived for a pre-order of 5, and were sold again to order 2
    2: ('SPLIT', 1, 10, 0, 2),  # shipping another order's parcels took their units off this one's reservation
    3: ('STALE', 1, 4, 9, 2),  # reserved for no open order: held 9 units that nobody waits for
    4: ('PLAN', 0, 0, 0, 0),  # not stocked: reserves nothing
    5: ('OLD', 1, 1, 0, 0),  # a packed order shipped before parcels had lines: the whole order left
    6: ('RIGHT', 1, 3, 2, 0),  # already right
    7: ('MUG-BLUE', 1, 4, 0, 0),  # relabelled: its stock row still said MUG
}
STALE_SKUS = {7: 'MUG'}
# order id, status, [(line id, product id, quantity, called off)]
ORDERS = [
    (1, 'pending', [(1, 1, 5, 0), (2, 4, 2, 0)]),  # the pre-order: reserved nothing, its product had no stock yet
    (2, 'paid', [(3, 1, 5, 0)]),  # sold the pre-order's units again
    (3, 'packed', [(4, 2, 6, 1)]),  # partly shipped: 2 left in two parcels, 1 called off, 3 still to ship
    (4, 'shipped', [(5, 2, 4, 0)]),
    (5, 'cancelled', [(6, 2, 7, 0)]),
    (6, 'draft', [(7, 2, 9, 0), (8, 3, 9, 0)]),
    (7, 'delivered', [(9, 2, 2, 0)]),
    (8, 'paid', [(10, 3, 1, 0), (11, 6, 2, 0)]),
    (9, 'packed', [(12, 5, 3, 0)]),
]
# shipment id, order id, [(order line id, quantity)] — none: made before parcels had lines
SHIPMENTS = [(1, 3, [(4, 1)]), (2, 3, [(4, 1)]), (3, 4, [(5, 4)]), (4, 9, [])]


def test_reservations_are_recounted_from_what_open_orders_still_wait_for(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')  # no customer row: SQLite's foreign keys are off here
    event.listen(engine, 'connect', lambda connection, _record: register_sqlite_fold(connection))
    migrate_to(engine, '0079')
    with engine.begin() as connection:
        _broken_shop(connection)
    migrate_to(engine, '0080')
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                'SELECT sku, on_hand, reserved, available, low_stock, low_alerted_at IS NULL, version '
                'FROM stock_levels ORDER BY product_id'
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ('PRE"1":<script>', 5, 10, -5, 1, 1, 2),  # short by 5: the oldest orders are served first
        ('SPLIT', 10, 3, 7, 0, 1, 2),
        ('STALE', 4, 1, 3, 0, 1, 2),  # back above its minimum: the next fall is alerted again
        ('PLAN', 0, 0, 0, 0, 1, 1),
        ('OLD', 1, 0, 1, 0, 1, 1),
        ('RIGHT', 3, 2, 1, 0, 1, 1),
        ('MUG-BLUE', 4, 0, 4, 0, 1, 2),
    ]
    migrate_to(engine, '0079', down=True)


def _broken_shop(connection) -> None:  # noqa: ANN001 - a SQLAlchemy connection
    for id_, (sku, stocked, on_hand, reserved, min_qty) in PRODUCTS.items():
        connection.execute(
            text(
                'INSERT INTO products (id, sku, name, description, price, currency, active, stocked, created_at, '
                "updated_at, version) VALUES (:id, :sku, :name, '', 10, 'EUR', 1, :stocked, 0, 0, 1)"
            ),
            {'id': id_, 'sku': sku, 'name': HOSTILE, 'stocked': stocked},
        )
        available = on_hand - reserved
        connection.execute(
            text(
                'INSERT INTO stock_levels (product_id, sku, on_hand, reserved, available, min_qty, max_qty, '
                'low_stock, low_alerted_at, created_at, updated_at, version) VALUES (:id, :sku, :on_hand, '
                ':reserved, :available, :min_qty, 0, :low, :alerted, 0, 0, 1)'
            ),
            {
                'id': id_,
                'sku': STALE_SKUS.get(id_, sku),
                'on_hand': on_hand,
                'reserved': reserved,
                'available': available,
                'min_qty': min_qty,
                'low': available < 0 or (min_qty > 0 and available <= min_qty),
                'alerted': 1 if sku == 'STALE' else None,
            },
        )
    for order_id, status, lines in ORDERS:
        connection.execute(
            text(
                'INSERT INTO orders (id, created_at, updated_at, version, number, customer_id, email, status, '
                'source, currency, subtotal, discount_total, tax_total, shipping_total, total, paid_total, '
                'refunded_total, placed_at, shipping_name, shipping_address, note) VALUES (:id, 0, 0, 1, :id, 1, '
                "'ann@example.com', :status, 'api', 'EUR', 0, 0, 0, 0, 0, 0, 0, 0, :name, :name, :name)"
            ),
            {'id': order_id, 'status': status, 'name': HOSTILE},
        )
        for line_id, product_id, quantity, called_off in lines:
            connection.execute(
                text(
                    'INSERT INTO order_lines (id, order_id, product_id, sku, name, quantity, cancelled_quantity, '
                    'unit_price, tax_rate, discount, line_total, tax_amount) VALUES (:id, :order_id, :product_id, '
                    ':sku, :name, :quantity, :called_off, 10, 0.2, 0, 0, 0)'
                ),
                {
                    'id': line_id,
                    'order_id': order_id,
                    'product_id': product_id,
                    'sku': PRODUCTS[product_id][0],
                    'name': HOSTILE,
                    'quantity': quantity,
                    'called_off': called_off,
                },
            )
    for shipment_id, order_id, parcel in SHIPMENTS:
        connection.execute(
            text("INSERT INTO shipments (id, order_id, tracking_number, shipped_at) VALUES (:id, :order_id, '1Z', 0)"),
            {'id': shipment_id, 'order_id': order_id},
        )
        for line_id, quantity in parcel:
            connection.execute(
                text(
                    'INSERT INTO shipment_lines (shipment_id, order_line_id, quantity) VALUES (:id, :line, :quantity)'
                ),
                {'id': shipment_id, 'line': line_id, 'quantity': quantity},
            )
