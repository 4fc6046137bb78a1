"""Who else has a record open right now ("Also looking: Alex"): this page joins the place and leaves when it is gone;
the people come from backoffice/runtime/presence.py (this process's pages and those other processes announce)."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import Client, ui

from backoffice.models import User
from backoffice.runtime import presence

from . import live


def join(place: str, user: User, on_change: Callable[[list[str]], None]) -> None:
    """Announce this page at `place`; `on_change` gets the names of the *other* people there, now and on each change.
    A page leaves as soon as its connection drops (a closed tab) and comes back if it reconnects (a dropped
    connection: NiceGUI keeps the page for main.py's reconnect_timeout)."""
    client = ui.context.client
    presence.keep_only(set(Client.instances))  # pages deleted without their handlers running (an app restart)
    event = live.resource_changed(presence.TOPIC)

    def others() -> list[str]:
        return sorted({name for user_id, name in presence.people(place) if user_id != user.id})

    event.subscribe(lambda payload: on_change(others()) if place in (payload.get('places') or {}) else None)
    client.on_delete(lambda: presence.leave(place, client.id))
    client.on_disconnect(lambda: presence.leave(place, client.id))
    client.on_connect(lambda: presence.join(place, client.id, user.id, user.name))
    presence.join(place, client.id, user.id, user.name)
    on_change(others())
