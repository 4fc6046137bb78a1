"""Migration 0075 on SQLite: saved segments whose names differ only by case are told apart (the first keeps its
name), then one name whatever its case is kept by a unique index; every segment is at version 1; the downgrade
removes both."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')

HOSTILE = 'Lapsed "VIP": <script>alert(1)</script>' + 'x' * 41  # 80 characters, the longest a name may be


def test_names_equal_but_for_case_are_told_apart_and_kept_unique(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0074')
    with engine.begin() as connection:
        for segment_id, name in ((1, HOSTILE), (2, HOSTILE.upper()), (3, HOSTILE.lower()), (4, 'Other')):
            connection.execute(
                text(
                    "INSERT INTO segments (id, name, filters, created_by, created_at) VALUES (:id, :name, '{}', 'x', 0)"
                ),
                {'id': segment_id, 'name': name},
            )
    migrate_to(engine, '0075')
    with engine.connect() as connection:
        rows = connection.execute(text('SELECT id, name, version FROM segments ORDER BY id')).all()
    assert rows == [
        (1, HOSTILE, 1),
        (2, HOSTILE.upper()[:76] + ' (2)', 1),
        (3, HOSTILE.lower()[:76] + ' (3)', 1),
        (4, 'Other', 1),
    ]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("INSERT INTO segments (name, filters, created_by, created_at) VALUES ('OTHER', '{}', 'x', 0)")
        )
    migrate_to(engine, '0074', down=True)
    with engine.connect() as connection:
        columns = [row[1] for row in connection.execute(text('PRAGMA table_info(segments)'))]
        indexes = [row[1] for row in connection.execute(text('PRAGMA index_list(segments)'))]
    assert 'version' not in columns and 'ix_segments_name_lower' not in indexes
