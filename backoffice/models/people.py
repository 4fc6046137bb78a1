"""People who use the back office: staff users and their roles (customers join this module later)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
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
    role: Role = Field(default=Role.viewer, sa_type=String(20))  # a string, so a new role needs no migration
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    dark_mode: bool = False
    session_epoch: int = 1  # bumped to end every open session of this user at once
    last_login_at: datetime | None = None
    password_changed_at: datetime | None = None
