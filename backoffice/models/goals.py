"""Goals and alerts on the KPIs: objectives with key results bound to a KPI (or a manual number) and their check-ins;
alert rules, what fired (and when it resolved), and who each firing was told to."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, SoftDeletable, utcnow


class Objective(EditableTable, SoftDeletable, table=True):
    """What the team aims at over a period (a quarter or custom dates); past periods stay as the history."""

    __tablename__ = 'objectives'
    __table_args__ = (Index('ix_objectives_period', 'last_day', 'first_day'),)

    title: str = Field(max_length=200)
    owner_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    first_day: date
    last_day: date


class KeyResult(EditableTable, SoftDeletable, table=True):
    """One measurable result of an objective: a KPI of the registry over the objective's period, or a number typed
    at each check-in; progress runs from the baseline to the target in the chosen direction."""

    __tablename__ = 'key_results'

    objective_id: int = Field(foreign_key='objectives.id', ondelete='CASCADE', index=True)
    title: str = Field(max_length=200)
    kpi: str | None = Field(default=None, max_length=40)  # None: a manual number (the latest check-in's value)
    baseline: float = 0
    target: float
    direction: str = Field(default='increase', max_length=10)  # increase | decrease


class CheckIn(SQLModel, table=True):
    """A dated word on a key result: a comment, the owner's confidence (1–10) and, for a manual one, its value."""

    __tablename__ = 'goal_check_ins'
    __table_args__ = (Index('ix_goal_check_ins_key_result', 'key_result_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    key_result_id: int = Field(foreign_key='key_results.id', ondelete='CASCADE')
    user_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = Field(default_factory=utcnow)
    value: float | None = None  # the KPI's value then, or the manual number
    progress: float | None = None  # 0…1 then
    confidence: int = 5
    comment: str = Field(default='', max_length=1000)


class AlertRule(EditableTable, SoftDeletable, table=True):
    """A watch on one KPI: above/below a value, a change of more than N % against the previous period, or no data
    for N hours; `firing` holds between a crossing and the return to normal, so each crossing is told once."""

    __tablename__ = 'alert_rules'

    name: str = Field(max_length=120)
    kpi: str = Field(max_length=40)
    kind: str = Field(max_length=10)  # above | below | change | no_data
    threshold: float = 0  # the value, the percentage, or the hours
    window_days: int = 1  # the period the value is taken over (change: against the same length before)
    recipients: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # staff user ids
    email: bool = False  # also email the recipients
    channels: str = Field(default='', max_length=100)  # comma-separated: slack, teams, mattermost, discord
    muted: bool = False
    snoozed_until: datetime | None = None
    firing: bool = False
    last_value: float | None = None
    evaluated_at: datetime | None = None


class AlertEvent(SQLModel, table=True):
    """One crossing of a rule: when it fired, the value, when it came back to normal, and who was told."""

    __tablename__ = 'alert_events'
    __table_args__ = (Index('ix_alert_events_rule', 'rule_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key='alert_rules.id', ondelete='CASCADE')
    fired_at: datetime = Field(default_factory=utcnow, index=True)
    resolved_at: datetime | None = None
    value: float | None = None
    message: str = Field(
        default='', max_length=500
    )  # in English, exact; shown from message_key in the reader's language
    message_key: str | None = Field(default=None, max_length=500)  # the msgid (backoffice/stored_text.py); None: older
    message_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    silenced: str = Field(default='', max_length=10)  # '' | muted | snoozed: nobody was told


class AlertDelivery(SQLModel, table=True):
    """One message about an alert to one place: in-app (sent at once), email or a chat channel (sent by the job,
    retried a few times); the alerts page lists them as "who was told"."""

    __tablename__ = 'alert_deliveries'
    __table_args__ = (
        Index('ix_alert_deliveries_due', 'status', 'id'),
        Index('ix_alert_deliveries_event', 'event_id', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int | None = Field(default=None, foreign_key='alert_events.id', ondelete='CASCADE')  # None: a test
    channel: str = Field(max_length=12)  # in_app | email | slack | teams | mattermost | discord
    target: str = Field(default='', max_length=254)  # a user's name or email; the channel's name
    text: str = Field(max_length=1000)
    status: str = Field(default='pending', max_length=10)  # pending | sent | failed
    attempts: int = 0
    error: str | None = Field(default=None, max_length=300)  # in English, as the sender said it
    # migration 0070: an error the app said ('could not connect') as a msgid with its values (backoffice/stored_text.py)
    error_key: str | None = Field(default=None, max_length=500)
    error_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    claimed_at: datetime | None = None  # a sender took it: others leave it alone until the claim expires
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
