"""People: staff users who sign in, the product's customers, and the companies (B2B accounts) they belong to."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import DDL, JSON, Column, Index, Text, event, func, literal_column
from sqlmodel import Field, SQLModel

from backoffice import i18n
from backoffice.i18n import N_
from backoffice.listing.folding import postgresql_fold_function
from backoffice.models.base import EditableTable, SoftDeletable, folded_prefix_index, prefix_index, string_enum, utcnow
from backoffice.validation import Email, OptionalId, OptionalText, Phone, RequiredText


class Role(StrEnum):
    """The built-in roles: templates that always exist (their permissions are in permissions.py). An admin's own roles
    (StaffRole) sit beside them; a user's `role` holds either kind's key."""

    admin = 'admin'
    manager = 'manager'
    agent = 'agent'
    viewer = 'viewer'


ROLE_KEY_LENGTH = 20  # users.role was VARCHAR(20) as an enum: custom keys ('custom-12') fit the same column
CUSTOMER_NAME_MAX = 120  # characters of a customer's name: the column, the staff's form, the API and the portal


class StaffRole(EditableTable, table=True):
    """A role an admin made (custom roles): a name, what it is for, and the permissions it grants."""

    __tablename__ = 'roles'
    __table_args__ = {'sqlite_autoincrement': True}  # a deleted role's key ('custom-3') is never given to another

    key: str = Field(max_length=ROLE_KEY_LENGTH, unique=True, index=True)
    name: str = Field(max_length=80, unique=True)
    description: str = Field(default='', max_length=300)
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    two_factor_required: bool = False  # its holders sign in with a second factor (built-in roles: the settings)


class User(EditableTable, table=True):
    """A member of staff who signs in to the back office."""

    __tablename__ = 'users'

    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    role: str = Field(default=Role.viewer.value, max_length=ROLE_KEY_LENGTH)  # a built-in Role or a StaffRole's key
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    dark_mode: bool = False
    language: str | None = Field(default=None, max_length=16)  # None: the settings' default language
    session_epoch: int = 1  # bumped to end every open session of this user at once
    last_login_at: datetime | None = None
    password_changed_at: datetime | None = None
    totp_secret: str | None = Field(default=None, max_length=255)  # encrypted (secret_box); None: no two-factor
    totp_enabled_at: datetime | None = None
    totp_last_step: int | None = None  # the last accepted code's time step: a code is never accepted twice
    # invited from /users and has not chosen a password yet: their invitation link works until then (None: not pending)
    invited_until: datetime | None = None


class CustomerStatus(StrEnum):
    active = 'active'
    unfinished = 'unfinished'  # started signing up, never completed
    banned = 'banned'
    merged = 'merged'  # merged into another customer (merged_into_id), kept in the trash for its history


class Company(EditableTable, SoftDeletable, table=True):
    """A B2B account; its contacts are customers."""

    __tablename__ = 'companies'
    __table_args__ = (
        folded_prefix_index('ix_companies_name_fold', 'name'),  # search by prefix, accents off
        # the list's search (and the customers list's, by their company): trigram GIN indexes on PostgreSQL over the
        # text without its accents (migration 0071); SQLite searches an FTS5 trigram table instead
        *(
            Index(
                f'ix_companies_{column}_fold_trgm',
                func.bo_fold(literal_column(column)).label(f'{column}_folded'),
                postgresql_using='gin',
                postgresql_ops={f'{column}_folded': 'gin_trgm_ops'},
            )
            for column in ('name', 'vat_number')
        ),
    )

    name: str = Field(max_length=200, index=True)
    website: str | None = Field(default=None, max_length=300)
    vat_number: str | None = Field(default=None, max_length=40)
    notes: str = Field(default='', sa_type=Text)
    payment_terms_days: int | None = None  # invoiced on terms (net 15/30/60) before paying; None: pays first


class Customer(EditableTable, SoftDeletable, table=True):
    """An end user of the product or shop."""

    __tablename__ = 'customers'
    __table_args__ = (
        Index('ix_customers_status_signed_up', 'status', 'signed_up_at', 'id'),
        Index('ix_customers_signed_up_id', 'signed_up_at', 'id'),
        prefix_index('ix_customers_email_lower', 'email'),  # case-insensitive duplicate check, search by prefix
        folded_prefix_index('ix_customers_name_fold', 'name'),  # search by prefix, accents off
        # keyset order for the remaining sortable columns (migration 0003)
        Index('ix_customers_status_id', 'status', 'id'),
        Index('ix_customers_consent_id', 'marketing_consent', 'id'),
        # search: trigram GIN indexes on PostgreSQL over the text without its accents (bo_fold, migration 0064); SQLite
        # searches an FTS5 trigram table instead (not part of the metadata), so these exist only on PostgreSQL
        *(
            Index(
                f'ix_customers_{column}_fold_trgm',
                func.bo_fold(literal_column(column)).label(f'{column}_folded'),
                postgresql_using='gin',
                postgresql_ops={f'{column}_folded': 'gin_trgm_ops'},
            )
            for column in ('email', 'name')
        ),
    )

    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default='', max_length=CUSTOMER_NAME_MAX, index=True)
    phone: str | None = Field(default=None, max_length=40)
    status: CustomerStatus = Field(default=CustomerStatus.active, sa_type=string_enum(CustomerStatus))
    ban_reason: str | None = Field(default=None, max_length=500)
    company_id: int | None = Field(default=None, foreign_key='companies.id', index=True, ondelete='SET NULL')
    marketing_consent: bool = False
    language: str | None = Field(default=None, max_length=16)  # their emails, invoices and portal; None: the default
    payment_terms_days: int | None = None  # their own terms; None: their company's, if any
    signed_up_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime | None = Field(default=None, index=True)
    # the customer this duplicate was merged into (services/customer_merge.py); not a foreign key: it is a pointer
    # kept for finding, not a relation the merge moves (migration 0066)
    merged_into_id: int | None = None


# --- what forms and the API may send --------------------------------------------------------------------------------


def _language(value: object) -> str | None:
    """An available language's code (fr-FR → fr), or None for the default; anything else is refused."""
    if value is None or value == '':
        return None
    code = i18n.supported(str(value))
    if code is None:
        raise ValueError(N_('Choose one of the listed languages'))
    return code


Language = Annotated[str | None, BeforeValidator(_language)]

NetTerms = Literal[15, 30, 60]  # the net terms a business customer may be given, in days
PAYMENT_TERMS = get_args(NetTerms)


def _payment_terms(value: object) -> int | None:
    """Net 15, 30 or 60 days, or None (pays before being invoiced); anything else is refused."""
    if value is None or value == '':
        return None
    try:
        days = int(str(value))
    except ValueError:
        days = -1
    if days not in PAYMENT_TERMS:
        raise ValueError(N_('Choose one of the listed payment terms'))
    return days


PaymentTerms = Annotated[NetTerms | None, BeforeValidator(_payment_terms)]  # the OpenAPI lists the three


class CompanyCreate(BaseModel):
    name: RequiredText = PydanticField(max_length=200)
    website: OptionalText = PydanticField(default=None, max_length=300)
    vat_number: OptionalText = PydanticField(default=None, max_length=40)
    notes: str = ''
    payment_terms_days: PaymentTerms = None


class CompanyUpdate(BaseModel):
    name: RequiredText | None = PydanticField(default=None, max_length=200)
    website: OptionalText = PydanticField(default=None, max_length=300)
    vat_number: OptionalText = PydanticField(default=None, max_length=40)
    notes: str | None = None
    payment_terms_days: PaymentTerms = None


class CustomerCreate(BaseModel):
    email: Email
    name: str = PydanticField(default='', max_length=CUSTOMER_NAME_MAX)
    phone: Phone = None
    status: CustomerStatus = CustomerStatus.active
    company_id: OptionalId = None
    marketing_consent: bool = False
    language: Language = None
    payment_terms_days: PaymentTerms = None

    @field_validator('name')
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        # '  Jo  ' was stored as sent (searched, sorted and shown with its spaces); only spaces is no name at all
        return value.strip() if isinstance(value, str) else value

    @field_validator('status')
    @classmethod
    def _not_banned_here(cls, value: CustomerStatus) -> CustomerStatus:
        if value == CustomerStatus.banned:
            raise ValueError(N_('Ban a customer with the Ban action, which asks for a reason'))
        if value == CustomerStatus.merged:
            raise ValueError(N_('Merge a customer with Merge with… on the customer kept'))
        return value


class CustomerUpdate(BaseModel):
    email: Email | None = None
    name: str | None = PydanticField(default=None, max_length=CUSTOMER_NAME_MAX)
    phone: Phone = None
    status: CustomerStatus | None = None
    company_id: OptionalId = None
    marketing_consent: bool | None = None
    language: Language = None
    payment_terms_days: PaymentTerms = None

    _trimmed = field_validator('name')(CustomerCreate._trimmed.__func__)
    _not_banned_here = field_validator('status')(CustomerCreate._not_banned_here.__func__)


class CustomerAddress(EditableTable, table=True):
    """One of a customer's saved addresses (their address book): staff edit it on the customer page, the customer in
    the portal. An order keeps its own copy of the address it was sent to; changing this one changes no order."""

    __tablename__ = 'customer_addresses'
    __table_args__ = (Index('ix_customer_addresses_customer', 'customer_id', 'id'),)

    customer_id: int = Field(foreign_key='customers.id', ondelete='CASCADE')
    label: str = Field(default='', max_length=60)  # "Office", "Warehouse"
    name: str = Field(max_length=120)
    line1: str = Field(max_length=200)
    line2: str = Field(default='', max_length=200)
    postcode: str = Field(max_length=20)
    city: str = Field(max_length=100)
    country: str = Field(max_length=60)
    phone: str | None = Field(default=None, max_length=40)
    default_shipping: bool = False
    default_billing: bool = False


class CustomerAddressIn(BaseModel):
    """An address as a form or the portal sends it."""

    label: str = PydanticField(default='', max_length=60)
    name: RequiredText = PydanticField(max_length=120)
    line1: RequiredText = PydanticField(max_length=200)
    line2: str = PydanticField(default='', max_length=200)
    postcode: RequiredText = PydanticField(max_length=20)
    city: RequiredText = PydanticField(max_length=100)
    country: RequiredText = PydanticField(max_length=60)
    phone: Phone = None
    default_shipping: bool = False
    default_billing: bool = False

    @field_validator('label', 'line2', mode='before')
    @classmethod
    def _trimmed(cls, value: object) -> str:
        return ' '.join(str(value or '').split())


# SQLModel.metadata.create_all on PostgreSQL (a test's private cluster) makes bo_fold before the indexes that use it;
# the migrations make it themselves (0064)
event.listen(SQLModel.metadata, 'before_create', DDL(postgresql_fold_function()).execute_if(dialect='postgresql'))
