"""The digest's one-click unsubscribe for mail clients (RFC 8058: `List-Unsubscribe-Post`): a POST to the link of the
`List-Unsubscribe` header, no sign-in; the signed token in the address says whose digest stops."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from backoffice.api.input_rules import StrictRoute
from backoffice.db import session_scope
from backoffice.i18n import _
from backoffice.services import digest

router = APIRouter(tags=['digest'], route_class=StrictRoute)


@router.post(digest.UNSUBSCRIBE_PATH, summary='Unsubscribe from the digest in one click (RFC 8058)')
def unsubscribe_one_click(token: str = Query('', max_length=80)) -> PlainTextResponse:
    """200 when the token is good (the digest stops; again: still 200), 404 for a forged or malformed one."""
    with session_scope() as session:
        user = digest.unsubscribe(session=session, token=token)
    if user is None:
        return PlainTextResponse(_('This unsubscribe link is not valid.'), status_code=404)
    return PlainTextResponse(_('Unsubscribed from the digest.'))
