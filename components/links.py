"""Links to pages of this site: real links (<a href>, so they open in a new tab too), never to another site."""

from __future__ import annotations

from nicegui import ui

from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import RESOURCES


def record_link(key: str, record_id: int | None, text: str, user: User) -> ui.element:
    """A record's name as a link to its page (a real link: it opens in a new tab too) when the user may read it."""
    target = RESOURCES[key]
    if record_id is not None and target.page == f'/{key}/{{id}}' and can(user, target.read_permission):
        return (
            ui.link(text, f'/{key}/{record_id}')
            .classes('break-words min-w-0 max-w-full')
            .mark(f'{target.singular}-link')
        )
    return ui.label(text).classes('break-words min-w-0 max-w-full')


def site_link(text: str, path: str) -> ui.element:
    """A link to a page of this site (a path the core built: '/orders/A-1001'); anything else (javascript:, //host)
    is shown as text."""
    if not path.startswith('/') or path.startswith(('//', '/\\')):
        return ui.label(text)
    return ui.link(text, f'/{path[1:]}')
