"""Outbound webhooks: the endpoints the front office (or any system) registers, and the outbox of signed deliveries."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from backoffice.models.base import EditableTable, SoftDeletable, string_enum, utcnow


class WebhookEndpoint(EditableTable, SoftDeletable, table=True):
    """Where to POST which events; every body is signed with the endpoint's own secret (HMAC-SHA256)."""

    __tablename__ = 'webhook_endpoints'

    name: str = Field(max_length=80)
    url: str = Field(max_length=500)
    events: str = Field(default='*', max_length=1000)  # comma-separated event types, or '*' for all
    secret: str = Field(max_length=300)  # encrypted (secret_box); shown once at creation; never in the audit log
    is_active: bool = True


class DeliveryStatus(StrEnum):
    pending = 'pending'  # waiting for its next attempt
    delivered = 'delivered'  # the receiver answered 2xx
    failed = 'failed'  # gave up after the last attempt (Resend starts over)


class WebhookDelivery(EditableTable, table=True):
    """One event for one endpoint: the outbox row the dispatcher sends, retries with backoff, and logs."""

    __tablename__ = 'webhook_deliveries'
    __table_args__ = (
        UniqueConstraint('endpoint_id', 'dedup_key', name='uq_webhook_deliveries_dedup'),  # once per event
        Index('ix_webhook_deliveries_due', 'status', 'next_attempt_at', 'id'),  # the dispatcher
        Index('ix_webhook_deliveries_endpoint', 'endpoint_id', 'id'),
        Index('ix_webhook_deliveries_event', 'event', 'id'),
    )

    endpoint_id: int = Field(foreign_key='webhook_endpoints.id', ondelete='CASCADE')
    event: str = Field(max_length=40)
    dedup_key: str = Field(max_length=120)  # e.g. 'order.paid:42': relayed or repeated events enqueue once
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=string_enum(DeliveryStatus))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)  # in English, as the dispatcher said it
    # the app's words as a msgid with its values (backoffice/stored_text.py), read in each reader's language; none for
    # the receiver's own words (its HTTP reason) and for rows written before
    last_error_key: str | None = Field(default=None, max_length=500)
    last_error_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    delivered_at: datetime | None = None
