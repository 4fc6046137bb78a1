"""Work a page starts while it is built and that the served page waits for: a list's first rows go out in the page's
HTML, instead of one websocket round-trip after the page has loaded (issue 20, "first rows")."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any
from weakref import WeakKeyDictionary

from nicegui import Client, background_tasks, ui

# how long a page waits for that work before it is served without it: the work goes on, and what it shows then
# reaches the browser over the websocket, as it did before
BUDGET = 1.0  # seconds

_OPEN: WeakKeyDictionary[Client, list[asyncio.Task]] = WeakKeyDictionary()


def start(work: Coroutine[Any, Any, Any], *, name: str) -> bool:
    """Run `work` in the current slot now, and serve the page being built once it is done (within BUDGET). False when
    no page is being built for the current client (a handler, a timer): then nothing is started and the caller does
    the work its usual way."""
    try:
        client = ui.context.client
    except RuntimeError:
        work.close()
        return False
    tasks = _OPEN.get(client)
    if tasks is None or client.has_socket_connection:
        work.close()
        return False
    tasks.append(background_tasks.create(work, name=name, context=ui.context.slot))
    return True


def begin() -> None:
    """The registry opens the page being built for work (before its builder runs)."""
    _OPEN[ui.context.client] = []


async def settle() -> None:
    """The registry waits for the work its page started, then serves the page; later work uses the websocket."""
    client = ui.context.client
    tasks = _OPEN.pop(client, [])
    if not tasks:
        return
    done, _ = await asyncio.wait(tasks, timeout=BUDGET)
    # NiceGUI serves the page at once when something on it awaits the browser's connection (a ui.timer does): the
    # served page then lacks this work, and its queued updates are the only way it reaches the browser
    served_early = getattr(client, '_waiting_for_connection', None)
    if len(done) == len(tasks) and not client.has_socket_connection and not (served_early and served_early.is_set()):
        # the page about to be served shows every element as it is now: the updates queued while it was built would
        # only send the same rows again once the browser connects, and redraw the list (its cards) under the reader
        client.outbox.updates.clear()


def end() -> None:
    """Whatever happened, the page being built no longer takes work (a no-access page, a builder that raised)."""
    try:
        _OPEN.pop(ui.context.client, None)
    except RuntimeError:
        pass
