"""Migration 0052: the members of before count as accepted and share all, as they did; the chat hooks' addresses
already in the audit log (a settings change, a segment push) are kept as a hint only; the downgrade drops the columns
(and the invitations nobody accepted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from backoffice import db

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')
SLACK = 'https://hooks.slack.com/services/T0SECRET1/B0SECRET2/xoxSecretPartxyz'
PUSH = 'https://mail-tool.example.com/import/Segm3ntSecretPath?list=7'


def test_members_of_before_stay_members_and_hook_addresses_in_the_audit_log_become_hints(tmp_path: Path) -> None:
    previous = ScriptDirectory.from_config(db.alembic_config()).get_revision('0052').down_revision
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, str(previous))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO companies (id, created_at, updated_at, version, name, notes) VALUES (1, '2026-01-01', "
                "'2026-01-01', 1, 'Acme', '')"
            )
        )
        connection.execute(
            text(
                'INSERT INTO customers (id, created_at, updated_at, version, email, name, status, company_id, '
                "marketing_consent, signed_up_at) VALUES (1, '2026-01-01', '2026-01-01', 1, 'ada@acme.com', 'Ada', "
                "'active', 1, 0, '2026-01-01')"
            )
        )
        connection.execute(
            text(
                'INSERT INTO company_members (id, created_at, updated_at, version, company_id, customer_id, role) '
                "VALUES (1, '2026-02-03 04:05:06', '2026-02-03 04:05:06', 1, 1, 1, 'admin')"
            )
        )
        for action, summary, params, changes in (
            ('settings.changed', 'Changed slack webhook', None, {'slack_webhook_url': ['', SLACK]}),
            (
                'segments.pushed',
                f'Segment X: 3 consenting customers sent to {PUSH}',
                {'target': PUSH},
                {'to': [None, PUSH]},
            ),
            ('customer.updated', 'Renamed', None, {'name': ['A', 'B']}),
        ):
            connection.execute(
                text(
                    'INSERT INTO audit_log (at, actor_email, action, entity, summary, summary_params, changes) VALUES '
                    "('2026-01-01', 'a@example.com', :action, 'settings', :summary, :params, :changes)"
                ),
                {
                    'action': action,
                    'summary': summary,
                    'params': json.dumps(params) if params else None,
                    'changes': json.dumps(changes),
                },
            )
    migrate_to(engine, '0052')
    with engine.connect() as connection:
        member = connection.execute(text('SELECT accepted_at, shared_from, ended_at FROM company_members')).one()
        entries = connection.execute(text('SELECT summary, summary_params, changes FROM audit_log ORDER BY id')).all()
    assert str(member[0]).startswith('2026-02-03 04:05:06') and member[1:] == (None, None)
    stored = ' '.join(f'{summary} {params} {changes}' for summary, params, changes in entries)
    assert 'SECRET' not in stored and 'Secret' not in stored, stored
    assert json.loads(entries[0][2]) == {'slack_webhook_url': ['', 'https://hooks.slack.com/services/T…/…xyz']}
    assert entries[1][0] == 'Segment X: 3 consenting customers sent to https://mail-tool.example.com/i…/…ath?…'
    assert json.loads(entries[1][1]) == {'target': 'https://mail-tool.example.com/i…/…ath?…'}
    assert json.loads(entries[2][2]) == {'name': ['A', 'B']}
    migrate_to(engine, str(previous), down=True)
    columns = {column['name'] for column in inspect(engine).get_columns('company_members')}
    engine.dispose()
    assert 'accepted_at' not in columns and 'ended_at' not in columns
