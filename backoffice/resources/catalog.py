"""The catalogue — products and the nested categories they are filed in — declared once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from backoffice import formatting
from backoffice.db import read_session
from backoffice.engine.declaration import (
    Action,
    Card,
    Column,
    Filter,
    FormField,
    Ledger,
    LinkWording,
    Outcome,
    Resource,
    Wording,
    register,
)
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import (
    Category,
    CategoryCreate,
    CategoryUpdate,
    Currency,
    Product,
    ProductCreate,
    ProductUpdate,
    StockLevel,
)
from backoffice.services import stock

# the form offers a currency by its code and name (a whole text, translated as one)
CURRENCIES = {
    Currency.EUR.value: N_('EUR — Euro'),
    Currency.USD.value: N_('USD — US dollar'),
    Currency.GBP.value: N_('GBP — Pound sterling'),
    Currency.CHF.value: N_('CHF — Swiss franc'),
    Currency.SEK.value: N_('SEK — Swedish krona'),
    Currency.NOK.value: N_('NOK — Norwegian krone'),
    Currency.DKK.value: N_('DKK — Danish krone'),
    Currency.PLN.value: N_('PLN — Polish złoty'),
    Currency.CZK.value: N_('CZK — Czech koruna'),
    Currency.CAD.value: N_('CAD — Canadian dollar'),
    Currency.AUD.value: N_('AUD — Australian dollar'),
}
CURRENCY_CODES = {c.value: c.value for c in Currency}  # the list shows the code alone

# what an adjustment asks, on a stock level (/inventory) and on a product (resources/sales.py uses these too)
ADJUST_INPUTS = (
    FormField('quantity', N_('Change (negative takes out)'), kind='number', required=True),
    FormField(
        'reason', N_('Reason'), required=True, help=N_('Mandatory: counted, broken, found…'), most=stock.MAX_REASON
    ),
)

# what a stock count asks: the shelf's quantity (the service books the difference), a note if the person wants one
COUNT_INPUTS = (
    FormField('counted', N_('Counted on the shelf'), kind='number', required=True),
    FormField('reason', N_('Note'), help=N_('Optional: where, who counted…'), most=stock.MAX_REASON),
)


def counted_said(sku: str, movement, level: StockLevel | None = None) -> str:
    """What a count did, for the person who typed it; and, when the shelf holds fewer than open orders reserved, that
    it is short and where that shows."""
    if movement is None:
        return _('Stock of {sku} was right: nothing changed').format(sku=sku)
    said = _('Stock of {sku} is now {balance} ({difference} counted)').format(
        sku=sku, balance=movement.balance, difference=f'{movement.quantity:+d}'
    )
    if level is not None and stock.short(level):
        said += '. ' + _(
            '{reserved} are reserved by open orders: {short} short. The product shows as low stock and its orders say '
            'so until more arrive or an order changes.'
        ).format(reserved=formatting.number(level.reserved), short=formatting.number(stock.short(level)))
    return said


def product_change_allowed(product: Product, values: dict[str, Any]) -> dict[str, str]:
    """A product with units on its shelf or reserved by open orders cannot stop being stocked: said at the switch."""
    if values.get('stocked') is not False:
        return {}
    why = stock.why_not_unstocked(object_session(product), product)
    return {'stocked': why} if why else {}


def stocked_again(session: Session, product: Product, diff: dict[str, list[Any]]) -> None:
    """After a product's change, in its transaction: stocked again, it reserves for the open orders placed while it
    was not; a new SKU is the one its stock row goes by (listed, sorted, searched and named in shortages by it)."""
    if 'sku' in diff:
        stock.rename(session, product)
    if diff.get('stocked') == [False, True]:
        stock.reserve_for_open_orders(session, product)


def product_note(product: Product) -> str:
    """On a product's form: units left on its shelf although it is not stocked (hidden from the stock list)."""
    if product.stocked or product.id is None:
        return ''
    with read_session() as session:
        return stock.left_unstocked_said(stock.left_unstocked(session, product))


def product_saved_note(product: Product) -> str:
    """After a save: a product stocked again whose open orders now reserve more than its shelf holds, said as a count
    says it (and which orders wait, the oldest served first); a product not stocked with units left, said again."""
    with read_session() as session:
        if not product.stocked:
            return stock.left_unstocked_said(stock.left_unstocked(session, product))
        level = session.exec(select(StockLevel).where(StockLevel.product_id == product.id)).first()
        if level is None or not stock.short(level):
            return ''
        waiting = stock.short_orders(session, level)
    said = _('Changes saved. {shortage}: its open orders reserve more than the shelf holds.').format(
        shortage=stock.shortage_said(level)
    )
    if waiting:
        said += ' ' + _('Waiting for stock: {orders}.').format(orders=', '.join(waiting))
    return said


def count_product_stock(*, session, actor, record_id, version, counted, reason='') -> Outcome:
    """A count from the product's own form (a product not tracked yet gets its stock row, as with an adjustment)."""
    movement = stock.record_count(session=session, actor=actor, product_id=record_id, counted=counted, reason=reason)
    product = session.get(Product, record_id)
    level = session.exec(select(StockLevel).where(StockLevel.product_id == record_id)).first()
    return Outcome(product, counted_said(product.sku, movement, level))


def adjust_product_stock(*, session, actor, record_id, version, quantity, reason) -> Outcome:
    """From the product's own form: a product just added has no stock row yet, so /inventory does not list it; its
    first adjustment makes the row (stock.adjust), and the inventory tracks it from then on."""
    movement = stock.adjust(session=session, actor=actor, product_id=record_id, quantity=quantity, reason=reason)
    product = session.get(Product, record_id)
    return Outcome(product, _('Stock of {sku} is now {balance}').format(sku=product.sku, balance=movement.balance))


def category_change_allowed(category: Category, values: dict[str, Any]) -> dict[str, str]:
    """A category cannot be moved inside itself or one of its own subcategories."""
    parent_id = values.get('parent_id')
    if parent_id is None:
        return {}
    session = object_session(category)
    if parent_id == category.id or category.id in ancestors(session, parent_id):
        return {'parent_id': _('A category cannot be inside itself or one of its subcategories')}
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
        label=N_('Categories'),
        singular=N_('category'),
        wording=Wording(
            count=lambda n: ngettext('{n} category', '{n} categories', n),
            arrived=lambda n: ngettext('{n} new category', '{n} new categories', n),
            none_yet=N_('There are no categories yet.'),
            new=N_('New category'),
            create=N_('Create category'),
            created=N_('Category created'),
            trashed=N_('Category moved to the trash'),
            restored=N_('Category restored'),
        ),
        model=Category,
        create=CategoryCreate,
        update=CategoryUpdate,
        permission='catalog',
        title='name',
        icon='category',
        description=N_('Shelves of the catalogue; a category may sit inside another'),
        columns=(
            Column('name', N_('Name')),
            Column('parent_id', N_('Inside'), kind='related', related='categories', sortable=False),
            Column('updated_at', N_('Changed'), kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('name', N_('Name'), required=True),
            FormField(
                'parent_id',
                N_('Inside category'),
                kind='related',
                related='categories',
                help=N_('Leave empty for a top-level category'),
            ),
            FormField('description', N_('Description'), kind='long_text'),
        ),
        search=('name',),
        default_sort='name',
        unique=('name',),
        filters=(Filter('parent_id', N_('Inside'), 'related', related='categories'),),
        check_change=category_change_allowed,
        link_wording={
            'parent_id': LinkWording(
                one=lambda n: ngettext(
                    '{n} category is inside this category: it will show as top-level while this one is in the trash.',
                    '{n} categories are inside this category: they will show as top-level while this one is in the '
                    'trash.',
                    n,
                ),
                many=lambda n: ngettext(
                    '{n} other category is inside these categories: it will show as top-level while they are in the '
                    'trash.',
                    '{n} other categories are inside these categories: they will show as top-level while these are in '
                    'the trash.',
                    n,
                ),
            )
        },
    )
)

PRODUCTS = register(
    Resource(
        key=Topic.products,
        link='/products?open={id}',
        label=N_('Products'),
        singular=N_('product'),
        wording=Wording(
            count=lambda n: ngettext('{n} product', '{n} products', n),
            arrived=lambda n: ngettext('{n} new product', '{n} new products', n),
            none_yet=N_('There are no products yet.'),
            new=N_('New product'),
            create=N_('Create product'),
            created=N_('Product created'),
            trashed=N_('Product moved to the trash'),
            restored=N_('Product restored'),
        ),
        model=Product,
        create=ProductCreate,
        update=ProductUpdate,
        check_change=product_change_allowed,  # not stocked while units are on its shelf or reserved
        after_change=stocked_again,  # reserves for orders placed while not stocked; a new SKU onto its stock row
        note=product_note,  # units left on the shelf of a product not stocked
        saved_note=product_saved_note,
        trash_said=stock.before_trash,  # its units on the shelf, reserved or still due are said before the trash
        permission='catalog',
        title='name',
        icon='inventory_2',
        card=Card(title='name', status='active', secondary=('sku', 'price', 'category_id')),
        description=N_('Products and services for sale: SKU, price, category, image'),
        columns=(
            Column('sku', N_('SKU')),
            Column('name', N_('Name')),
            Column('category_id', N_('Category'), kind='related', related='categories', sortable=False, on_phone=False),
            Column('price', N_('Price'), kind='money', currency='currency'),
            Column('currency', N_('Currency'), kind='choice', choices=CURRENCY_CODES, on_phone=False),
            Column('active', N_('Active'), kind='bool', on_phone=False),
            Column('stocked', N_('Stocked'), kind='bool', on_phone=False),
            # not shown in the list, but exported: every field the form edits and an import reads makes the round trip
            Column('description', N_('Description'), sortable=False, on_phone=False, shown=False, wrap=True),
        ),
        fields=(
            FormField('sku', N_('SKU'), required=True, help=N_('Letters, digits, - and _; saved in upper case')),
            FormField('name', N_('Name'), required=True),
            FormField('category_id', N_('Category'), kind='related', related='categories'),
            FormField('price', N_('Price'), kind='money', required=True),
            FormField('currency', N_('Currency'), kind='choice', choices=CURRENCIES, required=True),
            FormField('active', N_('Active (offered for sale)'), kind='bool'),
            # a service or a plan is not: no stock level, no reservation when ordered, no low-stock alert
            FormField(
                'stocked',
                N_('Stocked (kept on a shelf)'),
                kind='bool',
                help=N_('Off for services and plans: no stock, nothing reserved when ordered, no low-stock alert'),
            ),
            FormField('description', N_('Description'), kind='markdown'),
            # for an image field, `related` names the uploads folder (<data_dir>/uploads/products/)
            FormField(
                'image', N_('Image'), kind='image', related='products', help=N_('PNG, JPEG, WebP or GIF, up to 5 MB')
            ),
        ),
        search=('sku', 'name'),
        default_sort='name',
        unique=('sku',),
        filters=(
            Filter('category_id', N_('Category'), 'related', related='categories'),
            Filter('active', N_('Active'), 'bool'),
            Filter('stocked', N_('Stocked'), 'bool'),
            Filter('currency', N_('Currency'), 'choice', choices=CURRENCIES),
        ),
        link_wording={
            'category_id': LinkWording(
                one=lambda n: ngettext(
                    '{n} product is in this category: it will show no category while the category is in the trash.',
                    '{n} products are in this category: they will show no category while it is in the trash.',
                    n,
                ),
                many=lambda n: ngettext(
                    '{n} product is in these categories: it will show no category while they are in the trash.',
                    '{n} products are in these categories: they will show no category while these are in the trash.',
                    n,
                ),
            )
        },
        # why its stock is what it is: each receipt, sale, return and count, newest first (a service has none)
        ledger=Ledger(
            N_('Stock history'),
            stock.history,
            empty=N_('No stock movement yet: nothing was received, sold, returned or counted.'),
            applies=lambda p: p.stocked or bool(product_note(p)),
        ),
        actions=(
            Action(
                'adjust-stock',
                N_('Adjust stock'),
                adjust_product_stock,
                'catalog.write',
                icon='tune',
                visible=lambda p: p.deleted_at is None and p.stocked,
                inputs=ADJUST_INPUTS,
            ),
            Action(
                'count-stock',
                N_('Count stock'),
                count_product_stock,
                'catalog.write',
                icon='fact_check',
                visible=lambda p: p.deleted_at is None and (p.stocked or bool(product_note(p))),  # (its units out)
                inputs=COUNT_INPUTS,
            ),
        ),
    )
)
