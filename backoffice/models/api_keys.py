"""API keys for machine clients (the front office) and the idempotency records of the requests they sent."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class ApiKey(SQLModel, table=True):
    """One key: only a SHA-256 of the secret is stored; the prefix identifies it in lists and in lookups."""

    __tablename__ = 'api_keys'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16, unique=True, index=True)
    hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(default='system', max_length=254)
    # whom its calls to /api/v1 act as (the staff member who created it): the services check that person's permissions
    # and the audit log names them with the key; None (a key from the command line without --as): the v1 API refuses it
    user_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class IdempotencyRecord(SQLModel, table=True):
    """The response once given to (key, Idempotency-Key): a retry with the same body gets it again."""

    __tablename__ = 'api_idempotency'
    __table_args__ = (UniqueConstraint('api_key_id', 'idempotency_key', name='uq_api_idempotency_key'),)

    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key='api_keys.id')
    idempotency_key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int = 201
    response: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
