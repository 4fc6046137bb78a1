"""Migration 0035: the supplier names typed on existing purchases become supplier rows (one per name, whatever its case
and spaces) that the purchases refer to; a purchase without a name keeps none; the downgrade goes back cleanly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from .support.migrations import migrate_to


def test_typed_supplier_names_become_suppliers_the_purchases_refer_to(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0034')
    with engine.begin() as connection:
        for i, name in enumerate(['Acme', '  acme ', 'Faïencerie  "Zoé"', '', 'ACME'], 1):
            connection.execute(
                text(
                    'INSERT INTO purchases (id, supplier, reference, status, ordered_at, line_count) '
                    "VALUES (:id, :name, :ref, 'received', '2026-11-01 10:00:00', 0)"
                ),
                {'id': i, 'name': name, 'ref': f'PO-{i}'},
            )
    migrate_to(engine, '0035')
    with engine.connect() as connection:
        suppliers = dict(connection.execute(text('SELECT id, name FROM suppliers ORDER BY id')).all())
        linked = dict(connection.execute(text('SELECT id, supplier_id FROM purchases ORDER BY id')).all())
    assert sorted(suppliers.values()) == ['Acme', 'Faïencerie "Zoé"']
    acme = next(k for k, v in suppliers.items() if v == 'Acme')
    assert linked == {1: acme, 2: acme, 3: next(k for k in suppliers if k != acme), 4: None, 5: acme}
    migrate_to(engine, '0034', down=True)
    tables = inspect(engine).get_table_names()
    assert 'suppliers' not in tables and 'supplier_bills' not in tables
    assert 'supplier_id' not in {c['name'] for c in inspect(engine).get_columns('purchases')}
