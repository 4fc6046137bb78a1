"""The browser tests' server start: waited for while it works its way up, however slowly; failed when it is stuck."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .support import browser
from .support.browser import free_port, wait_until_healthy

# busy for a while (the import and the first start's migrations on a loaded machine), then answering /healthz
SLOW_START = """
import http.server, sys, time
started = time.monotonic()
while time.monotonic() - started < 3:
    pass
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Health).serve_forever()
"""
STUCK_START = 'import time; time.sleep(60)'  # alive, using no CPU, never answering


def start(code: str, tmp_path: Path) -> tuple[str, subprocess.Popen, Path]:
    port = free_port()
    log = tmp_path / 'server.log'
    log.write_text('')
    process = subprocess.Popen([sys.executable, '-c', code, str(port)])
    return f'http://127.0.0.1:{port}', process, log


def test_a_start_busier_than_the_stuck_limit_is_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, 'STARTUP_STUCK', 1.0)  # the start below works for 3 s before it answers
    url, process, log = start(SLOW_START, tmp_path)
    try:
        wait_until_healthy(url, process, log)
    finally:
        process.kill()
        process.wait()


def test_a_start_that_uses_no_cpu_fails_as_stuck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, 'STARTUP_STUCK', 1.0)
    url, process, log = start(STUCK_START, tmp_path)
    try:
        with pytest.raises(pytest.fail.Exception, match='no CPU used'):
            wait_until_healthy(url, process, log)
    finally:
        process.kill()
        process.wait()
