"""KPIs: usage events from the front office (millions of rows, so kept compact), the daily aggregates the dashboard
reads, the refresh watermarks and job runs, and the dated record of the owner's KPI definitions."""

from datetime import date, datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, SmallInteger, func, literal_column
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class EventType(IntEnum):
    """Stored as a small integer: a name per row would multiply the table's size."""

    visit = 1
    page_view = 2
    signup_started = 3
    signup_completed = 4
    login = 5
    product_viewed = 6
    cart_add = 7
    checkout_started = 8
    order_placed = 9


class UsageEvent(SQLModel, table=True):
    """One thing a visitor did in the front office; `client_id` is the sender's id for it (a retry is not stored
    twice)."""

    __tablename__ = 'usage_events'
    __table_args__ = (
        # a day's count of one type, and active users (covering: customer_id read from the index, not the rows)
        Index('ix_usage_events_type_ts_customer', 'type', 'ts', 'customer_id'),
        Index('ix_usage_events_customer_ts', 'customer_id', 'ts'),  # active users, segments
        Index('ix_usage_events_anonymous_ts', 'anonymous_id', 'ts'),  # sign-up / checkout abandonment
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    type: int = Field(sa_type=SmallInteger)
    ts: datetime
    customer_id: int | None = Field(default=None, foreign_key='customers.id', ondelete='SET NULL')
    anonymous_id: str | None = Field(default=None, max_length=64)
    session_id: str | None = Field(default=None, max_length=64)
    props: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class KpiDaily(SQLModel, table=True):
    """One KPI's value for one day (in the shop's time zone); ratios keep numerator and denominator so that a
    period's value is sum(numerator) / sum(denominator), not an average of daily ratios."""

    __tablename__ = 'kpi_daily'

    kpi: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    computed_at: datetime = Field(default_factory=utcnow)


class KpiWatermark(SQLModel, table=True):
    """How far the incremental refresh has read a source table: the highest id and the last change it saw."""

    __tablename__ = 'kpi_watermarks'

    source: str = Field(primary_key=True, max_length=40)
    last_id: int = 0
    last_change: datetime | None = None
    refreshed_at: datetime = Field(default_factory=utcnow)
    # ids below last_id that were missing when it was read, as [first, last, since (ISO time)]: a transaction that
    # commits after a later one (PostgreSQL hands out ids at insert, not at commit) fills them in later
    gaps: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default='[]'))


class KpiJobRun(SQLModel, table=True):
    """One run of a KPI job: when, how many daily values it wrote, its progress while running, and its error."""

    __tablename__ = 'kpi_job_runs'

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40, index=True)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    rows: int = 0
    done: int = 0  # days recomputed so far …
    total: int = 0  # … of this many
    error: str | None = Field(default=None, max_length=2000)


class KpiDefinition(SQLModel, table=True):
    """The owner's KPI definitions as of one change; the newest row is in force, older ones are the dated record."""

    __tablename__ = 'kpi_definitions'

    id: int | None = Field(default=None, primary_key=True)
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    changed_by: str = Field(default='system', max_length=254)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Segment(SQLModel, table=True):
    """A custom segment of customers: a name and the filters that select them (counted live, never stored)."""

    __tablename__ = 'segments'
    # one name whatever its case ("Lapsed" and "lapsed" both existed): the service says so at the name field, this
    # is the backstop for two saves at the same instant (migration 0075)
    __table_args__ = (Index('ix_segments_name_lower', func.lower(literal_column('name')), unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(default='system', max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None  # its last edit (None: as created)
    version: int = Field(default=1, nullable=False)  # bumped by every edit: a stale edit is refused (StaleRecord)
    # a push to the campaign tool's webhook on a schedule (migration 0076): how often ('daily', 'weekly': Mondays,
    # 'monthly': the 1st; None: never), as whom (the person who scheduled it: their permissions read at each push), the
    # shop's day of the next push (a failed push keeps it: the hourly job tries again), the last success and the last
    # failure's reason (None once a push went through), stored with its msgid to be read in each language
    push_frequency: str | None = Field(default=None, max_length=10)
    push_by: int | None = None
    next_push_on: date | None = None
    last_pushed_at: datetime | None = None
    push_error: str | None = Field(default=None, max_length=500)
    push_error_key: str | None = Field(default=None, max_length=300)
    push_error_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    push_weekday: int | None = None  # a weekly push's day (0 Monday … 6 Sunday; None: Monday), migration 0078


class BuiltInSegmentPush(SQLModel, table=True):
    """A built-in segment ('inactive', 'at_risk'…) pushed to the campaign tool's webhook on a schedule: the same
    schedule as a saved segment's (see Segment), one row per built-in segment scheduled; the segment itself stays the
    built-in one, selected afresh at each push (migration 0078)."""

    __tablename__ = 'built_in_segment_pushes'

    key: str = Field(primary_key=True, max_length=40)
    version: int = Field(default=1, nullable=False)
    updated_at: datetime | None = None
    push_frequency: str | None = Field(default=None, max_length=10)
    push_weekday: int | None = None
    push_by: int | None = None
    next_push_on: date | None = None
    last_pushed_at: datetime | None = None
    push_error: str | None = Field(default=None, max_length=500)
    push_error_key: str | None = Field(default=None, max_length=300)
    push_error_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
