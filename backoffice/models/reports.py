"""Report schedules: a ready report sent weekly or monthly, by email, to chosen members of staff."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class ReportSchedule(SQLModel, table=True):
    """One report (its key and filters) mailed after each week or month to its recipients; `last_sent_through` is
    the last day of the last period sent, so a period is sent once whatever the job's timing."""

    __tablename__ = 'report_schedules'

    id: int | None = Field(default=None, primary_key=True)
    report: str = Field(max_length=20, index=True)
    frequency: str = Field(max_length=10)  # weekly | monthly
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recipients: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = Field(default_factory=utcnow)
    last_sent_through: date | None = None
