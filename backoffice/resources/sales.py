"""Orders, stock and carriers declared once: the lists of /orders and /inventory run on the resource engine."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import and_, not_
from sqlmodel import col, select

from backoffice.db import read_session
from backoffice.engine.declaration import (
    Action,
    Card,
    Column,
    Filter,
    FormField,
    MoreExport,
    Outcome,
    Resource,
    Wording,
    register,
)
from backoffice.events import Topic
from backoffice.i18n import N_, NP_, _, ngettext
from backoffice.models import Carrier, Order, OrderStatus, Product, StockLevel, StockMovement
from backoffice.resources.catalog import ADJUST_INPUTS, COUNT_INPUTS, counted_said
from backoffice.services import orders, stock
from backoffice.services.app_settings import CURRENCIES
from backoffice.services.tracking_search import orders_by_tracking
from backoffice.transfer.order_lines import export_order_lines
from backoffice.validation import LongName, RequiredText, WebAddress

ORDER_STATUSES = {
    'draft': N_('Draft'),
    'pending': N_('Pending payment'),
    'paid': N_('Paid'),
    'packed': N_('Packed'),
    'shipped': N_('Shipped'),
    'delivered': N_('Delivered'),
    'cancelled': N_('Cancelled'),
}
ORDER_SOURCES = {
    'api': N_('Shop'),
    'staff': N_('Staff'),
    'exchange': N_('Exchange'),
    'seed': N_('Demo data'),
}
# how an order's status reads (services/orders.status_shown): a paid order refunded in full or in part says so, a
# packed one some of whose parcels left reads Partly shipped
SHOWN_ORDER_STATUSES = {**ORDER_STATUSES, **orders.SHOWN_STATUSES}
# the Status filter's choices: the stored statuses and "Partly shipped" beside Packed (see ORDER_STATUS_MEANINGS)
ORDER_FILTER_STATUSES = {
    **{key: label for key, label in ORDER_STATUSES.items() if key in ('draft', 'pending', 'paid', 'packed')},
    'partly_shipped': orders.SHOWN_STATUSES['partly_shipped'],
    **{key: label for key, label in ORDER_STATUSES.items() if key in ('shipped', 'delivered', 'cancelled')},
}
# "Packed" lists what the list shows as Packed: nothing shipped yet; "Partly shipped" the packed orders a parcel of
# which left (orders.partly_shipped). Both together are every stored packed order (the filter takes several)
ORDER_STATUS_MEANINGS = {
    'packed': lambda: and_(col(Order.status) == OrderStatus.packed, col(Order.shipped_at).is_(None)),
    'partly_shipped': lambda: and_(
        col(Order.status).in_((OrderStatus.paid, OrderStatus.packed)), col(Order.shipped_at).is_not(None)
    ),
}
LOW_STOCK_MEANINGS = {'yes': lambda: stock.low_on_sale(), 'no': lambda: not_(stock.low_on_sale())}
MOVEMENT_KINDS = {'receipt': N_('Receipt'), 'sale': N_('Sale'), 'return': N_('Return'), 'adjustment': N_('Adjustment')}

SHIP_INPUTS = (
    FormField('carrier_id', N_('Carrier'), kind='related', related='carriers'),
    FormField('tracking_number', N_('Tracking number')),
    FormField(
        'lines',
        N_('Items in this parcel'),
        help=N_('SKU:quantity, comma-separated (MUG-01:2, TEE-03:1); empty: everything not shipped yet'),
    ),
)


def _ship(*, session, actor, record_id, version, carrier_id=None, tracking_number=None, lines=None) -> Outcome:
    """One parcel of the order, as the order page's Ship dialog sends it: no lines means all that remains."""
    shipment = orders.ship(
        session=session,
        actor=actor,
        order_id=record_id,
        version=version,
        carrier_id=carrier_id,
        tracking_number=tracking_number or '',
        lines=lines or None,
    )
    order = session.get(Order, record_id)
    said = _('Parcel shipped') if order is not None and orders.partly_shipped(order) else _('Shipped')
    return Outcome(shipment, said)


# Orders change only through services/orders.py (its actions are on /orders/{number}): the list is read-only.
ORDERS = register(
    Resource(
        key=Topic.orders,
        link='/orders/{number}',
        label=N_('Orders'),
        singular=N_('order'),
        wording=Wording(
            count=lambda n: ngettext('{n} order', '{n} orders', n),
            arrived=lambda n: ngettext('{n} new order', '{n} new orders', n),
            none_yet=N_('There are no orders yet.'),
        ),
        model=Order,
        create=None,
        update=None,
        permission='orders',
        title='number',
        icon='receipt_long',
        soft_delete=False,
        description=N_('Orders from the shop and drafts by staff: payment, packing, shipping, returns'),
        # the lines of the orders listed (order, date, customer, SKU, product, quantity, price, VAT, total)
        more_exports=(
            MoreExport(
                'order-lines',
                N_('Export order lines to CSV'),
                N_('Export order lines to Excel (XLSX)'),
                export_order_lines,
            ),
        ),
        columns=(
            Column('number', N_('No.')),
            Column(
                'placed_at', N_('Placed'), kind='datetime', on_phone=False
            ),  # a phone shows number, customer, status, total
            Column('email', N_('Customer'), sortable=False, related='customers', opens='customer_id'),
            Column('status', N_('Status'), kind='choice', choices=SHOWN_ORDER_STATUSES, derived=orders.status_shown),
            Column('total', N_('Total'), kind='money', currency='currency'),
            Column('currency', N_('Cur.'), sortable=False, on_phone=False),
            Column(
                'paid_total', NP_('amount', 'Paid'), kind='money', sortable=False, on_phone=False, currency='currency'
            ),
            # money given back (a refund, a return): a paid order's status says Refunded or Partly refunded. Offered
            # under Columns, not shown at first: a tenth column cut 'Pending payment' short at 1440 px
            Column(
                'refunded_total',
                NP_('order totals', 'Refunded'),
                kind='money',
                sortable=False,
                on_phone=False,
                shown=False,
                currency='currency',
            ),
            Column('shipped_at', NP_('date', 'Shipped'), kind='datetime', sortable=False, on_phone=False),
        ),
        fields=(),
        search=('number', 'email'),
        summed='total',  # the caption: '12 orders · €1,234.50', per currency
        # staff type the customer's name as often as the email the order was placed with (for those who may read
        # customers, as on Requests and Returns)
        search_related=(('customer_id', 'customers'),),
        filters=(
            Filter('status', N_('Status'), 'choice', choices=ORDER_FILTER_STATUSES, meanings=ORDER_STATUS_MEANINGS),
            Filter('placed_at', N_('Placed'), 'date_range'),
            Filter('customer_id', N_('Customer'), 'related', related='customers'),
            Filter('total', N_('Total'), 'number_range'),
            # where it came from: the Orders card counts every source but an exchange's replacement order
            Filter('source', N_('Source'), 'choice', choices=ORDER_SOURCES),
            # the money KPIs' lists hold the orders in the shop's currency, those the number adds up
            Filter('currency', N_('Currency'), 'choice', choices=CURRENCIES),
        ),
        default_sort='placed_at',
        card=Card(title='number', status='status', secondary=('email', 'total', 'placed_at')),
        default_descending=True,
        search_ids=orders_by_tracking,  # an order by its parcel's tracking number (or its first characters)
        # for the API (POST /api/v1/orders/{id}/actions/ship): the order page has its own Ship dialog
        actions=(
            Action(
                'ship',
                N_('Ship'),
                _ship,
                'orders.write',
                icon='local_shipping',
                inputs=SHIP_INPUTS,  # offered on any order: the service says why one may not ship now
            ),
        ),
    )
)


def _adjust(*, session, actor, record_id, version, quantity, reason) -> Outcome:
    level = session.get(StockLevel, record_id)
    movement = stock.adjust(session=session, actor=actor, product_id=level.product_id, quantity=quantity, reason=reason)
    return Outcome(level, _('Stock of {sku} is now {balance}').format(sku=level.sku, balance=movement.balance))


def _count(*, session, actor, record_id, version, counted, reason='') -> Outcome:
    level = session.get(StockLevel, record_id)
    movement = stock.record_count(
        session=session, actor=actor, product_id=level.product_id, counted=counted, reason=reason
    )
    session.refresh(level)
    return Outcome(level, counted_said(level.sku, movement, level))


def _in_the_trash(level: StockLevel) -> str:
    """Why a stock level's product takes no adjustment or count now: it is in the trash ('' when it is not)."""
    with read_session() as session:
        product = session.exec(select(Product).where(Product.id == level.product_id)).first()
        return stock.in_the_trash(product) if product is not None and product.deleted_at is not None else ''


class StockLimits(BaseModel):
    """What staff edit on a stock level; the quantities change only through movements (actions and services)."""

    min_qty: int | None = PydanticField(default=None, ge=0, le=stock.MAX_QUANTITY)
    max_qty: int | None = PydanticField(default=None, ge=0, le=stock.MAX_QUANTITY)


def _update_limits(*, session, actor, record_id, version, changes) -> StockLevel:
    level = session.get(StockLevel, record_id)
    if level is None:
        from backoffice.errors import NotFound

        raise NotFound(_('This stock level no longer exists.'))
    return stock.set_limits(
        session=session,
        actor=actor,
        product_id=level.product_id,
        version=version,
        min_qty=level.min_qty if changes.get('min_qty') is None else changes['min_qty'],
        max_qty=level.max_qty if changes.get('max_qty') is None else changes['max_qty'],
    )


STOCK = register(
    Resource(
        key=Topic.stock,
        link='/inventory?open={id}',
        label=N_('Stock'),
        singular=N_('stock level'),
        wording=Wording(
            count=lambda n: ngettext('{n} stock level', '{n} products in stock', n),
            arrived=lambda n: ngettext('{n} new stock level', '{n} new products in stock', n),
            none_yet=N_('There are no products in stock yet.'),
            new=N_('New stock level'),
            create=N_('Create stock level'),
            created=N_('Stock level created'),
        ),
        plural=N_('products in stock'),
        model=StockLevel,
        row_filter=lambda actor: stock.stocked_rows(),  # a service or a plan has no stock level
        note=_in_the_trash,  # why its product's row offers no adjustment or count
        create=None,
        update=StockLimits,
        update_with=_update_limits,
        permission='catalog',
        title='sku',
        icon='warehouse',
        soft_delete=False,
        description=N_(
            'On hand, reserved by open orders, available; min/max drive low-stock alerts and the reorder list'
        ),
        columns=(
            Column('sku', N_('SKU')),
            Column('product_id', N_('Product'), kind='related', related='products', sortable=False, on_phone=False),
            Column('on_hand', N_('On hand'), kind='number'),
            Column('reserved', N_('Reserved'), kind='number', sortable=False),
            Column('available', N_('Available'), kind='number'),
            Column('min_qty', N_('Min'), kind='number', sortable=False, on_phone=False),
            Column('max_qty', N_('Max'), kind='number', sortable=False, on_phone=False),
            Column('low_stock', N_('Low'), kind='bool', sortable=False),
        ),
        fields=(
            FormField('sku', N_('SKU'), on_edit=False),
            FormField('product_id', N_('Product'), kind='related', related='products', on_edit=False),
            FormField('on_hand', N_('On hand'), kind='number', on_edit=False),
            FormField('reserved', N_('Reserved by open orders'), kind='number', on_edit=False),
            FormField('available', N_('Available'), kind='number', on_edit=False),
            FormField('min_qty', N_('Alert at or below (min)'), kind='number', help=N_('0: no alert')),
            FormField('max_qty', N_('Reorder up to (max)'), kind='number'),
        ),
        search=('sku',),
        filters=(
            # low as the dashboard's card, the alert and the reorder list count it: not a product in the trash
            Filter('low_stock', N_('Low stock'), 'bool', meanings=LOW_STOCK_MEANINGS),
            Filter('product_id', N_('Product'), 'related', related='products'),
        ),
        default_sort='sku',
        card=Card(title='sku', status='low_stock', secondary=('available', 'on_hand', 'product_id')),
        actions=(
            Action(
                'adjust',
                N_('Adjust stock'),
                _adjust,
                'catalog.write',
                icon='tune',
                inputs=ADJUST_INPUTS,
                visible=lambda level: not _in_the_trash(level),  # (the service refuses it too)
                not_now=_in_the_trash,
            ),
            Action(
                'count',
                N_('Count stock'),
                _count,
                'catalog.write',
                icon='fact_check',
                inputs=COUNT_INPUTS,
                visible=lambda level: not _in_the_trash(level),
                not_now=_in_the_trash,
            ),
        ),
    )
)

MOVEMENTS = register(
    Resource(
        key='stock-movements',
        label=N_('Movements'),
        singular=N_('movement'),
        wording=Wording(
            count=lambda n: ngettext('{n} movement', '{n} movements', n),
            arrived=lambda n: ngettext('{n} new movement', '{n} new movements', n),
            none_yet=N_('There are no movements yet.'),
        ),
        model=StockMovement,
        create=None,
        update=None,
        permission='catalog',
        title='id',
        icon='swap_vert',
        soft_delete=False,
        description=N_('Every change of stock on hand: receipts, sales, returns and adjustments with their reason'),
        columns=(
            Column('created_at', N_('When'), kind='datetime'),
            Column('product_id', N_('Product'), kind='related', related='products', sortable=False),
            Column('kind', N_('Kind'), kind='choice', choices=MOVEMENT_KINDS, sortable=False),
            Column('quantity', N_('Qty'), kind='number', sortable=False),
            Column('balance', N_('On hand after'), kind='number', sortable=False, on_phone=False),
            Column('reason', N_('Reason'), kind='stored_text', sortable=False, on_phone=False),  # 'Retour R-7'
            Column('order_id', N_('Order'), kind='related', related='orders', sortable=False),  # a row opens it
            # who made it, by name (none: the system, the API's shop feed, the demo seed)
            Column(
                'created_by', N_('By'), kind='related', related='users', shows='name', sortable=False, on_phone=False
            ),
        ),
        fields=(),
        filters=(
            Filter('kind', N_('Kind'), 'choice', choices=MOVEMENT_KINDS),
            Filter('product_id', N_('Product'), 'related', related='products'),
            Filter('created_at', N_('When'), 'date_range'),
        ),
        default_sort='created_at',
        card=Card(title='product_id', status='kind', secondary=('quantity', 'created_at', 'reason')),
        default_descending=True,
    )
)


class CarrierCreate(BaseModel):
    model_config = ConfigDict(extra='forbid')

    code: RequiredText = PydanticField(max_length=40)
    name: LongName
    tracking_url_template: WebAddress = PydanticField(default='', max_length=300)
    active: bool = True


class CarrierUpdate(BaseModel):
    code: RequiredText | None = PydanticField(default=None, max_length=40)
    name: LongName | None = None
    tracking_url_template: WebAddress | None = PydanticField(default=None, max_length=300)
    active: bool | None = None


CARRIERS = register(
    Resource(
        key=Topic.carriers,
        link='/carriers?open={id}',
        label=N_('Carriers'),
        singular=N_('carrier'),
        wording=Wording(
            count=lambda n: ngettext('{n} carrier', '{n} carriers', n),
            arrived=lambda n: ngettext('{n} new carrier', '{n} new carriers', n),
            none_yet=N_('There are no carriers yet.'),
            new=N_('New carrier'),
            create=N_('Create carrier'),
            created=N_('Carrier created'),
        ),
        model=Carrier,
        create=CarrierCreate,
        update=CarrierUpdate,
        permission='orders',
        title='name',
        icon='local_shipping',
        soft_delete=False,
        description=N_('Parcel carriers and the link that tracks a parcel ({tracking} is replaced by its number)'),
        columns=(
            Column('name', N_('Name')),
            Column('code', N_('Code'), sortable=False),
            Column('tracking_url_template', N_('Tracking link'), sortable=False, on_phone=False),
            Column('active', N_('Active'), kind='bool', sortable=False),
        ),
        fields=(
            FormField('name', N_('Name'), required=True),
            FormField('code', N_('Code'), required=True, help=N_('Short, e.g. dhl')),
            FormField(
                'tracking_url_template',
                N_('Tracking link'),
                help=N_('e.g. https://www.dhl.com/track?number={tracking}'),
            ),
            FormField('active', N_('Active'), kind='bool'),
        ),
        search=('name', 'code'),
        default_sort='name',
        unique=('code',),
    )
)
