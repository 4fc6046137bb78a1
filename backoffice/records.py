"""Loading a record for a change under optimistic locking, and stamping it when saved."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel

from backoffice.errors import NotFound, StaleRecord
from backoffice.models.base import EditableTable, utcnow
from backoffice.services import audit

T = TypeVar('T', bound=EditableTable)


def get_for_update(session: Session, model: type[T], record_id: int, version: int | None, *, entity: str,
                   label: str | None = None) -> T:
    """The record, locked for this transaction; StaleRecord if it moved past the version the user loaded.

    `entity` is the name its audit entries use; `label` how a message names it (default: the entity)."""
    label = label or entity
    record = session.get(model, record_id, with_for_update=session.bind.dialect.name != 'sqlite')
    if record is None:
        raise NotFound(f'This {label} no longer exists.')
    if version is not None and record.version != version:
        last = audit.last_change(session, entity, record_id)
        raise StaleRecord(label, last.actor_email if last else None, last.at if last else record.updated_at,
                          record.version)
    return record


def stamp(record: EditableTable) -> None:
    """Mark a record as saved once more: a newer version for everyone who still holds the old one."""
    record.version += 1
    record.updated_at = utcnow()


def plain(record: SQLModel) -> dict:
    return record.model_dump(mode='json')
