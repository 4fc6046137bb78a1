"""Change events as plain Python: services publish (topic, payload) after commit; subscribers fan out (UI, webhooks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[dict[str, Any]], Any]
_subscribers: dict[str, dict[str, Subscriber]] = {}


def subscribe(topic: str, callback: Subscriber, *, key: str | None = None) -> None:
    """Register a callback; the key makes it idempotent (main.py re-wires on every start, tests start often)."""
    _subscribers.setdefault(topic, {})[key or f'{callback.__module__}.{callback.__qualname__}'] = callback


def publish(topic: str, payload: dict[str, Any]) -> None:
    """Call only after the commit that made the change, never before."""
    for callback in list(_subscribers.get(topic, {}).values()):
        try:
            callback(payload)
        except Exception:
            log.exception('subscriber of %s failed', topic)


def clear() -> None:
    _subscribers.clear()
