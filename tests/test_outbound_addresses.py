"""Webhooks and the segment push reach public addresses only: this machine, private and link-local networks (cloud
metadata) are refused when the address is saved, after DNS at every send and on every redirect; errors never tell an
open port from a closed one. BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS=1 lets a developer use a receiver on this machine."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import select

from backoffice import outbound
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import WebhookEndpoint
from backoffice.services import app_settings, segments, webhooks

from .support.factories import make_user
from .support.webhook_receiver import webhook_receiver

NAME = 'CRM "main": <script>alert(1)</script>'
INTERNAL = [
    'http://127.0.0.1:6379/',
    'https://127.0.0.1:8443/hook',
    'https://10.0.0.5/hook',
    'https://192.168.1.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]:9000/',
    'https://[::ffff:127.0.0.1]/',
    'https://[fd00:ec2::254]/',
    'https://100.64.0.1/',
    'https://0.0.0.0:8080/',
    'https://localhost/hook',
    'https://metadata.localhost/',
    'http://shop.example.com/hook',
    # 127.0.0.1 as the resolver also reads it: one number, hex, a short form, octal; 0 is 0.0.0.0
    'https://2130706433/',
    'https://0x7f.1/',
    'https://127.1/',
    'https://017700000001/',
    'https://0/',
    'https://0xa9.0xfe.0xa9.0xfe/',  # 169.254.169.254
]


@pytest.fixture
def admin():
    return make_user('admin')


def allow_private(monkeypatch: pytest.MonkeyPatch, on: bool = True) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1' if on else '0')
    reload_settings()


def stored_endpoint(url: str) -> int:
    """An endpoint saved before addresses were checked (straight into the table)."""
    with session_scope() as session:
        endpoint = WebhookEndpoint(name=NAME, url=url, secret=webhooks.new_secret())
        session.add(endpoint)
        session.commit()
        return endpoint.id


def test_an_admin_cannot_point_a_webhook_or_the_segment_push_at_an_internal_address(admin) -> None:
    for url in INTERNAL:
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            webhooks.create_endpoint(session=session, actor=admin, data={'name': NAME, 'url': url})
        assert set(refused.value.errors) == {'url'}, url
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            app_settings.save(session=session, actor=admin, changes={'segments_webhook_url': url}, loaded={})
        assert set(refused.value.errors) == {'segments_webhook_url'}, url
    with read_session() as session:
        assert session.exec(select(WebhookEndpoint)).all() == []
    with session_scope() as session:  # a public https address is fine
        webhooks.create_endpoint(session=session, actor=admin, data={'name': NAME, 'url': 'https://93.184.216.34/in'})


def test_the_development_allowance_lets_a_webhook_reach_this_machine_but_never_plain_http_across_a_network(
    admin, monkeypatch
) -> None:
    allow_private(monkeypatch)
    with session_scope() as session:
        webhooks.create_endpoint(session=session, actor=admin, data={'name': NAME, 'url': 'http://127.0.0.1:9/in'})
    with session_scope() as session, pytest.raises(ValidationFailed):
        webhooks.create_endpoint(session=session, actor=admin, data={'name': NAME, 'url': 'http://shop.example.com/'})


@pytest.mark.parametrize(
    'url',
    [
        'https://exa mple.com/hook',
        'https://"<script>".example.com/',
        'https://shop..example.com/',
        'https://-shop-.example.com/',
        'https://shop<example>.com/hook',
    ],
)
def test_an_address_whose_host_no_resolver_reads_is_refused_when_saved(admin, monkeypatch, url: str) -> None:
    """A space or a quote in the host was saved (201 over the API) and failed at every send, retried for 15 hours."""
    allow_private(monkeypatch)  # not a rule about private networks: refused with the allowance too
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        webhooks.create_endpoint(session=session, actor=admin, data={'name': NAME, 'url': url})
    assert refused.value.errors == {'url': 'Enter a full address, like https://shop.example.com/hooks/backoffice'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        app_settings.save(session=session, actor=admin, changes={'segments_webhook_url': url}, loaded={})
    assert set(refused.value.errors) == {'segments_webhook_url'}
    with read_session() as session:
        assert session.exec(select(WebhookEndpoint)).all() == []


def test_an_international_name_an_underscore_and_an_ip_literal_are_still_addresses() -> None:
    for url in ('https://exämple.com/hook', 'https://my_shop.example.com/in', 'https://93.184.216.34/in'):
        assert outbound.address_problem(url, allow_private=False) is None, url
    assert outbound.address_problem('https://[2606:2800:220:1::]/in', allow_private=False) is None


def test_a_stored_address_on_this_machine_or_a_name_resolving_to_it_is_refused_at_send_time(admin, monkeypatch) -> None:
    real = socket.getaddrinfo

    def fake_dns(host, port, *args, **kwargs):  # a public-looking name whose DNS answers 127.0.0.1 (rebinding)
        return real('127.0.0.1' if host == 'hooks.example.com' else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, 'getaddrinfo', fake_dns)
    with webhook_receiver() as receiver:
        port = receiver.url.split(':')[2].split('/')[0]
        for url in (receiver.url, f'http://hooks.example.com:{port}/hooks', f'https://hooks.example.com:{port}/x'):
            endpoint_id = stored_endpoint(url)
            with session_scope() as session:
                sent = webhooks.send_test(session=session, actor=admin, endpoint_id=endpoint_id)
            assert (sent.last_status_code, sent.last_error) == (None, 'address not allowed'), url
        assert receiver.received == []


def test_every_address_a_name_resolves_to_must_be_public(monkeypatch) -> None:
    monkeypatch.setattr(
        socket,
        'getaddrinfo',
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, '', ('93.184.216.34', port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, '', ('10.0.0.7', port)),
        ],
    )
    answer = outbound.post('https://mixed.example.com/in', b'{}', {}, timeout=1)
    assert (answer.status, answer.error) == (None, 'address not allowed')


def test_errors_do_not_tell_a_closed_port_from_an_open_one(admin, monkeypatch) -> None:
    allow_private(monkeypatch)
    with webhook_receiver() as receiver:
        closed = receiver.url  # the server is gone once the block ends
    with _silent_tcp_server() as open_port:
        for url in (closed, f'http://127.0.0.1:{open_port}/hooks'):
            with session_scope() as session:
                endpoint, _ = webhooks.create_endpoint(session=session, actor=admin, data={'name': NAME, 'url': url})
                sent = webhooks.send_test(session=session, actor=admin, endpoint_id=endpoint.id)
            assert (sent.last_status_code, sent.last_error) == (None, 'could not connect'), url


def test_the_segment_push_refuses_a_redirect_to_another_address(monkeypatch) -> None:
    allow_private(monkeypatch)  # even in development, only the address the admin typed may be on this machine
    with _redirecting_server() as (hook, elsewhere):
        hook.code, hook.location = 302, f'http://127.0.0.1:{elsewhere.port}/latest/meta-data/'
        _set_segments_webhook(f'http://127.0.0.1:{hook.port}/in')
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            segments.push_to_webhook(session=session, actor=make_user('manager'), which='inactive', name='All')
        assert refused.value.errors == {'url': 'The webhook did not accept it: address not allowed'}
        assert elsewhere.requests == []


def test_the_segment_push_follows_at_most_three_redirects_on_the_same_address(monkeypatch) -> None:
    allow_private(monkeypatch)
    with _redirecting_server() as (hook, _):
        hook.location = '/again'  # 307: the POST is repeated there
        _set_segments_webhook(f'http://127.0.0.1:{hook.port}/in')
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            segments.push_to_webhook(session=session, actor=make_user('manager'), which='inactive', name='All')
        assert refused.value.errors == {'url': 'The webhook did not accept it: too many redirects'}
        assert [method for method, _ in hook.requests] == ['POST'] * 4


def test_no_module_but_the_outbound_helper_opens_http_connections() -> None:
    """Guard: a new webhook-like feature must go through backoffice/outbound.py and its address checks."""
    root = Path(__file__).parent.parent
    offenders = [
        str(path.relative_to(root))
        for folder in ('backoffice', 'components', 'pages')
        for path in (root / folder).rglob('*.py')
        if path.name != 'outbound.py'
        and any(
            word in path.read_text()
            for word in ('urllib.request', 'http.client', 'import httpx', 'import requests', 'urlopen(', 'aiohttp')
        )
    ]
    assert offenders == []


# --- helpers ----------------------------------------------------------------------------------------------------------


def _set_segments_webhook(url: str) -> None:
    with session_scope() as session:
        app_settings.save(session=session, actor=make_user('admin'), changes={'segments_webhook_url': url}, loaded={})


class _Server:
    def __init__(self) -> None:
        self.location = ''
        self.code = 307
        self.requests: list[tuple[str, str]] = []
        self.port = 0


@contextmanager
def _redirecting_server() -> Iterator[tuple[_Server, _Server]]:
    """Two local servers: the first redirects to its `location` (307 unless told), the second records what it gets."""
    hook, elsewhere = _Server(), _Server()
    servers = []
    for state in (hook, elsewhere):

        class Handler(BaseHTTPRequestHandler):
            me = state

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get('Content-Length') or 0))
                self.me.requests.append((self.command, self.path))
                self.send_response(self.me.code if self.me.location else 200)
                if self.me.location:
                    self.send_header('Location', self.me.location)
                self.send_header('Content-Length', '0')
                self.end_headers()

            do_GET = do_POST = _answer  # noqa: N815 (http.server's naming)

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        state.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield hook, elsewhere
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@contextmanager
def _silent_tcp_server() -> Iterator[int]:
    """A port that is open but speaks no HTTP: it accepts and hangs up."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()
