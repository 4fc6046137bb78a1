"""What every editable table shares: id, timestamps and a version column for optimistic locking."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, Index, func, literal_column
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC, as SQLModel's UTCDateTime columns require; the UI converts to the viewer's time zone."""
    return datetime.now(UTC)


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
