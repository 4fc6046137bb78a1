"""Several app processes started at once on an empty database (a deploy that starts two workers): every one comes up,
the schema is made once and exactly one first admin exists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from .support.cli import ROOT, backoffice_command
from .support.databases import fresh_database

FIRST_START = """
from backoffice import db
from backoffice.config import load_settings
from backoffice.runtime import bootstrap

settings = load_settings()
db.configure(settings.database_url)
for line in bootstrap.first_start(settings):
    print(line)
"""


def test_processes_started_together_on_an_empty_database_all_come_up_with_one_admin(tmp_path: Path) -> None:
    url, drop = fresh_database(tmp_path, 'first_start')
    try:
        environment = {
            name: value
            for name, value in os.environ.items()
            if name != 'PYTEST_CURRENT_TEST' and not name.startswith('NICEGUI_')
        }
        environment.update(
            BACKOFFICE_DATABASE_URL=url,
            BACKOFFICE_ADMIN_EMAIL='first.admin@example.com',
            BACKOFFICE_ADMIN_PASSWORD='Correct-horse-battery-9',
            BACKOFFICE_DATA_DIR=str(tmp_path / 'data'),
        )
        started = [
            subprocess.Popen(
                [sys.executable, '-c', FIRST_START],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        finished = [(process.wait(timeout=120), *process.communicate()) for process in started]
        assert [code for code, _, _ in finished] == [0, 0, 0], [err[-2000:] for _, _, err in finished]
        told = [out for _, out, _ in finished if 'First admin created' in out]
        assert len(told) == 1  # the one that made it says so; the others found it made
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                assert connection.execute(text('SELECT count(*) FROM users')).scalar() == 1
        finally:
            engine.dispose()
    finally:
        drop()


def test_migrate_on_a_fresh_database_prints_no_warning(tmp_path: Path) -> None:
    url, drop = fresh_database(tmp_path, 'fresh_migrate')
    try:
        result = backoffice_command('migrate', database_url=url)
        assert result.returncode == 0 and 'Database schema is up to date' in result.stdout
        assert result.stderr == ''  # e.g. no SAWarning about reflecting customers' expression index
    finally:
        drop()
