"""Redis lost while the app runs (docs/DEPLOY.md, "When a process stops"): a redis-server of the test's own (never the
machine's shared one) is killed in the middle, then started again.

What a person notices: the front office's rate-limited API calls still answer (each process counts on its own, never a
500) and shared counting resumes once Redis is back; live updates within a process never went through Redis; a browser
stays signed in on the process that holds its session, and only a process that never held it sends it to sign in."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from nicegui import app
from nicegui.storage import Storage
from nicegui.testing import User as SimulatedUser

from backoffice import events
from backoffice.api.requests import router
from backoffice.events import Topic
from backoffice.runtime import ratelimit

from .support.api import api_client, bearer, make_key
from .support.factories import make_user
from .support.private_servers import PrivateRedis, missing_redis
from .support.signin import sign_in
from .support.waiting import eventually

LIMIT = 3  # calls a minute per API key, here


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    reason = missing_redis()
    if reason:
        if os.environ.get('CI') == 'true':  # .ci/run installs redis-server
            pytest.fail(reason)
        pytest.skip(reason)
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def shared_limits(private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The API's limit shared through the private Redis, as with BACKOFFICE_REDIS_URL; Redis is tried again 0.2 s after
    a failure instead of 30 s."""
    prefix = f'test:{uuid.uuid4().hex}:'
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(LIMIT, 60.0, name='api-keys'))
    monkeypatch.setattr(ratelimit, 'REDIS_RETRY_SECONDS', 0.2)
    ratelimit.configure(private_redis.url, prefix=prefix)
    yield prefix
    ratelimit.configure(None)


def body(n: int) -> dict[str, str]:
    return {'email': f'shopper{n}@example.com', 'subject': f'Where is parcel {n}?', 'body': 'It has not come.'}


async def test_api_calls_still_answer_without_redis_and_share_their_limit_again_when_it_is_back(
    private_redis: PrivateRedis, shared_limits: str
) -> None:
    key, secret = make_key()
    bucket = f'key:{key.prefix}'  # the API's bucket for this key
    other_process = ratelimit.RateLimiter(LIMIT, 60.0, name='api-keys')  # the same limit in a second app process
    heard: list[dict] = []
    events.subscribe(Topic.tickets, heard.append, key='test-redis-lost')
    async with api_client(router) as client:

        async def call(n: int) -> int:
            answer = await client.post('/api/requests', json=body(n), headers=bearer(secret))
            assert answer.status_code < 500, answer.text
            if answer.status_code == 429:
                assert int(answer.headers['Retry-After']) >= 1
            return answer.status_code

        # Redis up: the two processes draw on one bucket
        assert [await call(1), other_process.hit(bucket).allowed, await call(2), await call(3)] == [201, True, 201, 429]
        await eventually(lambda: shared_keys(private_redis, shared_limits), message='the count is kept in Redis')

        private_redis.kill()
        heard.clear()
        # Redis gone: each process counts on its own; every call answers, none is a 500
        assert [await call(n) for n in range(10, 10 + LIMIT + 2)] == [201] * LIMIT + [429, 429]
        assert other_process.hit(bucket).allowed, 'the other process counts its own calls'
        await eventually(lambda: len(heard) >= LIMIT, message='live updates in this process still arrive')

        private_redis.start()  # empty, on the same port
        probe = ratelimit.RateLimiter(LIMIT, 60.0, name='api-keys')
        await eventually(lambda: probe.hit('key:probe').allowed and shared_keys(private_redis, shared_limits),
                         message='once the retry delay has passed, the limits are counted in Redis again')  # fmt: skip
        # shared again: a fresh bucket in Redis that both processes draw on (this process's own bucket is empty)
        assert [await call(20), other_process.hit(bucket).allowed, await call(21), await call(22)] == [
            201,
            True,
            201,
            429,
        ]


def shared_keys(server: PrivateRedis, prefix: str) -> list[bytes]:
    try:
        return list(redis.Redis(port=server.port, socket_timeout=5).scan_iter(f'{prefix}*'))
    except redis.RedisError:
        return []


# NiceGUI logs each session's Redis listener ending (it does not start again) and each storage write that fails
@pytest.mark.expect_error('Unexpected error in Redis listener', 'Connect call failed')
async def test_a_browser_stays_signed_in_on_its_process_while_redis_is_down(
    user: SimulatedUser, create_user, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions live in NiceGUI's user storage, in Redis with NICEGUI_REDIS_URL, and in the memory of each process
    that served the browser. Without Redis that copy keeps the browser signed in (nginx keeps sending it to the same
    process); a process that never held it finds nothing and asks to sign in, which works (the session then lives in
    that process only); once Redis is back, new sessions are shared again."""
    prefix = f'test:{uuid.uuid4().hex}:'
    monkeypatch.setattr(Storage, 'redis_url', private_redis.url)
    monkeypatch.setattr(Storage, 'redis_key_prefix', prefix)
    staff = make_user('agent')
    await sign_in(user, staff.email)
    await user.should_see('Welcome')
    await eventually(lambda: shared_keys(private_redis, prefix), message='the session is kept in Redis')

    private_redis.kill()
    await user.open('/requests')  # the same process: its copy of the session
    await user.should_see('Requests')
    await user.should_not_see('Log in')

    forget_sessions_of(staff.id)  # what another process, which never served this browser, holds of it: nothing
    await user.open('/requests')
    await user.should_see('Log in')
    await sign_in(user, staff.email, path='/requests')  # signing in works without Redis
    await user.should_see('Requests')
    await user.should_not_see('Log in')

    private_redis.start()  # empty: a session no process holds is gone (DEPLOY.md: no persistence needed)
    await user.open('/requests')
    await user.should_see('Requests')
    other_browser = create_user()
    await sign_in(other_browser, make_user('manager').email)
    await other_browser.should_see('Welcome')
    await eventually(lambda: shared_keys(private_redis, prefix), message='a new session is kept in Redis again')


def forget_sessions_of(user_id: int) -> None:
    users = app.storage._users  # noqa: SLF001
    for session_id in [key for key, storage in users.items() if storage.get('user_id') == user_id]:
        del users[session_id]
