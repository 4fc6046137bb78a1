"""`python main.py` as a real process on a database of the test's own, for tests that stop it the hard way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .browser import ROOT, free_port, wait_until_healthy


def app_environment(database_url: str, work: Path, **extra: str) -> dict[str, str]:
    """The environment of an app process on `database_url`, with nothing of the test process's own settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith('BACKOFFICE_') and name not in {'PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION'}
    }
    env.update(
        BACKOFFICE_HOST='127.0.0.1',
        BACKOFFICE_DATABASE_URL=database_url,
        BACKOFFICE_DATA_DIR=str(work / 'data'),
        BACKOFFICE_STORAGE_SECRET='tests-storage-secret-0123456789abcdef',
        NICEGUI_STORAGE_PATH=str(work / 'nicegui'),
        PYTHONUNBUFFERED='1',
        **extra,
    )
    return env


def run_python(code: str, env: dict[str, str]) -> str:
    """Run a few lines of Python against that database in a process of their own; their output."""
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_app(env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen]:
    """Start `python main.py` on a free port and wait until it answers; its URL and process."""
    port = free_port()
    with log.open('ab') as out:
        process = subprocess.Popen(
            [sys.executable, 'main.py'],
            cwd=ROOT,
            env={**env, 'BACKOFFICE_PORT': str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f'http://127.0.0.1:{port}'
    wait_until_healthy(url, process, log)
    return url, process
