"""What every editable table shares: id, timestamps and a version column for optimistic locking."""

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Enum, Index, event, func, literal_column
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from backoffice.listing.folding import fold


def utcnow() -> datetime:
    """Aware UTC, as SQLModel's UTCDateTime columns require; the UI converts to the viewer's time zone."""
    return datetime.now(UTC)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class UTCTimestamp(UTCDateTime):
    """SQLModel's UTCDateTime (aware UTC in, aware UTC out), stored on SQLite as an integer: microseconds since the
    Unix epoch (8 bytes instead of 26 characters of text; exact, and it sorts as the instants do — migration 0043).
    PostgreSQL keeps timestamptz. Every datetime column of every table is of this type (`_every_instant_compact`).
    Raw SQL on SQLite sees numbers: bind instants with this type (`bindparam(..., type_=UTCTimestamp())`), never as
    text, and compute with `col / 1000000` and 'unixepoch', not with date functions on the bare column."""

    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == 'sqlite':
            return dialect.type_descriptor(_SQLiteMicroseconds())
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        aware = super().process_bind_param(value, dialect)
        if aware is None or dialect.name != 'sqlite':
            return aware
        return microseconds(aware)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if dialect.name != 'sqlite' or value is None:
            return super().process_result_value(value, dialect)
        if isinstance(value, int):
            return EPOCH + value * MICROSECOND
        # text here means a writer that bypassed this type (raw SQL with a string): it would sort before every number
        raise TypeError(f'an instant stored as {type(value).__name__} ({value!r}), not as microseconds')


def microseconds(instant: datetime) -> int:
    """An aware instant as SQLite stores it: whole microseconds since the Unix epoch, exactly."""
    return (instant - EPOCH) // MICROSECOND


class _SQLiteMicroseconds(sqlite.DATETIME):
    """Declared DATETIME (NUMERIC affinity: an integer is stored as an integer), values passed to and from the driver
    as they are: UTCTimestamp does the conversion."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None

    def literal_processor(self, dialect: Dialect) -> Any:
        return str


@event.listens_for(Column, 'before_parent_attach')
def _every_instant_compact(column: Column, table: Any) -> None:
    """SQLModel gives a `datetime` field its UTCDateTime: every model's column gets UTCTimestamp instead, so that no
    model can store the other form (tests/test_timestamps.py checks every column of the metadata). The migrations'
    own tables keep what they declare (their data steps ran before 0043, on text)."""
    if type(column.type) is UTCDateTime and getattr(table, 'metadata', None) is SQLModel.metadata:
        column.type = UTCTimestamp()


class EditableTable(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)
    version: int = Field(default=1, nullable=False)  # bumped by every save; a stale save is refused


class SoftDeletable(SQLModel):
    """Deleting moves a record to the trash; a scheduled job purges it after the configured number of days."""

    deleted_at: datetime | None = Field(default=None, index=True)


def prefix_index(name: str, column: str) -> Index:
    """An index on lower(column) that answers "starts with" (the header's search, migration 0017): SQLite reads it for
    a range, PostgreSQL for LIKE 'x%' (text_pattern_ops, which also answers equality)."""
    return Index(
        name,
        func.lower(literal_column(column)).label(f'{column}_lower'),
        postgresql_ops={f'{column}_lower': 'text_pattern_ops'},
    )


def folded_prefix_index(name: str, column: str) -> Index:
    """An index on bo_fold(column) — lower case, accents off (backoffice/listing/folding.py) — that answers "starts
    with" for the header's search, so that 'Lopez' finds 'López' and the other way round (migration 0069): SQLite
    reads it for a range (bo_fold is the Python function each connection registers), PostgreSQL for LIKE 'x%'."""
    return Index(
        name,
        func.bo_fold(literal_column(column)).label(f'{column}_folded'),
        postgresql_ops={f'{column}_folded': 'text_pattern_ops'},
    )


ASCII_LOWER = str.maketrans('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')  # SQLite's lower()
_TOP = '\U0010ffff'  # sorts after every character: 'abc' <= x < 'abc' + _TOP is "x starts with abc"


def starts_with(dialect: str, lowered: Any, term: str) -> Any:
    """lower(column) starts with the term, in the form the dialect reads a `prefix_index` for: a range on SQLite (its
    LIKE reads no index unless the column is NOCASE), LIKE 'x%' on PostgreSQL (text_pattern_ops)."""
    if dialect == 'postgresql':
        escaped = term.lower().replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
        return lowered.like(f'{escaped}%', escape='\\')
    prefix = term.translate(ASCII_LOWER)  # SQLite's lower() changes ASCII letters only
    return (lowered >= prefix) & (lowered < prefix + _TOP)


def folded_starts_with(dialect: str, column: Any, term: str) -> tuple[Any, Any]:
    """bo_fold(column) starts with the term folded the same way (a `folded_prefix_index` reads it), and the expression
    to order by on SQLite (see `starts_with`)."""
    folded = func.bo_fold(column)
    prefix = fold(term) or ''
    if dialect == 'postgresql':
        escaped = prefix.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
        return folded.like(f'{escaped}%', escape='\\'), folded
    return (folded >= prefix) & (folded < prefix + _TOP), folded


def string_enum(enum: type[StrEnum], length: int = 20) -> Enum:
    """An enum column stored as VARCHAR (not a PostgreSQL enum type), so adding a value needs no migration."""
    return Enum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class RowsJSON(TypeDecorator):
    """A list of dicts that share their keys (an invoice's lines), stored as {"keys": [...], "rows": [[...], ...]}: each
    key is written once, not on every row — and not at all when the keys are one of ROW_SHAPES (an invoice's lines
    always are): {"shape": 1, "rows": [[...], ...]} (migration 0042). Read back as the same list of dicts, in the same
    key order; a list whose dicts differ in their keys is stored as it is, and so are rows written before (migration
    0041) — all read as they are."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return packed_rows(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return unpacked_rows(value)


# the keys of rows stored by number (RowsJSON): stored rows refer to these numbers, so an entry is never changed or
# removed — a new shape takes the next number (migration 0042 rewrote the lines stored before with shape 1)
ROW_SHAPES: dict[int, tuple[str, ...]] = {
    1: ('sku', 'name', 'quantity', 'unit_price', 'discount', 'tax_rate', 'tax_amount', 'line_total'),  # invoice_issue
}
SHAPE_OF_KEYS = {keys: number for number, keys in ROW_SHAPES.items()}


def packed_rows(value: Any) -> Any:
    if not isinstance(value, list) or not value or not all(isinstance(row, dict) for row in value):
        return value
    keys = list(value[0])
    if any(list(row) != keys for row in value):
        return value
    rows = [list(row.values()) for row in value]
    shape = SHAPE_OF_KEYS.get(tuple(keys))
    return {'shape': shape, 'rows': rows} if shape is not None else {'keys': keys, 'rows': rows}


def unpacked_rows(value: Any) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get('rows'), list):
        return value
    keys = value.get('keys')
    if not isinstance(keys, list | tuple):
        keys = ROW_SHAPES.get(value['shape']) if isinstance(value.get('shape'), int) else None
        if keys is None:
            return value
    return [dict(zip(keys, row, strict=True)) for row in value['rows']]
