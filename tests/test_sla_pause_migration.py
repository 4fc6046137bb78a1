"""Migration 0060: a request already waiting on the customer counts as paused since its last change, so the time it
waits from then on is given back when it comes back; the others are not paused; the downgrade drops the columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')
CHANGED = 1_764_000_000_000_000  # microseconds since the epoch, as SQLite stores an instant since 0043


def test_requests_waiting_before_the_upgrade_count_as_paused_since_their_last_change(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0059')
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO customers (id, created_at, updated_at, version, email, name, status, '
                "marketing_consent, signed_up_at) VALUES (1, 0, 0, 1, 'a@example.com', 'A', 'active', 0, 0)"
            )
        )
        for number, status in ((1001, 'waiting'), (1002, 'open')):
            connection.execute(
                text(
                    'INSERT INTO tickets (created_at, updated_at, version, number, subject, customer_id, type, '
                    'priority, status, source, tags, token) VALUES (0, :changed, 1, :number, \'S: "x"\', 1, '
                    "'question', 'normal', :status, 'api', '[]', 't')"
                ),
                {'changed': CHANGED, 'number': number, 'status': status},
            )
    migrate_to(engine, '0060')
    with engine.connect() as connection:
        rows = connection.execute(text('SELECT number, paused_at, paused_seconds FROM tickets ORDER BY number')).all()
    assert [tuple(row) for row in rows] == [(1001, CHANGED, 0), (1002, None, 0)]
    migrate_to(engine, '0059', down=True)
    assert 'paused_at' not in {column['name'] for column in inspect(engine).get_columns('tickets')}
