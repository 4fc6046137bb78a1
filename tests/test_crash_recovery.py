"""The app killed with `kill -9` in the middle of writes loses nothing it acknowledged and does nothing twice: every
order and request the front office resends with its Idempotency-Key after the restart exists once, with the answer it
was first given (or, cut off unanswered, made by the retry exactly once); each order's stock is reserved once and each
record has exactly one webhook delivery queued per endpoint (the outbox commits with its change)."""

from __future__ import annotations

import signal
import time
from collections import Counter

import httpx

from .support.app_process import app_environment, start_app
from .support.shop_writers import Writers, consistency_problems, read_held, seed_shop, writes_waiting


def test_kill_9_mid_write_then_retries_lose_nothing_and_create_nothing_twice(tmp_path, database_url: str) -> None:
    """Issue 20's "21 orders were answered 500 but exist and hold stock" and "one acknowledged request had no webhook
    delivery queued", with orders and requests sent side by side by six clients."""
    shop = seed_shop()  # on this worker's database, which the app process then serves
    env = app_environment(database_url, tmp_path, BACKOFFICE_SCHEDULER='0')  # no dispatcher: deliveries stay queued
    log = tmp_path / 'server.log'
    url, process = start_app(env, log)
    writers = Writers(url, shop.secret, requests=True)
    try:
        writers.start()
        deadline = time.monotonic() + 60
        while len(writers.acknowledged('/api/orders')) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        with writes_waiting(database_url):  # killed while its writes wait for the database, as they did under load
            process.send_signal(signal.SIGKILL)  # mid-write: the clients are still sending
            process.wait()
    finally:
        writers.finish()
        if process.poll() is None:  # failed before the kill: the app must not outlive the test
            process.kill()
            process.wait()
    assert len(writers.acknowledged('/api/orders')) >= 12 and writers.acknowledged('/api/requests')
    failed = {
        key: (answer.status_code, answer.text) for key, answer in writers.answers.items() if answer.status_code != 201
    }
    assert not failed, 'a call was refused or failed before the kill'
    unanswered = [call for call in writers.sent if call.key not in writers.answers]
    assert unanswered, 'the kill cut no call off: nothing was proven'

    before_retries = read_held(database_url)
    url, process = start_app(env, log)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            for call in writers.sent:  # the front office resends everything it is not sure of, and more
                answer = writers.post(http, call)
                assert answer.status_code == 201, (call.key, answer.status_code, answer.text)
                first = writers.answers.get(call.key)
                if first is not None:
                    assert answer.json() == first.json(), 'a retry got another answer than the first call'
                    assert answer.headers.get('Idempotent-Replayed') == 'true'
                elif before_retries.made(call) is not None:  # made before the kill, its answer cut off: replayed
                    assert answer.json()['number'] == before_retries.made(call)
                    assert answer.headers.get('Idempotent-Replayed') == 'true'
                writers.answers[call.key] = answer
    finally:
        process.terminate()
        process.wait(timeout=20)

    held = read_held(database_url)
    assert consistency_problems(held) == []
    assert [held.made(call) for call in writers.sent] == [writers.answers[c.key].json()['number'] for c in writers.sent]
    assert len(held.orders) + len(held.requests) == len(writers.sent), 'a record made that no call asked for'
    for call in writers.sent:
        if call.path == '/api/orders':  # each order with the lines it was sent with, reserved once (checked above)
            order_id, _number = held.orders[call.body['external_id']]
            wanted = Counter({line['sku'].upper(): line['quantity'] for line in call.body['lines']})
            assert held.lines[order_id] == wanted
