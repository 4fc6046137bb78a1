"""What the import stages share: who may import, field labels and errors in words, cell text, lookups in chunks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from backoffice.engine.declaration import Resource, shown
from backoffice.errors import ServiceError
from backoffice.i18n import _
from backoffice.models import User
from backoffice.permissions import require

FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")  # the apostrophe an export puts before =, +, -, @
LOOKUP_CHUNK = 500


def require_importable(actor: User, resource: Resource) -> None:
    # A resource with its own write service (staff users: password hashing, sessions) keeps its rules there.
    if resource.create is None or resource.update is None or resource.create_with or resource.update_with:
        raise ServiceError(_('{list} cannot be imported.').format(list=shown(resource.label)))
    require(actor, resource.write_permission)


def field_label(resource: Resource, name: str) -> str:
    if name == 'id':
        return 'ID'
    return next((shown(f.label) for f in resource.fields if f.name == name), name)


def in_words(resource: Resource, errors: dict[str, str]) -> str:
    text = '; '.join(
        f'{field_label(resource, name)}: {message}' if name else message for name, message in errors.items()
    )
    return text if text.endswith(('.', '!', '?')) else f'{text}.'


def unguarded(text: str) -> str:
    return FORMULA_GUARD.sub('', text.strip())


def whole_number(text: str) -> int | None:
    text = text.strip()
    if text.endswith('.0'):
        text = text[:-2]
    return int(text) if text.isdecimal() else None


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    values = list(values)
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def locked(session: Session, resource: Resource, ids: Iterable[int]) -> dict[int, SQLModel]:
    """The records by id, loaded in a few queries and locked for this transaction (PostgreSQL; SQLite's write lock
    is the whole database)."""
    model, found = resource.model, {}
    for chunk in chunks(set(ids)):
        statement = select(model).where(col(model.id).in_(chunk))
        if session.bind.dialect.name != 'sqlite':
            statement = statement.with_for_update()
        found.update((record.id, record) for record in session.exec(statement))
    return found


def unique_candidates(
    session: Session, resource: Resource, values: dict[str, Iterable[Any]]
) -> dict[str, dict[str, list[SQLModel]]]:
    """{field: {lower(value): the records holding it, in the trash too}} for the unique fields' values a file gives,
    read in a few queries: `crud.check_unique_and_related(known=…)` then checks each row without one."""
    model, known = resource.model, {}
    for name, given in values.items():
        found: dict[str, list[SQLModel]] = {str(value).lower(): [] for value in given if value not in (None, '')}
        column = func.lower(getattr(model, name))
        for chunk in chunks(found):
            for record in session.exec(select(model).where(column.in_(chunk))):
                found.setdefault(str(getattr(record, name)).lower(), []).append(record)
        known[name] = found
    return known
