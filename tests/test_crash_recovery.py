"""The app killed with `kill -9` in the middle of writes loses nothing it acknowledged and does nothing twice: every
request the front office resends with its Idempotency-Key after the restart exists once, with the number it was
first answered, and each has exactly one webhook delivery queued (the outbox commits with its change)."""

from __future__ import annotations

import json
import signal
import threading
import time

import httpx
from sqlalchemy import create_engine, text

from .support.app_process import app_environment, run_python, start_app
from .support.databases import fresh_database

PREPARE = """
from backoffice import db
from backoffice.config import get_settings
from backoffice.services import api_keys, users, webhooks
db.migrate(db.configure(get_settings().database_url))
with db.session_scope() as session:
    admin = users.create_user(
        session=session, actor=None, system=True,
        data={'email': 'crash.admin@example.com', 'name': 'Admin', 'role': 'admin', 'password': 'Tulip-Harbor-8815-q'},
    ).user
with db.session_scope() as session:
    _key, secret = api_keys.create_key(
        session=session, actor=None, system=True, name='Shop', scopes=('requests:write',)
    )
with db.session_scope() as session:
    webhooks.create_endpoint(
        session=session, actor=admin,
        data={'name': 'Shop', 'url': 'https://hooks.example.com/in', 'events': 'request.created', 'is_active': True},
    )
print(secret)
"""
CLIENTS = 6


def body(key: str) -> dict[str, str]:
    return {'email': f'{key}@example.com', 'subject': f'Crash "{key}": <script>x</script>', 'body': 'Hi: where?'}


def test_kill_9_mid_write_then_retries_lose_nothing_and_create_nothing_twice(tmp_path) -> None:
    database_url, drop = fresh_database(tmp_path, 'crash')
    env = app_environment(database_url, tmp_path, BACKOFFICE_SCHEDULER='0')
    log = tmp_path / 'server.log'
    try:
        secret = run_python(PREPARE, env).strip().splitlines()[-1]
        headers = {'Authorization': f'Bearer {secret}'}
        url, process = start_app(env, log)
        sent: list[str] = []
        first_answers: dict[str, int] = {}
        stop = threading.Event()

        def client(index: int) -> None:
            with httpx.Client(base_url=url, timeout=10) as http:
                for n in range(10_000):
                    if stop.is_set():
                        return
                    key = f'c{index}-{n}'
                    sent.append(key)
                    try:
                        answer = http.post('/api/requests', json=body(key), headers={**headers, 'Idempotency-Key': key})
                    except httpx.HTTPError:
                        return  # the server is gone
                    if answer.status_code == 201:
                        first_answers[key] = answer.json()['number']

        threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(first_answers) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # mid-write: the clients are still sending
        process.wait()
        stop.set()
        for thread in threads:
            thread.join()
        assert len(first_answers) >= 20

        url, process = start_app(env, log)
        try:
            with httpx.Client(base_url=url, timeout=30) as http:
                for key in sent:  # the front office resends everything it is not sure of, and more
                    answer = http.post('/api/requests', json=body(key), headers={**headers, 'Idempotency-Key': key})
                    assert answer.status_code == 201, answer.text
                    number = answer.json()['number']
                    if key in first_answers:
                        assert number == first_answers[key], 'a retry got another answer than the first call'
                        assert answer.headers.get('Idempotent-Replayed') == 'true'
                    first_answers[key] = number
        finally:
            process.terminate()
            process.wait(timeout=20)

        engine = create_engine(database_url)
        with engine.connect() as connection:
            subjects = [row[0] for row in connection.execute(text('SELECT subject FROM tickets'))]
            numbers = {row[0] for row in connection.execute(text('SELECT number FROM tickets'))}
            deliveries = [
                json.loads(row[0]) if isinstance(row[0], str) else row[0]
                for row in connection.execute(
                    text("SELECT payload FROM webhook_deliveries WHERE event = 'request.created'")
                )
            ]
        engine.dispose()
        assert len(subjects) == len(set(subjects)) == len(sent), 'a request was created twice, or lost'
        assert numbers == set(first_answers.values())
        delivered_numbers = sorted(d['request']['number'] for d in deliveries)
        assert delivered_numbers == sorted(numbers), 'a request without its webhook delivery, or with two'
    finally:
        drop()
