"""A small local HTTP server following Stripe's documented API for the calls the back office makes (payment intents
read and cancelled, refunds created with Idempotency-Key and listed, the balance), with Stripe's JSON and error
shapes; and webhooks signed exactly as Stripe signs them. The real gateway cannot be reached from the test machine."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SECRET_KEY = 'sk_test_51BackofficeLocalServer'
WEBHOOK_SECRET = 'whsec_local_test_secret_0123456789'


@dataclass
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    form: dict[str, str]


_SERVERS = itertools.count()  # each server of a test process names its objects apart (below)


@dataclass
class StripeState:
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # Idempotency-Key → the first answer
    seen: list[Seen] = field(default_factory=list)
    next_refund_status: str = 'succeeded'  # succeeded | pending | failed (with failure_reason)
    next_failure_reason: str = 'expired_or_canceled_card'
    drop_next_refund_answer: bool = False  # make the refund, then close the connection without answering
    # ids go on from another server's in the same process: events, intents and refunds of a database that an earlier
    # test's server filled (the browser files share their server's database) are not taken for replays of these
    counter: int = field(default_factory=lambda: next(_SERVERS) * 100_000)
    lock: threading.Lock = field(default_factory=threading.Lock)


class StripeServer:
    """`with StripeServer() as stripe:` serves on a free port of 127.0.0.1; `stripe.url` is the API base."""

    def __init__(self) -> None:
        self.state = StripeState()
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), _handler(self.state))
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StripeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_intent(
        self, *, order_id: int | None, amount: int, currency: str = 'eur', status: str = 'succeeded', pi: str = ''
    ) -> dict[str, Any]:
        """A PaymentIntent as Stripe returns it (amounts in cents)."""
        with self.state.lock:
            self.state.counter += 1
            ident = pi or f'pi_3Local{self.state.counter:08d}'
            intent = {
                'id': ident,
                'object': 'payment_intent',
                'amount': amount,
                'amount_capturable': amount if status == 'requires_capture' else 0,
                'amount_received': amount if status == 'succeeded' else 0,
                'currency': currency,
                'status': status,
                'latest_charge': f'ch_3Local{self.state.counter:08d}',
                'metadata': {'order_id': str(order_id)} if order_id is not None else {},
                'last_payment_error': None,
                'cancellation_reason': None,
                'livemode': False,
                'created': int(time.time()),
            }
            self.state.intents[ident] = intent
            return intent

    def refunds_made(self) -> list[dict[str, Any]]:
        return list(self.state.refunds.values())

    def event(self, kind: str, obj: dict[str, Any], *, event_id: str = '') -> bytes:
        with self.state.lock:
            self.state.counter += 1
            ident = event_id or f'evt_3Local{self.state.counter:08d}'
        return json.dumps(
            {
                'id': ident,
                'object': 'event',
                'api_version': '2025-03-31.basil',
                'created': int(time.time()),
                'data': {'object': obj},
                'livemode': False,
                'pending_webhooks': 1,
                'request': {'id': None, 'idempotency_key': None},
                'type': kind,
            }
        ).encode()


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>") in hex."""
    moment = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f'{moment}.'.encode() + payload, hashlib.sha256).hexdigest()
    return f't={moment},v1={mac}'


def _error(status: int, kind: str, message: str, *, code: str | None = None, param: str | None = None):
    body: dict[str, Any] = {'type': kind, 'message': message}
    if code:
        body['code'] = code
    if param:
        body['param'] = param
    return status, {'error': body}


def _handler(state: StripeState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802
            self._serve('GET')

        def do_POST(self) -> None:  # noqa: N802
            self._serve('POST')

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get('Content-Length') or 0)
            raw = self.rfile.read(length).decode() if length else ''
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            key = self.headers.get('Idempotency-Key')
            with state.lock:
                state.seen.append(Seen(method, parts.path, key, form))
                if self.headers.get('Authorization') != f'Bearer {SECRET_KEY}':
                    status, body = _error(
                        401, 'invalid_request_error', 'Invalid API Key provided: sk_test_****', code='api_key_invalid'
                    )
                    return self._answer(status, json.dumps(body).encode())
                if method == 'POST' and key and key in state.by_key:
                    status, answer = state.by_key[key]
                    return self._answer(status, answer, replayed=True)
                status, body = self._route(method, parts.path, parse_qs(parts.query), form)
                answer = json.dumps(body).encode()
                if method == 'POST' and key:
                    state.by_key[key] = (status, answer)
                drop = parts.path == '/v1/refunds' and method == 'POST' and state.drop_next_refund_answer
                if drop:
                    state.drop_next_refund_answer = False
            if drop:  # the refund was made; the answer is lost on the way (the SDK retries with the same key)
                self.close_connection = True
                self.connection.close()
                return
            self._answer(status, answer)

        def _answer(self, status: int, answer: bytes, replayed: bool = False) -> None:
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(answer)))
            self.send_header('Request-Id', f'req_local{len(state.seen)}')
            if replayed:
                self.send_header('Idempotent-Replayed', 'true')
            self.end_headers()
            self.wfile.write(answer)

        def _route(self, method: str, path: str, query: dict, form: dict[str, str]):
            segments = path.strip('/').split('/')
            if method == 'GET' and path == '/v1/balance':
                return 200, {'object': 'balance', 'available': [{'amount': 0, 'currency': 'eur'}], 'livemode': False}
            if segments[:2] == ['v1', 'payment_intents'] and len(segments) >= 3:
                intent = state.intents.get(segments[2])
                if intent is None:
                    return _error(
                        404,
                        'invalid_request_error',
                        f"No such payment_intent: '{segments[2]}'",
                        code='resource_missing',
                        param='intent',
                    )
                if method == 'GET' and len(segments) == 3:
                    return 200, intent
                if method == 'POST' and segments[3:] == ['cancel']:
                    if intent['status'] not in (
                        'requires_payment_method',
                        'requires_capture',
                        'requires_confirmation',
                        'requires_action',
                        'processing',
                    ):
                        return _error(
                            400,
                            'invalid_request_error',
                            'You cannot cancel this PaymentIntent because it has a status of '
                            f'{intent["status"]}. Only a PaymentIntent with one of the following statuses may be '
                            'canceled: requires_payment_method, requires_capture, requires_confirmation, '
                            'requires_action, processing.',
                            code='payment_intent_unexpected_state',
                        )
                    intent.update(status='canceled', cancellation_reason='requested_by_customer', amount_capturable=0)
                    return 200, intent
            if path == '/v1/refunds' and method == 'GET':
                wanted = (query.get('payment_intent') or [''])[0]
                found = [r for r in state.refunds.values() if not wanted or r['payment_intent'] == wanted]
                return 200, {'object': 'list', 'data': found[::-1], 'has_more': False, 'url': '/v1/refunds'}
            if path == '/v1/refunds' and method == 'POST':
                return self._refund(form)
            return _error(404, 'invalid_request_error', f'Unrecognized request URL ({method}: {path}).')

        def _refund(self, form: dict[str, str]):
            intent = state.intents.get(form.get('payment_intent', ''))
            if intent is None:
                return _error(
                    404,
                    'invalid_request_error',
                    f"No such payment_intent: '{form.get('payment_intent')}'",
                    code='resource_missing',
                    param='payment_intent',
                )
            refunded = sum(
                r['amount']
                for r in state.refunds.values()
                if r['payment_intent'] == intent['id'] and r['status'] in ('pending', 'succeeded')
            )
            left = intent['amount_received'] - refunded
            amount = int(form.get('amount') or left)
            if left <= 0:
                return _error(
                    400,
                    'invalid_request_error',
                    f'Charge {intent["latest_charge"]} has already been refunded.',
                    code='charge_already_refunded',
                )
            if amount > left:
                return _error(
                    400,
                    'invalid_request_error',
                    f'Refund amount (€{amount / 100:.2f}) is greater than unrefunded amount on charge '
                    f'(€{left / 100:.2f})',
                    code='amount_too_large',
                    param='amount',
                )
            state.counter += 1
            status = state.next_refund_status
            refund = {
                'id': f're_3Local{state.counter:08d}',
                'object': 'refund',
                'amount': amount,
                'charge': intent['latest_charge'],
                'created': int(time.time()),
                'currency': intent['currency'],
                'metadata': {
                    k[len('metadata[') : -1]: v
                    for k, v in form.items()
                    if k.startswith('metadata[') and k.endswith(']')
                },
                'payment_intent': intent['id'],
                'reason': None,
                'status': status,
                'failure_reason': state.next_failure_reason if status == 'failed' else None,
            }
            state.refunds[refund['id']] = refund
            return 200, refund

    return Handler


def set_up_stripe(server: StripeServer, admin: Any, monkeypatch: Any) -> None:
    """Point the SDK at the local server and save its keys as an admin does at /settings."""
    from backoffice.config import reload_settings
    from backoffice.db import session_scope
    from backoffice.services import app_settings

    monkeypatch.setenv('BACKOFFICE_STRIPE_API_BASE', server.url)
    reload_settings()
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            changes={'stripe_secret_key': SECRET_KEY, 'stripe_webhook_secret': WEBHOOK_SECRET},
            loaded={},
        )


def paid_through_stripe(server: StripeServer, order: Any, amount: int) -> dict[str, Any]:
    """The order paid by card: Stripe's signed payment_intent.succeeded applied."""
    from backoffice.db import session_scope
    from backoffice.services import gateway_payments

    intent = server.add_intent(order_id=order.id, amount=amount)
    payload = server.event('payment_intent.succeeded', intent)
    with session_scope() as session:
        gateway_payments.apply_webhook(
            session=session, provider_key='stripe', payload=payload, headers={'stripe-signature': sign(payload)}
        )
    return intent
