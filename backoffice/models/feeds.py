"""Spreadsheet feeds: a saved view published as a live CSV or XLSX at a secret, revocable address."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from backoffice.models.base import EditableTable


class SheetFeed(EditableTable, table=True):
    """One published feed. Only the token's sha256 is kept (the address is shown once); each fetch reads the view and
    the publisher afresh, so the rows follow the view's filters and the publisher's current permissions."""

    __tablename__ = 'sheet_feeds'
    __table_args__ = (Index('ix_sheet_feeds_publisher', 'publisher_id', 'id'),)

    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the secret token
    view_id: int | None = Field(default=None, foreign_key='saved_views.id', ondelete='SET NULL')  # None: deleted
    view_name: str = Field(max_length=80)  # the view's name when published, kept once the view is gone
    resource: str = Field(max_length=60)
    publisher_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')  # None: deleted
    format: str = Field(max_length=4)  # csv | xlsx
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=254)
    last_access_at: datetime | None = None
    access_count: int = 0
