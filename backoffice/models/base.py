"""What every editable table shares: id, timestamps and a version column for optimistic locking."""

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Enum
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


def string_enum(enum: type[StrEnum], length: int = 20) -> Enum:
    """An enum column stored as VARCHAR (not a PostgreSQL enum type), so adding a value needs no migration."""
    return Enum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])
