"""Several app processes share one Redis: an API key's limit holds across all of them, not per process."""

from __future__ import annotations

import uuid

import pytest

from backoffice.runtime import ratelimit

REDIS_URL = 'redis://127.0.0.1:6379/15'


@pytest.fixture
def shared() -> str:
    redis = pytest.importorskip('redis')
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip('no Redis at 127.0.0.1:6379')
    prefix = f'test:{uuid.uuid4().hex}:'
    ratelimit.configure(REDIS_URL, prefix=prefix)
    yield prefix
    ratelimit.configure(None)


def test_two_processes_share_one_limit(shared: str) -> None:
    # two limiters with the same name stand for the same limiter in two processes
    first, second = (ratelimit.RateLimiter(4, 60.0, name='api-keys') for _ in range(2))
    decisions = [limiter.hit('key:abc').allowed for limiter in (first, second, first, second, first)]
    assert decisions == [True, True, True, True, False]
    refused = second.hit('key:abc')
    assert not refused.allowed and 1 <= refused.retry_after <= 15
    assert first.hit('key:other').allowed  # each key has its own bucket


def test_peek_counts_nothing_and_reset_empties_the_shared_buckets(shared: str) -> None:
    limiter = ratelimit.RateLimiter(1, 600.0, name='contact-form')
    assert limiter.peek('address:1').allowed
    assert limiter.hit('address:1').allowed
    assert not limiter.peek('address:1').allowed
    limiter.reset()
    assert limiter.hit('address:1').allowed


def test_without_redis_each_process_counts_for_itself() -> None:
    ratelimit.configure('redis://127.0.0.1:1/0')  # nothing listens there: falls back to the local bucket
    try:
        limiter = ratelimit.RateLimiter(1, 60.0, name='api-keys')
        assert limiter.hit('key:x').allowed
        assert not limiter.hit('key:x').allowed
    finally:
        ratelimit.configure(None)
