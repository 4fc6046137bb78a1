"""Import CSV/XLSX into a resource: read the table, match its columns, preview every row as a dry run, apply the valid
rows in one transaction, and revert a whole batch later without overwriting anyone's newer edit."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sqlmodel import Session, SQLModel, col, func, select

from backoffice import events, formatting
from backoffice.changes import get_for_update
from backoffice.config import get_settings
from backoffice.engine.declaration import RESOURCES, FormField, Resource
from backoffice.errors import NotFound, ServiceError, StaleRecord, ValidationFailed
from backoffice.events import Topic
from backoffice.models import ImportBatch, User, utcnow
from backoffice.permissions import require
from backoffice.runtime.upload_limit import MB, max_upload_bytes, too_large_message
from backoffice.services import audit, crud
from backoffice.transfer import xlsx_rows

MAX_COLUMNS = 60  # columns read from a file; a header naming more is refused
MAX_LINE_CHARS = 1024 * 1024  # one line of a CSV file
READ_CHUNK = 1024 * 1024
# How far an .xlsx (a zip) may unpack, as multiples of the upload limit: the shared strings are loaded whole by
# openpyxl (so they stay small), a sheet is streamed (it may be larger), and all parts together.
XLSX_STRINGS_FACTOR = 2
XLSX_PART_FACTOR = 10
XLSX_TOTAL_FACTOR = 12
DELIMITERS = (',', ';', '\t')
TRUE_WORDS = {'yes', 'y', 'true', 't', '1', 'x', 'on'}
FALSE_WORDS = {'no', 'n', 'false', 'f', '0', 'off'}
FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")  # the apostrophe an export puts before =, +, -, @
LOOKUP_CHUNK = 500
FLUSH_EVERY = 500

Action = Literal['create', 'update', 'unchanged', 'error']


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


def count_actions(plan: Iterable[RowPlan]) -> dict[str, int]:
    """{'create': n, 'update': n, 'unchanged': n, 'error': n} for a preview's summary line."""
    counts = {'create': 0, 'update': 0, 'unchanged': 0, 'error': 0}
    for row in plan:
        counts[row.action] += 1
    return counts


# --- reading the file ------------------------------------------------------------------------------------------------


def read_table(data: bytes, file_name: str) -> list[dict[str, str]]:
    """`read_table_file` over bytes already in memory (small files, tests)."""
    return read_table_file(io.BytesIO(data), file_name)


def read_table_file(source: BinaryIO | str | Path, file_name: str) -> list[dict[str, str]]:
    """The file's rows as {header: text}, for .csv (comma, semicolon or tab; UTF-8 with or without BOM, Windows
    encoding or Excel's UTF-16 "Unicode Text") and .xlsx (the first sheet). The first non-blank line is the header;
    blank lines are skipped. Slow and blocking: call it from a worker thread (`run.io_bound`), never the event loop.

    Memory stays bounded whatever the file holds: its size, rows, columns, line length and an .xlsx's unpacked parts
    are checked while it is read (each refused in words, naming the limit), and the rows are read one by one."""
    if isinstance(source, str | Path):
        with open(source, 'rb') as file:
            return _read_table(file, file_name)
    return _read_table(source, file_name)


def max_rows() -> int:
    return get_settings().max_import_rows


def _read_table(file: BinaryIO, file_name: str) -> list[dict[str, str]]:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    if not size:
        raise ValidationFailed({'file': 'The file is empty'})
    if size > max_upload_bytes():
        raise ValidationFailed({'file': too_large_message()})
    suffix = file_name.lower().rsplit('.', 1)[-1] if '.' in file_name else ''
    if suffix in ('csv', 'txt', 'tsv'):
        lines = _csv_lines(file)
    elif suffix == 'xlsx':
        lines = _xlsx_lines(file)
    else:
        raise ValidationFailed({'file': 'Upload a .csv or .xlsx file'})
    limit = max_rows()
    too_many = ValidationFailed({'file': f'The file has more than {limit:,} rows; split it into smaller files'})
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    blank = 0
    with closing(lines):
        for cells in lines:
            cells = [cell.strip() for cell in cells[: MAX_COLUMNS + 1]]  # what is past the header is never kept
            if not any(cells):
                blank += 1  # blank lines cost reading time too (a sheet can claim a million empty rows)
                if blank > limit:
                    raise too_many
                continue
            if header is None:
                header = _header(cells)
                continue
            if len(rows) >= limit:
                raise too_many
            if len(cells) < len(header):
                cells += [''] * (len(header) - len(cells))
            row = dict(zip(header, cells, strict=False))  # cells past the header are not read
            row.pop('', None)  # a column without a name is not read
            rows.append(row)
    if header is None:
        raise ValidationFailed({'file': 'The file is empty'})
    if not rows:
        raise ValidationFailed({'file': 'The file has a header line but no rows under it'})
    return rows


def _header(cells: list[str]) -> list[str]:
    names = [cell.lstrip('\ufeff').strip() for cell in cells]
    if any(names[MAX_COLUMNS:]):
        raise ValidationFailed({'file': f'The file has more than {MAX_COLUMNS} columns; keep the columns to import'})
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise ValidationFailed({'file': f'The column "{name}" appears twice in the header'})
        seen.add(name)
    return names


def _csv_lines(file: BinaryIO) -> Iterator[list[str]]:
    text = io.TextIOWrapper(file, encoding=_encoding(file), newline='')
    try:
        lines = _bounded_lines(text)
        skipped = []
        first_line = ''
        for line in lines:
            skipped.append(line)
            if line.strip():
                first_line = line
                break
        delimiter = max(DELIMITERS, key=first_line.count) if any(d in first_line for d in DELIMITERS) else ','
        yield from csv.reader(chain(skipped, lines), delimiter=delimiter)
    except csv.Error as error:
        raise ValidationFailed({'file': f'The file could not be read as CSV ({error})'}) from None
    except UnicodeDecodeError:
        raise ValidationFailed({'file': 'The file is not readable text; save it as "CSV UTF-8"'}) from None
    finally:
        text.detach()  # the caller's file stays open: it closes it


def _bounded_lines(text: io.TextIOWrapper) -> Iterator[str]:
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise ValidationFailed({'file': f'A line of the file is longer than {MAX_LINE_CHARS:,} characters'})
        yield line.replace('\x00', '')  # never meant in a cell; PostgreSQL refuses it


def _encoding(file: BinaryIO) -> str:
    """UTF-16 when it starts with its byte-order mark (Excel's "Unicode Text"), else UTF-8 when every byte decodes
    (checked a chunk at a time), else the Windows code page Excel on Windows saves "CSV" in."""
    start = file.read(4)
    file.seek(0)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 'utf-16'
    decoder = codecs.getincrementaldecoder('utf-8')()
    try:
        while chunk := file.read(READ_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b'', final=True)
        return 'utf-8-sig'
    except UnicodeDecodeError:
        return 'cp1252'
    finally:
        file.seek(0)


def _xlsx_lines(file: BinaryIO) -> Iterator[list[str]]:
    limit = max_upload_bytes()
    try:
        xlsx_rows.check_parts(
            file,
            strings_limit=XLSX_STRINGS_FACTOR * limit,
            part_limit=XLSX_PART_FACTOR * limit,
            total_limit=XLSX_TOTAL_FACTOR * limit,
        )
        for values in xlsx_rows.first_sheet_rows(file, max_col=MAX_COLUMNS + 1):
            yield [_cell_text(value) for value in values]
    except xlsx_rows.TooLarge:
        raise ValidationFailed(
            {'file': f'The workbook unpacks to more than its {limit // MB} MB allows; save it as CSV, or split it'}
        ) from None
    except ValidationFailed:
        raise
    except Exception:  # xlsx_rows.Unreadable, or a sheet that breaks off half-way
        raise ValidationFailed({'file': 'The file could not be read as an Excel workbook (.xlsx)'}) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'Yes' if value else 'No'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=' ') if value.time() != datetime.min.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- mapping columns -------------------------------------------------------------------------------------------------


def map_columns(resource: Resource, headers: Iterable[str]) -> dict[str, str | None]:
    """{header: field name or None}: a header matches a field's label or name (or the label of the list column an
    export writes for it), ignoring case, spaces and underscores; `ID` matches records by id. None: ignored."""
    candidates: dict[str, str] = {'id': 'id'}
    for form_field in importable_fields(resource):
        for name in (form_field.name, form_field.label):
            candidates.setdefault(_squash(name), form_field.name)
    for column in resource.columns:
        if column.name in candidates.values():
            candidates.setdefault(_squash(column.label), column.name)
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for header in headers:
        target = candidates.get(_squash(header))
        mapping[header] = target if target not in taken else None  # a second column for the same field is ignored
        if target:
            taken.add(target)
    return mapping


def importable_fields(resource: Resource) -> list[FormField]:
    return [f for f in resource.fields if f.kind != 'image']


def _squash(text: str) -> str:
    return re.sub(r'[\s_\-]+', '', text).lower()


# --- preview ---------------------------------------------------------------------------------------------------------


def preview(
    *, session: Session, actor: User, resource: Resource, rows: list[dict[str, str]], mapping: dict[str, str | None]
) -> list[RowPlan]:
    """A dry run: what each row would do, with the reason when it cannot. Writes nothing (use `read_session()`).

    A row updates the record whose id is in its `ID` column, or else whose first unique field (a customer's email,
    ignoring case) matches; otherwise it creates one. Related records may be given by id or by their title."""
    _require_importable(actor, resource)
    fields = {f.name: f for f in importable_fields(resource)}
    used = {header: name for header, name in mapping.items() if name in fields or name == 'id'}
    if not any(name != 'id' for name in used.values()):
        expected = ', '.join(f.label for f in fields.values())
        raise ValidationFailed(
            {
                'file': f'No column matches a field of {resource.label.lower()}; '
                f'name the columns like the form: {expected}'
            }
        )
    planner = _Planner(session, resource, fields, used, rows)
    return [planner.plan(number, row) for number, row in enumerate(rows, start=1)]


class _Planner:
    """Plans rows one by one, with the lookups (records to update, related titles) fetched for the whole file."""

    def __init__(
        self,
        session: Session,
        resource: Resource,
        fields: dict[str, FormField],
        used: dict[str, str],
        rows: list[dict[str, str]],
    ) -> None:
        self.session, self.resource, self.fields = session, resource, fields
        self.columns = {name: header for header, name in used.items()}  # field → header
        self.key = 'id' if 'id' in self.columns else None
        self.unique_key = next((name for name in resource.unique if name in self.columns), None)
        self.by_id = self._records_by_id(rows) if self.key else {}
        self.by_unique = self._records_by_unique(rows) if self.unique_key else {}
        self.loaded: list[SQLModel] = []  # the session holds records weakly: keep the related ones while planning
        self.related = {
            name: self._related_titles(f, rows)
            for name, f in fields.items()
            if f.kind == 'related' and name in self.columns
        }
        self.seen_records: dict[int, int] = {}  # record id → row
        self.seen_values: dict[str, dict[str, int]] = {name: {} for name in resource.unique}  # field → value → row

    def plan(self, number: int, row: dict[str, str]) -> RowPlan:
        cells = {name: _unguarded(row.get(header, '')) for name, header in self.columns.items()}
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
            plan.errors, plan.reason = error.errors, _in_words(self.resource, error.errors)
        return plan

    # --- matching

    def _match(self, cells: dict[str, str]) -> SQLModel | None:
        if self.key and cells.get('id'):
            record_id = _whole_number(cells['id'])
            if record_id is None:
                raise ValidationFailed({'id': 'Enter the id as a whole number, or leave it empty to add a new record'})
            record = self.by_id.get(record_id)
            if record is None:
                raise ValidationFailed({'id': f'No {self.resource.singular} has the id {record_id}'})
            if getattr(record, 'deleted_at', None) is not None:
                raise ValidationFailed({'id': f'This {self.resource.singular} is in the trash; restore it first'})
            return record
        if self.unique_key and cells.get(self.unique_key):
            return self.by_unique.get(cells[self.unique_key].lower())  # in the trash: not matched; create says why
        return None

    def _records_by_id(self, rows: list[dict[str, str]]) -> dict[int, SQLModel]:
        ids = {i for row in rows if (i := _whole_number(_unguarded(row.get(self.columns['id'], '')))) is not None}
        model = self.resource.model
        return {
            record.id: record
            for chunk in _chunks(ids)
            for record in self.session.exec(select(model).where(col(model.id).in_(chunk)))
        }

    def _records_by_unique(self, rows: list[dict[str, str]]) -> dict[str, SQLModel]:
        header, model = self.columns[self.unique_key], self.resource.model
        keys = {v.lower() for row in rows if (v := _unguarded(row.get(header, '')))}
        column = func.lower(getattr(model, self.unique_key))
        found: dict[str, SQLModel] = {}
        for chunk in _chunks(keys):
            statement = select(model).where(column.in_(chunk))
            if self.resource.soft_delete:
                statement = statement.where(col(model.deleted_at).is_(None))
            for record in self.session.exec(statement):
                found[str(getattr(record, self.unique_key)).lower()] = record
        return found

    def _related_titles(self, form_field: FormField, rows: list[dict[str, str]]) -> dict[str, list[int]]:
        """lower(title) → ids of live related records, for the values given as names rather than ids. The records
        named or numbered in the file stay loaded, so the related check finds them in the session, not the database."""
        target = RESOURCES[form_field.related]
        header, model = self.columns[form_field.name], target.model
        values = {v for row in rows if (v := _unguarded(row.get(header, '')))}
        ids = {i for v in values if (i := _whole_number(v)) is not None}
        titles = {v.lower() for v in values if _whole_number(v) is None}
        column = getattr(model, target.title)
        found: dict[str, list[int]] = {}
        for chunk in _chunks(titles):
            statement = select(model).where(func.lower(column).in_(chunk))
            if target.soft_delete:
                statement = statement.where(col(model.deleted_at).is_(None))
            for record in self.session.exec(statement):
                self.loaded.append(record)
                found.setdefault(str(getattr(record, target.title)).lower(), []).append(record.id)
        for chunk in _chunks(ids):
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
            if word in TRUE_WORDS | FALSE_WORDS:
                return word in TRUE_WORDS
            raise ValueError('Write Yes or No')
        if form_field.kind == 'choice' and (choices := self._choices(form_field)):
            for value, label in choices.items():
                if text.lower() in (str(value).lower(), label.lower()):
                    return value
            raise ValueError('Choose one of: ' + ', '.join((form_field.choices or choices).values()))
        if form_field.kind == 'related':
            target = RESOURCES[form_field.related]
            if (record_id := _whole_number(text)) is not None:
                return record_id
            ids = self.related[form_field.name].get(text.lower(), [])
            if not ids:
                raise ValueError(f'No {target.singular} is named "{text}"')
            if len(ids) > 1:
                raise ValueError(f'{len(ids)} {target.label.lower()} are named "{text}"; give the id instead')
            return ids[0]
        return text

    def _choices(self, form_field: FormField) -> dict[str, str]:
        """The form's choices, plus the list column's (a banned status is shown, though not chosen in a form)."""
        column = next((c for c in self.resource.columns if c.name == form_field.name), None)
        return {**((column.choices if column else None) or {}), **(form_field.choices or {})}

    def _plan_create(self, plan: RowPlan, data: dict[str, Any]) -> None:
        given = {name: value for name, value in data.items() if value is not None}  # blanks: the defaults
        values = crud.validated(self.resource.create, given)
        crud.check_unique_and_related(self.session, self.resource, values)
        plan.action, plan.values = 'create', values
        plan.changes = {name: [None, _plain(values[name])] for name in given if name in values}
        plan.title = str(values.get(self.resource.title) or '')

    def _plan_update(self, plan: RowPlan, record: SQLModel, data: dict[str, Any]) -> None:
        plan.record_id, plan.version = record.id, record.version
        plan.title = crud.title_of(self.resource, record)
        candidate = {}
        for name, value in data.items():
            if value is None:
                value = self._blank(name)
            if not _same(getattr(record, name), value):
                candidate[name] = value
        if locked := {name: 'Cannot be changed' for name in candidate if not self.fields[name].on_edit}:
            raise ValidationFailed(locked)
        values = crud.validated(self.resource.update, candidate, partial=True) if candidate else {}
        values = {name: value for name, value in values.items() if not _same(getattr(record, name), value)}
        if not values:
            plan.action = 'unchanged'
            return
        crud.check_unique_and_related(self.session, self.resource, values, record_id=record.id)
        if self.resource.check_change and (problems := self.resource.check_change(record, values)):
            raise ValidationFailed(problems)
        plan.action, plan.values = 'update', values
        plan.changes = {name: [_plain(getattr(record, name)), _plain(value)] for name, value in values.items()}

    def _blank(self, name: str) -> Any:
        """An empty cell clears the field: None where the column allows it, '' or No where that is the empty value
        (a name, a consent); a field that cannot be empty (an email, a status) needs a value."""
        column = self.resource.model.__table__.columns.get(name)
        if column is None or column.nullable:
            return None
        declared = self.resource.create.model_fields.get(name)
        if declared is not None and not declared.is_required():
            default = declared.get_default(call_default_factory=True)
            if default is False or default == '':
                return default
        raise ValidationFailed({name: 'This field is required'})

    def _check_within_file(self, plan: RowPlan, record: SQLModel | None) -> None:
        """Two rows of one file must not change the same record or claim the same unique value."""
        if record is not None:
            if (earlier := self.seen_records.get(record.id)) is not None:
                raise ValidationFailed(
                    {'': f'Row {earlier} of this file already matches this {self.resource.singular}'}
                )
            self.seen_records[record.id] = plan.row
        for name, seen in self.seen_values.items():
            value = plan.values.get(name, getattr(record, name, None) if record is not None else None)
            if value in (None, ''):
                continue
            if (earlier := seen.get(str(value).lower())) is not None:
                label = _label(self.resource, name).lower()
                raise ValidationFailed({name: f'Row {earlier} of this file has the same {label}'})
            seen[str(value).lower()] = plan.row


# --- apply -----------------------------------------------------------------------------------------------------------


def apply(*, session: Session, actor: User, resource: Resource, plan: list[RowPlan], file_name: str) -> ImportBatch:
    """Write the previewed creates and updates in one transaction (error and unchanged rows are skipped), each audited
    as a change of its record, the batch once more. A row that no longer passes, or a record someone changed since
    the preview, stops the whole import: nothing is written and the message names the row."""
    _require_importable(actor, resource)
    if not any(row.action in ('create', 'update') for row in plan):
        raise ValidationFailed({'': 'Nothing to import: every row is unchanged or has an error.'})
    batch = ImportBatch(resource=resource.key, actor_id=actor.id, file_name=file_name[:255])
    created: list[SQLModel] = []
    waiting: list[SQLModel] = []
    updated: dict[str, Any] = {}
    try:
        session.add(batch)
        session.flush()
        targets = _locked(session, resource, [row.record_id for row in plan if row.action == 'update'])
        held = _related_records(session, resource, plan)  # referenced, so the related check finds them in the session
        # Rows are checked against the database as it was before the import (as the preview did: a file cannot
        # clash with itself, the preview refused that), so new records are inserted in batches, not one by one.
        with session.no_autoflush:
            for row in plan:
                try:
                    if row.action == 'create':
                        waiting.append(_new_record(session, resource, row))
                    elif row.action == 'update':
                        record, changes = _update(session, actor, resource, row, targets, batch.id)
                        updated[str(record.id)] = {
                            'before': {name: pair[0] for name, pair in changes.items()},
                            'after': {name: pair[1] for name, pair in changes.items()},
                            'version': record.version,
                        }
                except (ValidationFailed, StaleRecord, NotFound) as error:
                    reason = _apply_failure(resource, error)
                    raise ValidationFailed(
                        {
                            '': f'Row {row.row} ({row.title or resource.singular}): {reason} '
                            'Nothing was imported; preview the file again.'
                        }
                    ) from error
                if len(waiting) >= FLUSH_EVERY:
                    created += _insert(session, actor, resource, waiting, batch.id)
                    waiting = []
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
            summary=f'Imported {batch.file_name or "a file"}: {_counts_text(batch.counts)}',
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
        return _in_words(resource, error.errors)
    if isinstance(error, StaleRecord):
        when = f' at {formatting.when(error.changed_at)}' if error.changed_at else ''
        return f'{error.changed_by or "Someone"} changed this {resource.singular}{when}, after the preview.'
    return str(error)


def _new_record(session: Session, resource: Resource, row: RowPlan) -> SQLModel:
    """crud.create_record's rules, without its commit (the import commits once, at the end)."""
    values = crud.validated(resource.create, row.values)
    crud.check_unique_and_related(session, resource, values)
    record = resource.model(**values)
    session.add(record)
    return record


def _insert(
    session: Session, actor: User, resource: Resource, records: list[SQLModel], batch_id: int
) -> list[SQLModel]:
    session.flush()
    for record in records:
        audit.record(
            session,
            actor,
            f'{resource.singular}.created',
            resource.entity,
            record.id,
            version=record.version,
            changes=audit.diff({}, audit.snapshot(record)),
            summary=f'Added {crud.title_of(resource, record)} by import #{batch_id}',
        )
    return records


def _update(
    session: Session, actor: User, resource: Resource, row: RowPlan, targets: dict[int, SQLModel], batch_id: int
) -> tuple[SQLModel, dict[str, list[Any]]]:
    """crud.update_record's rules and audit, without its commit."""
    record = targets.get(row.record_id)
    if record is None:
        raise NotFound(f'This {resource.singular} no longer exists.')
    if record.version != row.version:  # says who changed it, and when
        get_for_update(session, resource.model, record.id, row.version, entity=resource.entity, label=resource.singular)
    values = crud.validated(resource.update, row.values, partial=True)
    crud.check_unique_and_related(session, resource, values, record_id=record.id)
    if resource.check_change and (problems := resource.check_change(record, values)):
        raise ValidationFailed(problems)
    changes = crud.apply_change(
        session,
        actor,
        resource,
        record,
        values,
        'updated',
        summary=f'Updated {crud.title_of(resource, record)} by import #{batch_id}',
    )
    return record, changes


def _related_records(session: Session, resource: Resource, plan: list[RowPlan]) -> list[SQLModel]:
    loaded: list[SQLModel] = []
    for form_field in resource.fields:
        if form_field.kind == 'related':
            model = RESOURCES[form_field.related].model
            ids = {row.values.get(form_field.name) for row in plan if row.action in ('create', 'update')} - {None}
            for chunk in _chunks(ids):
                loaded += session.exec(select(model).where(col(model.id).in_(chunk))).all()
    return loaded


def _locked(session: Session, resource: Resource, ids: Iterable[int]) -> dict[int, SQLModel]:
    """The records by id, loaded in a few queries and locked for this transaction (PostgreSQL; SQLite's write lock
    is the whole database)."""
    model, found = resource.model, {}
    for chunk in _chunks(set(ids)):
        statement = select(model).where(col(model.id).in_(chunk))
        if session.bind.dialect.name != 'sqlite':
            statement = statement.with_for_update()
        found.update((record.id, record) for record in session.exec(statement))
    return found


# --- revert ----------------------------------------------------------------------------------------------------------


def revert(*, session: Session, actor: User, batch_id: int) -> dict[str, Any]:
    """Undo a whole import in one transaction: records it created go to the trash, records it changed get their
    earlier values back. A record someone changed after the import is left alone and listed with the reason.

    Returns {'done': n, 'trashed': n, 'restored': n, 'skipped': [{'id', 'title', 'reason'}]}."""
    batch = session.get(ImportBatch, batch_id, with_for_update=session.bind.dialect.name != 'sqlite')
    if batch is None:
        raise NotFound('This import no longer exists.')
    resource = RESOURCES[batch.resource]
    _require_importable(actor, resource)
    if batch.reverted_at is not None:
        raise ValidationFailed({'': f'This import was already reverted on {formatting.when(batch.reverted_at)}.'})
    trashed, restored, skipped, ids = 0, 0, [], []
    try:
        records = _locked(session, resource, [*batch.created_ids, *map(int, batch.updated)])
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
            summary=f'Reverted import #{batch.id} ({batch.file_name or "a file"}): {trashed} moved to the '
            f'trash, {restored} restored, {len(skipped)} left as they are',
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
        return 'It no longer exists'
    if record.version != 1:  # every save bumps the version: someone changed it after the import created it
        return _changed_after(session, resource, record.id)
    if not resource.soft_delete:
        return f'A {resource.singular} cannot be deleted'
    crud.apply_change(
        session,
        actor,
        resource,
        record,
        {'deleted_at': utcnow()},
        'deleted',
        summary=f'Deleted {crud.title_of(resource, record)}: revert of import #{batch_id}',
    )
    return ''


def _restore_updated(
    session: Session, actor: User, resource: Resource, record: SQLModel | None, entry: dict[str, Any], batch_id: int
) -> str:
    if record is None:
        return 'It no longer exists'
    if record.version != entry.get('version'):
        return _changed_after(session, resource, record.id)
    try:
        values = crud.validated(resource.update, entry.get('before', {}), partial=True)
        crud.check_unique_and_related(session, resource, values, record_id=record.id)
    except ValidationFailed as error:
        return f'Its earlier values are no longer valid ({error})'
    crud.apply_change(
        session,
        actor,
        resource,
        record,
        values,
        'reverted',
        summary=f'Reverted {crud.title_of(resource, record)} to before import #{batch_id}',
    )
    return ''


def _changed_after(session: Session, resource: Resource, record_id: int) -> str:
    last = audit.last_change(session, resource.entity, record_id)
    who = last.actor_email if last else 'someone'
    when = f' on {formatting.when(last.at)}' if last and last.at else ''
    return f'Changed by {who}{when} after the import; left as it is'


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


# --- helpers ---------------------------------------------------------------------------------------------------------


def _require_importable(actor: User, resource: Resource) -> None:
    # A resource with its own write service (staff users: password hashing, sessions) keeps its rules there.
    if resource.create is None or resource.update is None or resource.create_with or resource.update_with:
        raise ServiceError(f'{resource.label} cannot be imported.')
    require(actor, resource.write_permission)


def _label(resource: Resource, name: str) -> str:
    if name == 'id':
        return 'ID'
    return next((f.label for f in resource.fields if f.name == name), name)


def _in_words(resource: Resource, errors: dict[str, str]) -> str:
    text = '; '.join(f'{_label(resource, name)}: {message}' if name else message for name, message in errors.items())
    return text if text.endswith(('.', '!', '?')) else f'{text}.'


def _unguarded(text: str) -> str:
    return FORMULA_GUARD.sub('', text.strip())


def _whole_number(text: str) -> int | None:
    text = text.strip()
    if text.endswith('.0'):
        text = text[:-2]
    return int(text) if text.isdigit() else None


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    values = list(values)
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


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


def _counts_text(counts: dict[str, int]) -> str:
    return (
        f'{counts["created"]} added, {counts["updated"]} changed, {counts["unchanged"]} unchanged, '
        f'{counts["skipped"]} skipped'
    )
