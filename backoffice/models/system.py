"""The system's own records: the audit log and the sign-in throttle."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from .base import utcnow


class AuditEntry(SQLModel, table=True):
    """One change: who did what to which record, with the fields before and after."""

    __tablename__ = 'audit_log'
    __table_args__ = (Index('ix_audit_log_entity', 'entity', 'entity_id'),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key='users.id', index=True)
    actor_email: str = Field(default='system', max_length=254)
    action: str = Field(max_length=60, index=True)  # e.g. 'user.created'
    entity: str = Field(max_length=60)
    entity_id: str | None = Field(default=None, max_length=60)
    summary: str = Field(default='', max_length=500)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per account ('account:<email>') and per address ('address:<ip>')."""

    __tablename__ = 'login_throttle'

    key: str = Field(primary_key=True, max_length=300)
    failures: int = 0
    locked_until: datetime | None = None
    last_failure_at: datetime | None = None
