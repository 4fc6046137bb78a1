"""People who use the back office: staff users and their roles (customers join this module later)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum
from sqlmodel import Field

from .base import EditableTable


class Role(StrEnum):
    admin = 'admin'
    manager = 'manager'
    agent = 'agent'
    viewer = 'viewer'


class User(EditableTable, table=True):
    """A member of staff who signs in to the back office."""

    __tablename__ = 'users'

    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    # Stored as VARCHAR (not a PostgreSQL enum type), so adding a role needs no migration.
    role: Role = Field(default=Role.viewer, sa_type=Enum(Role, native_enum=False, length=20,
                                                         values_callable=lambda e: [m.value for m in e]))
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    dark_mode: bool = False
    session_epoch: int = 1  # bumped to end every open session of this user at once
    last_login_at: datetime | None = None
    password_changed_at: datetime | None = None
