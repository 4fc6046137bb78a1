"""Core change events turned into NiceGUI Events, so every open page that shows a change can react at once."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable
from typing import Any

from nicegui import Event, core, ui
from nicegui.helpers import expects_arguments

from backoffice import events
from backoffice.events import Topic

sessions_ended: Event[dict] = Event()  # {'user_id', 'epoch'?, 'keep'?, 'session_ids'?}: sessions that end
settings_changed: Event[dict] = Event()  # {'keys'}: application settings saved (the company name in the header)


_resource_events: dict[str, Event[dict]] = {}  # resource key → {'id', 'action'} after each committed change


def resource_changed(key: str) -> Event[dict]:
    """The event a list or form of this resource subscribes to (one per resource, shared by all clients); a resource
    that publishes nothing (its key is no Topic: the audit log) gets an event that never fires."""
    if key not in _resource_events:
        _resource_events[key] = Event()
        if events.is_topic(key):
            # first the generation, in the publishing thread: every page refreshing for this change sees the new one
            events.subscribe(Topic(key), lambda _payload: _bump(key), key=f'ui.generation.{key}')
            events.subscribe(Topic(key), _on_loop(_resource_events[key]), key=f'ui.resource.{key}')
    return _resource_events[key]


_generations: dict[str, int] = {}


def generation(key: str) -> int:
    """How many changes of this resource this process has heard of: reads made for the same generation agree."""
    return _generations.get(key, 0)


def _bump(key: str) -> None:
    _generations[key] = _generations.get(key, 0) + 1


def wire() -> None:
    """Connect core topics to fresh UI events; main.py calls this on every start (the test fixture starts the app for
    each test and only resets events it still tracks, so reusing one from an earlier start would keep stale clients)."""
    global sessions_ended, settings_changed
    sessions_ended = Event()
    events.subscribe(Topic.sessions, _on_loop(sessions_ended), key='ui.sessions_ended')
    settings_changed = Event()
    events.subscribe(Topic.settings, _on_loop(settings_changed), key='ui.settings_changed')
    _resource_events.clear()


def _on_loop(event: Event) -> Callable[[dict[str, Any]], None]:
    """Services may publish from a worker thread (run.io_bound); NiceGUI events must fire on the event loop.

    Each fires in a context of its own, not the publisher's: a service runs in its caller's language (`forms.call`'s
    `i18n.use`, the API's), which the loop's hand-over and every task a subscriber starts would otherwise carry into
    each page the change reaches. A French agent's list and request then redrew in English at an English colleague's
    change or a request from the API, and an English agent's in French at a French colleague's."""

    def emit(payload: dict[str, Any]) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a worker thread: hand over to NiceGUI's loop
            if core.loop is not None and not core.loop.is_closed():
                core.loop.call_soon_threadsafe(event.emit, payload, context=contextvars.Context())
            return
        contextvars.Context().run(event.emit, payload)

    return emit


def in_page(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A handler for a control inside a list that a live update rebuilds (cards, rows of a panel): it runs in the page
    rather than in the control's own container, so that when a colleague's change rebuilds the list while it runs
    (or just before it starts), what it says and the dialogs it opens still reach the page, and `acting_user()` still
    knows the browser. NiceGUI runs a handler in its element's parent slot, which dies with the rebuilt list."""
    page = ui.context.client.content

    async def run_with(*args: Any) -> None:
        with page:
            result = handler(*args)
            if inspect.isawaitable(result):
                await result

    if expects_arguments(handler):

        async def with_event(event: Any) -> None:
            await run_with(event)

        return with_event

    async def without_event() -> None:
        await run_with()

    return without_event
