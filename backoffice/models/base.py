"""What every editable table shares: id, timestamps and a version column for optimistic locking."""

from datetime import UTC, datetime

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
