"""Sign-in security: staff sessions one can see and end, two-factor recovery codes, password-reset links, and the
emails that go to staff (a new browser, a reset link, a two-factor reset)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class StaffSession(SQLModel, table=True):
    """One browser signed in as a member of staff: from where, since when, last seen; ended_at once it is over."""

    __tablename__ = 'staff_sessions'
    __table_args__ = (Index('ix_staff_sessions_user_ended', 'user_id', 'ended_at', 'last_seen_at'),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # sha256 of the random id kept in the browser's session storage
    user_id: int = Field(foreign_key='users.id', ondelete='CASCADE')
    device: str = Field(default='', max_length=120)  # 'Chrome on Windows', read from the User-Agent
    user_agent: str = Field(default='', max_length=300)
    address: str = Field(default='', max_length=64)
    signed_in_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    ended_reason: str = Field(default='', max_length=60)


class RecoveryCode(SQLModel, table=True):
    """One of a user's ten two-factor recovery codes, hashed (argon2); a used one is kept, marked, and refused."""

    __tablename__ = 'recovery_codes'

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', index=True, ondelete='CASCADE')
    code_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class PasswordReset(SQLModel, table=True):
    """A "forgot password" link: its token hashed (sha256), single-use, expiring. A request for an unknown email is
    recorded too (no user), so both cost the same."""

    __tablename__ = 'password_resets'

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(default=None, foreign_key='users.id', index=True, ondelete='CASCADE')
    requested_from: str = Field(default='', max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class StaffMail(SQLModel, table=True):
    """An email to a member of staff, written in their language when queued; the outbox job sends it by SMTP."""

    __tablename__ = 'staff_mail'

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key='users.id', index=True, ondelete='CASCADE')
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    # an HTML alternative (the digest), its inline images and attachments ({name, content_type, cid, data: base64})
    # and extra headers (List-Unsubscribe); empty for a text-only mail
    html: str = Field(default='', sa_type=Text)
    parts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default='queued', max_length=12, index=True)  # queued | sent | failed
    attempts: int = 0
    error: str = Field(default='', max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
