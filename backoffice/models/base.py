"""What every editable table shares: id, timestamps and a version column for optimistic locking."""

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Enum, Index, func, literal_column
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
