"""The customer portal: a customer's sign-in (invitation, password), signed-in browsers, one-time sign-in links, and
companies' members with their roles (B2B)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, string_enum, utcnow


class PortalAccount(SQLModel, table=True):
    """A customer's way into /portal: made by an invitation; a password once they set one; the epoch ends every
    browser signed in as them at once (a ban, a password change, "sign out everywhere")."""

    __tablename__ = 'portal_accounts'

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key='customers.id', unique=True, ondelete='CASCADE')
    password_hash: str | None = Field(default=None, max_length=255)  # argon2id; None: one-time links only
    session_epoch: int = 1
    invited_at: datetime | None = None
    invited_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PortalSession(SQLModel, table=True):
    """One browser signed in to the portal as a customer (the staff's `staff_sessions`, for customers)."""

    __tablename__ = 'portal_sessions'
    __table_args__ = (Index('ix_portal_sessions_customer_ended', 'customer_id', 'ended_at'),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # sha256 of the random id kept in the browser's session storage
    customer_id: int = Field(foreign_key='customers.id', ondelete='CASCADE')
    device: str = Field(default='', max_length=120)
    address: str = Field(default='', max_length=64)
    signed_in_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    ended_reason: str = Field(default='', max_length=60)


class PortalLink(SQLModel, table=True):
    """A one-time sign-in link (an invitation or a link asked for at /portal/login): its token hashed, expiring."""

    __tablename__ = 'portal_links'

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    customer_id: int = Field(foreign_key='customers.id', index=True, ondelete='CASCADE')
    purpose: str = Field(default='sign-in', max_length=12)  # sign-in | invitation
    requested_from: str = Field(default='', max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class CompanyRole(StrEnum):
    """What a company's member may do in the portal: a company admin manages colleagues and sees everything of the
    company; a buyer orders, asks and returns (theirs and the company's); a viewer only reads."""

    admin = 'admin'
    buyer = 'buyer'
    viewer = 'viewer'


class CompanyMember(EditableTable, table=True):
    """A customer's membership of their company in the portal (B2B), with their role. It counts only while the
    customer's own `company_id` is this company: staff moving a contact to another company ends it."""

    __tablename__ = 'company_members'
    __table_args__ = (Index('ix_company_members_company_role', 'company_id', 'role'),)

    company_id: int = Field(foreign_key='companies.id', ondelete='CASCADE')
    customer_id: int = Field(foreign_key='customers.id', unique=True, ondelete='CASCADE')
    role: CompanyRole = Field(default=CompanyRole.buyer, sa_type=string_enum(CompanyRole))
    # an invitation from a company admin waits for the person to accept it (None: pending; a pending member is not
    # a member: they see nothing of the company, the company nothing of theirs); staff's invitations count at once
    accepted_at: datetime | None = None
    invited_at: datetime | None = None
    invited_by: str = Field(default='', max_length=300)  # who invited them, as they read it: "Ann Lee (ann@acme.com)"
    # the span of the member's own orders, invoices and requests their company sees: from joining (None: all of them,
    # a contact the shop made part of the company) until removed (None: still a member)
    shared_from: datetime | None = None
    ended_at: datetime | None = None


class CompanyMemberPeriod(SQLModel, table=True):
    """An earlier span a member shared with their company, kept when they joined it again (the member's row holds the
    current one): the company still sees what they ordered and asked in it, and never the time in between."""

    __tablename__ = 'company_member_periods'
    __table_args__ = (Index('ix_company_member_periods_customer_company', 'customer_id', 'company_id'),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key='companies.id', ondelete='CASCADE')
    customer_id: int = Field(foreign_key='customers.id', ondelete='CASCADE')
    shared_from: datetime | None = None  # None: all of theirs before it ended (a contact the shop made a member)
    ended_at: datetime
