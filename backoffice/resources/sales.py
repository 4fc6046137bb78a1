"""Orders, stock and carriers declared once: the lists of /orders and /inventory run on the resource engine."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from backoffice.engine.declaration import Action, Card, Column, Filter, FormField, Outcome, Resource, register
from backoffice.events import Topic
from backoffice.models import Carrier, Order, StockLevel, StockMovement
from backoffice.services import stock
from backoffice.validation import LongName, RequiredText, WebAddress

ORDER_STATUSES = {
    'draft': 'Draft',
    'pending': 'Pending payment',
    'paid': 'Paid',
    'packed': 'Packed',
    'shipped': 'Shipped',
    'delivered': 'Delivered',
    'cancelled': 'Cancelled',
}
MOVEMENT_KINDS = {'receipt': 'Receipt', 'sale': 'Sale', 'return': 'Return', 'adjustment': 'Adjustment'}

# Orders change only through services/orders.py (its actions are on /orders/{number}): the list is read-only.
ORDERS = register(
    Resource(
        key=Topic.orders,
        link='/orders/{number}',
        label='Orders',
        singular='order',
        model=Order,
        create=None,
        update=None,
        permission='orders',
        title='number',
        icon='receipt_long',
        soft_delete=False,
        description='Orders from the shop and drafts by staff: payment, packing, shipping, returns',
        columns=(
            Column('number', 'No.'),
            Column(
                'placed_at', 'Placed', kind='datetime', on_phone=False
            ),  # a phone shows number, customer, status, total
            Column('email', 'Customer', sortable=False, related='customers', opens='customer_id'),
            Column('status', 'Status', kind='choice', choices=ORDER_STATUSES),
            Column('total', 'Total', kind='money'),
            Column('currency', 'Cur.', sortable=False, on_phone=False),
            Column('paid_total', 'Paid', kind='money', sortable=False, on_phone=False),
            Column('shipped_at', 'Shipped', kind='datetime', sortable=False, on_phone=False),
        ),
        fields=(),
        search=('number', 'email'),
        filters=(
            Filter('status', 'Status', 'choice', choices=ORDER_STATUSES),
            Filter('placed_at', 'Placed', 'date_range'),
            Filter('customer_id', 'Customer', 'related', related='customers'),
            Filter('total', 'Total', 'number_range'),
        ),
        default_sort='placed_at',
        card=Card(title='number', status='status', secondary=('email', 'total', 'placed_at')),
        default_descending=True,
    )
)


def _adjust(*, session, actor, record_id, version, quantity, reason) -> Outcome:
    level = session.get(StockLevel, record_id)
    movement = stock.adjust(session=session, actor=actor, product_id=level.product_id, quantity=quantity, reason=reason)
    return Outcome(level, f'Stock of {level.sku} is now {movement.balance}')


class StockLimits(BaseModel):
    """What staff edit on a stock level; the quantities change only through movements (actions and services)."""

    min_qty: int | None = PydanticField(default=None, ge=0, le=stock.MAX_QUANTITY)
    max_qty: int | None = PydanticField(default=None, ge=0, le=stock.MAX_QUANTITY)


def _update_limits(*, session, actor, record_id, version, changes) -> StockLevel:
    level = session.get(StockLevel, record_id)
    if level is None:
        from backoffice.errors import NotFound

        raise NotFound('This stock level no longer exists.')
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
        label='Stock',
        singular='stock level',
        plural='products in stock',
        model=StockLevel,
        create=None,
        update=StockLimits,
        update_with=_update_limits,
        permission='catalog',
        title='sku',
        icon='warehouse',
        soft_delete=False,
        description='On hand, reserved by open orders, available; min/max drive low-stock alerts and the reorder list',
        columns=(
            Column('sku', 'SKU'),
            Column('product_id', 'Product', kind='related', related='products', sortable=False, on_phone=False),
            Column('on_hand', 'On hand', kind='number'),
            Column('reserved', 'Reserved', kind='number', sortable=False),
            Column('available', 'Available', kind='number'),
            Column('min_qty', 'Min', kind='number', sortable=False, on_phone=False),
            Column('max_qty', 'Max', kind='number', sortable=False, on_phone=False),
            Column('low_stock', 'Low', kind='bool', sortable=False),
        ),
        fields=(
            FormField('sku', 'SKU', on_edit=False),
            FormField('on_hand', 'On hand', kind='number', on_edit=False),
            FormField('reserved', 'Reserved by open orders', kind='number', on_edit=False),
            FormField('available', 'Available', kind='number', on_edit=False),
            FormField('min_qty', 'Alert at or below (min)', kind='number', help='0: no alert'),
            FormField('max_qty', 'Reorder up to (max)', kind='number'),
        ),
        search=('sku',),
        filters=(
            Filter('low_stock', 'Low stock', 'bool'),
            Filter('product_id', 'Product', 'related', related='products'),
        ),
        default_sort='sku',
        card=Card(title='sku', status='low_stock', secondary=('available', 'on_hand', 'product_id')),
        actions=(
            Action(
                'adjust',
                'Adjust stock',
                _adjust,
                'catalog.write',
                icon='tune',
                inputs=(
                    FormField('quantity', 'Change (negative takes out)', kind='number', required=True),
                    FormField('reason', 'Reason', required=True, help='Mandatory: counted, broken, found…'),
                ),
            ),
        ),
    )
)

MOVEMENTS = register(
    Resource(
        key='stock-movements',
        label='Movements',
        singular='movement',
        model=StockMovement,
        create=None,
        update=None,
        permission='catalog',
        title='id',
        icon='swap_vert',
        soft_delete=False,
        description='Every change of stock on hand: receipts, sales, returns and adjustments with their reason',
        columns=(
            Column('created_at', 'When', kind='datetime'),
            Column('product_id', 'Product', kind='related', related='products', sortable=False),
            Column('kind', 'Kind', kind='choice', choices=MOVEMENT_KINDS, sortable=False),
            Column('quantity', 'Qty', kind='number', sortable=False),
            Column('balance', 'On hand after', kind='number', sortable=False, on_phone=False),
            Column('reason', 'Reason', sortable=False, on_phone=False),
            Column('order_id', 'Order', kind='related', related='orders', sortable=False),  # a row opens it
        ),
        fields=(),
        filters=(
            Filter('kind', 'Kind', 'choice', choices=MOVEMENT_KINDS),
            Filter('product_id', 'Product', 'related', related='products'),
            Filter('created_at', 'When', 'date_range'),
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
        label='Carriers',
        singular='carrier',
        model=Carrier,
        create=CarrierCreate,
        update=CarrierUpdate,
        permission='orders',
        title='name',
        icon='local_shipping',
        soft_delete=False,
        description='Parcel carriers and the link that tracks a parcel ({tracking} is replaced by its number)',
        columns=(
            Column('name', 'Name'),
            Column('code', 'Code', sortable=False),
            Column('tracking_url_template', 'Tracking link', sortable=False, on_phone=False),
            Column('active', 'Active', kind='bool', sortable=False),
        ),
        fields=(
            FormField('name', 'Name', required=True),
            FormField('code', 'Code', required=True, help='Short, e.g. dhl'),
            FormField(
                'tracking_url_template', 'Tracking link', help='e.g. https://www.dhl.com/track?number={tracking}'
            ),
            FormField('active', 'Active', kind='bool'),
        ),
        search=('name', 'code'),
        default_sort='name',
        unique=('code',),
    )
)
