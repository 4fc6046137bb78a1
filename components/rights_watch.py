"""An open page follows its person's rights: when an admin changes their role or what their custom role grants (or
deactivates them), a page they may no longer open loads again so that its build says so, instead of live-refreshing
what it showed before; one they still may open tells them, and keeps what they typed.

Not done: dropping on the server a page whose browser ignores being sent away (its refreshes read as the person it was
built for). Deleting the client ourselves races NiceGUI's own deletion after a disconnect (a KeyError in
`Client.delete`), so that needs NiceGUI's help (an API to close a client's sockets)."""

from __future__ import annotations

from nicegui import Client, ui

from backoffice import permissions
from backoffice.db import read_session
from backoffice.i18n import _
from backoffice.models import User
from backoffice.services import roles

from . import live


def follow_rights(user: User, page_permission: str | None) -> None:
    """On the page being built (`page_permission`: what its screen needs): when this person's role or what it grants
    changes (an admin gives them another role or edits their custom role) or they are deactivated, a page they may no
    longer open loads again (its guard then says so, and its live refreshes stop showing what is no longer theirs); a
    page they still may open says, and stays, so that what they were typing is not lost."""
    built_with = (user.role, permissions.permissions_of(user.role), user.is_active)
    role_now = [user.role]  # as the last check read it: an admin may give a built-in role's person a custom role
    client = ui.context.client

    def check(*, reread_roles: bool = False) -> None:
        if client.id not in Client.instances:
            return
        with read_session() as session:
            if reread_roles:  # whichever hears the change first reads it (roles.reread may come after this)
                roles.forget()
                roles.sync(session)
            now = session.get(User, user.id)
        if now is not None:
            role_now[0] = now.role
        if now is not None and (now.role, permissions.permissions_of(now.role), now.is_active) == built_with:
            return
        if now is None or not now.is_active or (page_permission and not permissions.can(now, page_permission)):
            ui.navigate.reload()
            return
        ui.notify(
            _('Your access has changed: some actions may now be refused. Reload the page to see what you may do.'),
            type='warning',
            timeout=0,
            close_button=_('OK'),
        )

    def on_user_changed(payload: dict) -> None:
        if payload.get('id') == user.id:
            check()

    def on_role_changed(payload: dict) -> None:
        # a built-in role's rights are fixed in the code; a custom role's edits are followed, including one given
        # after the page was built (it followed only the role it was built for, so an agent given a custom role kept
        # a page that role then lost, and a test passed only on an older page's reload in the simulated browser)
        if not permissions.is_built_in(role_now[0]) and payload.get('key') in (None, role_now[0]):
            check(reread_roles=True)

    live.resource_changed('users').subscribe(on_user_changed)
    live.resource_changed('roles').subscribe(on_role_changed)
