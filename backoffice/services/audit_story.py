"""An audit entry told in words: who did what to which record ("Maria Lopez changed the status of order 103002 from
Paid to Packed"), each changed field by its label with its values by their labels, and a link to the record while it
exists and the reader may open it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from backoffice import stored_text
from backoffice.changes import title_of
from backoffice.engine.declaration import Resource, link_fields
from backoffice.errors import NotFound
from backoffice.i18n import N_, _, pgettext
from backoffice.models import AuditEntry, User
from backoffice.permissions import PermissionDenied, can
from backoffice.resources import RESOURCES
from backoffice.resources.system import AUDIT, OTHER_AUDITED_TYPES, audited_resources
from backoffice.services import app_settings, audit, crud

# Every sentence the log tells, whole (issue #14 translates them): {actor} and {record} ('order 103002') are names,
# {field} a field's label, {before} and {after} values by their labels.
SENTENCES = {
    'changed': N_('{actor} changed the {field} of {record} from {before} to {after}'),
    'set': N_('{actor} set the {field} of {record} to {after}'),
    'cleared': N_('{actor} cleared the {field} of {record} (it was {before})'),
    'changed_several': N_('{actor} changed {count} fields of {record}: {fields}'),
    'created': N_('{actor} added {record}'),
    'issued': N_('{actor} issued {record}'),
    'trashed': N_('{actor} moved {record} to the trash'),
    'restored': N_('{actor} restored {record} from the trash'),
    'purged': N_('{actor} deleted {record} for good'),
    'signed_in': N_('{actor} signed in'),
    'signed_out': N_('{actor} signed out'),
    'setting': N_('{actor} changed the setting “{field}” from {before} to {after}'),
    'settings': N_('{actor} changed {count} settings: {fields}'),
    'about_record': N_('{actor} on {record}: {summary}'),
    'other': N_('{actor}: {summary}'),
}
THE_SYSTEM = N_('The system')
EMPTY = N_('empty')  # a value that was not filled in, in a sentence
YES, NO = N_('Yes'), N_('No')
MAX_VALUE = 80  # characters of a value in the sentence; the table shows it whole
FIELD_LABELS = {'deleted_at': N_('in the trash since')}  # fields no declaration names


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditStory:
    entry_id: int
    sentence: str
    at: datetime
    actor: str  # 'Maria Lopez', or the email address of someone no longer on the staff, or 'The system'
    record_type: str  # 'Order'
    record: str  # 'order 103002', '' when the entry is about no one record
    changes: tuple[FieldChange, ...]
    summary: str
    link: str | None  # where the record is; None when it is gone or this reader may not open it
    link_label: str  # 'Open order 103002'


def tell(*, session: Session, actor: User, entry_id: int) -> AuditStory:
    """The entry in words, for a reader who may see it (else NotFound, as if it did not exist)."""
    entry = crud.get_record(session=session, actor=actor, resource=AUDIT, record_id=entry_id)
    assert isinstance(entry, AuditEntry)
    return story_of(session=session, reader=actor, entry=entry)


def story_of(*, session: Session, reader: User, entry: AuditEntry) -> AuditStory:
    declared = audited_resources().get(entry.entity)
    other = OTHER_AUDITED_TYPES.get(entry.entity)
    singular = declared.singular if declared else other.singular if other else entry.entity.replace('_', ' ')
    record = _record(session, declared.model if declared else other.model if other else None, entry.entity_id)
    if declared is not None and record is not None:  # a legal document is one, not a "page" (content's kinds)
        singular = declared.singular_of(record)
    if entry.entity_id is None:
        named = ''
    elif record is not None:
        named = _('{type} {name}').format(type=_(singular), name=_record_name(declared, record))
    else:
        named = _('{type} #{id}').format(type=_(singular), id=entry.entity_id)
    described = _settings_fields() if entry.entity == 'settings' else _described_fields(declared)
    changes = tuple(_field_changes(session, described, entry.changes or {}))
    link = _link(session, reader, declared, record) if record is not None else None
    if other is not None and other.link and can(reader, other.permission):
        if not link_fields(other.link):
            link = other.link
        elif record is not None:
            link = _formatted(session, other.link, record, other.related)
    assert entry.id is not None  # a stored entry
    return AuditStory(
        entry_id=entry.id,
        sentence=_sentence(entry, _actor_name(session, entry), named, changes),
        at=entry.at,
        actor=_actor_name(session, entry),
        record_type=_capitalised(_(singular)),
        record=named,
        changes=changes,
        summary=summary_text(entry),
        link=link,
        link_label=_('Open {record}').format(record=named) if named else pgettext('link', 'Open'),
    )


# --- the sentence ---------------------------------------------------------------------------------------------------


def _sentence(entry: AuditEntry, actor: str, record: str, changes: tuple[FieldChange, ...]) -> str:
    """The entry's sentence in the reader's language; the values in `changes` are already theirs (EMPTY too)."""
    said = {key: _(sentence) for key, sentence in SENTENCES.items()}
    empty = _(EMPTY)
    verb = entry.action.rsplit('.', 1)[-1]
    trash = next((c for c in changes if c.field == 'deleted_at'), None)
    if entry.action in ('auth.signed_in', 'auth.signed_out'):
        return said[verb].format(actor=actor)
    if record and verb == 'created':
        return said['created'].format(actor=actor, record=record)
    if record and verb == 'issued':
        return said['issued'].format(actor=actor, record=record)
    if record and verb == 'purged':
        return said['purged'].format(actor=actor, record=record)
    if record and trash is not None:
        return said['restored' if trash.after == empty else 'trashed'].format(actor=actor, record=record)
    if record and len(changes) == 1:
        change = changes[0]
        key = 'set' if change.before == empty else 'cleared' if change.after == empty else 'changed'
        return said[key].format(
            actor=actor,
            field=_in_sentence(change.label),
            record=record,
            before=_short(change.before),
            after=_short(change.after),
        )
    if record and changes:
        return said['changed_several'].format(
            actor=actor,
            count=len(changes),
            record=record,
            fields=', '.join(_in_sentence(c.label) for c in changes),
        )
    if entry.entity == 'settings' and len(changes) == 1:
        change = changes[0]
        return said['setting'].format(
            actor=actor, field=change.label, before=_short(change.before), after=_short(change.after)
        )
    if entry.entity == 'settings' and changes:
        return said['settings'].format(actor=actor, count=len(changes), fields=', '.join(c.label for c in changes))
    if record:
        return said['about_record'].format(actor=actor, record=record, summary=summary_text(entry) or entry.action)
    return said['other'].format(actor=actor, summary=summary_text(entry) or entry.action)


def summary_text(entry: AuditEntry) -> str:
    """An entry's summary in the reader's language, its values in their formats (an entry written before summaries
    kept their msgid: as stored, in English)."""
    return stored_text.show(entry.summary, entry.summary_key, entry.summary_params)


def _actor_name(session: Session, entry: AuditEntry) -> str:
    if audit.through_api_key(entry.actor_email):  # the key and the person it acts as, not the person alone
        return audit.named(session, entry.actor_email) or entry.actor_email
    if entry.actor_id is not None:
        user = session.get(User, entry.actor_id)
        if user is not None:
            return user.name or user.email
    return _(THE_SYSTEM) if entry.actor_email in ('', 'system') else entry.actor_email


def _in_sentence(label: str) -> str:
    """'Status' → 'status' inside a sentence; 'SKU' stays 'SKU'."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _short(value: str) -> str:
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + '…'


# --- the record, its fields and values ------------------------------------------------------------------------------


def _record(session: Session, model: Any, entity_id: str | None) -> Any:
    if model is None or entity_id is None or not str(entity_id).isdecimal():
        return None
    return session.get(model, int(entity_id))


def _record_name(declared: Resource | None, record: Any) -> str:
    """What people call the record: its number when it has one (order 103002, request 1042), else its title."""
    number = getattr(record, 'number', None)
    if number not in (None, '') or declared is None:
        return str(number if number not in (None, '') else f'#{record.id}')
    return title_of(declared, record)


def _field_changes(
    session: Session, described: dict[str, tuple[str, str, dict | None, str | None]], changes: dict[str, Any]
) -> list[FieldChange]:
    shown = []
    for name, pair in changes.items():
        before, after = (list(pair) + [None, None])[:2] if isinstance(pair, list | tuple) else (None, pair)
        label, kind, choices, related = described.get(name, ('', '', None, None))
        shown.append(
            FieldChange(
                field=name,
                label=_(label) if label else _humane(name),  # a declared label is marked for the catalog
                before=_value(session, before, kind, choices, related),
                after=_value(session, after, kind, choices, related),
            )
        )
    return shown


def _described_fields(declared: Resource | None) -> dict[str, tuple[str, str, dict | None, str | None]]:
    """name → (label, kind, choices, related resource) from the declaration: form fields, then columns, then filters."""
    described: dict[str, tuple[str, str, dict | None, str | None]] = {}
    if declared is None:
        return described
    item: Any
    for item in (*declared.filters, *declared.columns, *declared.fields):  # the later ones win: forms name best
        previous = described.get(item.name)
        choices = {**((previous[2] or {}) if previous else {}), **(item.choices or {})} or None
        related = item.related or (previous[3] if previous else None)
        described[item.name] = (item.label, item.kind, choices, related)
    return described


def _settings_fields() -> dict[str, tuple[str, str, dict | None, str | None]]:
    return {spec.key: (spec.label, spec.kind, spec.options() or None, None) for spec in app_settings.SETTINGS}


def _value(session: Session, value: Any, kind: str, choices: dict | None, related: str | None) -> str:
    if value is None or value == '' or value == []:
        return _(EMPTY)
    if value == audit.MASK:
        return value
    if choices and str(value) in choices:
        return _(choices[str(value)])
    if isinstance(value, bool):
        return _(YES) if value else _(NO)
    if related and related in RESOURCES and isinstance(value, int):
        titles = crud.titles_for(session=session, resource=RESOURCES[related], ids={value})
        return titles.get(value, f'#{value}')
    if kind in ('datetime', 'date') or (isinstance(value, str) and _looks_like_a_time(value)):
        return value.replace('T', ' ')[:16]
    if isinstance(value, dict | list):
        return (
            ', '.join(f'{k}: {v}' for k, v in value.items()) if isinstance(value, dict) else ', '.join(map(str, value))
        )
    return str(value)


def _looks_like_a_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return len(value) >= 16 and value[10:11] == 'T'


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _humane(name: str) -> str:
    """A field no declaration names: 'assignee_id' → 'Assignee'."""
    if name in FIELD_LABELS:
        return _(FIELD_LABELS[name])
    words = name.removesuffix('_id').replace('_', ' ').strip()
    return words[:1].upper() + words[1:]


# --- the link -------------------------------------------------------------------------------------------------------


def _link(session: Session, reader: User, declared: Resource | None, record: Any) -> str | None:
    """The record's link when this reader may open it (its resource's read permission and row filter)."""
    if declared is None or not declared.link:
        return None
    try:
        crud.get_record(session=session, actor=reader, resource=declared, record_id=record.id)
    except (NotFound, PermissionDenied):
        return None
    related = {c.name: c.related for c in declared.columns if c.kind == 'related' and c.related}
    return _formatted(session, declared.link, record, related)


def _formatted(session: Session, template: str, record: Any, related: dict[str, str]) -> str | None:
    """The link template with the record's values, URL-quoted; a related field gives its record's title."""
    values = {}
    for name in link_fields(template):
        value = getattr(record, name)
        if name in related:  # '/orders/{order_id}': the order's title, its number
            value = crud.titles_for(session=session, resource=RESOURCES[related[name]], ids={value}).get(value)
            if value is None:
                return None
        values[name] = quote(str(value), safe='')
    return template.format(**values)
