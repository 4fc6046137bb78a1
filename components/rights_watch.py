"""An open page follows its person's rights: when an admin changes their role (or deactivates them), the page loads
again so that its build checks what they may see now, instead of live-refreshing what it showed before.

Not done: dropping on the server a page whose browser ignores being sent away (its refreshes read as the person it was
built for). Deleting the client ourselves races NiceGUI's own deletion after a disconnect (a KeyError in
`Client.delete`), so that needs NiceGUI's help (an API to close a client's sockets)."""

from __future__ import annotations

from nicegui import Client, ui

from backoffice import permissions
from backoffice.db import read_session
from backoffice.models import User

from . import live


def follow_rights(user: User) -> None:
    """On the page being built: reload it when this person's role or the rights it holds change, or they are
    deactivated (any change of their user record is checked against what the page was built with)."""
    built_with = (user.role, permissions.permissions_of(user.role), user.is_active)
    client = ui.context.client

    def on_user_changed(payload: dict) -> None:
        if payload.get('id') != user.id or client.id not in Client.instances:
            return
        with read_session() as session:
            now = session.get(User, user.id)
        if now is not None and (now.role, permissions.permissions_of(now.role), now.is_active) == built_with:
            return
        ui.navigate.reload()

    live.resource_changed('users').subscribe(on_user_changed)
