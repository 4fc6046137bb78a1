"""Migration 0071 on SQLite: the companies already stored are found by name and VAT number without their accents, the
triggers keep the index in step, and the downgrade takes the index away."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from backoffice.listing.folding import register_sqlite_fold

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')


def found(engine, term: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text('SELECT rowid FROM companies_fts WHERE companies_fts MATCH :term ORDER BY rowid'),
                {'term': '"' + term.replace('"', '""') + '"'},
            ).scalars()
        )


def test_stored_companies_are_indexed_kept_in_step_and_the_downgrade_removes_the_index(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    event.listen(engine, 'connect', lambda connection, _record: register_sqlite_fold(connection))
    migrate_to(engine, '0070')
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO companies (id, created_at, updated_at, version, name, vat_number, notes) '
                "VALUES (4, 0, 0, 1, :name, 'FR99887766', '')"
            ),
            {'name': 'Société "Acmé": <script>alert(1)</script>'},
        )
    migrate_to(engine, '0071')
    assert found(engine, 'societe "acme": <script>') == [4]
    assert found(engine, 'fr9988') == [4]
    with engine.begin() as connection:
        connection.execute(text("UPDATE companies SET name = 'Globex Ñúñez', vat_number = NULL WHERE id = 4"))
    assert found(engine, 'acme') == [] and found(engine, 'fr9988') == [] and found(engine, 'globex nunez') == [4]
    migrate_to(engine, '0070', down=True)
    with engine.connect() as connection:
        left = connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'companies_fts%'")).all()
    assert left == []
