"""Errors a service raises and a page or API turns into a message the user can act on."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from backoffice import formatting
from backoffice.i18n import _
from backoffice.permissions import PermissionDenied

__all__ = ['NotFound', 'PermissionDenied', 'ServiceError', 'StaleRecord', 'ValidationFailed', 'field_errors']


class ServiceError(Exception):
    """Base of every error whose message is meant for the user."""


class ValidationFailed(ServiceError):
    """Bad input: one message per field (the key '' holds a message about the whole form)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__('; '.join(f'{field or "form"}: {message}' for field, message in errors.items()))
        self.errors = errors


class NotFound(ServiceError):
    pass


class StaleRecord(ServiceError):
    """Someone saved the record after this user loaded it; saving now would overwrite their change."""

    def __init__(self, entity: str, changed_by: str | None, changed_at: datetime | None, current_version: int) -> None:
        who = changed_by or _('someone else')
        if changed_at:
            message = _(
                'This {entity} was changed by {who} at {when} after you opened it. '
                'Reload to see their change; what you typed is kept.'
            ).format(entity=_(entity), who=who, when=formatting.when(changed_at))
        else:
            message = _(
                'This {entity} was changed by {who} after you opened it. '
                'Reload to see their change; what you typed is kept.'
            ).format(entity=_(entity), who=who)
        super().__init__(message)
        self.changed_by, self.changed_at, self.current_version = changed_by, changed_at, current_version


def field_errors(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {field: readable message}, keeping the first message of each field."""
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item['loc'][0]) if item['loc'] else ''
        message = str(item['msg']).removeprefix('Value error, ')
        errors.setdefault(field, message[:1].upper() + message[1:])
    return errors
