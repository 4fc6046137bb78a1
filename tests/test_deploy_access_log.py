"""nginx's access log for the documented site (deploy/backoffice.nginx.conf as rendered for production) keeps no
token: a spreadsheet feed's (/feeds/<token>.csv) and a link's ?token= (portal sign-in, password reset, unsubscribe,
rating) are logged as [redacted], in the request line and in the Referer. nginx itself reads the file and logs."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.render_site import render
from deploy.stack import free_port, nginx_binary

from .support.waiting import eventually

FEED_TOKEN, LINK_TOKEN, KEY = 'FeedT0ken_"abc":-x', 'LinkT0ken<script>', 'Api-K3y'
CLIENT, SOCKET = 'C1ient-5e55-4a1d', 'S0cket_<img src=x onerror=alert(1)>'


class Upstream(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    def log_message(self, *args: object) -> None:
        pass


async def logged(log: Path, count: int) -> list[str]:
    """The access log once it holds `count` lines: nginx writes a request's line after sending the answer (its log
    phase), so the last request's line may come a moment after the client has read the answer."""

    def lines() -> list[str] | None:
        found = log.read_text().splitlines()
        return found if len(found) >= count else None

    return await eventually(lines, message=f'{count} lines in the access log')


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    binary = nginx_binary()
    if binary is None:
        if os.environ.get('CI'):
            pytest.fail('nginx is missing (Debian package nginx)')
        pytest.skip('nginx is missing')
    upstream = http.server.ThreadingHTTPServer(('127.0.0.1', free_port()), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    listen, log = free_port(), tmp_path / 'backoffice.access.log'
    site = render([upstream.server_address[1]], listen=f'127.0.0.1:{listen}', access_log=f'{log} backoffice')
    (tmp_path / 'site.conf').write_text(site)
    kinds = ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi')
    for kind in kinds:
        (tmp_path / kind).mkdir()
    temps = ''.join(f'{kind}_temp_path {tmp_path / kind};' for kind in kinds)
    user = 'user root root;' if os.geteuid() == 0 else ''
    (tmp_path / 'nginx.conf').write_text(
        f'pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log warn; daemon off; {user}\n'
        f'events {{ worker_connections 64; }}\nhttp {{ {temps} include {tmp_path}/site.conf; }}\n'
    )
    checked = subprocess.run(
        [binary, '-t', '-p', str(tmp_path), '-c', str(tmp_path / 'nginx.conf')], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [binary, '-p', str(tmp_path), '-c', str(tmp_path / 'nginx.conf')], stderr=subprocess.PIPE
    )
    try:
        for _attempt in range(50):
            try:
                httpx.get(f'http://127.0.0.1:{listen}/healthz', timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield f'http://127.0.0.1:{listen}', log
    finally:
        process.terminate()
        process.wait(timeout=10)
        upstream.shutdown()


async def test_feed_and_link_tokens_are_redacted_in_the_request_line_and_the_referer(proxy: tuple[str, Path]) -> None:
    url, log = proxy
    with httpx.Client(base_url=url, timeout=5) as client:
        client.get(f'/feeds/{FEED_TOKEN}.xlsx')
        client.get(f'/portal/link?token={LINK_TOKEN}', headers={'Referer': f'{url}/feeds/{FEED_TOKEN}.csv'})
        client.get(f'/reset-password?lang=fr&token={LINK_TOKEN}', headers={'Referer': f'{url}/rate?token={LINK_TOKEN}'})
        client.get(f'/api/v1/orders?api_key={KEY}')
        client.get('/customers?search=Ann&page=2', headers={'Referer': f'{url}/customers'})
    lines = await logged(log, 6)
    assert len(lines) == 6, lines  # the healthz probe and the five
    assert not [line for line in lines if 'T0ken' in line or KEY in line], lines
    assert '"GET /feeds/[redacted].xlsx HTTP/1.1" 200' in lines[1]
    assert '"GET /portal/link?[redacted] HTTP/1.1"' in lines[2] and f'"{url}/feeds/[redacted]"' in lines[2]
    assert '"GET /reset-password?[redacted] HTTP/1.1"' in lines[3] and f'"{url}/rate?[redacted]"' in lines[3]
    assert '"GET /api/v1/orders?[redacted] HTTP/1.1"' in lines[4]
    # what holds no secret is logged whole, as nginx's combined format does, with the process that answered
    assert '"GET /customers?search=Ann&page=2 HTTP/1.1" 200 2 ' in lines[5] and f'"{url}/customers"' in lines[5]
    assert lines[5].startswith('127.0.0.1 - - [') and '127.0.0.1:' in lines[5].split('"')[-1]


async def test_a_page_s_client_id_and_socket_id_are_redacted(proxy: tuple[str, Path]) -> None:
    """NiceGUI takes a page's client_id as the key to that page (its events, uploads): whoever reads it from a log can
    act in the page of whoever has it open. Its websocket's address carries it, its long-polling fallback the
    engine.io `sid`, and an upload's path the client_id."""
    url, log = proxy
    with httpx.Client(base_url=url, timeout=5) as client:
        client.get(f'/_nicegui_ws/socket.io/?client_id={CLIENT}&tab_id=t&EIO=4&transport=websocket')
        client.get(f'/_nicegui_ws/socket.io/?EIO=4&transport=polling&t=x1&sid={SOCKET}')
        client.get(f'/_nicegui/client/{CLIENT}/upload/42')
        client.get('/_nicegui/3.18.0/static/nicegui.js')
    lines = await logged(log, 5)
    assert len(lines) == 5, lines
    assert not [line for line in lines if 'C1ient' in line or 'S0cket' in line], lines
    assert '"GET /_nicegui_ws/socket.io/?[redacted] HTTP/1.1"' in lines[1]
    assert '"GET /_nicegui_ws/socket.io/?[redacted] HTTP/1.1"' in lines[2]
    assert '"GET /_nicegui/client/[redacted]/upload/42 HTTP/1.1"' in lines[3]
    assert '"GET /_nicegui/3.18.0/static/nicegui.js HTTP/1.1" 200' in lines[4]  # no secret: whole
