"""Applying an import preview: the valid rows written in one transaction, audited, the batch recorded for a revert."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, SQLModel, col, select

from backoffice import events, formatting
from backoffice.changes import get_for_update
from backoffice.engine.declaration import RESOURCES, Resource, shown
from backoffice.errors import NotFound, ServiceError, StaleRecord, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import ImportBatch, User
from backoffice.services import audit, crud
from backoffice.stored_text import count, sentence, word
from backoffice.transfer.import_plan import PROGRESS_EVERY, Progress, RowPlan, count_actions
from backoffice.transfer.import_rules import chunks, in_words, locked, require_importable, unique_candidates

Known = dict[str, dict[str, list[SQLModel]]]

FLUSH_EVERY = 500


def apply(
    *,
    session: Session,
    actor: User,
    resource: Resource,
    plan: list[RowPlan],
    file_name: str,
    progress: Progress | None = None,
) -> ImportBatch:
    """Write the previewed creates and updates in one transaction (error and unchanged rows are skipped), each audited
    as a change of its record, the batch once more. A row that no longer passes, or a record someone changed since
    the preview, stops the whole import: nothing is written and the message names the row. `progress(done, total)`
    is called as the rows are written."""
    require_importable(actor, resource)
    if not any(row.action in ('create', 'update') for row in plan):
        raise ValidationFailed({'': 'Nothing to import: every row is unchanged or has an error.'})
    batch = ImportBatch(resource=resource.key, actor_id=actor.id, file_name=file_name[:255])
    created: list[SQLModel] = []
    waiting: list[SQLModel] = []
    updated: dict[str, Any] = {}
    try:
        session.add(batch)
        session.flush()
        targets = locked(session, resource, [row.record_id for row in plan if row.action == 'update'])
        held = _related_records(session, resource, plan)  # referenced, so the related check finds them in the session
        writing = [row for row in plan if row.action in ('create', 'update')]
        known = unique_candidates(
            session, resource, {name: {row.values.get(name) for row in writing} for name in resource.unique}
        )
        # Rows are checked against the database as it was before the import (as the preview did: a file cannot
        # clash with itself, the preview refused that), so new records are inserted in batches, not one by one.
        with session.no_autoflush:
            for done, row in enumerate(writing, start=1):
                try:
                    if row.action == 'create':
                        waiting.append(_new_record(session, resource, row, known))
                    else:
                        record, changes = _update(session, actor, resource, row, targets, batch.id, known)
                        updated[str(record.id)] = {
                            'before': {name: pair[0] for name, pair in changes.items()},
                            'after': {name: pair[1] for name, pair in changes.items()},
                            'version': record.version,
                        }
                except (ValidationFailed, StaleRecord, NotFound) as error:
                    reason = _apply_failure(resource, error)
                    message = _('Row {row} ({title}): {reason} Nothing was imported; preview the file again.')
                    title = row.title or shown(resource.singular)
                    raise ValidationFailed({'': message.format(row=row.row, title=title, reason=reason)}) from error
                if len(waiting) >= FLUSH_EVERY:
                    created += _insert(session, actor, resource, waiting, batch.id)
                    waiting = []
                if progress and (done % PROGRESS_EVERY == 0 or done == len(writing)):
                    progress(done, len(writing))
            created += _insert(session, actor, resource, waiting, batch.id)
        del held
        counts = count_actions(plan)
        batch.created_ids = [record.id for record in created]
        batch.updated = updated
        batch.counts = {
            'created': len(created),
            'updated': len(updated),
            'unchanged': counts['unchanged'],
            'skipped': counts['error'],
        }
        session.add(batch)
        audit.record(
            session,
            actor,
            f'{resource.singular}.imported',
            resource.entity,
            summary=sentence(
                N_('Imported {file}: {created} added, {updated} changed, {unchanged} unchanged, {skipped} skipped'),
                file=batch.file_name or word(N_('a file')),
                **{name: count(batch.counts[name]) for name in ('created', 'updated', 'unchanged', 'skipped')},
            ),
            changes={
                'batch': [None, batch.id],
                'file': [None, batch.file_name],
                **{name: [None, n] for name, n in batch.counts.items()},
            },
        )
        events.after_commit(
            session,
            Topic(resource.key),
            {
                'id': None,
                'action': 'imported',
                'batch_id': batch.id,
                'ids': [*batch.created_ids, *map(int, batch.updated)],
            },
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return batch


def _apply_failure(resource: Resource, error: ServiceError) -> str:
    if isinstance(error, ValidationFailed):
        return in_words(resource, error.errors)
    if isinstance(error, StaleRecord):
        who, singular = error.changed_by or _('Someone'), shown(resource.singular)
        if error.changed_at:
            message = _('{who} changed this {singular} at {when}, after the preview.')
            return message.format(who=who, singular=singular, when=formatting.when(error.changed_at))
        return _('{who} changed this {singular}, after the preview.').format(who=who, singular=singular)
    return str(error)


def _new_record(session: Session, resource: Resource, row: RowPlan, known: Known) -> SQLModel:
    """crud.create_record's rules, without its commit (the import commits once, at the end)."""
    values = crud.validated(resource.create, row.values, choices=crud.choice_labels(resource))
    crud.check_unique_and_related(session, resource, values, known=known)
    record = resource.model(**values)
    session.add(record)
    return record


def _insert(
    session: Session, actor: User, resource: Resource, records: list[SQLModel], batch_id: int
) -> list[SQLModel]:
    session.flush()
    audit.record_many(
        session,
        actor,
        [
            {
                'action': f'{resource.singular}.created',
                'entity': resource.entity,
                'entity_id': record.id,
                'version': record.version,
                'changes': audit.diff({}, audit.snapshot(record)),
                'summary': f'Added {crud.title_of(resource, record)} by import #{batch_id}',
            }
            for record in records
        ],
    )
    return records


def _update(
    session: Session,
    actor: User,
    resource: Resource,
    row: RowPlan,
    targets: dict[int, SQLModel],
    batch_id: int,
    known: Known,
) -> tuple[SQLModel, dict[str, list[Any]]]:
    """crud.update_record's rules and audit, without its commit."""
    record = targets.get(row.record_id)
    if record is None:
        raise NotFound(_('This {singular} no longer exists.').format(singular=shown(resource.singular)))
    if record.version != row.version:  # says who changed it, and when
        get_for_update(session, resource.model, record.id, row.version, entity=resource.entity, label=resource.singular)
    values = crud.validated(resource.update, row.values, partial=True)
    crud.check_unique_and_related(session, resource, values, record_id=record.id, known=known)
    if resource.check_change and (problems := resource.check_change(record, values)):
        raise ValidationFailed(problems)
    changes = crud.apply_change(
        session,
        actor,
        resource,
        record,
        values,
        'updated',
        summary=sentence(
            N_('Updated {record} by import #{batch}'), record=crud.title_of(resource, record), batch=batch_id
        ),
    )
    return record, changes


def _related_records(session: Session, resource: Resource, plan: list[RowPlan]) -> list[SQLModel]:
    loaded: list[SQLModel] = []
    for form_field in resource.fields:
        if form_field.kind == 'related':
            model = RESOURCES[form_field.related].model
            ids = {row.values.get(form_field.name) for row in plan if row.action in ('create', 'update')} - {None}
            for chunk in chunks(ids):
                loaded += session.exec(select(model).where(col(model.id).in_(chunk))).all()
    return loaded
