"""Returns and purchase orders declared once: the lists of /returns and /purchases run on the resource engine (both
change only through their services: returns.py, purchases.py)."""

from __future__ import annotations

from backoffice.engine.declaration import Card, Column, Filter, Resource, Wording, register
from backoffice.events import Topic
from backoffice.i18n import N_, NP_, ngettext
from backoffice.models import Purchase, Return
from backoffice.services.return_refunds import ALARMING, REFUND_STATES

# a return's statuses, in context: French agrees them with "le retour" (Clôturé), as the order page's return rows do
# (returns.STATUS_WORDS), not with the orders' and bills' feminine statuses (Fermée)
RETURN_STATUSES = {
    'requested': NP_('return status', 'Requested'),
    'received': NP_('return status', 'Received'),
    'closed': NP_('return status', 'Closed'),
    'cancelled': NP_('return status', 'Cancelled'),
}
RESOLUTIONS = {'refund': N_('Refund'), 'credit_note': N_('Credit note'), 'exchange': N_('Exchange')}
PURCHASE_STATUSES = {
    'ordered': N_('Ordered'),
    'partly_received': N_('Partly received'),
    'received': N_('Received'),
    'closed_short': N_('Closed short'),  # the supplier will not deliver the rest (services/purchases.close_short)
    'cancelled': N_('Cancelled'),  # ordered by mistake, cancelled before anything arrived (services/purchases.cancel)
}

RETURNS = register(
    Resource(
        key=Topic.returns,
        link='/orders/{order_id}',
        label=N_('Returns'),
        singular=N_('return'),
        wording=Wording(
            count=lambda n: ngettext('{n} return', '{n} returns', n),
            arrived=lambda n: ngettext('{n} new return', '{n} new returns', n),
            none_yet=N_('There are no returns yet.'),
        ),
        model=Return,
        create=None,
        update=None,
        permission='orders',
        title='number',
        icon='assignment_return',
        soft_delete=False,
        description=N_('Returns (RMA) of shipped orders: requested, received and restocked, resolved or cancelled'),
        columns=(
            Column('number', N_('RMA')),
            Column('order_id', N_('Order'), kind='related', related='orders', sortable=False),
            Column('customer_id', N_('Customer'), kind='related', related='customers', sortable=False, on_phone=False),
            Column('status', N_('Status'), kind='choice', choices=RETURN_STATUSES),
            Column('reason', N_('Reason'), sortable=False, on_phone=False, wrap=True),
            Column('created_at', N_('Created'), kind='datetime'),
            # written when it is received (services/returns.restocked_said): '2 of 3'
            Column('restocked', N_('Restocked'), kind='stored_text', sortable=False, on_phone=False),
            Column('resolution', N_('Resolution'), kind='choice', choices=RESOLUTIONS, sortable=False, on_phone=False),
            # whether the money went back, led by how much ('30.00 · Refunded by hand'); a failed refund in red, on
            # the phone's card too (Column.alarming)
            Column(
                'refund_state',
                N_('Refund'),
                kind='choice',
                choices=REFUND_STATES,
                sortable=False,
                on_phone=False,
                alarming=ALARMING,
                lead='refund_amount',
                wrap=True,
            ),
            Column(  # in its order's currency, copied onto the return ('€22.80 · Refunded by hand')
                'refund_amount',
                N_('Amount refunded'),
                kind='money',
                sortable=False,
                on_phone=False,
                shown=False,
                currency='currency',
            ),
        ),
        fields=(),
        search=('number',),
        search_related=(('customer_id', 'customers'),),  # by the customer's name or email
        filters=(
            Filter('status', N_('Status'), 'choice', choices=RETURN_STATUSES),
            Filter('created_at', N_('Created'), 'date_range'),
            Filter('customer_id', N_('Customer'), 'related', related='customers'),
            Filter('refund_state', N_('Refund'), 'choice', choices=REFUND_STATES),
        ),
        default_sort='created_at',
        # what went back on the shelf once it is received, as the desktop's 'Restocked' column says it
        card=Card(
            title='number',
            status='status',
            secondary=('order_id', 'customer_id', 'created_at'),
            once_set=('restocked',),
        ),
        default_descending=True,
    )
)

PURCHASES = register(
    Resource(
        key=Topic.purchases,
        link='/purchases?open={id}',
        label=N_('Purchases'),
        singular=N_('purchase'),
        wording=Wording(
            count=lambda n: ngettext('{n} purchase', '{n} purchases', n),
            arrived=lambda n: ngettext('{n} new purchase', '{n} new purchases', n),
            none_yet=N_('There are no purchases yet.'),
        ),
        model=Purchase,
        create=None,
        update=None,
        permission='catalog',
        title='reference',
        icon='add_shopping_cart',
        soft_delete=False,
        description=N_('Purchase orders to suppliers: ordered, then received into stock (a receipt movement per line)'),
        columns=(
            Column('reference', N_('Reference')),
            Column('supplier', N_('Supplier')),
            Column('status', N_('Status'), kind='choice', choices=PURCHASE_STATUSES),
            Column('line_count', N_('Lines'), kind='number', sortable=False),
            Column('total', N_('Total'), kind='money', sortable=False, on_phone=False),
            Column('ordered_at', N_('Ordered'), kind='datetime', on_phone=False),
            Column('received_at', N_('Received'), kind='datetime'),
        ),
        fields=(),
        search=('reference', 'supplier'),
        filters=(
            Filter('status', N_('Status'), 'choice', choices=PURCHASE_STATUSES),
            Filter('received_at', N_('Received'), 'date_range'),
        ),
        default_sort='ordered_at',
        card=Card(title='reference', status='status', secondary=('supplier', 'total', 'received_at')),
        default_descending=True,
    )
)
