"""The points ledger: one row per points awarded or taken back; a customer's balance is the sum of their rows."""

from sqlalchemy import Index
from sqlmodel import Field

from backoffice.models.base import EditableTable


class LoyaltyEntry(EditableTable, table=True):
    """Points given (positive) or taken back (negative), with why; `award_key` makes an award happen once (the
    nightly job's `order:<id>`, an automation's `automation:<trigger>:<rule>:<action>`)."""

    __tablename__ = 'loyalty_entries'
    __table_args__ = (Index('ix_loyalty_entries_customer_id', 'customer_id', 'id'),)

    customer_id: int = Field(foreign_key='customers.id', ondelete='CASCADE')
    points: int
    reason: str = Field(max_length=200)
    kind: str = Field(default='manual', max_length=20)  # manual | order | automation
    award_key: str | None = Field(default=None, max_length=80, unique=True)
    order_id: int | None = Field(default=None, foreign_key='orders.id', ondelete='SET NULL', index=True)
