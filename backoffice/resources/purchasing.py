"""Returns and purchase orders declared once: the lists of /returns and /purchases run on the resource engine (both
change only through their services: returns.py, purchases.py)."""

from __future__ import annotations

from backoffice.engine.declaration import Card, Column, Filter, Resource, register
from backoffice.events import Topic
from backoffice.models import Purchase, Return

RETURN_STATUSES = {'requested': 'Requested', 'received': 'Received', 'closed': 'Closed', 'cancelled': 'Cancelled'}
RESOLUTIONS = {'refund': 'Refund', 'credit_note': 'Credit note', 'exchange': 'Exchange'}
PURCHASE_STATUSES = {'ordered': 'Ordered', 'received': 'Received'}

RETURNS = register(
    Resource(
        key=Topic.returns,
        link='/orders/{order_id}',
        label='Returns',
        singular='return',
        model=Return,
        create=None,
        update=None,
        permission='orders',
        title='number',
        icon='assignment_return',
        soft_delete=False,
        description='Returns (RMA) of shipped orders: requested, received and restocked, resolved or cancelled',
        columns=(
            Column('number', 'RMA'),
            Column('order_id', 'Order', kind='related', related='orders', sortable=False),
            Column('customer_id', 'Customer', kind='related', related='customers', sortable=False, on_phone=False),
            Column('status', 'Status', kind='choice', choices=RETURN_STATUSES),
            Column('reason', 'Reason', sortable=False, on_phone=False, wrap=True),
            Column('created_at', 'Created', kind='datetime'),
            Column('resolution', 'Resolution', kind='choice', choices=RESOLUTIONS, sortable=False, on_phone=False),
        ),
        fields=(),
        search=('number',),
        filters=(
            Filter('status', 'Status', 'choice', choices=RETURN_STATUSES),
            Filter('created_at', 'Created', 'date_range'),
            Filter('customer_id', 'Customer', 'related', related='customers'),
        ),
        default_sort='created_at',
        card=Card(title='number', status='status', secondary=('order_id', 'customer_id', 'created_at')),
        default_descending=True,
    )
)

PURCHASES = register(
    Resource(
        key=Topic.purchases,
        link='/purchases?open={id}',
        label='Purchases',
        singular='purchase',
        model=Purchase,
        create=None,
        update=None,
        permission='catalog',
        title='reference',
        icon='add_shopping_cart',
        soft_delete=False,
        description='Purchase orders to suppliers: ordered, then received into stock (a receipt movement per line)',
        columns=(
            Column('reference', 'Reference'),
            Column('supplier', 'Supplier'),
            Column('status', 'Status', kind='choice', choices=PURCHASE_STATUSES),
            Column('line_count', 'Lines', kind='number', sortable=False),
            Column('total', 'Total', kind='money', sortable=False, on_phone=False),
            Column('ordered_at', 'Ordered', kind='datetime', on_phone=False),
            Column('received_at', 'Received', kind='datetime'),
        ),
        fields=(),
        search=('reference', 'supplier'),
        filters=(
            Filter('status', 'Status', 'choice', choices=PURCHASE_STATUSES),
            Filter('received_at', 'Received', 'date_range'),
        ),
        default_sort='ordered_at',
        card=Card(title='reference', status='status', secondary=('supplier', 'total', 'received_at')),
        default_descending=True,
    )
)
