"""The import preview: a dry run saying what each row of the file would do (create, update, unchanged, error)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from sqlmodel import Session, SQLModel, col, func, or_, select

from backoffice.engine.declaration import RESOURCES, FormField, Resource, shown
from backoffice.errors import ValidationFailed
from backoffice.i18n import _
from backoffice.models import User
from backoffice.services import crud
from backoffice.transfer.import_map import importable_fields
from backoffice.transfer.import_rules import (
    chunks,
    field_label,
    in_words,
    require_importable,
    unguarded,
    unique_candidates,
    whole_number,
)

# with the words Excel writes a TRUE or FALSE cell as, in its own language, when it saves a CSV or a boolean is typed
# in as text: a French Excel's VRAI / FAUX were refused ('Write Yes or No'), as were a German, Spanish, Italian, Dutch
# or Portuguese one's
TRUE_WORDS = {'yes', 'y', 'true', 't', '1', 'x', 'on', 'vrai', 'wahr', 'verdadero', 'verdadeiro', 'vero', 'waar'}
FALSE_WORDS = {'no', 'n', 'false', 'f', '0', 'off', 'faux', 'falsch', 'falso', 'onwaar'}

Action = Literal['create', 'update', 'unchanged', 'error']
Progress = Callable[[int, int], None]  # (rows done, rows in all)
PROGRESS_EVERY = 100


@dataclass
class RowPlan:
    """What applying one row of the file would do. `row` counts the data rows from 1 (blank lines skipped)."""

    row: int
    action: Action
    record_id: int | None = None
    version: int | None = None  # the version previewed: apply refuses if the record moved since
    title: str = ''  # the record's name in messages (its email, name…)
    values: dict[str, Any] = field(default_factory=dict)  # typed values to write (update: changed only)
    changes: dict[str, list[Any]] = field(default_factory=dict)  # {field: [before, after]}, JSON-safe
    errors: dict[str, str] = field(default_factory=dict)  # {field: message}; '' is about the whole row
    reason: str = ''  # the errors in words: 'Email: Enter a valid…'
    kept: dict[str, Any] = field(default_factory=dict)  # update: {field: value} an empty cell left as it is
    # update: {field: value} a consent the file would give, left as it is (Resource.own_consent: only the person agrees)
    withheld: dict[str, Any] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)  # update: the fields an empty cell clears (asked for)


def count_actions(plan: Iterable[RowPlan]) -> dict[str, int]:
    """{'create': n, 'update': n, 'unchanged': n, 'error': n} for a preview's summary line."""
    counts = {'create': 0, 'update': 0, 'unchanged': 0, 'error': 0}
    for row in plan:
        counts[row.action] += 1
    return counts


def preview(
    *,
    session: Session,
    actor: User,
    resource: Resource,
    rows: list[dict[str, str]],
    mapping: dict[str, str | None],
    clear: Iterable[str] = (),
    progress: Progress | None = None,
) -> list[RowPlan]:
    """A dry run: what each row would do, with the reason when it cannot. Writes nothing (use `read_session()`).

    A row updates the record whose id is in its `ID` column, or else whose first unique field (a customer's email,
    ignoring case) matches; otherwise it creates one. Related records may be given by id or by their title. On an
    update, an empty cell leaves the field as it is, unless its field is in `clear` (then it clears the field).
    `progress(done, total)` is called as the rows are planned."""
    require_importable(actor, resource)
    fields = {f.name: f for f in importable_fields(resource)}
    used = {header: name for header, name in mapping.items() if name in fields or name == 'id'}
    if not any(name != 'id' for name in used.values()):
        expected = ', '.join(f.label for f in fields.values())  # as an export names them
        message = _('No column matches a field of {list}; name the columns like the form: {expected}')
        raise ValidationFailed({'file': message.format(list=shown(resource.label).lower(), expected=expected)})
    planner = _Planner(session, resource, fields, used, rows, set(clear))
    plan = []
    for number, row in enumerate(rows, start=1):
        plan.append(planner.plan(number, row))
        if progress and (number % PROGRESS_EVERY == 0 or number == len(rows)):
            progress(number, len(rows))
    return plan


class _Planner:
    """Plans rows one by one, with the lookups (records to update, related titles) fetched for the whole file."""

    def __init__(
        self,
        session: Session,
        resource: Resource,
        fields: dict[str, FormField],
        used: dict[str, str],
        rows: list[dict[str, str]],
        clear: set[str],
    ) -> None:
        self.session, self.resource, self.fields, self.clear = session, resource, fields, clear
        self.columns = {name: header for header, name in used.items()}  # field → header
        self.key = 'id' if 'id' in self.columns else None
        self.unique_key = next((name for name in resource.unique if name in self.columns), None)
        self.by_id = self._records_by_id(rows) if self.key else {}
        self.by_unique = self._records_by_unique(rows) if self.unique_key else {}
        self.loaded: list[SQLModel] = []  # the session holds records weakly: keep the related ones while planning
        self.in_trash: dict[str, dict[str, list[int]]] = {}  # field → lower(title) → ids of related records trashed
        self.trashed_named: dict[tuple[str, int], str] = {}  # (field, id) → the name a cell gave a trashed record by
        self.related = {
            name: self._related_titles(f, rows)
            for name, f in fields.items()
            if f.kind == 'related' and name in self.columns
        }
        self.unique = unique_candidates(
            session,
            resource,
            {
                name: {v for row in rows if (v := unguarded(row.get(header, '')))}
                for name, header in self.columns.items()
                if name in resource.unique
            },
        )
        self.seen_records: dict[int, int] = {}  # record id → row
        self.seen_values: dict[str, dict[str, int]] = {name: {} for name in resource.unique}  # field → value → row

    def plan(self, number: int, row: dict[str, str]) -> RowPlan:
        cells = {name: unguarded(row.get(header, '')) for name, header in self.columns.items()}
        plan = RowPlan(row=number, action='error')
        try:
            record = self._match(cells)
            data, problems = self._coerce({k: v for k, v in cells.items() if k != 'id'})
            if problems:
                raise ValidationFailed(problems)
            if record is None:
                self._plan_create(plan, data)
            else:
                self._plan_update(plan, record, data)
            self._check_within_file(plan, record)
        except ValidationFailed as error:
            plan.action, plan.values, plan.changes = 'error', {}, {}
            plan.errors, plan.reason = error.errors, in_words(self.resource, error.errors)
        return plan

    # --- matching

    def _match(self, cells: dict[str, str]) -> SQLModel | None:
        if self.key and cells.get('id'):
            record_id = whole_number(cells['id'])
            if record_id is None:
                raise ValidationFailed(
                    {'id': _('Enter the id as a whole number, or leave it empty to add a new record')}
                )
            record = self.by_id.get(record_id)
            if record is None:
                message = _('No {singular} has the id {id}')
                raise ValidationFailed({'id': message.format(singular=shown(self.resource.singular), id=record_id)})
            if getattr(record, 'deleted_at', None) is not None:
                message = _('This {singular} is in the trash; restore it first')
                raise ValidationFailed({'id': message.format(singular=shown(self.resource.singular))})
            return record
        if self.unique_key and cells.get(self.unique_key):
            return self.by_unique.get(cells[self.unique_key].lower())  # in the trash: not matched; create says why
        return None

    def _records_by_id(self, rows: list[dict[str, str]]) -> dict[int, SQLModel]:
        ids = {i for row in rows if (i := whole_number(unguarded(row.get(self.columns['id'], '')))) is not None}
        model = self.resource.model
        return {
            record.id: record
            for chunk in chunks(ids)
            for record in self.session.exec(select(model).where(col(model.id).in_(chunk)))
        }

    def _records_by_unique(self, rows: list[dict[str, str]]) -> dict[str, SQLModel]:
        header, model = self.columns[self.unique_key], self.resource.model
        keys = {v.lower() for row in rows if (v := unguarded(row.get(header, '')))}
        column = func.lower(getattr(model, self.unique_key))
        found: dict[str, SQLModel] = {}
        for chunk in chunks(keys):
            statement = select(model).where(column.in_(chunk))
            if self.resource.soft_delete:
                statement = statement.where(col(model.deleted_at).is_(None))
            for record in self.session.exec(statement):
                found[str(getattr(record, self.unique_key)).lower()] = record
        return found

    def _related_titles(self, form_field: FormField, rows: list[dict[str, str]]) -> dict[str, list[int]]:
        """lower(title) → ids of live related records, for the values given as names (or numbers: ids). The records
        named or numbered in the file stay loaded, so the related check finds them in the session, not the database."""
        target = RESOURCES[form_field.related]
        header, model = self.columns[form_field.name], target.model
        values = {v for row in rows if (v := unguarded(row.get(header, '')))}
        ids = {i for v in values if (i := whole_number(v)) is not None}
        named = sorted(values)  # a number too may be a name ('2024'), looked for as one first
        column = getattr(model, target.title)
        found: dict[str, list[int]] = {}
        for chunk in chunks(named):
            # as written, or in other letter case: SQLite's lower() leaves non-ASCII capitals ('Été') as they are, so
            # the name exactly as exported is looked for as well
            statement = select(model).where(or_(column.in_(chunk), func.lower(column).in_({v.lower() for v in chunk})))
            for record in self.session.exec(statement):
                self.loaded.append(record)
                # one in the trash apart: a row keeping it (its category, exported by name) is unchanged, one giving it
                # is told it is in the trash
                trashed = target.soft_delete and getattr(record, 'deleted_at', None) is not None
                into = self.in_trash.setdefault(form_field.name, {}) if trashed else found
                into.setdefault(str(getattr(record, target.title)).lower(), []).append(record.id)
        for chunk in chunks(ids):
            self.loaded += self.session.exec(select(model).where(col(model.id).in_(chunk))).all()
        return found

    # --- values

    def _coerce(self, cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Cells as the create/update models accept them (labels → choice values, names → ids); None is a blank."""
        data: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, text in cells.items():
            if text == '':
                data[name] = None
                continue
            form_field = self.fields[name]
            try:
                data[name] = self._value(form_field, text)
            except ValueError as error:
                problems[name] = str(error)
        return data, problems

    def _value(self, form_field: FormField, text: str) -> Any:
        if form_field.kind == 'bool':
            word = text.lower()
            yes, no = TRUE_WORDS | {_('Yes').lower()}, FALSE_WORDS | {_('No').lower()}  # 'oui' / 'non' in French
            if word in yes | no:
                return word in yes
            raise ValueError(_('Write Yes or No'))
        if form_field.kind == 'choice' and (choices := self._choices(form_field)):
            for value, label in choices.items():
                if text.lower() in (str(value).lower(), label.lower(), shown(label).lower()):
                    return value
            among = ', '.join(shown(label) for label in (form_field.choices or choices).values())
            raise ValueError(_('Choose one of: {choices}').format(choices=among))
        if form_field.kind == 'related':
            target = RESOURCES[form_field.related]
            # a name first, as an export writes it: a category named '2024' is that category, never the one whose id
            # is 2024 (the products of one were moved to the other, unsaid); a number nothing is named is an id
            ids = self.related[form_field.name].get(text.lower(), [])
            if len(ids) > 1:
                message = _('{n} {list} are named "{name}"; give the id instead')
                raise ValueError(message.format(n=len(ids), list=shown(target.label).lower(), name=text))
            if ids:
                return ids[0]
            if len(trashed := self.in_trash.get(form_field.name, {}).get(text.lower(), [])) == 1:
                self.trashed_named[form_field.name, trashed[0]] = text  # kept as it is, or refused where it is given
                return trashed[0]
            if (record_id := whole_number(text)) is not None:
                return record_id
            raise ValueError(_('No {singular} is named "{name}"').format(singular=shown(target.singular), name=text))
        return text

    def _choices(self, form_field: FormField) -> dict[str, str]:
        """The form's choices, plus the list column's (a banned status is shown, though not chosen in a form)."""
        column = next((c for c in self.resource.columns if c.name == form_field.name), None)
        return {**((column.choices if column else None) or {}), **(form_field.choices or {})}

    def _plan_create(self, plan: RowPlan, data: dict[str, Any]) -> None:
        given = {name: value for name, value in data.items() if value is not None}  # blanks: the defaults
        self._refuse_trashed(given)
        values = crud.validated(self.resource.create, given, choices=crud.choice_labels(self.resource))
        crud.check_unique_and_related(self.session, self.resource, values, known=self.unique)
        plan.action, plan.values = 'create', values
        plan.changes = {name: [None, _plain(values[name])] for name in given if name in values}
        plan.title = str(values.get(self.resource.title) or '')

    def _plan_update(self, plan: RowPlan, record: SQLModel, data: dict[str, Any]) -> None:
        plan.record_id, plan.version = record.id, record.version
        plan.title = crud.title_of(self.resource, record)
        candidate = {}
        for name, value in data.items():
            if value is None:
                if name not in self.clear:
                    if (current := getattr(record, name)) not in (None, ''):
                        plan.kept[name] = _plain(current)
                    continue
                value = self._blank(name)
            if name in self.resource.own_consent and value is True and not getattr(record, name):
                plan.withheld[name] = _plain(getattr(record, name))
                continue
            if not _same(getattr(record, name), value):
                candidate[name] = value
        if locked := {name: _('Cannot be changed') for name in candidate if not self.fields[name].on_edit}:
            raise ValidationFailed(locked)
        self._refuse_trashed(candidate)
        values = (
            crud.validated(self.resource.update, candidate, partial=True, choices=crud.choice_labels(self.resource))
            if candidate
            else {}
        )
        values = {name: value for name, value in values.items() if not _same(getattr(record, name), value)}
        if not values:
            plan.action = 'unchanged'
            return
        crud.check_unique_and_related(self.session, self.resource, values, record_id=record.id, known=self.unique)
        if self.resource.check_change and (problems := self.resource.check_change(record, values)):
            raise ValidationFailed(problems)
        plan.action, plan.values = 'update', values
        plan.changes = {name: [_plain(getattr(record, name)), _plain(value)] for name, value in values.items()}
        plan.cleared = [name for name in values if name in self.clear and data.get(name) is None]

    def _refuse_trashed(self, values: dict[str, Any]) -> None:
        """A related record named in the file that is in the trash may stay where it is, never be given anew."""
        problems = {
            name: _('The {singular} "{name}" is in the trash; restore it first').format(
                singular=shown(RESOURCES[self.fields[name].related].singular), name=named
            )
            for name, value in values.items()
            if (named := self.trashed_named.get((name, value))) is not None
        }
        if problems:
            raise ValidationFailed(problems)

    def _blank(self, name: str) -> Any:
        """What an empty cell in a column asked to clear its field writes: None where the column allows it, '' or No
        where that is the empty value (a name, a consent); a field that cannot be empty (an email) needs a value."""
        column = self.resource.model.__table__.columns.get(name)
        if column is None or column.nullable:
            return None
        declared = self.resource.create.model_fields.get(name)
        if declared is not None and not declared.is_required():
            default = declared.get_default(call_default_factory=True)
            if default is False or default == '':
                return default
        raise ValidationFailed({name: _('This field is required')})

    def _check_within_file(self, plan: RowPlan, record: SQLModel | None) -> None:
        """Two rows of one file must not change the same record or claim the same unique value."""
        if record is not None:
            if (earlier := self.seen_records.get(record.id)) is not None:
                message = _('Row {row} of this file already matches this {singular}')
                raise ValidationFailed({'': message.format(row=earlier, singular=shown(self.resource.singular))})
            self.seen_records[record.id] = plan.row
        for name, seen in self.seen_values.items():
            value = plan.values.get(name, getattr(record, name, None) if record is not None else None)
            if value in (None, ''):
                continue
            if (earlier := seen.get(str(value).lower())) is not None:
                label = field_label(self.resource, name).lower()
                raise ValidationFailed(
                    {name: _('Row {row} of this file has the same {label}').format(row=earlier, label=label)}
                )
            seen[str(value).lower()] = plan.row


def _plain(value: Any) -> Any:
    """JSON-safe, as the audit log stores values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _same(current: Any, value: Any) -> bool:
    """Whether a cell's value equals what the record holds (texts compare as written, dates in UTC)."""
    current, value = _comparable(current), _comparable(value)
    if current == value:
        return True
    return isinstance(value, str) and not isinstance(current, bool) and current is not None and str(current) == value


def _comparable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if value == '':
        return None
    return value
