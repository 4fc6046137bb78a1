"""Bank accounts, the statements imported for them and their lines, each line matched to what it pays (a receipt
settling invoices), set aside as not a customer payment (with a category), or still to reconcile."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Index, Integer, Numeric, String, Text, UniqueConstraint
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
    # what the invoices settled minus what the line brought, within the write-off tolerance (migration 0033): positive,
    # received less than settled (bank fees deducted, rounding: a loss); negative, received more (kept: a gain)
    write_off: Decimal = Field(default=Decimal('0.00'), sa_column=Column(MONEY, nullable=False, server_default='0'))
    decided_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    decided_at: datetime | None = None
    # the matching rule that set the line aside or matched it on import (migration 0037); cleared by undo
    rule_id: int | None = Field(default=None, foreign_key='bank_rules.id', ondelete='SET NULL')
    # a matching rule that fitted the line but found no single invoice or bill to match it to (migration 0039), and
    # why: one of bank_rules.MISSES (shown translated on the line while it waits to be reconciled)
    missed_rule_id: int | None = Field(default=None, foreign_key='bank_rules.id', ondelete='SET NULL')
    rule_miss: str = Field(default='', sa_column=Column(String(40), nullable=False, server_default=''))
    version: int = 1


class RuleDirection(StrEnum):
    any = 'any'
    credit = 'credit'  # money in
    debit = 'debit'  # money out


class RuleOutcome(StrEnum):
    set_aside = 'set_aside'  # not a customer payment: the rule's category
    invoice = 'invoice'  # money in: the chosen customer's one open invoice of the line's amount or number
    bill = 'bill'  # money out: the chosen supplier's one open approved bill of the line's amount or number


class BankRule(EditableTable, table=True):
    """A matching rule: a new line still unmatched after import whose reference contains a text and/or whose
    counterparty equals or contains a text (optionally only money in or out) is set aside with a category, or matched
    to the one open invoice of a customer (or bill of a supplier) it pays; rules are tried in position order, the first
    that fits wins, and count how often they fired and how often they found no single invoice or bill (missed)."""

    __tablename__ = 'bank_rules'

    name: str = Field(max_length=120)
    position: int = 0
    reference_contains: str = Field(default='', max_length=120)
    counterparty: str = Field(default='', max_length=200)
    counterparty_exact: bool = False  # equals (case and accents ignored) rather than contains
    direction: RuleDirection = Field(default=RuleDirection.any, sa_type=string_enum(RuleDirection))
    category: str = Field(default='', max_length=40)  # set_aside only
    note: str = Field(default='', max_length=500)
    active: bool = True
    fired_count: int = 0
    last_fired_at: datetime | None = None
    # migration 0039: what the rule does, for whom, and how often it fitted a line but found no single target
    outcome: RuleOutcome = Field(
        default=RuleOutcome.set_aside,
        sa_column=Column(string_enum(RuleOutcome), nullable=False, server_default=RuleOutcome.set_aside.value),
    )
    customer_id: int | None = Field(default=None, foreign_key='customers.id', ondelete='SET NULL')
    supplier_id: int | None = Field(default=None, foreign_key='suppliers.id', ondelete='SET NULL')
    missed_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default='0'))
