"""Who else has a record open right now ("Also here: Alex"), per process: open pages announce themselves and leave."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import Client, ui

from backoffice.models import User

from . import live

_here: dict[str, dict[str, tuple[int, str]]] = {}  # place ("tickets/42") → client id → (user id, name)
TOPIC = 'presence'


def join(place: str, user: User, on_change: Callable[[list[str]], None]) -> None:
    """Announce this page at `place`; `on_change` gets the names of the *other* people there, now and on each change.
    A page leaves when its browser tab is gone (NiceGUI deletes the client a few seconds after it disconnects)."""
    client = ui.context.client
    _forget_gone_clients()
    _here.setdefault(place, {})[client.id] = (user.id, user.name)
    event = live.resource_changed(TOPIC)

    def others() -> list[str]:
        return sorted({name for user_id, name in _here.get(place, {}).values() if user_id != user.id})

    def leave() -> None:
        people = _here.get(place, {})
        people.pop(client.id, None)
        if not people:
            _here.pop(place, None)
        event.emit({'place': place})

    event.subscribe(lambda payload: on_change(others()) if payload.get('place') == place else None)
    client.on_delete(leave)
    event.emit({'place': place})
    on_change(others())


def _forget_gone_clients() -> None:
    """A client deleted without its handlers running (a restart of the app in tests) must not stay "here"."""
    for place, people in list(_here.items()):
        for client_id in [c for c in people if c not in Client.instances]:
            del people[client_id]
        if not people:
            del _here[place]


def people_at(place: str) -> list[str]:
    return sorted({name for _, name in _here.get(place, {}).values()})
