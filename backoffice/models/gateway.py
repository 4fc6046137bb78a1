"""Payment gateways (Stripe…): the webhook events applied (each once), the gateway's payment intents known for an
order, and the refunds sent to a gateway with their outcome (succeeded, pending, failed with the gateway's words)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow

MONEY = Numeric(12, 2)


class GatewayEvent(SQLModel, table=True):
    """A webhook event a gateway sent, written in the same transaction as its effect: a replay finds it and changes
    nothing (the unique pair refuses a concurrent second delivery)."""

    __tablename__ = 'gateway_events'
    __table_args__ = (UniqueConstraint('provider', 'event_id', name='uq_gateway_events_provider_event'),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=40)
    event_id: str = Field(max_length=255)
    type: str = Field(max_length=80)
    outcome: str = Field(default='', max_length=500)  # what it did, in English (the log's words)
    received_at: datetime = Field(default_factory=utcnow)


class GatewayIntent(SQLModel, table=True):
    """A gateway's payment for an order (Stripe's PaymentIntent) as last heard from the gateway."""

    __tablename__ = 'gateway_intents'
    __table_args__ = (
        UniqueConstraint('provider', 'reference', name='uq_gateway_intents_provider_reference'),
        Index('ix_gateway_intents_order', 'order_id', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key='orders.id', ondelete='CASCADE')
    provider: str = Field(max_length=40)
    reference: str = Field(max_length=255)  # pi_…
    status: str = Field(max_length=40)  # the neutral status: payment_providers.base.INTENT_STATES
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    message: str = Field(default='', max_length=500)  # the gateway's words on a failure
    updated_at: datetime = Field(default_factory=utcnow)


class GatewayRefund(SQLModel, table=True):
    """A refund asked of a gateway: written before it is sent (its id makes the idempotency key, so a retry never
    refunds twice), then its outcome; once succeeded it is the order's refund (`refund_id`, with its credit note)."""

    __tablename__ = 'gateway_refunds'
    __table_args__ = (Index('ix_gateway_refunds_order', 'order_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key='orders.id', ondelete='CASCADE')
    payment_id: int | None = Field(default=None, foreign_key='payments.id', ondelete='SET NULL')
    provider: str = Field(max_length=40)
    intent_reference: str = Field(max_length=255)
    reference: str | None = Field(default=None, max_length=255, unique=True)  # re_… once the gateway answered
    amount: Decimal = Field(sa_type=MONEY)
    reason: str = Field(default='', max_length=500)
    # migration 0050: a reason the app wrote ('Return R-7') as a msgid with its values, handed on to the refund booked
    reason_key: str | None = Field(default=None, max_length=500)
    reason_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default='requested', max_length=20)  # requested | pending | succeeded | failed | canceled
    message: str = Field(default='', max_length=500)
    refund_id: int | None = Field(default=None, foreign_key='refunds.id', ondelete='SET NULL')
    # migration 0039: a return's refund (booked with the return's id); a refund that failed after it was booked
    # (reversed once: `reversed_at`); "Pay back again" (`retry_of_id`), whose credit note is the first one's
    return_id: int | None = Field(default=None, foreign_key='returns.id', ondelete='SET NULL')
    retry_of_id: int | None = Field(default=None, foreign_key='gateway_refunds.id', ondelete='SET NULL')
    credit_note_id: int | None = Field(default=None, foreign_key='invoices.id', ondelete='SET NULL')
    reversed_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
