"""One way to wait for something in a test: `await eventually(condition)`, with one timeout policy."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar('T')

POLL_SECONDS = 0.01  # how often a wait looks again: a wait ends at most this long after its condition holds


def default_timeout() -> float:
    """BACKOFFICE_TEST_TIMEOUT (seconds, default 15): how long any test waits for a page, a list or a browser."""
    return float(os.environ.get('BACKOFFICE_TEST_TIMEOUT') or 15)


async def eventually(condition: Callable[[], T], timeout: float | None = None, *, message: str = '') -> T:
    """Wait until `condition()` is truthy and return its value; raise AssertionError saying what was awaited (the
    message, else the condition's source name) once the timeout (default: `default_timeout()`) has passed.
    An AssertionError raised by the condition counts as "not yet" and is shown if it never passes."""
    limit = default_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    last_error: AssertionError | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
            last_error = None
        except AssertionError as error:
            last_error = error
        if time.monotonic() >= deadline:
            what = message or getattr(condition, '__qualname__', repr(condition))
            detail = f': {last_error}' if last_error else ''
            raise AssertionError(f'not true within {limit:g} s: {what}{detail}')
        await asyncio.sleep(POLL_SECONDS)


def patient_should_see() -> None:
    """Make NiceGUI's `User.should_see` / `should_not_see` wait as `eventually` does: up to `default_timeout()` however
    many `retries` a test passes (their own default, 3 tries 0.1 s apart, fails under load on a busy machine), looking
    again every POLL_SECONDS rather than every 0.1 s. They still return as soon as the page agrees."""
    from nicegui.testing import User

    if getattr(User, '_patient', False):
        return

    async def should_see(self, target=None, *, kind=None, marker=None, content=None, retries: int = 3) -> None:
        if self._sees(target, kind, marker, content):
            return
        try:
            await eventually(
                lambda: self._sees(target, kind, marker, content), timeout=max(default_timeout(), retries * 0.1)
            )
        except AssertionError:
            message = self._build_error_message(target, kind, marker, content)
            raise AssertionError(f'expected to see at least one {message}') from None

    async def should_not_see(self, target=None, *, kind=None, marker=None, content=None, retries: int = 3) -> None:
        if not self._sees(target, kind, marker, content):
            return
        try:
            await eventually(
                lambda: not self._sees(target, kind, marker, content), timeout=max(default_timeout(), retries * 0.05)
            )
        except AssertionError:
            message = self._build_error_message(target, kind, marker, content)
            raise AssertionError(f'expected not to see any {message}') from None

    User.should_see, User.should_not_see, User._patient = should_see, should_not_see, True
