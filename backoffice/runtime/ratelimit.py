"""Token-bucket rate limits: N calls per period per key (an API key, a client address).

One process keeps its buckets in memory. Several app processes behind a proxy share them in Redis
(`BACKOFFICE_REDIS_URL`): one atomic script per call, on Redis's clock, so the limit holds across processes. If Redis
cannot be reached, each process falls back to its own buckets (logged) rather than refusing every call."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backoffice.config import get_settings

log = logging.getLogger(__name__)

API_KEY_CALLS_PER_MINUTE = get_settings().api_calls_per_minute  # per API key (BACKOFFICE_API_CALLS_PER_MINUTE)
RATING_CALLS_PER_MINUTE = 20  # per client address, on the token-authorised rating endpoint
CONTACT_FORM_SUBMISSIONS = 5  # per client address ...
CONTACT_FORM_PERIOD = 600.0  # ... per 10 minutes


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the next call would be allowed (0 when allowed)
    limit: int = 0  # the burst: calls allowed in a row from a full bucket
    remaining: int = 0  # calls allowed now, after this one
    reset: int = 0  # whole seconds until the bucket is full again (every call of the burst allowed)

    def headers(self) -> dict[str, str]:
        """The answer's rate-limit headers (IETF draft names): the limit, what is left, when it is all back."""
        return {
            'RateLimit-Limit': str(self.limit),
            'RateLimit-Remaining': str(self.remaining),
            'RateLimit-Reset': str(self.reset),
        }


class RateLimiter:
    """`limit` calls in a burst, refilled evenly over `period` seconds."""

    def __init__(
        self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic, name: str = ''
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError('limit must be at least 1 and period positive')
        self.limit, self.period, self.clock, self.name = limit, period, clock, name
        self._rate = limit / period  # tokens per second
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)
        self._lock = threading.Lock()  # API handlers run in a thread pool

    def hit(self, key: str) -> Decision:
        """Count one call for `key`, or refuse it with the seconds to wait."""
        shared = _shared_decision(self, key, take=True)
        if shared is not None:
            return shared
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - at) * self._rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > 10_000:
                    self._forget_full_buckets(now)
                return self._decision(True, tokens - 1)
            self._buckets[key] = (tokens, now)
            return self._decision(False, tokens)

    def peek(self, key: str) -> Decision:
        """Whether a call would be allowed now, without counting one (a form counts only what it accepts)."""
        shared = _shared_decision(self, key, take=False)
        if shared is not None:
            return shared
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - at) * self._rate)
            return self._decision(tokens >= 1, tokens)

    def _decision(self, allowed: bool, tokens: float) -> Decision:
        """What `tokens` left in a bucket mean for the caller (after the call counted, when it was allowed)."""
        return Decision(
            allowed,
            0 if allowed else max(1, math.ceil((1 - tokens) / self._rate)),
            limit=self.limit,
            remaining=max(0, math.floor(tokens)),
            reset=max(0, math.ceil((self.limit - tokens) / self._rate - 1e-9)),
        )

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
        if _redis is not None:
            try:
                keys = list(_redis.scan_iter(f'{_prefix}{self.name}:*'))
                if keys:
                    _redis.delete(*keys)
            except Exception:
                log.warning('could not reset the shared rate limits', exc_info=True)

    def _forget_full_buckets(self, now: float) -> None:
        # a bucket that has refilled is the same as no bucket: dropping it keeps memory bounded by active keys
        self._buckets = {
            key: (tokens, at)
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._rate < self.limit
        }


# --- shared buckets in Redis --------------------------------------------------------------------------------------

# KEYS[1]: the bucket; ARGV: limit, tokens per second, 1 to take a token (0 to peek). Returns {allowed, tokens}.
_BUCKET_SCRIPT = """
local limit, rate, take = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(saved[1]) or limit, tonumber(saved[2]) or now
tokens = math.min(limit, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  allowed = 1
  if take == 1 then tokens = tokens - 1 end
end
if take == 1 or saved[1] then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(limit / rate * 1000) + 1000)
end
return {allowed, tostring(tokens)}
"""
_redis: Any = None
_script: Any = None
_retry_redis_at = 0.0
REDIS_RETRY_SECONDS = 30
_prefix = 'backoffice:ratelimit:'


def configure(redis_url: str | None, *, prefix: str = 'backoffice:ratelimit:') -> None:
    """Share the buckets of every limiter through Redis (None: keep them in this process)."""
    global _redis, _script, _prefix, _retry_redis_at
    _redis, _script, _prefix, _retry_redis_at = None, None, prefix, 0.0
    if redis_url:
        import redis  # nicegui[redis] brings it; imported here so that one process never needs it

        _redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _script = _redis.register_script(_BUCKET_SCRIPT)


def _shared_decision(limiter: RateLimiter, key: str, *, take: bool) -> Decision | None:
    global _retry_redis_at
    if _script is None or time.monotonic() < _retry_redis_at:
        return None
    try:
        allowed, tokens = _script(
            keys=[f'{_prefix}{limiter.name}:{key}'], args=[limiter.limit, limiter._rate, 1 if take else 0]
        )
    except Exception:
        # not on every call: each attempt could wait for the connect timeout
        _retry_redis_at = time.monotonic() + REDIS_RETRY_SECONDS
        log.warning('Redis rate limit unavailable; this process counts on its own for %d s', REDIS_RETRY_SECONDS)
        return None
    return limiter._decision(bool(int(allowed)), float(tokens))


api_keys = RateLimiter(API_KEY_CALLS_PER_MINUTE, 60.0, name='api-keys')
ratings = RateLimiter(RATING_CALLS_PER_MINUTE, 60.0, name='ratings')
contact_form = RateLimiter(CONTACT_FORM_SUBMISSIONS, CONTACT_FORM_PERIOD, name='contact-form')


def reset_all() -> None:
    """Tests start with full buckets."""
    for limiter in (api_keys, ratings, contact_form):
        limiter.reset()
