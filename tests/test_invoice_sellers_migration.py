"""Migration 0041: the seller's identity copied into each existing invoice moves to invoice_sellers, one row per
distinct identity, which each invoice refers to; the lines are packed with their keys once and read back as they were;
the orders' unused indexes go; the downgrade puts every copy and every line back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, select

from backoffice.models import Invoice

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

OLD = {'name': 'My Shop', 'address': '', 'country': 'FR', 'vat_number': '', 'iban': '', 'footer': ''}
NEW = {**OLD, 'name': 'Nordwind Outfitters SAS', 'vat_number': 'FR40303265045', 'footer': 'Merci, Zoé !'}
LINES = [
    {'sku': 'MUG-1', 'name': 'Mug « bleu »', 'quantity': 2, 'unit_price': '9.00', 'line_total': '18.00'},
    {'sku': 'TEA-2', 'name': 'Tea', 'quantity': 1, 'unit_price': '4.50', 'line_total': '4.50'},
]
ODD = [{'sku': '', 'name': 'Refund on order 100001'}, {'name': 'a line of another shape', 'quantity': 1}]


def loaded(value):
    return json.loads(value) if isinstance(value, str) else value  # PostgreSQL's driver parses json itself


def test_the_seller_copies_move_to_one_row_per_identity_and_come_back_on_downgrade(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0040')
    copies = {  # invoice id → (seller as copied, with the spacing of each writer, lines)
        1: (json.dumps(OLD), LINES),
        2: (json.dumps(NEW), LINES[:1]),
        3: (json.dumps(OLD, separators=(',', ':')), ODD),  # the same identity written without spaces
        4: ('{}', []),  # an invoice from before 0019 copied any seller
        5: (json.dumps(NEW), LINES),
    }
    with engine.begin() as connection:
        for id_, (seller, lines) in copies.items():
            connection.execute(
                text(
                    'INSERT INTO invoices (id, number, kind, year, sequence, order_id, issued_at, currency, subtotal, '
                    'discount_total, tax_total, shipping_total, total, bill_to, lines, note, order_number, seller, '
                    "vat_breakdown) VALUES (:id, :number, 'invoice', 2026, :id, :id, '2026-11-01 10:00:00', 'EUR', "
                    "22.5, 0, 4.5, 0, 27, :bill_to, :lines, '', '100001', :seller, :vat)"
                ),
                {
                    'id': id_,
                    'number': f'INV-2026-{id_:06d}',
                    'bill_to': json.dumps({'name': 'Zoé Faure', 'email': 'zoe@example.com'}),
                    'lines': json.dumps(lines),
                    'seller': seller,
                    'vat': json.dumps([{'rate': '0.2000', 'base': '22.50', 'tax': '4.50'}]),
                },
            )
    migrate_to(engine, '0041')

    with engine.connect() as connection:
        sellers = {id_: loaded(d) for id_, d in connection.execute(text('SELECT id, details FROM invoice_sellers'))}
        refers = dict(connection.execute(text('SELECT id, seller_id FROM invoices')).all())
        stored = loaded(connection.execute(text('SELECT lines FROM invoices WHERE id = 1')).scalar_one())
    assert sorted(sellers.values(), key=len) == [{}, OLD, NEW]
    assert {id_: sellers[seller] for id_, seller in refers.items()} == {1: OLD, 2: NEW, 3: OLD, 4: {}, 5: NEW}
    assert stored == {'keys': list(LINES[0]), 'rows': [list(line.values()) for line in LINES]}  # each key once
    assert 'seller' not in {c['name'] for c in inspect(engine).get_columns('invoices')}
    indexes = {i['name']: i['column_names'] for i in inspect(engine).get_indexes('orders')}
    assert indexes['ix_orders_customer_placed_id'] == ['customer_id', 'placed_at', 'id', 'status']
    assert not {'ix_orders_number_id', 'ix_orders_email_id', 'ix_orders_shipped_at', 'ix_orders_customer_id'} & set(
        indexes
    )
    migrate_to(engine, '0043')  # the model follows the latest migration (0042 moved the buyer and the lines' keys on)
    with Session(engine) as session:  # what the application reads: every invoice as it was issued
        read = {i.id: (i.seller, i.lines) for i in session.exec(select(Invoice))}
    assert read == {id_: (json.loads(seller), lines) for id_, (seller, lines) in copies.items()}

    migrate_to(engine, '0040', down=True)  # through 0043's and 0042's downgrades too
    with engine.connect() as connection:
        back = {
            id_: (loaded(seller), loaded(lines))
            for id_, seller, lines in connection.execute(text('SELECT id, seller, lines FROM invoices'))
        }
    assert back == {id_: (json.loads(seller), lines) for id_, (seller, lines) in copies.items()}
    assert 'invoice_sellers' not in inspect(engine).get_table_names()
    indexes = {i['name']: i['column_names'] for i in inspect(engine).get_indexes('orders')}
    assert indexes['ix_orders_customer_placed_id'] == ['customer_id', 'placed_at', 'id']
    assert indexes['ix_orders_customer_placed_status'] == ['customer_id', 'placed_at', 'status']
    migrate_to(engine, '0041')  # and up again
