"""This browser's unsent replies, one per request: what an agent typed in a request's reply box comes back when they
open that request again (a link followed, the page reloaded), until it is sent, added as a note or emptied. Kept in the
browser's session storage on the server (`app.storage.user`), the ten most recent requests at most."""

from __future__ import annotations

from .session import client_storage

KEY = 'reply_drafts'
KEPT = 10


def draft(number: str) -> str:
    """The reply typed for this request and not sent, or ''."""
    return str((client_storage().get(KEY) or {}).get(str(number), ''))


def keep(number: str, text: str) -> None:
    """Remember what is typed now ('' or blanks forget it); the oldest drafts go beyond KEPT."""
    drafts = {k: v for k, v in (client_storage().get(KEY) or {}).items() if k != str(number)}
    if text.strip():
        drafts[str(number)] = text  # the newest last
    if drafts != client_storage().get(KEY):
        client_storage()[KEY] = dict(list(drafts.items())[-KEPT:])
