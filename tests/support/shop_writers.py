"""A front office writing to a real app process: a shop seeded with an API key, two products in stock and two webhook
endpoints; client threads POSTing orders (and requests) with Idempotency-Keys, each call's answer kept; and what a
database then holds of those orders, read with plain SQL (the live database, or a backup of it)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backoffice import db
from backoffice.services import webhooks

from .api import make_key
from .factories import make_product, make_user

ON_HAND = 100_000  # never short: every order is placed (a refusal is tested elsewhere)
ENDPOINTS = {'Shop': 'order.created,request.created', 'Warehouse': '*'}


@dataclass(frozen=True)
class Shop:
    secret: str
    skus: tuple[str, ...]


def seed_shop() -> Shop:
    """On the database this process is configured for: an admin, a key that may send orders and requests, two
    products with ON_HAND each, and two active webhook endpoints that both want order.created."""
    admin = make_user('admin')
    skus = ('MUG', 'TEE')
    for sku in skus:
        make_product(sku, '12.50', stock_on_hand=ON_HAND, actor=admin)
    _key, secret = make_key('Shop', scopes=('orders:write', 'requests:write'))
    for name, wanted in ENDPOINTS.items():
        with db.session_scope() as session:
            webhooks.create_endpoint(
                session=session,
                actor=admin,
                data={
                    'name': name,
                    'url': f'https://{name.lower()}.example.com/in',
                    'events': wanted,
                    'is_active': True,
                },
            )
            session.commit()
    return Shop(secret, skus)


def order_body(key: str, client: int, n: int) -> dict[str, Any]:
    """The order sent under Idempotency-Key `key` (the same body on every retry): a mug or two, sometimes a tee."""
    lines = [{'sku': 'MUG', 'quantity': 1 + n % 3}]
    if (client + n) % 2:
        lines.append({'sku': 'tee', 'quantity': 1 + client % 2})  # SKUs in any case
    return {'external_id': f'shop-{key}', 'email': f'shopper{client}@example.com', 'name': 'Sam', 'lines': lines}


def request_body(key: str) -> dict[str, str]:
    return {'email': f'{key}@example.com', 'subject': f'Request {key}', 'body': 'Where is my parcel?'}


@dataclass
class Call:
    key: str
    path: str  # '/api/orders' or '/api/requests'
    body: dict[str, Any]


@dataclass
class Writers:
    """`clients` threads, each POSTing one call after the other until `stop` is set or the server is gone. `requests`:
    every other call is a request instead of an order."""

    url: str
    secret: str
    clients: int = 6
    requests: bool = False
    sent: list[Call] = field(default_factory=list)
    answers: dict[str, httpx.Response] = field(default_factory=dict)
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # key: when it was sent, when answered
    stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._client, args=(index,)) for index in range(self.clients)]
        for thread in self._threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()

    def acknowledged(self, path: str | None = None) -> list[Call]:
        return [
            call
            for call in self.sent
            if call.key in self.answers
            and self.answers[call.key].status_code == 201
            and (path is None or call.path == path)
        ]

    def post(self, http: httpx.Client, call: Call) -> httpx.Response:
        headers = {'Authorization': f'Bearer {self.secret}', 'Idempotency-Key': call.key}
        return http.post(call.path, json=call.body, headers=headers)

    def _client(self, index: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            for n in range(100_000):
                if self.stop.is_set():
                    return
                key = f'c{index}-{n}'
                if self.requests and n % 2:
                    call = Call(key, '/api/requests', request_body(key))
                else:
                    call = Call(key, '/api/orders', order_body(key, index, n))
                self.sent.append(call)
                started = time.monotonic()
                try:
                    self.answers[key] = self.post(http, call)
                except httpx.HTTPError:
                    return  # the server is gone
                self.spans[key] = (started, time.monotonic())

    def answered_during(self, start: float, end: float) -> list[str]:
        """The calls that were on their way while something else ran from `start` to `end` (time.monotonic())."""
        return [key for key, (sent, answered) in self.spans.items() if sent < end and answered > start]


@contextmanager
def writes_waiting(database_url: str) -> Iterator[None]:
    """The app's writes made to wait for another connection, as a backup or a busy database does: on SQLite that
    connection holds the write lock, so the app's next write waits at BEGIN, behind the calls already queued (with
    answers or outbox rows written in a transaction of their own, those would wait after their change committed); on
    PostgreSQL it locks the webhook outbox, so every call waits inside its transaction with its order or request
    written. Yields once a write waits (on SQLite: a moment later)."""
    url = make_url(database_url)
    if url.get_backend_name() == 'sqlite':
        holder = sqlite3.connect(url.database or '', timeout=60, isolation_level=None)  # waits its turn behind the app
        try:
            holder.execute('BEGIN IMMEDIATE')
            time.sleep(0.3)  # the calls on their way reach the lock (nothing to observe from here)
            yield
        finally:
            holder.execute('ROLLBACK')
            holder.close()
        return
    with psycopg.connect(url.set(drivername='postgresql').render_as_string(hide_password=False)) as holder:
        holder.execute('LOCK TABLE webhook_deliveries IN EXCLUSIVE MODE')  # reads go on, inserts wait
        with psycopg.connect(url.set(drivername='postgresql').render_as_string(hide_password=False)) as watcher:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'webhook_deliveries'::regclass"
                ).fetchone()
                watcher.rollback()
                if waiting and waiting[0]:
                    break
                time.sleep(0.02)
        yield
        holder.rollback()


@dataclass(frozen=True)
class Held:
    """What a database holds of the shop's orders and requests."""

    orders: dict[str, tuple[int, str]]  # external_id: (id, number)
    lines: dict[int, Counter]  # order id: quantity per SKU
    stock: dict[str, tuple[int, int, int]]  # SKU: (on hand, reserved, available)
    created_events: Counter  # order id: its timeline's "created" entries
    created_audits: Counter  # order id: its audit log's order.created entries
    deliveries: Counter  # (endpoint name, dedup key): how many
    delivered_numbers: dict[str, str]  # dedup key: the order or request number its payload carries
    idempotency: dict[str, tuple[int, dict[str, Any]]]  # Idempotency-Key: (status code, the answer kept)
    requests: dict[str, tuple[int, int]]  # subject: (id, number)
    doubled: list[str]  # external ids and subjects found more than once

    def made(self, call: Call) -> str | int | None:
        """The number of the order or request this call made, if the database holds it."""
        if call.path == '/api/orders':
            found = self.orders.get(call.body['external_id'])
        else:
            found = self.requests.get(call.body['subject'])
        return found[1] if found else None

    def reserved_by_orders(self) -> Counter:
        total: Counter = Counter()
        for quantities in self.lines.values():
            total.update(quantities)
        return total


def read_held(database_url: str) -> Held:
    """Read with an engine of its own (the app's rules play no part): a SQLite file or a PostgreSQL database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:

            def rows(query: str) -> list[Any]:
                return list(connection.execute(text(query)))

            lines: dict[int, Counter] = {}
            for order_id, sku, quantity in rows('SELECT order_id, sku, quantity FROM order_lines'):
                lines.setdefault(order_id, Counter())[sku] += quantity
            deliveries: Counter = Counter()
            delivered: dict[str, str] = {}
            for name, key, payload in rows(
                'SELECT e.name, d.dedup_key, d.payload FROM webhook_deliveries d '
                'JOIN webhook_endpoints e ON e.id = d.endpoint_id'
            ):
                deliveries[name, key] += 1
                data = json.loads(payload) if isinstance(payload, str) else payload
                delivered[key] = str((data.get('order') or data.get('request'))['number'])
            orders = rows('SELECT external_id, id, number FROM orders')
            tickets = rows('SELECT subject, id, number FROM tickets')
            names = Counter([row[0] for row in orders] + [row[0] for row in tickets])
            return Held(
                orders={row[0]: (row[1], row[2]) for row in orders},
                lines=lines,
                stock={
                    row[0]: tuple(row[1:]) for row in rows('SELECT sku, on_hand, reserved, available FROM stock_levels')
                },
                created_events=Counter(
                    row[0] for row in rows("SELECT order_id FROM order_events WHERE kind = 'created'")
                ),
                created_audits=Counter(
                    int(row[0]) for row in rows("SELECT entity_id FROM audit_log WHERE action = 'order.created'")
                ),
                deliveries=deliveries,
                delivered_numbers=delivered,
                idempotency={
                    row[0]: (row[1], json.loads(row[2]) if isinstance(row[2], str) else row[2])
                    for row in rows('SELECT idempotency_key, status_code, response FROM api_idempotency')
                },
                requests={row[0]: (row[1], row[2]) for row in tickets},
                doubled=sorted(name for name, times in names.items() if times > 1),
            )
    finally:
        engine.dispose()


def consistency_problems(held: Held) -> list[str]:
    """What this database says against itself about the orders and requests it holds (empty: nothing): stock
    reserved other than by its orders' lines; an order without its lines, its one timeline entry, its one audit entry;
    an order or request without exactly one delivery per endpoint, or a delivery of one that is not there; an
    Idempotency-Key held without an answer, or whose answer names another order or request than the one made."""
    problems = [f'{name} exists more than once' for name in held.doubled]
    by_orders = held.reserved_by_orders()
    for sku, level in sorted(held.stock.items()):
        if level != (ON_HAND, by_orders[sku], ON_HAND - by_orders[sku]):
            problems.append(f'{sku}: on hand, reserved, available {level}; its orders reserve {by_orders[sku]}')
    expected: Counter = Counter()
    numbers: dict[str, str] = {}
    for external_id, (order_id, number) in held.orders.items():
        if not held.lines.get(order_id):
            problems.append(f'order {number} has no lines')
        if (held.created_events[order_id], held.created_audits[order_id]) != (1, 1):
            problems.append(
                f'order {number}: {held.created_events[order_id]} timeline and {held.created_audits[order_id]} '
                'audit entries of its creation'
            )
        numbers[f'order.created:{order_id}'] = number
        _answered(held, external_id.removeprefix('shop-'), number, problems)
    for subject, (ticket_id, number) in held.requests.items():
        numbers[f'request.created:{ticket_id}'] = str(number)
        _answered(held, subject.removeprefix('Request '), number, problems)
    for key in numbers:
        for name in ENDPOINTS:
            expected[name, key] = 1
    if held.deliveries != expected:
        extra, missing = held.deliveries - expected, expected - held.deliveries
        problems.append(f'deliveries not one per record and endpoint: extra {sorted(extra)}, missing {sorted(missing)}')
    wrong = {
        key: held.delivered_numbers.get(key)
        for key, number in numbers.items()
        if held.delivered_numbers.get(key) != number
    }
    if wrong:
        problems.append(f'deliveries carrying another number than their record: {wrong}')
    answered = {external_id.removeprefix('shop-') for external_id in held.orders} | {
        subject.removeprefix('Request ') for subject in held.requests
    }
    stray = sorted(set(held.idempotency) - answered)
    if stray:
        problems.append(f'Idempotency-Keys kept for nothing that exists: {stray}')
    return problems


def _answered(held: Held, key: str, number: str | int, problems: list[str]) -> None:
    if key not in held.idempotency:
        problems.append(f'{key} was made but its Idempotency-Key and answer were not kept')
        return
    status, answer = held.idempotency[key]
    if status != 201 or answer.get('number') != number:
        problems.append(f'the answer kept for {key} is {status} {answer}, not {number}')
