"""Receivables: money received once for several invoices (a receipt and its allocations), and the payment reminders
(dunning) sent for overdue invoices, each a small outbox of its own (with the invoice PDF attached when sent)."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import string_enum, utcnow

MONEY = Numeric(12, 2)


class Receipt(SQLModel, table=True):
    """One sum received from a customer (a bank transfer, a cheque) that settles one or several invoices."""

    __tablename__ = 'receipts'

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key='customers.id', index=True)
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    method: str = Field(max_length=40)
    reference: str = Field(default='', max_length=120)
    received_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')


class ReceiptAllocation(SQLModel, table=True):
    """The part of a receipt that pays one invoice; it is also the order's payment (payments.record_payment)."""

    __tablename__ = 'receipt_allocations'
    __table_args__ = (Index('ix_receipt_allocations_receipt', 'receipt_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key='receipts.id', ondelete='CASCADE')
    invoice_id: int = Field(foreign_key='invoices.id', index=True)
    payment_id: int = Field(foreign_key='payments.id', ondelete='CASCADE')
    amount: Decimal = Field(sa_type=MONEY)


class ReminderStatus(StrEnum):
    review = 'review'  # waits for a person to approve it (the "review before sending" setting)
    queued = 'queued'  # in the outbox
    sent = 'sent'
    failed = 'failed'  # with delivery_error
    cancelled = 'cancelled'  # a person decided not to send it (or the invoice was paid before)


class Reminder(SQLModel, table=True):
    """A payment reminder of one level for one invoice: written once (never the same level twice for an invoice),
    in the customer's language, then sent by the outbox job with the invoice PDF attached."""

    __tablename__ = 'reminders'
    __table_args__ = (
        UniqueConstraint('invoice_id', 'level', name='uq_reminders_invoice_level'),
        Index('ix_reminders_status', 'status', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key='invoices.id')
    order_id: int = Field(foreign_key='orders.id', index=True)
    level: int
    status: ReminderStatus = Field(sa_type=string_enum(ReminderStatus))
    email: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    language: str = Field(default='en', max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    decided_at: datetime | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    delivery_error: str | None = Field(default=None, max_length=500)
