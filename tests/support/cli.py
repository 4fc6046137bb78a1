"""Running `python -m backoffice …` for real, as an operator would, against a given database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def backoffice_command(*args: str, database_url: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name != 'PYTEST_CURRENT_TEST' and not name.startswith('NICEGUI_')
    }
    environment['BACKOFFICE_DATABASE_URL'] = database_url
    return subprocess.run(
        [sys.executable, '-m', 'backoffice', *args],
        cwd=ROOT,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
