"""Payables: the suppliers, the bills they send (lines, VAT per rate, approval, the PDF) and the payments made."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic import Field as PydanticField
from sqlalchemy import Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice import business_ids
from backoffice.i18n import _
from backoffice.models.base import EditableTable, SoftDeletable, prefix_index, string_enum, utcnow
from backoffice.validation import OptionalText, Phone, RequiredText, normalize_email

MONEY = Numeric(12, 2)
TERMS_MAX = 365  # days a supplier's bill may be due after it was issued


class Supplier(EditableTable, SoftDeletable, table=True):
    """Someone the shop buys from: who to pay (IBAN, BIC), within how many days, and whom to call."""

    __tablename__ = 'suppliers'
    __table_args__ = (prefix_index('ix_suppliers_name_lower', 'name'),)

    name: str = Field(max_length=200, index=True)
    vat_number: str | None = Field(default=None, max_length=40)
    iban: str | None = Field(default=None, max_length=40)
    bic: str | None = Field(default=None, max_length=11)
    payment_terms_days: int = 30  # a bill is due this many days after it was issued, unless it says otherwise
    contact_name: str | None = Field(default=None, max_length=120)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=40)
    notes: str = Field(default='', sa_type=Text)


def _checked(check):
    def run(value: str | None) -> str | None:
        value = (value or '').strip() if isinstance(value, str) or value is None else value
        return check(value) if value else None

    return run


def _email(value: str | None) -> str | None:
    value = (value or '').strip()
    return normalize_email(value) if value else None


def _terms(value: object) -> int:
    if value in (None, ''):
        return 30
    try:
        exact = Decimal(str(value).strip())  # a form's number field sends 30.0
    except (ArithmeticError, ValueError):
        raise ValueError(_('Enter a number of days from 0 to 365')) from None
    if isinstance(value, bool) or not exact.is_finite() or exact != exact.to_integral_value():
        raise ValueError(_('Enter a number of days from 0 to 365'))
    days = int(exact)
    if not 0 <= days <= TERMS_MAX:
        raise ValueError(_('Enter a number of days from 0 to 365'))
    return days


VatNumber = Annotated[str | None, BeforeValidator(_checked(business_ids.vat_number))]
Iban = Annotated[str | None, BeforeValidator(_checked(business_ids.iban))]
Bic = Annotated[str | None, BeforeValidator(_checked(business_ids.bic))]
ContactEmail = Annotated[str | None, AfterValidator(_email)]
# the bounds before the validator: the OpenAPI says minimum and maximum (a validator first, it said nothing)
Terms = Annotated[int, Ge(0), Le(TERMS_MAX), BeforeValidator(_terms)]


class SupplierCreate(BaseModel):
    name: RequiredText = PydanticField(max_length=200)
    vat_number: VatNumber = None
    iban: Iban = None
    bic: Bic = None
    payment_terms_days: Terms = 30
    contact_name: OptionalText = PydanticField(default=None, max_length=120)
    contact_email: ContactEmail = None
    contact_phone: Phone = None
    notes: str = ''


class SupplierUpdate(BaseModel):
    name: RequiredText | None = PydanticField(default=None, max_length=200)
    vat_number: VatNumber = None
    iban: Iban = None
    bic: Bic = None
    payment_terms_days: Terms | None = None
    contact_name: OptionalText = PydanticField(default=None, max_length=120)
    contact_email: ContactEmail = None
    contact_phone: Phone = None
    notes: str | None = None


class BillStatus(StrEnum):
    draft = 'draft'  # being entered
    awaiting_approval = 'awaiting_approval'  # entered, waits for someone holding payables.approve
    approved = 'approved'  # may be paid
    partly_paid = 'partly_paid'
    paid = 'paid'
    cancelled = 'cancelled'


class SupplierBill(EditableTable, table=True):
    """A bill a supplier sent: its own number (unique per supplier), dates, totals, who entered and approved it."""

    __tablename__ = 'supplier_bills'
    __table_args__ = (
        UniqueConstraint('supplier_id', 'number', name='uq_supplier_bills_supplier_number'),
        Index('ix_supplier_bills_status_due', 'status', 'due_on', 'id'),
        Index('ix_supplier_bills_supplier', 'supplier_id', 'id'),
        Index('ix_supplier_bills_issued_id', 'issued_on', 'id'),
        Index('ix_supplier_bills_due_id', 'due_on', 'id'),
    )

    supplier_id: int = Field(foreign_key='suppliers.id', ondelete='RESTRICT')
    number: str = Field(max_length=60)  # the supplier's own bill number
    status: BillStatus = Field(default=BillStatus.draft, sa_type=string_enum(BillStatus))
    issued_on: date
    due_on: date
    currency: str = Field(default='EUR', max_length=3)
    net_total: Decimal = Field(default=Decimal('0.00'), sa_type=MONEY)
    vat_total: Decimal = Field(default=Decimal('0.00'), sa_type=MONEY)
    total: Decimal = Field(default=Decimal('0.00'), sa_type=MONEY)
    paid: Decimal = Field(default=Decimal('0.00'), sa_type=MONEY)
    # the purchase order it bills, in full or the part received (several bills may share one, migration 0051)
    purchase_id: int | None = Field(default=None, foreign_key='purchases.id', ondelete='SET NULL', index=True)
    note: str = Field(default='', max_length=500)
    pdf_stored: str = Field(default='', max_length=200)  # the file's random name under <data>/bills/
    pdf_name: str = Field(default='', max_length=200)  # as it was uploaded, shown
    entered_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    approved_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    approved_at: datetime | None = None
    payment_sent_on: date | None = None  # put in a SEPA transfer file for the bank on this day


class SupplierBillLine(SQLModel, table=True):
    __tablename__ = 'supplier_bill_lines'
    __table_args__ = (Index('ix_supplier_bill_lines_bill', 'bill_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key='supplier_bills.id', ondelete='CASCADE')
    description: str = Field(max_length=300)
    quantity: Decimal = Field(sa_type=Numeric(12, 3))
    unit_price: Decimal = Field(sa_type=MONEY)
    vat_rate: Decimal = Field(sa_type=Numeric(5, 2))  # percent: 20.00
    net: Decimal = Field(sa_type=MONEY)  # quantity × unit price, rounded to the cent
    product_id: int | None = Field(default=None, foreign_key='products.id', ondelete='SET NULL')


class BillPayment(SQLModel, table=True):
    """Money paid against a bill (in part or in full); a bank line's match records one, and its undo removes it."""

    __tablename__ = 'bill_payments'
    __table_args__ = (Index('ix_bill_payments_bill', 'bill_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key='supplier_bills.id', ondelete='CASCADE')
    amount: Decimal = Field(sa_type=MONEY)
    paid_on: date
    method: str = Field(default='bank_transfer', max_length=20)
    reference: str = Field(default='', max_length=120)
    bank_line_id: int | None = Field(default=None, foreign_key='bank_lines.id', ondelete='SET NULL', index=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
