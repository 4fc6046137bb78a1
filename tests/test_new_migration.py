"""`make migration m="…"` (python -m backoffice new-migration) writes the next numbered migration from the models."""

import shutil
from pathlib import Path

import pytest

from backoffice import db


def test_the_next_migration_gets_the_next_number_and_follows_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    copy = tmp_path / 'migrations'
    shutil.copytree(db.MIGRATIONS, copy, ignore=shutil.ignore_patterns('__pycache__'))
    monkeypatch.setattr(db, 'MIGRATIONS', copy)
    newest = max(int(f.name[:4]) for f in (copy / 'versions').glob('[0-9]*.py'))

    written = db.new_migration('Add a "thing": <b>to</b> orders')

    assert written.parent == copy / 'versions'
    assert written.name.startswith(f'{newest + 1:04d}_add_a_thing')
    source = written.read_text()
    assert f"revision: str = '{newest + 1:04d}'" in source
    assert f"down_revision: str | None = '{newest:04d}'" in source
    assert 'def upgrade() -> None:' in source  # nothing changed in the models: an empty, runnable migration
    compile(source, str(written), 'exec')
