"""Core change events turned into NiceGUI Events, so every open page that shows a change can react at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui import Event, core

from backoffice import events

sessions_ended: Event[dict] = Event()  # {'user_id', 'epoch', 'keep'?}: that user's sessions end, but 'keep'


def wire() -> None:
    """Connect core topics to UI events (main.py calls this on every start; subscribing is idempotent)."""
    events.subscribe('sessions', _on_loop(sessions_ended), key='ui.sessions_ended')


def _on_loop(event: Event) -> Callable[[dict[str, Any]], None]:
    """Services may publish from a worker thread (run.io_bound); NiceGUI events must fire on the event loop."""
    def emit(payload: dict[str, Any]) -> None:
        loop = core.loop
        if loop is None or loop.is_closed():
            return
        if _is_loop_thread(loop):
            event.emit(payload)
        else:
            loop.call_soon_threadsafe(event.emit, payload)
    return emit


def _is_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
