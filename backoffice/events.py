"""Change events as plain Python: services publish (topic, payload) after commit; subscribers fan out (UI, webhooks).
With several processes on one PostgreSQL, event_relay carries each event to the other processes too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[dict[str, Any]], Any]
_subscribers: dict[str, dict[str, Subscriber]] = {}
_relay: Callable[[str, dict[str, Any]], None] | None = None


def subscribe(topic: str, callback: Subscriber, *, key: str | None = None) -> None:
    """Register a callback; the key makes it idempotent (main.py re-wires on every start, tests start often)."""
    _subscribers.setdefault(topic, {})[key or f'{callback.__module__}.{callback.__qualname__}'] = callback


def publish(topic: str, payload: dict[str, Any]) -> None:
    """Call only after the commit that made the change, never before."""
    deliver(topic, payload)
    if _relay is not None:
        _relay(topic, payload)


def deliver(topic: str, payload: dict[str, Any]) -> None:
    """Hand an event to this process's subscribers (published here, or relayed from another process)."""
    for callback in list(_subscribers.get(topic, {}).values()):
        try:
            callback(payload)
        except Exception:
            log.exception('subscriber of %s failed', topic)


def set_relay(relay: Callable[[str, dict[str, Any]], None] | None) -> None:
    global _relay
    _relay = relay


def clear() -> None:
    _subscribers.clear()
