"""Who else has a record open right now ("Also looking: Alex"), and who is writing in it ("Alex is writing a reply"):
this page joins the place and leaves when it is gone; the people come from backoffice/runtime/presence.py (this
process's pages and those other processes announce)."""

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
    client.on_delete(lambda: presence.leave(place, client.id))
    client.on_disconnect(lambda: presence.leave(place, client.id))
    client.on_connect(lambda: presence.join(place, client.id, user.id, user.name))
    presence.join(place, client.id, user.id, user.name)
    watch(place, user, on_change)


def watch(place: str, user: User, on_change: Callable[[list[str]], None]) -> None:
    """`on_change` gets the names of the people other than `user` at `place`, now and on each change, without this page
    joining it."""

    def others() -> list[str]:
        return sorted({name for user_id, name in presence.people(place) if user_id != user.id})

    live.resource_changed(presence.TOPIC).subscribe(
        lambda payload: on_change(others()) if place in (payload.get('places') or {}) else None
    )
    on_change(others())


class Writing:
    """Whether this page's person is writing at `place` (a reply box holding unsent text), announced as presence at
    that place: joined when the text starts, left once it is sent or emptied, and when the page goes (a closed tab
    with a draft left in it writes nothing more)."""

    def __init__(self, place: str, user: User) -> None:
        self.place, self.user, self.client = place, user, ui.context.client
        self.writing = False
        self.client.on_delete(self._stop)
        self.client.on_disconnect(self._stop)
        self.client.on_connect(lambda: self._announce() if self.writing else None)

    def set(self, writing: bool) -> None:
        if writing == self.writing:
            return
        self.writing = writing
        if writing:
            self._announce()
        else:
            presence.leave(self.place, self.client.id)

    def _announce(self) -> None:
        presence.join(self.place, self.client.id, self.user.id or 0, self.user.name)

    def _stop(self) -> None:
        presence.leave(self.place, self.client.id)
