"""Migration 0053 on SQLite: the requests' subjects already stored are found by the new search index, which follows
later changes and is removed by the downgrade (the FTS5 table and its triggers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

SUBJECT = 'Parcel "lost": <script>alert(1)</script>'


def found(engine, term: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text('SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH :term ORDER BY rowid'),
                {'term': '"' + term.replace('"', '""') + '"'},
            ).scalars()
        )


def test_stored_subjects_are_indexed_and_the_downgrade_removes_the_index(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0052')
    columns = (
        'id, created_at, updated_at, version, number, subject, customer_id, type, priority, status, source, tags, token'
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                f'INSERT INTO tickets ({columns}) VALUES (7, 0, 0, 1, 1007, :subject, 1, '
                "'question', 'normal', 'new', 'api', '[]', 'tok')"
            ),
            {'subject': SUBJECT},
        )
    migrate_to(engine, '0053')
    assert found(engine, '"lost": <script>') == [7]
    with engine.begin() as connection:
        connection.execute(text("UPDATE tickets SET subject = 'Wrong size' WHERE id = 7"))
    assert found(engine, 'lost') == [] and found(engine, 'wrong size') == [7]
    migrate_to(engine, '0052', down=True)
    with engine.connect() as connection:
        left = connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'tickets_fts%'")).all()
    assert left == []
