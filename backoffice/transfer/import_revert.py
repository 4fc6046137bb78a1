"""Reverting an import: what it created goes to the trash, what it changed gets its earlier values back."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, SQLModel, col, select

from backoffice import events, formatting
from backoffice.engine.declaration import RESOURCES, Resource, shown
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import ImportBatch, User, utcnow
from backoffice.permissions import require
from backoffice.services import audit, crud
from backoffice.stored_text import count, sentence, word
from backoffice.transfer.import_rules import locked, require_importable


def revert(*, session: Session, actor: User, batch_id: int) -> dict[str, Any]:
    """Undo a whole import in one transaction: records it created go to the trash, records it changed get their
    earlier values back. A record someone changed after the import is left alone and listed with the reason.

    Returns {'done': n, 'trashed': n, 'restored': n, 'skipped': [{'id', 'title', 'reason'}]}."""
    batch = session.get(ImportBatch, batch_id, with_for_update=session.bind.dialect.name != 'sqlite')
    if batch is None:
        raise NotFound(_('This import no longer exists.'))
    resource = RESOURCES[batch.resource]
    require_importable(actor, resource)
    if batch.reverted_at is not None:
        raise ValidationFailed(
            {'': _('This import was already reverted on {when}.').format(when=formatting.when(batch.reverted_at))}
        )
    trashed, restored, skipped, ids = 0, 0, [], []
    try:
        records = locked(session, resource, [*batch.created_ids, *map(int, batch.updated)])
        with session.no_autoflush:  # checked against the database as the import left it
            for record_id in batch.created_ids:
                record = records.get(record_id)
                if reason := _trash_created(session, actor, resource, record, batch.id):
                    skipped.append(_skip(resource, record_id, record, reason))
                else:
                    trashed += 1
                    ids.append(record_id)
            for key, entry in batch.updated.items():
                record = records.get(int(key))
                if reason := _restore_updated(session, actor, resource, record, entry, batch.id):
                    skipped.append(_skip(resource, int(key), record, reason))
                else:
                    restored += 1
                    ids.append(int(key))
        batch.reverted_at = utcnow()
        session.add(batch)
        summary = {'done': trashed + restored, 'trashed': trashed, 'restored': restored, 'skipped': skipped}
        audit.record(
            session,
            actor,
            f'{resource.singular}.import_reverted',
            resource.entity,
            summary=sentence(
                N_(
                    'Reverted import #{batch} ({file}): {trashed} moved to the trash, {restored} restored, '
                    '{skipped} left as they are'
                ),
                batch=batch.id,
                file=batch.file_name or word(N_('a file')),
                trashed=count(trashed),
                restored=count(restored),
                skipped=count(len(skipped)),
            ),
            changes={
                'batch': [None, batch.id],
                'trashed': [None, trashed],
                'restored': [None, restored],
                'skipped': [None, len(skipped)],
            },
        )
        events.after_commit(
            session, Topic(resource.key), {'id': None, 'action': 'import_reverted', 'batch_id': batch.id, 'ids': ids}
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return summary


def _trash_created(session: Session, actor: User, resource: Resource, record: SQLModel | None, batch_id: int) -> str:
    """'' when moved to the trash, else why not."""
    if record is None:
        return _('It no longer exists')
    if record.version != 1:  # every save bumps the version: someone changed it after the import created it
        return _changed_after(session, resource, record.id)
    if not resource.soft_delete:
        return _('A {singular} cannot be deleted').format(singular=shown(resource.singular))
    crud.apply_change(
        session,
        actor,
        resource,
        record,
        {'deleted_at': utcnow()},
        'deleted',
        summary=sentence(
            N_('Deleted {record}: revert of import #{batch}'), record=crud.title_of(resource, record), batch=batch_id
        ),
    )
    return ''


def _restore_updated(
    session: Session, actor: User, resource: Resource, record: SQLModel | None, entry: dict[str, Any], batch_id: int
) -> str:
    if record is None:
        return _('It no longer exists')
    if record.version != entry.get('version'):
        return _changed_after(session, resource, record.id)
    try:
        values = crud.validated(resource.update, entry.get('before', {}), partial=True)
        crud.check_unique_and_related(session, resource, values, record_id=record.id)
    except ValidationFailed as error:
        return _('Its earlier values are no longer valid ({error})').format(error=error)
    # the form's and the import's own rules on a change (a product whose shelf or orders hold units stays stocked)
    if resource.check_change and (problems := resource.check_change(record, values)):
        return _('Its earlier values are no longer valid ({error})').format(error=' '.join(problems.values()))
    crud.apply_change(
        session,
        actor,
        resource,
        record,
        values,
        'reverted',
        summary=sentence(
            N_('Reverted {record} to before import #{batch}'), record=crud.title_of(resource, record), batch=batch_id
        ),
    )
    return ''


def _changed_after(session: Session, resource: Resource, record_id: int) -> str:
    last = audit.last_change(session, resource.entity, record_id)
    who = (audit.named(session, last.actor_email) if last else None) or _('someone')
    if last and last.at:
        message = _('Changed by {who} on {when} after the import; left as it is')
        return message.format(who=who, when=formatting.when(last.at))
    return _('Changed by {who} after the import; left as it is').format(who=who)


def _skip(resource: Resource, record_id: int, record: SQLModel | None, reason: str) -> dict[str, Any]:
    title = crud.title_of(resource, record) if record is not None else f'{resource.singular} #{record_id}'
    return {'id': record_id, 'title': title, 'reason': reason}


def recent_batches(*, session: Session, actor: User, resource: Resource, limit: int = 20) -> list[ImportBatch]:
    """The latest imports into a resource, newest first (what the import page offers to revert)."""
    require(actor, resource.read_permission)
    statement = (
        select(ImportBatch)
        .where(ImportBatch.resource == resource.key)
        .order_by(col(ImportBatch.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))
