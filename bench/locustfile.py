"""Locust users for the deployment's load test (bench/deploy_load.py drives it headless through nginx).

Agents browse the requests list (the page's HTML, as a browser asks for it) and answer through the API (a follow-up
on a request: staff replies have no API, they are typed on the page); managers open the orders, customers and
requests lists; the front office posts requests, orders and event batches, each with an Idempotency-Key and one
retry with the same key, as a shop front would. Every acknowledged request and order number is appended to
LOAD_ACK_FILE so that the driver can check the database for each afterwards.

Environment: LOAD_AGENT_COOKIE, LOAD_MANAGER_COOKIE (a signed-in `session` cookie each), LOAD_API_KEYS
(comma-separated, one per front office user), LOAD_SKU, LOAD_ACK_FILE.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import uuid
from datetime import UTC, datetime

import urllib3
from locust import FastHttpUser, HttpUser, between, task

urllib3.disable_warnings()  # nginx's certificate is self-signed here
KEYS = itertools.cycle(os.environ.get('LOAD_API_KEYS', '').split(','))
SKU = os.environ.get('LOAD_SKU', 'LOAD-MUG')
ACKS = os.environ.get('LOAD_ACK_FILE', '/tmp/load-acks.txt')
_lock = threading.Lock()
_known: list[tuple[str, str]] = []  # (number, the customer's email) of acknowledged requests


def acknowledge(kind: str, number: str, email: str) -> None:
    with _lock, open(ACKS, 'a') as out:
        out.write(f'{kind} {number}\n')
    if kind == 'request':
        _known.append((number, email))


class Agent(HttpUser):
    """A member of staff on the requests list, answering now and then."""

    weight = 20
    wait_time = between(5, 15)  # a person reads the list between two loads

    def on_start(self) -> None:
        self.client.verify = False
        self.client.cookies.set('session', os.environ.get('LOAD_AGENT_COOKIE', ''))

    @task(3)
    def browse_requests(self) -> None:
        with self.client.get('/requests', name='agent: requests page', catch_response=True) as answer:
            if answer.status_code == 200 and 'login' in answer.url:
                answer.failure('signed out')

    @task(1)
    def reply(self) -> None:
        if not _known:
            return
        number, email = random.choice(_known[-200:])
        body = {'email': email, 'body': 'Thank you, "quoted": <b>noted</b>'}
        _post(self.client, f'/api/requests/{number}/messages', body, next(KEYS), 'agent: reply (API)')


class Manager(HttpUser):
    """A manager on the lists."""

    weight = 5
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.client.verify = False
        self.client.cookies.set('session', os.environ.get('LOAD_MANAGER_COOKIE', ''))

    @task
    def lists(self) -> None:
        path = random.choice(('/orders', '/customers', '/requests'))
        self.client.get(path, name=f'manager: {path} page')


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
