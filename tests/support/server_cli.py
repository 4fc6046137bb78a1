"""The browser tests' running server from outside, as an administrator and the front office reach it: its database,
`python -m backoffice …` against that database, and a request POSTed to its API with a Bearer key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

from .browser import ROOT, TIMEOUT, RunningServer


def server_database_url(server: RunningServer) -> str:
    """The database the `server` fixture made (one per pytest-xdist worker that runs browser tests)."""
    return server.database_url


def cli(server: RunningServer, *args: str, stdin: str = '') -> str:
    """`python -m backoffice …` against the running server's database, as an administrator would run it."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith('BACKOFFICE_') and name not in {'PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION'}
    }
    env['BACKOFFICE_DATABASE_URL'] = server_database_url(server)
    done = subprocess.run(
        [sys.executable, '-m', 'backoffice', *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f'python -m backoffice {" ".join(args)} failed:\n{done.stdout}\n{done.stderr}'
    return done.stdout


def post_request(base_url: str, key: str, payload: dict) -> dict:
    request = urllib.request.Request(
        f'{base_url}/api/requests',
        data=json.dumps(payload).encode(),
        method='POST',
        headers={'Authorization': f'Bearer {key}', 'Content-Type': 'application/json'},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        assert response.status == 201
        return json.loads(response.read())
