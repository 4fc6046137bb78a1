"""A colleague at work on the same request: their change saved from their own screen over its newest version, heard
live by every page that shows the request (as the service publishes it after its commit)."""

from __future__ import annotations

from typing import Any

from backoffice.db import session_scope
from backoffice.models import Ticket, User
from backoffice.services import tickets

from .factories import stored_request


def colleague_changes(number: int, colleague: User, **fields: Any) -> Ticket:
    """The colleague changes these fields of request `number` (as they stand now)."""
    current = stored_request(number)
    with session_scope() as session:
        return tickets.change(session=session, actor=colleague, ticket_id=current.id, version=current.version, **fields)
