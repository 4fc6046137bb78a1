"""Migration 0064 on SQLite: the customers and requests already stored are found without their accents (and a
request by its tags), the triggers keep the folded index in step (a raw connection registers bo_fold, as the app's
engine does on every connection), and the downgrade brings back the indexes as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from backoffice.listing.folding import register_sqlite_fold

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

SUBJECT = 'Colis "abîmé": <script>alert(1)</script>'


def found(engine, table: str, term: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(f'SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH :term ORDER BY rowid'),
                {'term': '"' + term.replace('"', '""') + '"'},
            ).scalars()
        )


def test_stored_names_subjects_and_tags_are_found_without_accents_and_the_downgrade_restores(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    event.listen(engine, 'connect', lambda connection, _record: register_sqlite_fold(connection))
    migrate_to(engine, '0060')
    columns = (
        'id, created_at, updated_at, version, number, subject, customer_id, type, priority, status, source, tags, token'
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO customers (id, created_at, updated_at, version, email, name, status, marketing_consent, '
                "signed_up_at) VALUES (3, 0, 0, 1, 'ines@example.com', 'Inés LÓPEZ', 'active', 0, 0)"
            )
        )
        connection.execute(
            text(
                f'INSERT INTO tickets ({columns}) VALUES (7, 0, 0, 1, 1007, :subject, 3, '
                """'question', 'normal', 'new', 'api', '["remboursé"]', 'tok')"""
            ),
            {'subject': SUBJECT},
        )
    assert found(engine, 'customers', 'lopez') == []  # before: accents counted
    migrate_to(engine, '0064')
    assert found(engine, 'customers', 'ines lopez') == [3]
    assert found(engine, 'tickets', 'colis "abime"') == [7]
    assert found(engine, 'tickets', 'rembourse') == [7]
    with engine.begin() as connection:
        connection.execute(text("UPDATE customers SET name = 'François Ñúñez' WHERE id = 3"))
        connection.execute(text("UPDATE tickets SET subject = 'Reçu', tags = '[]' WHERE id = 7"))
    assert found(engine, 'customers', 'lopez') == [] and found(engine, 'customers', 'francois nunez') == [3]
    assert found(engine, 'tickets', 'abime') == [] and found(engine, 'tickets', 'recu') == [7]
    assert found(engine, 'tickets', 'rembourse') == []
    migrate_to(engine, '0060', down=True)
    assert found(engine, 'customers', 'ñúñez') == [3] and found(engine, 'customers', 'nunez') == []
    with engine.connect() as connection:
        views = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'view'")).all()
    assert views == []
