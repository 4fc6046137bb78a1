"""Migration 0042: the buyer copied into each existing invoice moves to invoice_buyers, one row per distinct buyer,
which each invoice refers to; lines packed with a known set of keys name it by number; SQLite's orders search index is
made again without its token counts and still finds what it found; the downgrade puts every copy and every line back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, select

from backoffice.models import Invoice, Shipment

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

ZOE = {'name': 'Zoé Faure', 'email': 'zoe@example.com', 'address': '3 rue des Lilas\n69001 Lyon', 'company': ''}
FIRM = {**ZOE, 'company': 'Nordwind SAS', 'vat_number': 'FR40303265045'}
KEYS = ['sku', 'name', 'quantity', 'unit_price', 'discount', 'tax_rate', 'tax_amount', 'line_total']
LINES = [
    dict(zip(KEYS, ['MUG-1', 'Mug « bleu »', 2, '9.00', '0.00', '0.2000', '3.60', '18.00'], strict=True)),
    dict(zip(KEYS, ['TEA-2', 'Tea', 1, '4.50', '0.00', '0.2000', '0.90', '4.50'], strict=True)),
]
LINKS = {  # shipment id → (carrier, tracking number, link as stored before 0042)
    1: (1, 'JD0146', 'https://t.example/JD0146?x=1'),  # the template's: made again, not stored
    2: (1, 'JD/0147', 'https://t.example/JD%2F0147?x=1'),  # escaped: stored
    3: (1, 'JD0148', 'https://elsewhere.example/JD0148'),  # a template since changed: stored
    4: (2, 'X1', ''),  # no template, no link
    5: (None, '', ''),
}
OTHER = [{'sku': 'X', 'name': 'a line of another shape', 'quantity': 1}]  # packed with its keys, kept so


def loaded(value):
    return json.loads(value) if isinstance(value, str) else value  # PostgreSQL's driver parses json itself


def packed(lines):
    return {'keys': list(lines[0]), 'rows': [list(line.values()) for line in lines]} if lines else []


def test_the_buyer_copies_move_to_one_row_per_buyer_and_come_back_on_downgrade(tmp_path: Path) -> None:
    check_the_migration(f'sqlite:///{tmp_path / "m.db"}')


@pytest.mark.skipif(not os.environ.get('BACKOFFICE_MIGRATION_TEST_POSTGRES'), reason='an empty PostgreSQL database')
def test_the_same_on_postgresql() -> None:
    check_the_migration(os.environ['BACKOFFICE_MIGRATION_TEST_POSTGRES'])


def check_the_migration(url: str) -> None:
    engine = create_engine(url)
    postgresql = engine.dialect.name == 'postgresql'
    json_ = 'CAST({} AS JSON)' if postgresql else '{}'
    migrate_to(engine, '0041')
    copies = {  # invoice id → (buyer as copied, with the spacing of each writer, lines as stored by 0041)
        1: (json.dumps(ZOE), LINES),
        2: (json.dumps(FIRM), LINES[:1]),
        3: (json.dumps(ZOE, separators=(',', ':'), ensure_ascii=False), OTHER),  # the same buyer without spaces
        4: ('{}', []),  # an invoice from before 0019 copied no buyer
        5: (json.dumps(FIRM), LINES),
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO customers (id, created_at, updated_at, version, email, name, status, marketing_consent, '
                "signed_up_at) VALUES (1, '2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, 'zoe@example.com', 'Zoé', "
                "'active', false, '2026-11-01 10:00:00')"
            )
        )
        for number, email in ((100001, 'zoe@example.com'), (100002, 'nordwind@example.org')):
            connection.execute(
                text(
                    'INSERT INTO orders (id, created_at, updated_at, version, number, customer_id, email, status, '
                    'source, currency, subtotal, discount_total, tax_total, shipping_total, total, paid_total, '
                    'refunded_total, placed_at, shipping_name, shipping_address, note) VALUES (:id, '
                    "'2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, :number, 1, :email, 'paid', 'api', 'EUR', 22.5, "
                    "0, 4.5, 0, 27, 27, 0, '2026-11-01 10:00:00', '', '', '')"
                ),
                {'id': number - 100000, 'number': str(number), 'email': email},
            )
        for id_, code, template in ((1, 'dhl', 'https://t.example/{tracking}?x=1'), (2, 'old', '')):
            connection.execute(
                text(
                    'INSERT INTO carriers (id, created_at, updated_at, version, code, name, tracking_url_template, '
                    "active) VALUES (:id, '2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, :code, :code, :template, "
                    'true)'
                ),
                {'id': id_, 'code': code, 'template': template},
            )
        for id_, (carrier, number, link) in LINKS.items():
            connection.execute(
                text(
                    'INSERT INTO shipments (id, order_id, carrier_id, tracking_number, tracking_url, shipped_at) '
                    "VALUES (:id, 1, :carrier, :number, :link, '2026-11-02 10:00:00')"
                ),
                {'id': id_, 'carrier': carrier, 'number': number, 'link': link},
            )
        for id_, (bill_to, lines) in copies.items():
            connection.execute(
                text(
                    'INSERT INTO invoices (id, number, kind, year, sequence, order_id, issued_at, currency, subtotal, '
                    'discount_total, tax_total, shipping_total, total, bill_to, lines, note, order_number, '
                    "vat_breakdown) VALUES (:id, :number, 'invoice', 2026, :id, 1, '2026-11-01 10:00:00', 'EUR', "
                    f"22.5, 0, 4.5, 0, 27, {json_.format(':bill_to')}, {json_.format(':lines')}, '', '100001', "
                    f'{json_.format(":vat")})'
                ),
                {
                    'id': id_,
                    'number': f'INV-2026-{id_:06d}',
                    'bill_to': bill_to,
                    'lines': json.dumps(packed(lines)),
                    'vat': json.dumps([{'rate': '0.2000', 'base': '22.50', 'tax': '4.50'}]),
                },
            )
    migrate_to(engine, '0042')

    with engine.connect() as connection:
        buyers = {id_: loaded(d) for id_, d in connection.execute(text('SELECT id, details FROM invoice_buyers'))}
        refers = dict(connection.execute(text('SELECT id, buyer_id FROM invoices')).all())
        stored = {id_: loaded(lines) for id_, lines in connection.execute(text('SELECT id, lines FROM invoices')).all()}
    assert sorted(buyers.values(), key=len) == [{}, ZOE, FIRM]
    assert {id_: buyers[buyer] for id_, buyer in refers.items()} == {1: ZOE, 2: FIRM, 3: ZOE, 4: {}, 5: FIRM}
    assert stored[1] == {'shape': 1, 'rows': [list(line.values()) for line in LINES]}  # no key spelt out
    assert stored[3] == packed(OTHER) and stored[4] == []
    assert 'bill_to' not in {c['name'] for c in inspect(engine).get_columns('invoices')}
    with engine.connect() as connection:
        stored_links = dict(connection.execute(text('SELECT id, tracking_url FROM shipments')).all())
    assert stored_links == {1: None, 2: LINKS[2][2], 3: LINKS[3][2], 4: '', 5: ''}
    migrate_to(engine, '0043')  # the model reads instants as 0043 stores them on SQLite
    with Session(engine) as session:  # what the application reads: every invoice as it was issued, every link
        read = {i.id: (i.bill_to, i.lines) for i in session.exec(select(Invoice))}
        links = {s.id: s.tracking_url for s in session.exec(select(Shipment))}
    assert read == {id_: (json.loads(bill_to), lines) for id_, (bill_to, lines) in copies.items()}
    assert links == {id_: link for id_, (_carrier, _number, link) in LINKS.items()}
    if not postgresql:  # the search index finds what it found, and follows new and changed orders
        assert found(engine, 'zoe@ex') == [1] and found(engine, '00002') == [2]
        with engine.begin() as connection:
            connection.execute(text("UPDATE orders SET email = 'zoe.faure@example.com' WHERE id = 2"))
        assert found(engine, 'zoe') == [1, 2] and found(engine, 'nordwind') == []
        with engine.connect() as connection:
            options = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'orders_fts'")).scalar_one()
        assert 'columnsize=0' in options

    migrate_to(engine, '0041', down=True)  # through 0043's downgrade too
    with engine.connect() as connection:
        back = {
            id_: (loaded(bill_to), loaded(lines))
            for id_, bill_to, lines in connection.execute(text('SELECT id, bill_to, lines FROM invoices'))
        }
    assert back == {id_: (json.loads(bill_to), packed(lines)) for id_, (bill_to, lines) in copies.items()}
    assert 'invoice_buyers' not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        stored_links = dict(connection.execute(text('SELECT id, tracking_url FROM shipments')).all())
    assert stored_links == {id_: link for id_, (_carrier, _number, link) in LINKS.items()}
    assert 'buyer_id' not in {c['name'] for c in inspect(engine).get_columns('invoices')}
    if not postgresql:
        assert found(engine, 'zoe') == [1, 2]
        with engine.connect() as connection:
            options = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'orders_fts'")).scalar_one()
        assert 'columnsize' not in options
    migrate_to(engine, '0042')  # and up again
    engine.dispose()


def found(engine, term: str) -> list[int]:
    with engine.connect() as connection:
        return sorted(
            connection.execute(
                text('SELECT rowid FROM orders_fts WHERE orders_fts MATCH :term'), {'term': f'"{term}"'}
            ).scalars()
        )
