"""The catalogue — products and the nested categories they are filed in — declared once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session
from sqlmodel import Session

from backoffice.engine.declaration import Card, Column, Filter, FormField, Resource, register
from backoffice.events import Topic
from backoffice.models import Category, CategoryCreate, CategoryUpdate, Currency, Product, ProductCreate, ProductUpdate

CURRENCY_NAMES = {
    'EUR': 'Euro',
    'USD': 'US dollar',
    'GBP': 'Pound sterling',
    'CHF': 'Swiss franc',
    'SEK': 'Swedish krona',
    'NOK': 'Norwegian krone',
    'DKK': 'Danish krone',
    'PLN': 'Polish złoty',
    'CZK': 'Czech koruna',
    'CAD': 'Canadian dollar',
    'AUD': 'Australian dollar',
}
CURRENCIES = {c.value: f'{c.value} — {CURRENCY_NAMES.get(c.value, c.value)}' for c in Currency}
CURRENCY_CODES = {c.value: c.value for c in Currency}  # the list shows the code alone


def category_change_allowed(category: Category, values: dict[str, Any]) -> dict[str, str]:
    """A category cannot be moved inside itself or one of its own subcategories."""
    parent_id = values.get('parent_id')
    if parent_id is None:
        return {}
    session = object_session(category)
    if parent_id == category.id or category.id in ancestors(session, parent_id):
        return {'parent_id': 'A category cannot be inside itself or one of its subcategories'}
    return {}


def ancestors(session: Session, category_id: int) -> list[int]:
    """The ids above a category, nearest first (stops at a loop, should old data hold one)."""
    found: list[int] = []
    current = session.get(Category, category_id)
    while current is not None and current.parent_id is not None and current.parent_id not in found:
        found.append(current.parent_id)
        current = session.get(Category, current.parent_id)
    return found


CATEGORIES = register(
    Resource(
        key=Topic.categories,
        link='/categories?open={id}',
        label='Categories',
        singular='category',
        model=Category,
        create=CategoryCreate,
        update=CategoryUpdate,
        permission='catalog',
        title='name',
        icon='category',
        description='Shelves of the catalogue; a category may sit inside another',
        columns=(
            Column('name', 'Name'),
            Column('parent_id', 'Inside', kind='related', related='categories', sortable=False),
            Column('updated_at', 'Changed', kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('name', 'Name', required=True),
            FormField(
                'parent_id',
                'Inside category',
                kind='related',
                related='categories',
                help='Leave empty for a top-level category',
            ),
            FormField('description', 'Description', kind='long_text'),
        ),
        search=('name',),
        default_sort='name',
        unique=('name',),
        filters=(Filter('parent_id', 'Inside', 'related', related='categories'),),
        check_change=category_change_allowed,
    )
)

PRODUCTS = register(
    Resource(
        key=Topic.products,
        link='/products?open={id}',
        label='Products',
        singular='product',
        model=Product,
        create=ProductCreate,
        update=ProductUpdate,
        permission='catalog',
        title='name',
        icon='inventory_2',
        card=Card(title='name', status='active', secondary=('sku', 'price', 'category_id')),
        description='Products and services for sale: SKU, price, category, image',
        columns=(
            Column('sku', 'SKU'),
            Column('name', 'Name'),
            Column('category_id', 'Category', kind='related', related='categories', sortable=False, on_phone=False),
            Column('price', 'Price', kind='money'),
            Column('currency', 'Currency', kind='choice', choices=CURRENCY_CODES, on_phone=False),
            Column('active', 'Active', kind='bool', on_phone=False),
        ),
        fields=(
            FormField('sku', 'SKU', required=True, help='Letters, digits, - and _; saved in upper case'),
            FormField('name', 'Name', required=True),
            FormField('category_id', 'Category', kind='related', related='categories'),
            FormField('price', 'Price', kind='money', required=True),
            FormField('currency', 'Currency', kind='choice', choices=CURRENCIES, required=True),
            FormField('active', 'Active (offered for sale)', kind='bool'),
            FormField('description', 'Description', kind='markdown'),
            # for an image field, `related` names the uploads folder (<data_dir>/uploads/products/)
            FormField('image', 'Image', kind='image', related='products', help='PNG, JPEG, WebP or GIF, up to 5 MB'),
        ),
        search=('sku', 'name'),
        default_sort='name',
        unique=('sku',),
        filters=(
            Filter('category_id', 'Category', 'related', related='categories'),
            Filter('active', 'Active', 'bool'),
            Filter('currency', 'Currency', 'choice', choices=CURRENCIES),
        ),
    )
)
