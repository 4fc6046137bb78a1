"""The catalogue: products and services for sale, filed in nested categories."""

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, field_serializer, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import Index, Numeric, Text, func, literal_column
from sqlalchemy import true as sa_true
from sqlmodel import Field

from backoffice.i18n import _
from backoffice.models.base import EditableTable, SoftDeletable, folded_prefix_index, prefix_index
from backoffice.validation import LongName, OptionalId, RequiredText, decimal_text, typed_money


class Currency(StrEnum):
    """ISO 4217 codes the shop sells in (all with two decimals, as prices are stored)."""

    EUR = 'EUR'
    USD = 'USD'
    GBP = 'GBP'
    CHF = 'CHF'
    SEK = 'SEK'
    NOK = 'NOK'
    DKK = 'DKK'
    PLN = 'PLN'
    CZK = 'CZK'
    CAD = 'CAD'
    AUD = 'AUD'


class Category(EditableTable, SoftDeletable, table=True):
    """A shelf of the catalogue; categories nest (a parent may have subcategories), without cycles."""

    __tablename__ = 'categories'
    __table_args__ = (
        # one name per catalogue, whatever its case (the service says which record has it, this is the backstop)
        Index('ix_categories_name_lower', func.lower(literal_column('name')), unique=True),
        Index('ix_categories_name_id', 'name', 'id'),  # keyset order of the list
    )

    name: str = Field(max_length=120)
    # ON DELETE SET NULL: purging a parent from the trash leaves its subcategories at the top level
    parent_id: int | None = Field(default=None, foreign_key='categories.id', ondelete='SET NULL', index=True)
    description: str = Field(default='', sa_type=Text)


class Product(EditableTable, SoftDeletable, table=True):
    """Something the shop sells: a product or a service, with one price in one currency."""

    __tablename__ = 'products'
    __table_args__ = (
        # keyset order for the sortable columns and the filters (the SKU is unique, so it needs no id)
        prefix_index('ix_products_sku_lower', 'sku'),  # case-insensitive duplicate check, search by prefix
        folded_prefix_index('ix_products_name_fold', 'name'),  # search by prefix, accents off
        Index('ix_products_name_id', 'name', 'id'),
        Index('ix_products_price_id', 'price', 'id'),
        Index('ix_products_active_id', 'active', 'id'),
        Index('ix_products_currency_id', 'currency', 'id'),
        Index('ix_products_category_id_id', 'category_id', 'id'),
    )

    sku: str = Field(max_length=40, unique=True, index=True)  # normalised to upper case, so unique in any case
    name: str = Field(max_length=200)
    description: str = Field(default='', sa_type=Text)  # Markdown
    # ON DELETE SET NULL: purging a category from the trash leaves its products without one
    category_id: int | None = Field(default=None, foreign_key='categories.id', ondelete='SET NULL')
    price: Decimal = Field(default=Decimal('0.00'), sa_type=Numeric(12, 2))
    currency: str = Field(default=Currency.EUR.value, max_length=3)
    active: bool = True
    image: str | None = Field(default=None, max_length=300)  # relative to <data_dir>/uploads, e.g. products/….png
    # migration 0056: a physical good kept on a shelf. A service or a plan is not: it has no stock level, reserves
    # nothing when ordered, raises no low-stock alert and has no movements or counts (services/stock.py)
    stocked: bool = Field(default=True, sa_column_kwargs={'server_default': sa_true()})

    @field_serializer('price')
    def _price_as_text(self, price: Decimal | None) -> str | None:
        # snapshots of a record go to the audit log as JSON, which has no decimal type; '19.90' stays exact
        return None if price is None else f'{Decimal(price):.2f}'


# --- field types ----------------------------------------------------------------------------------------------------

SKU_PATTERN = re.compile(r'^[A-Z0-9_-]+$')
MAX_PRICE = Decimal('9999999999.99')  # Numeric(12, 2)


def _sku(value: Any) -> str:
    value = (value or '').strip().upper() if isinstance(value, str) or value is None else value
    if not value:
        raise ValueError(_('This field is required'))
    if not isinstance(value, str) or not SKU_PATTERN.match(value):
        raise ValueError(_('Use only letters, digits, - and _ (no spaces)'))
    if len(value) > 40:
        raise ValueError(_('Use at most 40 characters'))
    return value


def _money(value: Any) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_('Enter a price, e.g. 12.50'))
    try:
        # a float from a number input becomes the decimal it shows (19.99, not 19.989999…)
        amount = value if isinstance(value, Decimal) else Decimal(decimal_text(str(value)))
    except InvalidOperation:
        raise ValueError(_('Enter an amount, e.g. 12.50')) from None
    if amount.is_finite() and amount < 0:
        raise ValueError(_('A price cannot be negative'))
    if amount.is_finite() and amount > MAX_PRICE:  # first: quantizing a huge number fails
        raise ValueError(_('Enter an amount below 10,000,000,000'))
    return typed_money(value)  # the one reading of typed money: '€12', '1,234.50', '1 234,50'; decimals said


def _currency(value: Any) -> Currency:
    code = (value.value if isinstance(value, Currency) else str(value or '')).strip().upper()
    if not code:
        raise ValueError(_('Choose a currency'))
    try:
        return Currency(code)
    except ValueError:
        raise ValueError(_('Choose one of {expected}').format(expected=', '.join(c.value for c in Currency))) from None


def _image(value: Any) -> str | None:
    from backoffice.runtime.uploads import is_stored_image  # here, not above: uploads → errors → permissions → models

    if value in (None, ''):
        return None
    if not isinstance(value, str) or not is_stored_image(value):
        raise ValueError(_('Upload the image again: this is not an image stored by the back office'))
    return value


def _no_null_text(value: Any) -> Any:
    """Long text is never NULL: a cleared text area is an empty text."""
    return '' if value is None else value


Sku = Annotated[str, BeforeValidator(_sku)]
Money = Annotated[Decimal, BeforeValidator(_money)]
CurrencyCode = Annotated[Currency, BeforeValidator(_currency)]
StoredImage = Annotated[str | None, BeforeValidator(_image)]
LongText = Annotated[str, BeforeValidator(_no_null_text)]


def _not_blank(value: Any) -> Any:
    """A required field may be left out of an update but never emptied (a form sends None for an empty input)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_('This field is required'))
    return value


# --- what forms and the API may send --------------------------------------------------------------------------------


class CategoryCreate(BaseModel):
    name: LongName
    parent_id: OptionalId = None
    description: LongText = ''

    _required = field_validator('name', mode='before')(_not_blank)


class CategoryUpdate(BaseModel):
    name: LongName | None = None
    parent_id: OptionalId = None
    description: LongText | None = None

    _required = field_validator('name', mode='before')(_not_blank)
    _text = field_validator('description', mode='before')(_no_null_text)


class ProductCreate(BaseModel):
    sku: Sku
    name: RequiredText = PydanticField(max_length=200)
    description: LongText = ''
    category_id: OptionalId = None
    price: Money
    currency: CurrencyCode = Currency.EUR
    active: bool = True
    stocked: bool = True
    image: StoredImage = None

    _required = field_validator('name', mode='before')(_not_blank)


class ProductUpdate(BaseModel):
    sku: Sku | None = None
    name: RequiredText | None = PydanticField(default=None, max_length=200)
    description: LongText | None = None
    category_id: OptionalId = None
    price: Money | None = None
    currency: CurrencyCode | None = None
    active: bool | None = None
    stocked: bool | None = None
    image: StoredImage = None

    _required = field_validator('sku', 'name', 'price', 'currency', 'active', 'stocked', mode='before')(_not_blank)
    _text = field_validator('description', mode='before')(_no_null_text)
