"""The unit of change, written once: load for update (optimistic lock), set, stamp, audit, commit, publish after
commit. Services and the record service (services/crud) all save through here."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from backoffice import events
from backoffice.engine.declaration import Outcome, Resource
from backoffice.errors import NotFound, StaleRecord
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.models.base import EditableTable, utcnow
from backoffice.services import audit
from backoffice.stored_text import Sentence, sentence

__all__ = [
    'Outcome',
    'apply_change',
    'commit',
    'get_for_update',
    'plain',
    'save',
    'save_change',
    'save_new',
    'stamp',
    'title_of',
]

T = TypeVar('T', bound=EditableTable)
Event = tuple[Topic, dict[str, Any]]


def get_for_update(
    session: Session, model: type[T], record_id: int, version: int | None, *, entity: str, label: str | None = None
) -> T:
    """The record, locked for this transaction; StaleRecord if it moved past the version the user loaded.

    `entity` is the name its audit entries use; `label` how a message names it (default: the entity)."""
    label = label or entity
    lock = session.bind.dialect.name != 'sqlite'  # SQLite: the transaction holds the database's write lock already
    # populate_existing: a record this session read before it waited for the lock is read again, as committed by
    # whoever held the lock, so nothing is computed from (and written back over) the values it had before
    record = session.get(model, record_id, with_for_update=lock, populate_existing=lock)
    if record is None:
        raise NotFound(_('This {label} no longer exists.').format(label=_(label)))
    if version is not None and record.version != version:
        last = audit.last_change(session, entity, record_id)
        raise StaleRecord(
            label,
            audit.named(session, last.actor_email) if last else None,
            last.at if last else record.updated_at,
            record.version,
            sent_version=version,
        )
    return record


def stamp(record: EditableTable) -> None:
    """Mark a record as saved once more: a newer version for everyone who still holds the old one."""
    record.version += 1
    record.updated_at = utcnow()


def plain(record: SQLModel) -> dict:
    return record.model_dump(mode='json')


def commit(session: Session, *published: Event) -> None:
    """End the transaction: the events are published once it has committed, never if it fails."""
    for topic, payload in published:
        events.after_commit(session, topic, payload)
    session.commit()


def save(session: Session, record: SQLModel, *published: Event) -> SQLModel:
    """Add (or re-add) a record and commit with its events: the end of a service's own write."""
    session.add(record)
    commit(session, *published)
    return record


def save_new(
    session: Session,
    actor: User | None,
    resource: Resource,
    record: SQLModel,
    *,
    summary: str | Sentence | None = None,
) -> SQLModel:
    """Insert a record of a declared resource, audit it as created, commit, publish `created` on its topic."""
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        f'{resource.singular}.created',
        resource.entity,
        record.id,
        version=record.version,
        changes=audit.diff({}, audit.snapshot(record)),
        summary=summary or sentence(N_('Added {record}'), record=title_of(resource, record)),
    )
    commit(session, (Topic(resource.key), {'id': record.id, 'action': 'created'}))
    return record


def save_change(
    session: Session, actor: User | None, resource: Resource, record: SQLModel, values: dict[str, Any], action: str
) -> SQLModel:
    """Set the values on a record loaded with get_for_update, stamp, audit with the diff, commit, publish.
    Domain services (ban a customer, publish a page…) use it for their own named changes."""
    if not apply_change(session, actor, resource, record, values, action):
        session.rollback()
        return record
    commit(session, (Topic(resource.key), {'id': record.id, 'action': action}))
    return record


def apply_change(
    session: Session,
    actor: User | None,
    resource: Resource,
    record: SQLModel,
    values: dict[str, Any],
    action: str,
    *,
    summary: str | Sentence | None = None,
) -> dict[str, list[Any]]:
    """The part of a save inside the caller's transaction: set the values, and if anything changed, stamp a new
    version and audit the diff. Returns the diff ({} when nothing changed); commits and publishes nothing, so an
    import can write many records in one transaction."""
    before = audit.snapshot(record)
    for name, value in values.items():
        setattr(record, name, value)
    changes = audit.diff(before, audit.snapshot(record))
    if not changes:
        return changes
    stamp(record)
    session.add(record)
    audit.record(
        session,
        actor,
        f'{resource.singular}.{action}',
        resource.entity,
        record.id,
        version=record.version,
        changes=changes,
        summary=summary or change_summary(action, title_of(resource, record)),
    )
    if resource.after_change is not None:
        resource.after_change(session, record, changes)
    return changes


# what a record's history says of a change, read in each reader's language (backoffice/stored_text.py)
SUMMARIES = {
    'updated': N_('Updated {record}'),
    'bulk_updated': N_('Updated {record} in bulk'),
    'deleted': N_('Deleted {record}'),
    'restored': N_('Restored {record}'),
    'reverted': N_('Reverted {record}'),
    'published': N_('Published {record}'),
    'unpublished': N_('Unpublished {record}'),
    'banned': N_('Banned {record}'),
    'unbanned': N_('Unbanned {record}'),
}


def change_summary(action: str, title: str) -> Sentence | str:
    """'Updated Jane Doe' (French: 'Jane Doe modifié(e)'); an action without a sentence of its own in English only."""
    if action in SUMMARIES:
        return sentence(SUMMARIES[action], record=title)
    return f'{action.capitalize()} {title}'


def title_of(resource: Resource, record: SQLModel) -> str:
    return str(getattr(record, resource.title, None) or f'{resource.singular} #{record.id}')
