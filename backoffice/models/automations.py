"""Automation rules ("when an event and conditions, then actions"), the events waiting for them, their run log, and
the run history of every scheduled job."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, SoftDeletable, utcnow


class AutomationRule(EditableTable, SoftDeletable, table=True):
    """One rule: on `event`, when every condition holds of the record, do the actions in order. Rules run by
    `position`; `stop` ends the chain for that event once this rule matched. A rule is switched on only after a dry
    run of its current version (`tested_version`)."""

    __tablename__ = 'automation_rules'
    __table_args__ = (Index('ix_automation_rules_event', 'event', 'enabled', 'position'),)

    name: str = Field(max_length=120)
    event: str = Field(max_length=40)  # services/automation_fields.EVENTS
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0
    stop: bool = False
    enabled: bool = False
    tested_version: int | None = None  # the version a dry run last checked


class AutomationTrigger(SQLModel, table=True):
    """An event waiting for the rules: written in the transaction of the change that raised it (so it exists exactly
    when the change does), claimed and removed once the rules have run. `chain` lists the records the chain of
    automations that led here already touched ('request:12'), `depth` how many automations led here."""

    __tablename__ = 'automation_triggers'
    __table_args__ = (Index('ix_automation_triggers_due', 'claimed_at', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=40)
    record_type: str = Field(max_length=20)
    record_id: int
    depth: int = 0
    chain: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None


class AutomationRun(SQLModel, table=True):
    """One rule checked against one record: matched or not, each action done (or its error), or a dry run."""

    __tablename__ = 'automation_runs'
    __table_args__ = (Index('ix_automation_runs_rule', 'rule_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    rule_id: int | None = Field(default=None, foreign_key='automation_rules.id', ondelete='SET NULL')
    rule_name: str = Field(default='', max_length=120)
    event: str = Field(max_length=40)
    record_type: str = Field(max_length=20)
    record_id: int | None = None
    record_label: str = Field(default='', max_length=200)
    matched: bool = False
    dry_run: bool = False
    depth: int = 0
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_type=Text)


class JobRun(SQLModel, table=True):
    """One run of a scheduled job: when it started, how long it took, its outcome and error (the newest are kept)."""

    __tablename__ = 'job_runs'
    __table_args__ = (Index('ix_job_runs_job', 'job', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    started_at: datetime = Field(default_factory=utcnow)
    duration_ms: int | None = None  # None while running
    outcome: str = Field(default='running', max_length=10)  # running | ok | failed | busy (job_runs.SKIPPED_BUSY) | ...
    result: str = Field(default='', max_length=300)  # in English, exact; shown from result_key in the reader's language
    result_key: str | None = Field(default=None, max_length=500)  # the msgid (backoffice/stored_text.py); None: older
    result_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = Field(default=None, max_length=2000)
