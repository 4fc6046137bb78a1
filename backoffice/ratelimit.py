"""A small in-process token-bucket rate limiter: N calls per period per key (an API key, a client address).

Every process keeps its own buckets, which is right for one process. Several app processes behind a proxy would
each allow the full rate; they should share the count in Redis (an INCR with EXPIRE per window), not here."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

API_KEY_CALLS_PER_MINUTE = 60      # per API key, on the intake API
RATING_CALLS_PER_MINUTE = 20       # per client address, on the token-authorised rating endpoint
CONTACT_FORM_SUBMISSIONS = 5       # per client address ...
CONTACT_FORM_PERIOD = 600.0        # ... per 10 minutes


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the next call would be allowed (0 when allowed)


class RateLimiter:
    """`limit` calls in a burst, refilled evenly over `period` seconds."""

    def __init__(self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or period <= 0:
            raise ValueError('limit must be at least 1 and period positive')
        self.limit, self.period, self.clock = limit, period, clock
        self._rate = limit / period  # tokens per second
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)
        self._lock = threading.Lock()  # API handlers run in a thread pool

    def hit(self, key: str) -> Decision:
        """Count one call for `key`, or refuse it with the seconds to wait."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - at) * self._rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > 10_000:
                    self._forget_full_buckets(now)
                return Decision(True)
            self._buckets[key] = (tokens, now)
            return Decision(False, max(1, math.ceil((1 - tokens) / self._rate)))

    def peek(self, key: str) -> Decision:
        """Whether a call would be allowed now, without counting one (a form counts only what it accepts)."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - at) * self._rate)
            return Decision(True) if tokens >= 1 else Decision(False, max(1, math.ceil((1 - tokens) / self._rate)))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _forget_full_buckets(self, now: float) -> None:
        # a bucket that has refilled is the same as no bucket: dropping it keeps memory bounded by active keys
        self._buckets = {key: (tokens, at) for key, (tokens, at) in self._buckets.items()
                         if tokens + (now - at) * self._rate < self.limit}


api_keys = RateLimiter(API_KEY_CALLS_PER_MINUTE, 60.0)
ratings = RateLimiter(RATING_CALLS_PER_MINUTE, 60.0)
contact_form = RateLimiter(CONTACT_FORM_SUBMISSIONS, CONTACT_FORM_PERIOD)


def reset_all() -> None:
    """Tests start with full buckets."""
    for limiter in (api_keys, ratings, contact_form):
        limiter.reset()
