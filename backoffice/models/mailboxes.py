"""The support mailbox: IMAP mailboxes polled for customer mail and the record of every mail processed (once); the files
that come with the mails are TicketAttachment rows (models/support.py)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, SoftDeletable, string_enum, utcnow
from backoffice.models.support import TicketType


class MailboxSecurity(StrEnum):
    tls = 'tls'  # implicit TLS from the first byte (IMAPS, port 993)
    starttls = 'starttls'  # plain connection upgraded with STARTTLS before the password is sent (port 143)


class Mailbox(EditableTable, SoftDeletable, table=True):
    """An IMAP mailbox whose new mail becomes requests; its password is stored encrypted (secret_box)."""

    __tablename__ = 'mailboxes'

    name: str = Field(max_length=80)
    host: str = Field(max_length=253)
    port: int = 993
    security: MailboxSecurity = Field(default=MailboxSecurity.tls, sa_type=string_enum(MailboxSecurity))
    username: str = Field(max_length=254)
    secret: str = Field(max_length=500)  # the IMAP password, encrypted; never shown, masked in the audit log
    folder: str = Field(default='INBOX', max_length=200)
    default_type: TicketType = Field(default=TicketType.question, sa_type=string_enum(TicketType))
    default_assignee_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    is_active: bool = True
    # where polling stands: the folder's UIDVALIDITY and the highest UID seen (a new UIDVALIDITY starts over; the
    # processed mails' keys keep a mail from counting twice)
    uid_validity: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default='0'))
    last_checked_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)  # in English, as the poll said it
    # its msgid and values when the app said it (backoffice/stored_text.py: 'sign-in refused: {detail}'), read in each
    # reader's language; None: the server's or the system's own words (and rows before migration 0063)
    last_error_key: str | None = Field(default=None, max_length=500)
    last_error_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class MailOutcome(StrEnum):
    opened = 'opened'  # a new request
    joined = 'joined'  # a reply that joined its request's thread
    auto_reply = 'auto_reply'  # an out-of-office or other automatic answer: recorded, never answered
    bounce = 'bounce'  # a delivery failure report: recorded, never answered
    refused = 'refused'  # a banned customer, or no usable sender address


class MailboxMail(SQLModel, table=True):
    """One mail processed by the intake, written in the same transaction as the request or message it made. Its key
    (the Message-ID, else the mailbox, UIDVALIDITY and UID) is unique: a mail is processed once, whatever runs twice."""

    __tablename__ = 'mailbox_mails'
    __table_args__ = (
        UniqueConstraint('message_key', name='uq_mailbox_mails_key'),
        Index('ix_mailbox_mails_mailbox', 'mailbox_id', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key='mailboxes.id', ondelete='CASCADE')
    message_key: str = Field(max_length=64)  # sha256 hex
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    sender: str = Field(default='', max_length=254)
    subject: str = Field(default='', max_length=200)
    outcome: MailOutcome = Field(sa_type=string_enum(MailOutcome))
    reason: str | None = Field(default=None, max_length=500)  # why automatic or refused, in English
    # its msgid and values when the app said it (backoffice/stored_text.py: 'sent by this app'), read in each reader's
    # language; None: a header or a refusal as written (and rows before migration 0059)
    reason_key: str | None = Field(default=None, max_length=500)
    reason_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    ticket_id: int | None = Field(default=None, foreign_key='tickets.id', ondelete='SET NULL')
    received_at: datetime = Field(default_factory=utcnow)
