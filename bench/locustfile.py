"""Locust users for the deployment's load test (bench/deploy_load.py drives it headless through nginx; deploy/smoke.py
runs a short version of it).

Agents browse the requests list (the page's HTML, as a browser asks for it) and answer a request as staff do: they
open its page, connect its websocket as the browser does, type into the reply box and press "Send reply" (staff
replies have no API: the page's handler calls services.tickets.reply), until the page says "Reply queued".
Managers open the orders, customers and requests lists, and now and then export one to CSV the same way: the
list's page and websocket, the export button, "Export to CSV", then the one-time download the page is sent.
The front office posts requests, orders and event batches, each with an Idempotency-Key and one retry with the same
key, as a shop front would. Every acknowledged request and order number is appended to LOAD_ACK_FILE, and every
reply sent from a page to LOAD_REPLY_FILE, so that the driver can check the database for each afterwards.

Environment: LOAD_AGENT_COOKIE, LOAD_MANAGER_COOKIE (a signed-in `session` cookie each), LOAD_API_KEYS
(comma-separated, one per front office user), LOAD_SKU, LOAD_ACK_FILE, LOAD_REPLY_FILE; LOAD_FAST=1 (the smoke:
users wait 1–3 s instead of 5–15 s between two page actions, and reply or export as often as they browse).
"""

from __future__ import annotations

import ast
import html
import itertools
import json
import os
import random
import re
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from typing import Any

import socketio
import urllib3
from locust import FastHttpUser, HttpUser, between, task

urllib3.disable_warnings()  # nginx's certificate is self-signed here
KEYS = itertools.cycle(os.environ.get('LOAD_API_KEYS', '').split(','))
SKU = os.environ.get('LOAD_SKU', 'LOAD-MUG')
ACKS = os.environ.get('LOAD_ACK_FILE', '/tmp/load-acks.txt')
REPLIES = os.environ.get('LOAD_REPLY_FILE', '/tmp/load-replies.txt')
FAST = os.environ.get('LOAD_FAST') == '1'  # the smoke: a short run in which every kind of action should happen
PAUSE = between(1, 3) if FAST else between(5, 15)  # a person reads between two loads
PAGE_TIMEOUT = 30.0
_lock = threading.Lock()
_known: list[tuple[str, str]] = []  # (number, the customer's email) of acknowledged requests


def acknowledge(kind: str, number: str, email: str) -> None:
    with _lock, open(ACKS, 'a') as out:
        out.write(f'{kind} {number}\n')
    if kind == 'request':
        _known.append((number, email))


class PageSocket:
    """One NiceGUI page held as a browser holds it: its elements (from the served HTML, then the server's updates) and
    its websocket (socket.io through nginx, with the page's cookies: the route cookie keeps it on the process that
    built the page). Clicks and typing are the events the browser would send for them."""

    def __init__(self, page: str, base_url: str, cookies: dict[str, str]) -> None:
        raw = re.search(r'parseElements\(String\.raw`(.*?)`\)', page, re.S)
        options = re.search(r'^\s*query: (\{.*\}),$', page, re.M)
        if raw is None or options is None:
            raise LookupError('not a NiceGUI page')
        self.elements: dict[str, dict] = json.loads(_unescape(raw.group(1)))
        self.query = ast.literal_eval(options.group(1))  # a Python dict as the template prints it
        self.client_id = self.query['client_id']
        self._lock = threading.Condition()
        self.messages: list[tuple[str, Any]] = []
        self.last = 'nothing'  # the last event sent (for a failure's message)
        self.socket = socketio.Client(ssl_verify=False, reconnection=False)
        self.socket.on('*', self._received)
        query = {
            **{key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in self.query.items()},
            'document_id': uuid.uuid4().hex,
            'tab_id': uuid.uuid4().hex,
        }
        self.socket.connect(
            f'{base_url}?{urllib.parse.urlencode(query)}',
            socketio_path='/_nicegui_ws/socket.io',
            transports=['websocket'],
            headers={'Cookie': '; '.join(f'{name}={value}' for name, value in cookies.items())},
            wait_timeout=PAGE_TIMEOUT,
        )

    def _received(self, event: str, data: Any = None) -> None:
        with self._lock:
            if event == 'update' and isinstance(data, dict):
                for key, element in data.items():
                    if key == '_id':
                        continue
                    if element is None:
                        self.elements.pop(key, None)
                    else:
                        self.elements[key] = element
            self.messages.append((event, data))
            self._lock.notify_all()

    def close(self) -> None:
        self.socket.disconnect()

    def find(self, kind: str, **match: str) -> str:
        """The id of the element listening to `kind` ('click', 'update:value') whose text (or label prop: a
        button's text), or prop (`label=`, `aria_label=`…) is the one given; else the one holding an element whose
        text is (a menu item's label is in a section inside it)."""
        with self._lock:
            listening = [key for key, element in self.elements.items() if self._listener(element, kind)]
            for depth in (0, 3):
                for key in listening:
                    if self._matches(key, match, depth):
                        return key
        raise LookupError(f'no element listening to {kind} with {match} on the page')

    @staticmethod
    def _listener(element: dict, kind: str) -> dict | None:
        return next((e for e in element.get('events') or [] if e['type'] == kind), None)

    def _matches(self, key: str, match: dict[str, str], depth: int) -> bool:
        element = self.elements.get(key) or {}
        for name, wanted in match.items():
            props = element.get('props') or {}
            got = (element.get('text'), props.get('label')) if name == 'text' else (props.get(name.replace('_', '-')),)
            if wanted in got:
                return True
        children = list(element.get('children') or [])
        for slot in (element.get('slots') or {}).values():
            children += slot.get('ids', []) if isinstance(slot, dict) else []
        return depth > 0 and any(self._matches(str(child), match, depth - 1) for child in children)

    def emit(self, key: str, kind: str, *args: Any) -> None:
        """What the browser sends for the element's listener of this kind ('click'; 'update:value': an input's text)."""
        with self._lock:
            element = self.elements[key]
            listeners = [e for e in element.get('events') or [] if e['type'] == kind]
        if not listeners:
            raise LookupError(f'element {key} does not listen to {kind}')
        for listener in listeners:  # the browser sends one event per listener
            data = {'id': int(key), 'client_id': self.client_id, 'listener_id': listener['listener_id']}
            self.socket.emit('event', {**data, 'args': [json.dumps(arg) for arg in args]})
        props = element.get('props') or {}
        self.last = f'{kind} on #{key} {element["tag"]} {props.get("label") or props.get("aria-label") or ""}'
        self.last += f' (listeners {", ".join(e["listener_id"][:8] for e in listeners)})'

    def settle(self, quiet: float = 0.3, longest: float = 5.0) -> None:
        """Wait until the page has been quiet for `quiet` s (at most `longest`): what a page builds once connected has
        arrived, and a person, who sees the page before clicking, would click what is on it now."""
        deadline = time.monotonic() + longest
        with self._lock:
            while time.monotonic() < deadline:
                seen = len(self.messages)
                self._lock.wait(quiet)
                if len(self.messages) == seen:
                    return

    def mark(self) -> int:
        with self._lock:
            return len(self.messages)

    def since(self, start: int, kind: str, test=lambda _data: True, timeout: float = PAGE_TIMEOUT) -> Any:
        """The first message of this kind received after `mark()` returned `start` that passes `test`."""
        return self.first_after(start, lambda event, data: event == kind and test(data), timeout)[1]

    def first_after(self, start: int, test, timeout: float = PAGE_TIMEOUT) -> tuple[str, Any]:
        """The first (kind, message) received after `mark()` returned `start` for which `test(kind, message)`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event, data in self.messages[start:]:
                    if test(event, data):
                        return event, data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f'nothing awaited within {timeout:.0f} s after {self.last}')
                self._lock.wait(left)


class Conflict(Exception):
    """The page refused a change made on a version someone else had changed meanwhile (it offers to reload)."""


def _said_or_stale(kind: str, data: Any) -> bool:
    """A notification that says how an action went, or the page's box offering to reload a changed record."""
    if kind == 'notify':
        return data.get('type') in ('positive', 'negative', 'warning')
    return kind == 'update' and any(
        isinstance(element, dict) and (element.get('props') or {}).get('label') == 'Reload' for element in data.values()
    )


def _unescape(raw: str) -> str:
    return html.unescape(raw.replace('&#36;', '$').replace('&#96;', '`'))


def _timed(user: HttpUser, name: str, action) -> Any:
    """Run `action` and report it to locust as one call named `name` (its time; an exception is its failure)."""
    started = time.perf_counter()
    error: Exception | None = None
    result = None
    try:
        result = action()
    except Conflict:  # not a failure: the app kept one person's change from overwriting another's
        name += ' — refused: changed meanwhile'
    except Exception as failure:  # reported, not raised: the user goes on, as a person retries
        error = failure
    user.environment.events.request.fire(
        request_type='PAGE',
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=error,
        context={},
    )
    return None if error else result


def _open_page(user: HttpUser, path: str, name: str) -> PageSocket | None:
    """GET the page (reported as `name`) and connect its websocket (reported as 'page: websocket connect')."""
    with user.client.get(path, name=name, catch_response=True) as answer:
        if answer.status_code != 200 or '/login' in answer.url:
            answer.failure(f'{answer.status_code} {answer.url}')
            return None
        page = answer.text
    cookies = {cookie.name: cookie.value for cookie in user.client.cookies}
    socket = _timed(user, 'page: websocket connect', lambda: PageSocket(page, user.host, cookies))
    if socket is not None:
        socket.settle()
    return socket


class Agent(HttpUser):
    """A member of staff on the requests list, answering now and then on a request's page."""

    weight = 20
    wait_time = PAUSE

    def on_start(self) -> None:
        self.client.verify = False
        self.client.cookies.set('session', os.environ.get('LOAD_AGENT_COOKIE', ''))

    @task(3)
    def browse_requests(self) -> None:
        with self.client.get('/requests', name='agent: requests page', catch_response=True) as answer:
            if answer.status_code == 200 and 'login' in answer.url:
                answer.failure('signed out')

    @task(3 if FAST else 1)
    def reply(self) -> None:
        if not _known:
            return
        number, _email = random.choice(_known[-200:])
        page = _open_page(self, f'/requests/{number}', 'agent: request page')
        if page is None:
            return
        try:
            text = f'Reply {uuid.uuid4().hex}: "quoted" <b>noted</b>'

            def send() -> None:
                box = page.find('update:value', label='Reply or note')
                page.emit(box, 'update:value', text)
                start = page.mark()
                page.emit(page.find('click', text='Send reply'), 'click', {})
                kind, said = page.first_after(start, _said_or_stale)
                if kind == 'update':
                    raise Conflict  # another agent's reply to this request came first
                if said.get('message') != 'Reply queued':
                    raise RuntimeError(f'the page said: {said.get("message")}')
                with _lock, open(REPLIES, 'a') as out:
                    out.write(f'{number} {text}\n')

            _timed(self, 'agent: reply (page: Send reply)', send)
        finally:
            page.close()


class Manager(HttpUser):
    """A manager on the lists."""

    weight = 5
    wait_time = PAUSE

    def on_start(self) -> None:
        self.client.verify = False
        self.client.cookies.set('session', os.environ.get('LOAD_MANAGER_COOKIE', ''))

    @task(3)
    def lists(self) -> None:
        path = random.choice(('/orders', '/customers', '/requests'))
        self.client.get(path, name=f'manager: {path} page')

    @task(3 if FAST else 1)
    def export(self) -> None:
        path = random.choice(('/orders', '/customers', '/requests'))
        page = _open_page(self, path, f'manager: {path} page')
        if page is None:
            return
        try:

            def export_csv() -> None:
                start = page.mark()
                page.emit(page.find('click', aria_label='Export'), 'click', {})  # the menu is built on its first click
                page.since(start, 'update', lambda d: any('Export to CSV' in json.dumps(e) for e in d.values()))
                start = page.mark()
                page.emit(page.find('click', text='Export to CSV'), 'click', {})
                file = page.since(start, 'download')
                with self.client.get(file['src'], name='manager: export download', catch_response=True) as got:
                    if got.status_code != 200 or not got.content.count(b'\n'):
                        got.failure(f'{got.status_code}, {len(got.content)} bytes')

            _timed(self, f'manager: {path} export CSV (page)', export_csv)
        finally:
            page.close()


class FrontOffice(FastHttpUser):
    """The web shop: customers' requests, orders and usage events."""

    weight = 5
    wait_time = between(0.5, 1.5)
    insecure = True

    def on_start(self) -> None:
        self.key = next(KEYS)

    @task(5)
    def post_request(self) -> None:
        key = uuid.uuid4().hex
        email = f'shopper-{random.randrange(500)}@example.com'
        body = {'email': email, 'subject': f'Load {key}: "where" <script>', 'body': 'Where is my parcel?'}
        answer = _post(self.client, '/api/requests', body, self.key, 'front: POST /api/requests', key)
        if answer is not None:
            acknowledge('request', answer['number'], email)

    @task(3)
    def post_order(self) -> None:
        key = uuid.uuid4().hex
        email = f'buyer-{random.randrange(500)}@example.com'
        body = {'external_id': key, 'email': email, 'lines': [{'sku': SKU, 'quantity': 1}]}
        answer = _post(self.client, '/api/orders', body, self.key, 'front: POST /api/orders', key)
        if answer is not None:
            acknowledge('order', answer['number'], email)

    @task(2)
    def post_events(self) -> None:
        key = uuid.uuid4().hex
        now = datetime.now(UTC).isoformat()
        events = [{'id': f'{key}-{n}', 'type': 'visit', 'ts': now, 'anonymous_id': f'a-{n % 9}'} for n in range(100)]
        _post(self.client, '/api/events', {'events': events}, self.key, 'front: POST /api/events (100)', key)


def _post(client, path: str, body: dict, api_key: str, name: str, key: str | None = None) -> dict | None:
    """POST with an Idempotency-Key; a failure (no answer, 5xx) is retried once with the same key."""
    headers = {'Authorization': f'Bearer {api_key}', 'Idempotency-Key': key or uuid.uuid4().hex}
    for attempt in range(2):
        label = name if attempt == 0 else f'{name} (retry)'
        with client.post(path, json=body, headers=headers, name=label, catch_response=True) as answer:
            if answer.status_code in (200, 201, 202):
                answer.success()
                return answer.json()
            if answer.status_code == 429:
                answer.success()  # the shop front's own limit: not an error of the app
                return None
            answer.failure(f'{answer.status_code}')
    return None
