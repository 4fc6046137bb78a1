"""The founder's digest (each member of staff's choice, and what was sent) and the reports a company or a customer
without a company is sent (its choice of frequency and recipients, and what was sent)."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class DigestChoice(SQLModel, table=True):
    """One member of staff's digest: none, daily or weekly (the weekday and hour in the shop's time zone), and which
    KPI cards it shows (empty: every card)."""

    __tablename__ = 'digest_choices'

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', unique=True, ondelete='CASCADE')
    frequency: str = Field(default='none', max_length=10)  # none | daily | weekly
    weekday: int = 0  # Monday = 0, for a weekly digest
    hour: int = 8  # 0…23, the shop's time zone
    kpis: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


class DigestSend(SQLModel, table=True):
    """A digest sent: the period it covers; `period_key` ('daily:2026-12-02', 'weekly:2026-11-30') is set for the
    scheduled ones and unique per user, so a period is sent once however often the job runs; None for "send me one
    now"."""

    __tablename__ = 'digest_sends'
    __table_args__ = (UniqueConstraint('user_id', 'period_key'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', index=True, ondelete='CASCADE')
    period_key: str | None = Field(default=None, max_length=32)
    first_day: date
    last_day: date
    mail_id: int | None = Field(default=None, foreign_key='staff_mail.id', ondelete='SET NULL')
    sent_at: datetime = Field(default_factory=utcnow)


class CustomerReportChoice(SQLModel, table=True):
    """A statement-and-activity report: none, weekly or monthly, to the chosen contacts (customer ids). Its subject is a
    company (`company_id`, recipients among its contacts) or a customer without a company (`customer_id`, the recipient
    is that customer); exactly one of the two is set."""

    __tablename__ = 'customer_report_choices'

    id: int | None = Field(default=None, primary_key=True)
    company_id: int | None = Field(default=None, foreign_key='companies.id', unique=True, ondelete='CASCADE')
    customer_id: int | None = Field(default=None, foreign_key='customers.id', unique=True, ondelete='CASCADE')
    frequency: str = Field(default='none', max_length=10)  # none | weekly | monthly
    recipients: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')


class CustomerReportSend(SQLModel, table=True):
    """A report sent to a company or to a customer without a company: when, to whom, the period; `period_key` is set for
    the scheduled ones and unique per company or customer (a period sent once), None for "Send now"."""

    __tablename__ = 'customer_report_sends'
    __table_args__ = (UniqueConstraint('company_id', 'period_key'), UniqueConstraint('customer_id', 'period_key'))

    id: int | None = Field(default=None, primary_key=True)
    company_id: int | None = Field(default=None, foreign_key='companies.id', index=True, ondelete='CASCADE')
    customer_id: int | None = Field(default=None, foreign_key='customers.id', index=True, ondelete='CASCADE')
    period_key: str | None = Field(default=None, max_length=32)
    first_day: date
    last_day: date
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sent_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    sent_at: datetime = Field(default_factory=utcnow)
