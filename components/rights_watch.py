"""An open page follows its person's rights: when an admin changes their role (or deactivates them), the page loads
again so that its build checks what they may see now; and a page sent away that way or by a sign-out elsewhere is
dropped on the server a few seconds later, so that a browser which ignores being sent away gets no more of its data
(its live refreshes read as the person it was built for)."""

from __future__ import annotations

import asyncio

from nicegui import Client, background_tasks, ui

from backoffice import permissions
from backoffice.db import read_session
from backoffice.models import User

from . import live

GRACE_SECONDS = 5.0  # long enough for the browser to leave (it then disconnects and NiceGUI drops the page itself)


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
        drop_later(client)

    live.resource_changed('users').subscribe(on_user_changed)


def drop_later(client: Client) -> None:
    """Delete this page on the server after the grace period unless its browser left by then."""

    async def drop() -> None:
        await asyncio.sleep(GRACE_SECONDS)
        if client.id in Client.instances:
            client.delete()

    background_tasks.create(drop(), name=f'drop page {client.id}')
