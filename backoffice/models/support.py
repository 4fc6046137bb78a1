"""Support desk: customer requests (tickets) with their thread and outbox, canned replies, in-app notifications."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index, Integer, Text, UniqueConstraint, func, literal_column
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, SoftDeletable, string_enum, utcnow
from backoffice.validation import LongName, RequiredText


class TicketType(StrEnum):
    question = 'question'
    bug = 'bug'
    return_exchange = 'return_exchange'
    feedback = 'feedback'
    other = 'other'


class TicketPriority(StrEnum):
    low = 'low'
    normal = 'normal'
    high = 'high'
    urgent = 'urgent'


class TicketStatus(StrEnum):
    new = 'new'
    open = 'open'
    waiting = 'waiting'  # on the customer
    solved = 'solved'  # the customer may still write (reopens it) and rate it
    closed = 'closed'  # final


class TicketSource(StrEnum):
    api = 'api'  # the front office, over POST /api/requests
    contact = 'contact'  # the public contact form
    staff = 'staff'  # logged by an agent (a phone call, an email forwarded by hand)
    email = 'email'  # a mail to a support mailbox (services/mail_intake.py)
    seed = 'seed'
    portal = 'portal'  # opened by the customer in the customer portal


class BugSeverity(StrEnum):
    minor = 'minor'
    major = 'major'
    critical = 'critical'


class BugStatus(StrEnum):
    reported = 'reported'
    confirmed = 'confirmed'
    in_progress = 'in_progress'
    fixed = 'fixed'  # in fixed_in_version


class MessageKind(StrEnum):
    customer = 'customer'  # written by the customer
    reply = 'reply'  # an agent's answer, sent by email
    note = 'note'  # internal, never sent
    notice = 'notice'  # an email the app sends the customer by itself: "solved", with the link to rate it


class Delivery(StrEnum):
    queued = 'queued'  # in the outbox ("not sent" while no SMTP server is configured)
    sent = 'sent'
    failed = 'failed'  # with delivery_error
    # never to be sent: a solved notice a merge made untrue before it went out (services/ticket_links.py); shown to
    # agents as not sent, never to the customer. A new value needs no migration (string_enum)
    cancelled = 'cancelled'


OPEN_STATUSES = (TicketStatus.new, TicketStatus.open, TicketStatus.waiting)
# what the customer sees of a thread, and so of its files: never an internal note
CUSTOMER_SIDE = (MessageKind.customer, MessageKind.reply, MessageKind.notice)


class Ticket(EditableTable, table=True):
    """A customer's request and its state; the thread is in TicketMessage."""

    __tablename__ = 'tickets'
    __table_args__ = (
        Index('ix_tickets_status_updated', 'status', 'updated_at', 'id'),  # queues by status, newest first
        Index('ix_tickets_updated_id', 'updated_at', 'id'),  # the default list order
        Index('ix_tickets_assignee_status', 'assignee_id', 'status'),  # mine / unassigned, agent load
        Index('ix_tickets_sla_due', 'sla_due_at', 'id'),  # the breach job, "due soonest"
        Index('ix_tickets_type_bug_status', 'type', 'bug_status', 'id'),  # bugs by their status
        Index('ix_tickets_type_updated', 'type', 'updated_at', 'id'),  # the Bugs queue, newest first
        Index('ix_tickets_snoozed_until', 'snoozed_until', 'id'),  # the wake-up job, the Snoozed queue
        # keyset order of the other sortable columns
        *(Index(f'ix_tickets_{column}_id', column, 'id') for column in ('subject', 'priority', 'status', 'type')),
        # search: trigram GIN indexes on PostgreSQL over the subject and the tags' text without accents (bo_fold,
        # migration 0064); SQLite searches the FTS5 table `tickets_fts` (not part of the metadata): PostgreSQL only
        Index(
            'ix_tickets_subject_fold_trgm',
            func.bo_fold(literal_column('subject')).label('subject_folded'),
            postgresql_using='gin',
            postgresql_ops={'subject_folded': 'gin_trgm_ops'},
        ),
        Index(
            'ix_tickets_tags_fold_trgm',
            func.bo_fold(literal_column('CAST(tags AS VARCHAR)')).label('tags_folded'),
            postgresql_using='gin',
            postgresql_ops={'tags_folded': 'gin_trgm_ops'},
        ),
    )

    number: int = Field(unique=True, index=True)  # what people quote: 1001, 1002…
    subject: str = Field(max_length=200)
    customer_id: int = Field(foreign_key='customers.id', index=True)
    type: TicketType = Field(default=TicketType.question, sa_type=string_enum(TicketType))
    priority: TicketPriority = Field(default=TicketPriority.normal, sa_type=string_enum(TicketPriority))
    status: TicketStatus = Field(default=TicketStatus.new, sa_type=string_enum(TicketStatus))
    source: TicketSource = Field(default=TicketSource.api, sa_type=string_enum(TicketSource))
    assignee_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    order_number: str | None = Field(default=None, max_length=40)
    # SLA: targets from the settings at creation and on a priority change; sla_due_at is the next one that counts
    # (first response until answered, then resolution; none once solved) so the breach job reads one index
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    sla_due_at: datetime | None = None
    first_responded_at: datetime | None = None
    solved_at: datetime | None = None
    sla_breached_at: datetime | None = None
    # the clock stops while waiting on the customer: since when (None when not waiting), and the seconds waited before,
    # already added to the due times (a priority change sets them from the targets plus these)
    paused_at: datetime | None = None
    paused_seconds: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default='0'))
    # put aside by an agent until then (services/ticket_snooze.py): out of the open queues, back by itself at that time
    # or when the customer writes; the SLA clock goes on (the customer still waits on us). Who snoozed it is told when
    # it comes back if nobody is assigned
    snoozed_until: datetime | None = None
    snoozed_by_id: int | None = None  # a user's id; no foreign key (migration 0079 says why): checked when used
    # bug reports
    severity: BugSeverity | None = Field(default=None, sa_type=string_enum(BugSeverity))
    steps: str | None = Field(default=None, sa_type=Text)
    bug_status: BugStatus | None = Field(default=None, sa_type=string_enum(BugStatus))
    fixed_in_version: str | None = Field(default=None, max_length=40)
    duplicate_of_id: int | None = Field(default=None, foreign_key='tickets.id', ondelete='SET NULL')
    # closed by a merge: its messages (and their files) moved to this request, where the conversation goes on
    merged_into_id: int | None = Field(default=None, foreign_key='tickets.id', ondelete='SET NULL')
    # the customer's rating once solved, through the link carrying the token
    rating: int | None = None
    rating_comment: str | None = Field(default=None, sa_type=Text)
    rated_at: datetime | None = None
    token: str = Field(max_length=64)


class TicketLink(SQLModel, table=True):
    """Two requests an agent related ("see also"): one row per pair, the lower id first, shown on both."""

    __tablename__ = 'ticket_links'
    __table_args__ = (
        UniqueConstraint('first_id', 'second_id', name='uq_ticket_links_pair'),
        Index('ix_ticket_links_second', 'second_id', 'first_id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    first_id: int = Field(foreign_key='tickets.id', ondelete='CASCADE')
    second_id: int = Field(foreign_key='tickets.id', ondelete='CASCADE')
    created_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = Field(default_factory=utcnow)


class TicketMessage(SQLModel, table=True):
    """One entry of a ticket's thread. A reply is also an outbox entry until it is sent."""

    __tablename__ = 'ticket_messages'
    __table_args__ = (
        Index('ix_ticket_messages_ticket', 'ticket_id', 'id'),
        Index('ix_ticket_messages_delivery', 'delivery', 'id'),  # the outbox
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key='tickets.id', ondelete='CASCADE')
    kind: MessageKind = Field(sa_type=string_enum(MessageKind))
    author_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')  # staff
    customer_id: int | None = Field(default=None, foreign_key='customers.id', ondelete='SET NULL')
    body: str = Field(sa_type=Text)
    # a note the app writes itself ("Closed as a duplicate of #12."): its msgid and values, shown in the reader's
    # language (backoffice/stored_text.py); None for what a person wrote and for older notes
    body_key: str | None = Field(default=None, max_length=500)
    body_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    # the email's Message-ID: of our reply or notice (given before it is first sent), or of the customer's mail that
    # brought this message; a reply's In-Reply-To/References finds its request by it
    email_message_id: str | None = Field(default=None, max_length=500, index=True)
    delivery: Delivery | None = Field(default=None, sa_type=string_enum(Delivery))  # replies and notices only
    delivery_error: str | None = Field(default=None, max_length=500)
    attempts: int = 0
    sent_at: datetime | None = None


class CannedReply(EditableTable, SoftDeletable, table=True):
    """A prepared answer; its body may hold {customer_name}, {order_number}, {request_number}, {agent_name}."""

    __tablename__ = 'canned_replies'

    title: str = Field(max_length=120, index=True)
    body: str = Field(sa_type=Text)


class Notification(SQLModel, table=True):
    """An in-app notice for one member of staff (an SLA breach on their ticket…)."""

    __tablename__ = 'notifications'
    __table_args__ = (Index('ix_notifications_user_unread', 'user_id', 'read_at', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', ondelete='CASCADE')
    text: str = Field(max_length=500)  # in English, exact; shown from text_key in the reader's language
    text_key: str | None = Field(default=None, max_length=500)  # the msgid (backoffice/stored_text.py); None: older
    text_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    link: str = Field(default='', max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class TicketCounter(SQLModel, table=True):
    """The last number handed out per sequence ('tickets'); taken with one atomic upsert, so concurrent intakes never
    share a number and a rolled-back intake leaves no gap."""

    __tablename__ = 'ticket_counters'

    name: str = Field(primary_key=True, max_length=40)
    value: int = 0


# --- what forms may send ----------------------------------------------------------------------------------------------


class CannedReplyCreate(BaseModel):
    title: LongName
    body: RequiredText = PydanticField(max_length=20_000)


class CannedReplyUpdate(BaseModel):
    title: LongName | None = None
    body: RequiredText | None = PydanticField(default=None, max_length=20_000)


class TicketAttachment(SQLModel, table=True):
    """A file that came with a message of the thread: a customer's, attached in the portal (an image or a PDF, its type
    read from its bytes) or with a mail to the support mailbox (any file, its type as the sender claimed it); or an
    agent's, with a reply (emailed with it) or a note (staff only), images and PDFs as in the portal. Kept privately
    under <data_dir>/attachments with a random name; shown to the agents in the thread, and to the customer in the
    portal when its message is one they see (CUSTOMER_SIDE: never a note's)."""

    __tablename__ = 'ticket_attachments'
    __table_args__ = (
        Index('ix_ticket_attachments_ticket', 'ticket_id', 'id'),
        Index('ix_ticket_attachments_message', 'message_id', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key='tickets.id', ondelete='CASCADE')
    # the message it came with; a message deleted on its own leaves the file with its request (still erased with it)
    message_id: int | None = Field(default=None, foreign_key='ticket_messages.id', ondelete='SET NULL')
    file_name: str = Field(max_length=200)  # as the customer named it: shown as text, never used on the disk
    content_type: str = Field(max_length=100)  # read from the bytes (portal) or as the mail claimed it (never trusted)
    size: int
    stored: str = Field(max_length=80)  # '<ticket id>/<32 hex>[.<kind>]' under <data_dir>/attachments
    created_at: datetime = Field(default_factory=utcnow)
