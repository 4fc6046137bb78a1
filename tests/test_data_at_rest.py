"""What lies on disk is for the app's own user only: the data folder 0700, the SQLite file, its -wal/-shm and every
backup 0600 whatever the umask; webhook signing secrets and secret settings are encrypted in the database, and the
migration encrypts those stored before (and masks secrets already in the audit log)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from backoffice import db, secret_box
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.services import app_settings, backups, webhooks

from .support.cli import backoffice_command
from .support.factories import make_user

HOOK = 'https://mailer:pa55word@tool.example.com/in?token=t0k3n'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default: files 0644, folders 0755
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_sqlite_database_its_journal_files_and_its_folder_are_private(tmp_path: Path) -> None:
    database = tmp_path / 'data' / 'backoffice.db'
    with loose_umask():
        engine = db.create_database_engine(f'sqlite:///{database}')
        with engine.begin() as connection:  # WAL mode: the write leaves -wal and -shm beside the file
            connection.execute(text('CREATE TABLE notes (body TEXT)'))
            connection.execute(text("INSERT INTO notes VALUES ('password hashes live here')"))
        try:
            assert (database.parent / 'backoffice.db-wal').exists()
            assert {p.name: oct(mode(p)) for p in database.parent.iterdir()} == {
                'backoffice.db': '0o600',
                'backoffice.db-wal': '0o600',
                'backoffice.db-shm': '0o600',
            }
            assert mode(database.parent) == 0o700
        finally:
            engine.dispose()


def test_a_database_left_readable_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / 'old.db'
    sqlite3.connect(database).close()
    database.chmod(0o644)
    db.create_database_engine(f'sqlite:///{database}').dispose()
    assert mode(database) == 0o600


def test_the_command_line_makes_the_data_folder_private_and_a_backup_readable_by_the_app_alone(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith('sqlite'):
        pytest.skip('pg_dump writes the PostgreSQL backup; the SQLite file is what this checks')
    data = tmp_path / 'shop-data'
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    monkeypatch.setenv('BACKOFFICE_DATA_DIR', str(data))
    with loose_umask():
        done = backoffice_command('backup', database_url=database_url)
    assert done.returncode == 0, done.stderr
    [backup] = (data / 'backups').glob('*.db')  # beside it: its check (.check.json)
    assert (mode(data), mode(data / 'backups'), mode(backup)) == (0o700, 0o700, 0o600)


def test_a_backup_taken_in_the_app_is_private() -> None:
    settings = reload_settings()
    with loose_umask(), session_scope() as session:
        taken = backups.take_backup(session=session, actor=make_user('admin'), settings=settings)
    assert (mode(taken.path), mode(taken.path.parent)) == (0o600, 0o700)


def test_webhook_secrets_and_secret_settings_are_encrypted_in_the_database() -> None:
    admin = make_user('admin')
    with session_scope() as session:
        endpoint, secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': 'CRM "main": <script>', 'url': 'https://hooks.example.com/in'}
        )
        app_settings.save(session=session, actor=admin, changes={'segments_webhook_url': HOOK}, loaded={})
    with read_session() as session:
        stored_secret = session.exec(text('SELECT secret FROM webhook_endpoints')).scalar_one()
        stored_hook = session.exec(
            text("SELECT CAST(value AS TEXT) FROM app_settings WHERE key = 'segments_webhook_url'")
        ).scalar_one()
        assert app_settings.value(session=session, key='segments_webhook_url') == HOOK  # the app reads it back
    assert secret.startswith('whsec_') and secret not in stored_secret and stored_secret.startswith('fernet:')
    assert secret_box.decrypt(stored_secret) == secret
    assert 'pa55word' not in stored_hook and 't0k3n' not in stored_hook and 'tool.example.com' not in stored_hook


def test_a_key_from_the_settings_encrypts_and_another_key_cannot_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BACKOFFICE_SECRET_KEY', 'k' * 40)
    reload_settings()
    sealed = secret_box.encrypt('whsec_abc')
    assert secret_box.decrypt(sealed) == 'whsec_abc'
    monkeypatch.setenv('BACKOFFICE_SECRET_KEY', 'another-key-' + 'x' * 30)
    reload_settings()
    with pytest.raises(secret_box.SecretUnreadable, match='BACKOFFICE_SECRET_KEY'):
        secret_box.decrypt(sealed)


def test_the_migration_encrypts_stored_secrets_and_masks_the_audit_log(tmp_path: Path) -> None:
    """A database as the previous version left it: plaintext secrets, addresses with passwords in the audit log."""
    url = f'sqlite:///{tmp_path / "before.db"}'
    engine = create_engine(url)
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, '0014')
        connection.execute(
            text(
                'INSERT INTO webhook_endpoints (name, url, events, secret, is_active, created_at, '
                "updated_at, version) VALUES ('CRM', 'https://h.example.com/in', '*', "
                "'whsec_plain', 1, '2026-01-01', '2026-01-01', 1)"
            )
        )
        connection.execute(
            text(
                'INSERT INTO app_settings (key, value, updated_at, updated_by) VALUES '
                "('segments_webhook_url', :hook, '2026-01-01', 'a@example.com')"
            ),
            {'hook': json.dumps(HOOK)},
        )
        connection.execute(
            text(
                'INSERT INTO audit_log (at, actor_email, action, entity, summary, changes) VALUES '
                "('2026-01-01', 'a@example.com', 'settings.changed', 'settings', :summary, :changes)"
            ),
            {'summary': f'Push to {HOOK}', 'changes': json.dumps({'segments_webhook_url': ['', HOOK]})},
        )
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, 'heads')
    with engine.connect() as connection:
        secret = connection.execute(text('SELECT secret FROM webhook_endpoints')).scalar_one()
        hook = json.loads(connection.execute(text('SELECT value FROM app_settings')).scalar_one())
        summary, changes = connection.execute(text('SELECT summary, changes FROM audit_log')).one()
    engine.dispose()
    assert secret_box.decrypt(secret) == 'whsec_plain' and 'whsec_plain' not in secret
    assert secret_box.decrypt(hook) == HOOK
    assert summary == 'Push to https://••••••@tool.example.com/in?token=••••••'
    # …and 0052 keeps a secret setting's address as its hint only
    assert json.loads(changes) == {'segments_webhook_url': ['', 'https://…@tool.example.com/…?…']}
