"""Export a resource list — its current search, filters and sort — to CSV or XLSX, streamed batch by batch."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from sqlmodel import Session, SQLModel

from backoffice import i18n
from backoffice.engine.declaration import RESOURCES, Column, Resource
from backoffice.i18n import N_
from backoffice.listing import query
from backoffice.models import User, utcnow
from backoffice.permissions import require
from backoffice.services import audit, crud
from backoffice.stored_text import Sentence, counted, joined, sentence, word
from backoffice.transfer.csv_out import CsvWriter

log = logging.getLogger(__name__)

Format = Literal['csv', 'xlsx']
Progress = Callable[[int, int], None]  # (rows written, rows in all: exact, or an estimate on huge lists)

MEDIA_TYPES = {
    'csv': 'text/csv; charset=utf-8',
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}
ID_COLUMN = Column('id', 'ID', kind='number')  # first, so a re-import can match rows by id
XLSX_CELL_LIMIT = 32_767
CHUNK_SIZE = 64 * 1024


@dataclass
class ExportFile:
    """A download: its name, media type and the bytes, produced lazily as `chunks` is consumed.

    The session handed to `export_rows` must stay open until `chunks` is exhausted."""

    file_name: str
    media_type: str
    chunks: Iterator[bytes]

    def save(self, path: str | Path) -> Path:
        """Write the whole export to a file (for `ui.download` of a file, or a job that mails it)."""
        path = Path(path)
        with path.open('wb') as out:
            for chunk in self.chunks:
                out.write(chunk)
        return path


def export_rows(
    *,
    session: Session,
    actor: User,
    resource: Resource,
    request: query.ListRequest,
    fmt: Format,
    progress: Progress | None = None,
    batch_size: int = 1000,
    columns: Sequence[str] | None = None,
    audited: bool = True,
    separator: str = ',',
) -> ExportFile:
    """The rows of the list as the user sees it (search, filters, sort), every page, as CSV or XLSX.

    The request is checked and the rows counted at once (a bad filter fails here, before a download starts); the rows
    are read as the chunks are consumed, one batch in memory at a time. Open the session with `read_session()`: on
    SQLite a write session would hold the write lock for the whole export. When the last row is out (or the download
    stops), one `<singular>.exported` audit entry records the row count and the filters. `columns`: only these (a saved
    view's), in the list's order; `audited=False` for a spreadsheet feed, whose fetches its own record counts.
    `separator`: a CSV's, ',' or ';' (Excel where the decimal mark is a comma, which then separates decimals too: a
    person's download in the reader's way, `formatting.spreadsheet_separator`; a feed keeps commas)."""
    require(actor, resource.read_permission)
    if fmt not in MEDIA_TYPES:
        raise ValueError(f'unknown export format {fmt!r}')
    total, _exact = query.count(session=session, actor=actor, resource=resource, request=request)
    chosen = set(columns) if columns is not None else None
    shown = (ID_COLUMN, *(c for c in resource.columns if chosen is None or c.name in chosen))
    rows = _Rows(
        session=session,
        actor=actor,
        resource=resource,
        request=request,
        columns=shown,
        total=total,
        progress=progress,
        batch_size=batch_size,
    )
    chunks = (
        csv_chunks(shown, rows, separator=separator) if fmt == 'csv' else xlsx_chunks(shown, rows, title=resource.label)
    )
    if audited:
        chunks = audited_chunks(
            chunks,
            session=session,
            actor=actor,
            resource=resource,
            request=request,
            fmt=fmt,
            action=f'{resource.singular}.exported',
            rows=lambda: rows.done,
            exported=lambda complete: sentence(
                N_('Exported {records} to {format}')
                if complete
                else N_('Exported {records} to {format} (stopped early)'),
                records=records_counted(resource, rows.done),
                format=fmt.upper(),
            ),
        )
    file_name = f'{resource.key}-{utcnow():%Y-%m-%d-%H%M}.{fmt}'
    return ExportFile(file_name=file_name, media_type=MEDIA_TYPES[fmt], chunks=chunks)


# --- reading rows ----------------------------------------------------------------------------------------------------


class _Rows:
    """The list's rows as typed values per column (titles for related records, labels for choices), batch by batch."""

    def __init__(
        self,
        *,
        session: Session,
        actor: User,
        resource: Resource,
        request: query.ListRequest,
        columns: tuple[Column, ...],
        total: int,
        progress: Progress | None,
        batch_size: int,
    ) -> None:
        self.session, self.actor, self.resource, self.request = session, actor, resource, request
        self.columns, self.total, self.progress, self.batch_size = columns, total, progress, batch_size
        self.done = 0

    def __iter__(self) -> Iterator[list[list[Any]]]:
        if self.progress:
            self.progress(0, self.total)
        for batch in query.iterate(
            session=self.session,
            actor=self.actor,
            resource=self.resource,
            request=self.request,
            batch_size=self.batch_size,
        ):
            rendered = self._render(batch)
            self.done += len(batch)
            if self.progress:
                self.progress(self.done, max(self.total, self.done))
            yield rendered

    def _render(self, records: list[SQLModel]) -> list[list[Any]]:
        titles = {
            column.name: crud.titles_for(
                session=self.session,
                resource=RESOURCES[column.related],
                ids={getattr(record, column.name) for record in records},
                field=column.shows,
            )
            for column in self.columns
            if column.kind == 'related' and column.related in RESOURCES
        }
        return [
            [_typed(column.value(record), column, titles.get(column.name)) for column in self.columns]
            for record in records
        ]


def typed_cell(value: Any) -> Any:
    """A datetime as the export writes it: naive UTC, to the second (another export of rows reuses it)."""
    return (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None, microsecond=0)


def _typed(value: Any, column: Column, titles: dict[int, str] | None) -> Any:
    if value is None:
        return None
    if titles is not None:
        return titles.get(value, f'#{value}')
    if isinstance(value, Enum):
        value = value.value
    if column.kind == 'choice' and column.choices:
        return column.choices.get(value, value)
    if isinstance(value, datetime):
        return typed_cell(value)  # naive = UTC
    if isinstance(value, bool | int | float | Decimal | date | str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


# --- writing ---------------------------------------------------------------------------------------------------------


def csv_chunks(
    columns: tuple[Column, ...], rows: Iterable[list[list[Any]]], *, separator: str = ','
) -> Iterator[bytes]:
    """The header, then each batch of rows, as CSV bytes (the order lines' export writes with it too); with ';' as
    the separator, a comma separates decimals (4,50), as the spreadsheet reading it expects."""
    writer = CsvWriter(separator=separator, decimal=',' if separator == ';' else '.')  # guards text against formulas
    writer.write([column.label for column in columns])
    yield '\ufeff'.encode() + writer.take().encode()  # the BOM: Excel reads the file as UTF-8, accents intact
    for batch in rows:
        writer.write_all([_csv_value(value) for value in row] for row in batch)
        yield writer.take().encode()


def _csv_value(value: Any) -> Any:
    """Yes/No and ISO dates; numbers stay numbers and text stays text, for the writer to guard."""
    if isinstance(value, bool):
        return 'Yes' if value else 'No'
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def xlsx_chunks(columns: tuple[Column, ...], rows: Iterable[list[list[Any]]], *, title: str) -> Iterator[bytes]:
    # The workbook is written to a temporary file (openpyxl streams rows to disk in write-only mode), then streamed.
    # openpyxl (~0.2 s of CPU) is imported by the first spreadsheet written, not by every process's start
    from openpyxl import Workbook
    from openpyxl.cell import cell as xlsx_cells
    from openpyxl.cell.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    handle, name = tempfile.mkstemp(prefix='backoffice-export-', suffix='.xlsx')
    os.close(handle)
    path = Path(name)
    try:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=_sheet_title(title))
        sheet.freeze_panes = 'A2'
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = _width(column)
        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column.label)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for batch in rows:
            for row in batch:
                sheet.append(
                    [_xlsx_cell(xlsx_cells, sheet, value, column) for value, column in zip(row, columns, strict=True)]
                )
        workbook.save(path)
        with path.open('rb') as source:
            while chunk := source.read(CHUNK_SIZE):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def _xlsx_cell(xlsx_cells: ModuleType, sheet, value: Any, column: Column) -> Any:
    """`xlsx_cells`: openpyxl.cell.cell, imported by the writer (no import statement run per cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'Yes' if value else 'No'
    if isinstance(value, int | float | Decimal):
        if column.kind != 'money':
            return value
        cell = xlsx_cells.WriteOnlyCell(sheet, value=value)
        cell.number_format = '#,##0.00'
        return cell
    if isinstance(value, datetime):
        cell = xlsx_cells.WriteOnlyCell(sheet, value=value)
        cell.number_format = 'yyyy-mm-dd hh:mm:ss'
        return cell
    if isinstance(value, date):
        cell = xlsx_cells.WriteOnlyCell(sheet, value=value)
        cell.number_format = 'yyyy-mm-dd'
        return cell
    text = xlsx_cells.ILLEGAL_CHARACTERS_RE.sub('', str(value))[:XLSX_CELL_LIMIT]
    if text.startswith('='):  # openpyxl would store it as a formula: keep it a plain string, never evaluated
        cell = xlsx_cells.WriteOnlyCell(sheet, value=text)
        cell.data_type = 's'
        return cell
    return text


def _width(column: Column) -> float:
    if column.kind == 'datetime':
        return 20
    if column.kind in ('email', 'related'):
        return 28
    return max(10, min(40, len(column.label) + 4))


def _sheet_title(label: str) -> str:
    return ''.join(c for c in label if c not in '[]:*?/\\')[:31] or 'Export'


# --- audit -----------------------------------------------------------------------------------------------------------


def audited_chunks(
    chunks: Iterator[bytes],
    *,
    session: Session,
    actor: User,
    resource: Resource,
    request: query.ListRequest,
    fmt: str,
    action: str,
    rows: Callable[[], int],
    exported: Callable[[bool], Sentence],
) -> Iterator[bytes]:
    """Pass the chunks through; once they are out (or the download stopped early), log who exported what: one `action`
    audit entry with `exported(complete)` as its summary (and the filters in words), the row count, the format, the
    filters and whether it was complete. A list's export and its orders' lines both record through this."""
    try:
        yield from chunks
    except GeneratorExit:
        _record_export(session, actor, resource, request, fmt, action, rows, exported, complete=False)
        raise
    _record_export(session, actor, resource, request, fmt, action, rows, exported, complete=True)


def _record_export(
    session: Session,
    actor: User,
    resource: Resource,
    request: query.ListRequest,
    fmt: str,
    action: str,
    rows: Callable[[], int],
    exported: Callable[[bool], Sentence],
    *,
    complete: bool,
) -> None:
    try:
        session.commit()  # end the read transaction: on SQLite a read snapshot cannot turn into a write
        used = {
            'search': request.search,
            'filters': request.filters,
            'sort': request.sort,
            'descending': request.descending,
            'trash': request.trash,
        }
        used = json.loads(json.dumps(used, default=str))
        said = exported(complete)
        where = described(resource, used)
        audit.record(
            session,
            actor,
            action,
            resource.entity,
            summary=sentence(N_('{exported}: {where}'), exported=said, where=joined(where)) if where else said,
            changes={
                'rows': [None, rows()],
                'format': [None, fmt],
                'filters': [None, used],
                'complete': [None, complete],
            },
        )
        session.commit()
    except Exception:
        if complete:
            raise
        log.exception('recording an interrupted export (%s) failed', action)


def records_counted(resource: Resource, count: int) -> dict[str, Any]:
    """'12 customers' to store in a summary, with the msgids the resource's declaration counts its records with
    (`Wording.count`, in the catalogs: '12 clients' to a French reader); glued from its English label only when it
    declares no wording (an extension's, whose own catalog may still know it)."""
    if resource.wording is not None:
        with i18n.use(i18n.SOURCE_LOCALE):  # the msgids themselves: the code's language has no catalog
            return counted(resource.wording.count(1), resource.wording.count(2), count)
    return counted('{n} ' + resource.singular, '{n} ' + resource.label.lower(), count)


def described(resource: Resource, used: dict[str, Any]) -> list[Any]:
    """What the export was limited to ('search "ann", Status = active, in the trash'), to be read in the reader's
    language: the filters' labels translated, the values as they were."""
    parts: list[Any] = [sentence(N_('search "{text}"'), text=used['search'])] if used['search'] else []
    labels = {f.name: f.label for f in resource.filters}
    parts += [
        sentence(N_('{label} = {value}'), label=word(labels[name]) if name in labels else name, value=str(value))
        for name, value in used['filters'].items()
        if value not in (None, '', [], {})
    ]
    if used['trash']:
        parts.append(word(N_('in the trash')))
    return parts
