"""Bank accounts, the statements imported for them and their lines, each line matched to what it pays (a receipt
settling invoices), set aside as not a customer payment (with a category), or still to reconcile."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, string_enum, utcnow

MONEY = Numeric(12, 2)


class BankAccount(EditableTable, table=True):
    """One account at a bank; its statements are imported in one currency, and its CSV column mapping is kept."""

    __tablename__ = 'bank_accounts'

    name: str = Field(max_length=120, unique=True)
    iban: str = Field(default='', max_length=40)
    currency: str = Field(default='EUR', max_length=3)
    csv_mapping: str = Field(default='', sa_type=Text)  # JSON of bank_files.CsvMapping, saved at the last CSV import


class BankStatement(SQLModel, table=True):
    """One statement of an imported file (a file may hold several): its period, balances and how many lines were new."""

    __tablename__ = 'bank_statements'
    __table_args__ = (Index('ix_bank_statements_account', 'account_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='bank_accounts.id', ondelete='CASCADE')
    format: str = Field(max_length=12)
    file_name: str = Field(default='', max_length=200)
    reference: str = Field(default='', max_length=60)
    starts_on: date | None = None
    ends_on: date | None = None
    opening_balance: Decimal | None = Field(default=None, sa_type=MONEY)
    closing_balance: Decimal | None = Field(default=None, sa_type=MONEY)
    new_lines: int = 0
    known_lines: int = 0  # already imported before (the same statement or an overlapping one): not added twice
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')


class LineStatus(StrEnum):
    unmatched = 'unmatched'
    matched = 'matched'  # paid invoices (a receipt) or linked to a receipt already recorded
    ignored = 'ignored'  # not a customer payment: bank fees, a supplier paid…


class BankLine(SQLModel, table=True):
    """One line of a statement: signed (money in positive), unique in its account by `identity` (the bank's reference,
    else a hash of day, amount, label and rank), so importing a statement twice never doubles it."""

    __tablename__ = 'bank_lines'
    __table_args__ = (
        UniqueConstraint('account_id', 'identity', name='uq_bank_lines_account_identity'),
        Index('ix_bank_lines_status_booked', 'status', 'booked_on', 'id'),
        Index('ix_bank_lines_account_booked', 'account_id', 'booked_on', 'id'),
        Index('ix_bank_lines_statement', 'statement_id', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='bank_accounts.id', ondelete='CASCADE')
    statement_id: int = Field(foreign_key='bank_statements.id', ondelete='CASCADE')
    identity: str = Field(max_length=60)
    booked_on: date
    value_on: date | None = None
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    label: str = Field(default='', max_length=500)
    counterpart: str = Field(default='', max_length=200)
    reference: str = Field(default='', max_length=120)
    bank_reference: str = Field(default='', max_length=120)
    status: LineStatus = Field(default=LineStatus.unmatched, sa_type=string_enum(LineStatus))
    category: str = Field(default='', max_length=40)  # for an ignored line: bank_fees, supplier, tax…
    note: str = Field(default='', max_length=500)
    suggestions: str = Field(default='', sa_type=Text)  # JSON: ranked candidates found when last matched
    receipt_id: int | None = Field(default=None, foreign_key='receipts.id', ondelete='SET NULL', index=True)
    receipt_created: bool = False  # the match recorded the receipt (undo reverses it) rather than linking one
    decided_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    decided_at: datetime | None = None
    version: int = 1
