"""Create, update, delete (to the trash), restore, purge, history and revert for any declared resource; every save
goes through backoffice/changes.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, SQLModel, col, func, select

from backoffice import db, formatting
from backoffice.changes import apply_change, commit, get_for_update, save_change, save_new, title_of  # noqa: F401
from backoffice.engine import declaration
from backoffice.engine.declaration import FormField, Outcome, RecordSection, Resource, SectionRows
from backoffice.errors import NotFound, ServiceError, ValidationFailed, field_errors
from backoffice.i18n import _, ngettext
from backoffice.listing import search
from backoffice.models import AuditEntry, User, utcnow
from backoffice.permissions import can, require
from backoffice.services import audit


def get_record(*, session: Session, actor: User, resource: Resource, record_id: int) -> SQLModel:
    require(actor, resource.read_permission)
    record = session.get(resource.model, record_id)
    if record is not None and resource.row_filter is not None:  # one this actor may not read is as good as gone
        record = session.exec(
            select(resource.model).where(resource.model.id == record_id, *resource.row_filter(actor))
        ).first()
    if record is None:
        raise NotFound(_('This {label} no longer exists.').format(label=_(resource.singular)))
    return record


def record_sections(
    *, session: Session, actor: User, resource: Resource, record_id: int, limit: int = 5
) -> list[tuple[RecordSection, SectionRows]]:
    """The sections of a record's page this actor may read, each with its first rows; the others are left out."""
    get_record(session=session, actor=actor, resource=resource, record_id=record_id)
    return [
        (section, section.load(session=session, actor=actor, record_id=record_id, limit=limit))
        for section in resource.sections
        if can(actor, section.permission)
    ]


def create_record(
    *, session: Session, actor: User | None, resource: Resource, data: dict[str, Any], system: bool = False
) -> SQLModel | Outcome:
    if resource.create_with is not None:
        return resource.create_with(session=session, actor=actor, data=data)
    if not system:
        require(actor, resource.write_permission)
    values = validated(resource.create, data, choices=choice_labels(resource))
    check_unique_and_related(session, resource, values)
    return save_new(session, actor, resource, resource.model(**values))


class InTheTrash(ServiceError):
    """A change to a record in the trash (→ 409 over the API): it is read-only until restored."""


def update_record(
    *,
    session: Session,
    actor: User,
    resource: Resource,
    record_id: int,
    version: int,
    changes: dict[str, Any],
    action: str = 'updated',
) -> SQLModel:
    """Apply only the fields the user changed; refused if someone saved the record after `version`, or while it is
    in the trash (read-only there, as its form shows it, until restored)."""
    if resource.soft_delete:
        current = session.get(resource.model, record_id)
        if current is not None and getattr(current, 'deleted_at', None) is not None:
            raise InTheTrash(
                _('This {singular} is in the trash: restore it before changing it.').format(
                    singular=_(resource.singular)
                )
            )
    if resource.update_with is not None:
        return resource.update_with(session=session, actor=actor, record_id=record_id, version=version, changes=changes)
    require(actor, resource.write_permission)
    record = _locked(session, resource, record_id, version)
    values = validated(resource.update, changes, partial=True, model=resource.model, choices=choice_labels(resource))
    check_unique_and_related(session, resource, values, record_id=record_id)
    if resource.check_change and (problems := resource.check_change(record, values)):
        raise ValidationFailed(problems)
    return save_change(session, actor, resource, record, values, action)


def save_then_run(
    *,
    session: Session,
    actor: User,
    resource: Resource,
    record_id: int,
    version: int,
    changes: dict[str, Any],
    action: declaration.Action,
    asked: bool = False,
    **inputs: Any,
) -> Any:
    """An action pressed with unsaved edits (Publish version after changing the text): the edits saved, then the action
    run on the saved record, in one transaction. The form's `version` is checked as any save's is: a colleague's save
    meanwhile is refused (StaleRecord), never overwritten; a refused action leaves the edits unsaved too. An action
    that does not save edits of itself does so once the person asked for it (`asked`: "Save and continue")."""
    if not action.saves_edits and not asked:
        raise ValidationFailed(
            {'': _('Save your changes first: {action} works on the saved record.').format(action=_(action.label))}
        )
    with db.held_commits(session):  # one transaction: both commits only flush until the end
        saved = update_record(
            session=session, actor=actor, resource=resource, record_id=record_id, version=version, changes=changes
        )
        result = action.run(session=session, actor=actor, record_id=record_id, version=saved.version, **inputs)
    session.commit()
    return result


def delete_record(
    *, session: Session, actor: User, resource: Resource, record_id: int, version: int | None = None
) -> SQLModel:
    """Move to the trash (Undo restores it); resources without a trash are not deleted this way. Sent again with the
    same version once it went to the trash from that version (a retry whose first answer was lost), it answers the
    record as it is, as a repeat without a version does: the version the delete moved on is not someone's change."""
    require(actor, resource.write_permission)
    if not resource.soft_delete:
        raise ValidationFailed({'': _('A {label} cannot be deleted.').format(label=_(resource.singular))})
    record = _locked(session, resource, record_id, None)
    if record.deleted_at is not None and version in (None, _trashed_from(session, resource, record)):
        return record
    record = _locked(session, resource, record_id, version)
    if record.deleted_at is not None:
        return record
    return save_change(session, actor, resource, record, {'deleted_at': utcnow()}, 'deleted')


def _trashed_from(session: Session, resource: Resource, record: SQLModel) -> int | None:
    """The version a record in the trash was deleted from, when the delete is its last change."""
    last = audit.last_change(session, resource.entity, record.id)
    deleted = last is not None and last.action == f'{resource.singular}.deleted' and last.version == record.version
    return record.version - 1 if deleted else None


def trash_consequences(*, session: Session, actor: User, resource: Resource, ids: Iterable[int]) -> list[str]:
    """What moving these records to the trash does to the live records that point at them, in sentences ('12
    products are in this category: they will show no category while it is in the trash.'), then what a restore does;
    [] when nothing points at them. One count per pointing field of the declarations (declaration.pointing_at), never
    one per record; records the actor may not read are not counted, nor the trashed records themselves. Nothing is
    refused: the links stay in place (the trash keeps the record), so a restore brings them back."""
    require(actor, resource.write_permission)
    chosen = sorted({int(i) for i in ids})
    if not chosen or not resource.soft_delete:
        return []
    sentences = []
    for other, name in declaration.pointing_at(resource.key):
        if not can(actor, other.read_permission):
            continue
        model = other.model
        where = [col(getattr(model, name)).in_(chosen)]
        if other.soft_delete and hasattr(model, 'deleted_at'):
            where.append(col(model.deleted_at).is_(None))
        if other.key == resource.key:  # (a category inside one also being deleted goes to the trash too)
            where.append(col(model.id).not_in(chosen))
        if other.row_filter is not None:
            where.extend(other.row_filter(actor))
        count = session.exec(select(func.count()).select_from(model).where(*where)).one()
        if count:
            sentences.append(_link_sentence(other, name, count, many=len(chosen) > 1))
    if sentences:
        sentences.append(
            ngettext(
                'Restoring it from the trash brings these links back.',
                'Restoring them from the trash brings these links back.',
                len(chosen),
            )
        )
    return (resource.trash_said(session, chosen) if resource.trash_said is not None else []) + sentences


def _link_sentence(other: Resource, name: str, count: int, *, many: bool) -> str:
    declared = other.link_wording.get(name)
    if declared is not None:
        return (declared.many if many else declared.one)(count).format(n=formatting.number(count))
    label = next(
        (
            declaration.shown(item.label)
            for item in (*other.columns, *other.fields, *other.filters)
            if item.name == name
        ),
        name,
    )
    return ngettext(
        '{records} points at it by “{field}”: that field will show empty while it is in the trash.',
        '{records} point at it by “{field}”: that field will show empty while it is in the trash.',
        count,
    ).format(records=other.counted(count), field=label)


def restore_record(*, session: Session, actor: User, resource: Resource, record_id: int) -> SQLModel:
    require(actor, resource.write_permission)
    record = _locked(session, resource, record_id, None)
    if record.deleted_at is None:
        return record
    if getattr(record, 'merged_into_id', None):  # a merged duplicate: its orders and the rest are with the other
        raise ValidationFailed(
            {'': _('This customer was merged into #{id}: it cannot be restored').format(id=record.merged_into_id)}
        )
    return save_change(session, actor, resource, record, {'deleted_at': None}, 'restored')


def history(
    *, session: Session, actor: User, resource: Resource, record_id: int, before: int | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The record's audit entries, newest first; `before` (an entry's id) pages on past it (keyset)."""
    get_record(session=session, actor=actor, resource=resource, record_id=record_id)  # readable by this actor
    statement = select(AuditEntry).where(AuditEntry.entity == resource.entity, AuditEntry.entity_id == str(record_id))
    if before is not None:
        statement = statement.where(col(AuditEntry.id) < before)
    return list(session.exec(statement.order_by(col(AuditEntry.id).desc()).limit(limit)))


def revert_to(
    *, session: Session, actor: User, resource: Resource, record_id: int, entry_id: int, version: int
) -> SQLModel:
    """Put the record's fields back as they were right after the change `entry_id` (itself a new, audited change). A
    consent only the person gives (Resource.own_consent), withdrawn since, stays so: a revert never opts them in."""
    require(actor, resource.write_permission)
    record = _locked(session, resource, record_id, version)
    later = [e for e in audit.entries_for(session, resource.entity, record_id, limit=10_000) if e.id > entry_id]
    if not session.get(AuditEntry, entry_id):
        raise NotFound(_('That version is no longer in the history.'))
    editable = {f.name for f in resource.fields} | {'deleted_at'}
    current = audit.snapshot(record)
    state = dict(current)
    for entry in later:  # newest first: undo each later change
        for name, (before, _after) in entry.changes.items():
            if name in editable:
                state[name] = before
    values = {name: value for name, value in state.items() if name in editable and value != current.get(name)}
    values = {name: value for name, value in values.items() if not (name in resource.own_consent and value)}
    if not values:
        return record
    if resource.update_with is not None:  # its own service keeps its own rules on a revert too
        session.rollback()
        return resource.update_with(session=session, actor=actor, record_id=record_id, version=version, changes=values)
    typed = validated(
        resource.update,
        {k: v for k, v in values.items() if k != 'deleted_at'},
        partial=True,
        model=resource.model,
        choices=choice_labels(resource),
    )
    check_unique_and_related(session, resource, typed, record_id=record_id)
    if resource.check_change and (problems := resource.check_change(record, typed)):
        raise ValidationFailed(problems)
    if 'deleted_at' in values:
        deleted_at = values['deleted_at']
        typed['deleted_at'] = datetime.fromisoformat(deleted_at) if isinstance(deleted_at, str) else deleted_at
    return save_change(session, actor, resource, record, typed, 'reverted')


def trash_count(*, session: Session, actor: User, resource: Resource) -> int:
    require(actor, resource.read_permission)
    statement = select(func.count()).select_from(resource.model).where(col(resource.model.deleted_at).is_not(None))
    return session.exec(statement).one()


# --- the rules a create or update runs, shared with imports and domain services ----------------------------------


def choice_labels(resource: Resource) -> dict[str, dict[Any, str]]:
    """Each choice field's {value: label}, as its form offers them."""
    return {field.name: dict(field.choices) for field in resource.fields if field.choices}


def _locked(session: Session, resource: Resource, record_id: int, version: int | None) -> SQLModel:
    return get_for_update(session, resource.model, record_id, version, entity=resource.entity, label=resource.singular)


def validated(
    schema,
    data: dict[str, Any],
    *,
    partial: bool = False,
    model: type[SQLModel] | None = None,
    choices: dict[str, dict[Any, str]] | None = None,
) -> dict[str, Any]:
    """The values as the resource's create or update model accepts them, or ValidationFailed with field errors (a
    refused choice named by the labels of `choices`, choice_labels: the ones its form shows)."""
    try:
        validated = schema.model_validate(without_nul(data))
    except ValidationError as error:
        raise ValidationFailed(field_errors(error, choices)) from None
    values = validated.model_dump(exclude_unset=partial)
    if partial and model is not None:  # an update model's fields are optional, but a required column is not
        emptied = {
            name: _('This field is required')
            for name, value in values.items()
            if value is None and name in model.__table__.columns and not model.__table__.columns[name].nullable
        }
        if emptied:
            raise ValidationFailed(emptied)
    return values


def without_nul(value: Any) -> Any:
    """Text with NUL characters dropped (PostgreSQL refuses them in text; they are never meant in a form)."""
    if isinstance(value, str):
        return value.replace('\x00', '')
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    return value


def check_unique_and_related(
    session: Session,
    resource: Resource,
    values: dict[str, Any],
    record_id: int | None = None,
    *,
    known: dict[str, dict[str, list[SQLModel]]] | None = None,
) -> None:
    """ValidationFailed when a unique value is taken or a related record is missing. `known` holds records read ahead
    by lower(value) for each unique field (an import checks thousands of rows); a value not in it is queried."""
    errors: dict[str, str] = {}
    for name in resource.unique:
        if values.get(name) in (None, ''):
            continue
        lowered = str(values[name]).lower()
        if known is not None and lowered in known.get(name, {}):
            clash = next((r for r in known[name][lowered] if r.id != record_id), None)
        else:
            column = getattr(resource.model, name)
            statement = select(resource.model).where(func.lower(column) == lowered)
            if record_id is not None:
                statement = statement.where(resource.model.id != record_id)
            clash = session.exec(statement).first()
        if clash is not None:
            label = _(next((f.label for f in resource.fields if f.name == name), name)).lower()
            in_trash = getattr(clash, 'deleted_at', None) is not None
            singular = _(resource.singular_of(clash))  # what holds it: a legal document, not "a page"
            errors[name] = (
                _('A {singular} in the trash has this {field}; restore it instead').format(
                    singular=singular, field=label
                )
                if in_trash
                else _('Another {singular} already has this {field}').format(singular=singular, field=label)
            )
    errors |= missing_related(session, resource.fields, values)
    if errors:
        raise ValidationFailed(errors)


ID_MAX = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL)


def missing_related(session: Session, fields: Iterable[FormField], values: dict[str, Any]) -> dict[str, str]:
    """{field: sentence} for each related field of `fields` whose value names no record, or one in the trash."""
    errors: dict[str, str] = {}
    for form_field in fields:
        if form_field.kind == 'related' and values.get(form_field.name) is not None:
            target = declaration.resource(form_field.related)
            wanted = values[form_field.name]
            # an id no INTEGER column holds names no record (PostgreSQL would refuse the look-up with an error)
            fits = not isinstance(wanted, int) or 1 <= wanted <= ID_MAX
            found = session.get(target.model, wanted) if fits else None
            if found is None or getattr(found, 'deleted_at', None) is not None:
                errors[form_field.name] = _('Choose an existing {singular}').format(singular=_(target.singular))
    return errors


def unique_and_related_mistakes(
    session: Session, resource: Resource, values: dict[str, Any], record_id: int | None = None
) -> dict[str, str]:
    """What check_unique_and_related refuses in `values`, as {field: sentence}, read without writing: the API says it
    beside a malformed field of the same body."""
    try:
        check_unique_and_related(session, resource, values, record_id)
    except ValidationFailed as refused:
        return dict(refused.errors)
    return {}


def titles_for(
    *, session: Session, resource: Resource, ids: set[int], live: bool = False, field: str = ''
) -> dict[int, str]:
    """Names of related records for display: one query per page, not one per row. `live`: not those in the trash (a
    list's cells show no category while the product's category is in the trash). `field`: a column of theirs to show
    instead of their title (Column.shows)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}

    def narrowed(statement):
        statement = statement.where(col(resource.model.id).in_(ids))
        if live and resource.soft_delete and hasattr(resource.model, 'deleted_at'):
            statement = statement.where(col(resource.model.deleted_at).is_(None))
        return statement

    return _titles(session, resource, narrowed, field)


def lookup(*, session: Session, actor: User, resource: Resource, text: str = '', limit: int = 20) -> dict[int, str]:
    """Type-ahead: live records whose searchable fields contain the text, by title; several words as a list's search
    reads them (`search.type_ahead`: 'Smith Anna' finds 'Anna Smith' when nobody is named 'Smith Anna')."""
    require(actor, resource.read_permission)

    def narrowed(statement, found: Any = None):
        if resource.soft_delete:
            statement = statement.where(col(resource.model.deleted_at).is_(None))
        if resource.lookup_where is not None:
            statement = statement.where(*resource.lookup_where())
        if found is not None:  # as the list's search compares: 'lopez' finds 'López'
            statement = statement.where(found)
        return statement.order_by(getattr(resource.model, resource.title)).limit(limit)

    if not (text.strip() and resource.search):
        return _titles(session, resource, narrowed)
    found = search.type_ahead(
        session, resource, text.strip(), lambda held: _titles(session, resource, lambda s: narrowed(s, held))
    )
    return found or {}


def _titles(session: Session, resource: Resource, narrowed: Callable[[Any], Any], field: str = '') -> dict[int, str]:
    """id → title of the records `narrowed` selects. When the title is a column (every core resource), only the id
    and the title are read, not whole records: a list page's related filter and its rows' related names read 20–25
    records each, and building a full ORM object per row was most of that read's CPU."""
    title = resource.model.__table__.columns.get(field or resource.title)
    if title is None:  # a title that is not a column (a property): the records, as before
        return {record.id: title_of(resource, record) for record in session.exec(narrowed(select(resource.model)))}
    rows = session.exec(narrowed(select(col(resource.model.id), title)))
    return {ident: str(value or f'{resource.singular} #{ident}') for ident, value in rows}
