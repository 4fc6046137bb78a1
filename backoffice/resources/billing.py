"""Invoices and credit notes, payments and refunds declared once: the read-only lists of /invoices, /payments and
/refunds. Money records are written by the services (an order's payment, refund, invoice), never in a form here.

Payments and refunds are two lists, as /accounting keeps them (its payments by method, its refunds with their kind):
each is one table with its own date (paid, refunded), and a refund's amount stays as booked — positive, a negative
one being the reversal of a refund that failed at the bank — with its kind and its state at the gateway beside it.
Invoices and credit notes are one list, as an order's and a customer's documents are: a credit note's amounts read
negative (services/invoices.signed_total), so what a filter holds adds up to what was invoiced net of credits."""

from __future__ import annotations

from backoffice.engine.declaration import Card, Column, Filter, FormField, Resource, Wording, register
from backoffice.events import Topic
from backoffice.i18n import N_, NP_, Verbatim, ngettext
from backoffice.models import Invoice, Payment, Refund
from backoffice.models.billing_reads import PAYMENT_STATUSES, of_customer
from backoffice.payment_providers.manual import ManualProvider
from backoffice.payment_providers.stripe import StripeProvider
from backoffice.resources.catalog import CURRENCIES
from backoffice.services.billing_search import by_customer
from backoffice.services.return_refunds import ALARMING, REFUND_STATES

DOCUMENT_KINDS = {'invoice': N_('Invoice'), 'credit_note': N_('Credit note')}
INVOICE_STATUSES = dict(zip(PAYMENT_STATUSES, (NP_('invoice', 'Paid'), N_('Open'), N_('Overdue')), strict=True))
# how the money came: every provider's methods by their key (a bank transfer, cash, a card at Stripe)
# (a refund sent to a gateway without a payment of the order named: the gateway) — a brand, the same in every language
METHODS = {**ManualProvider.methods, **StripeProvider.methods, StripeProvider.key: Verbatim('Stripe')}
PROVIDERS = {ManualProvider.key: ManualProvider.label, StripeProvider.key: Verbatim('Stripe')}
REFUND_KINDS = {'refund': N_('Refund'), 'reversal': N_('Reversal: failed at the bank')}  # as /accounting says them


INVOICES = register(
    Resource(
        key=Topic.invoices,
        # a document opens its order, whose page offers its PDF (and its e-invoice)
        link='/orders/{order_id}',
        label=N_('Invoices'),
        singular=N_('invoice'),
        plural=N_('invoices and credit notes'),
        wording=Wording(
            count=lambda n: ngettext('{n} invoice or credit note', '{n} invoices and credit notes', n),
            arrived=lambda n: ngettext('{n} new invoice or credit note', '{n} new invoices and credit notes', n),
            none_yet=N_('There are no invoices yet.'),
        ),
        model=Invoice,
        create=None,
        update=None,
        permission='invoices',
        title='number',
        icon='description',
        soft_delete=False,
        description=N_('Every invoice and credit note issued, with what it adds up to and whether it is paid'),
        columns=(
            Column('number', N_('No.')),
            Column('kind', N_('Kind'), kind='choice', choices=DOCUMENT_KINDS, sortable=False),
            Column('issued_at', N_('Issued'), kind='datetime'),
            Column('customer_id', N_('Customer'), kind='related', related='customers', sortable=False),
            Column('order_id', N_('Order'), kind='related', related='orders', sortable=False, on_phone=False),
            Column('signed_net', N_('Net'), kind='money', currency='currency', sortable=False, on_phone=False),
            Column('signed_tax', N_('VAT'), kind='money', currency='currency', sortable=False, on_phone=False),
            Column('signed_total', N_('Gross'), kind='money', currency='currency', sortable=False),
            Column('currency', N_('Cur.'), sortable=False, on_phone=False),
            Column('due_on', N_('Due'), kind='date', on_phone=False),
            Column(
                'payment_status',
                N_('Status'),
                kind='choice',
                choices=INVOICE_STATUSES,
                sortable=False,
                alarming=('overdue',),
            ),
        ),
        # what the API answers besides the columns: the amounts as issued (positive, with their kind)
        fields=(
            FormField('subtotal', N_('Subtotal'), kind='money', on_edit=False),
            FormField('tax_total', N_('VAT'), kind='money', on_edit=False),
            FormField('total', N_('Total'), kind='money', on_edit=False),
            FormField('order_number', N_('Order'), on_edit=False),
        ),
        undeferred=('customer_id', 'signed_net', 'signed_tax', 'signed_total', 'payment_status'),
        # the document's number (LIKE: 'INV-2026-0004' finds its ten); its order's number and its customer's name or
        # email (accents folded) by their own indexes; part of an order's number or the email it was placed with
        # through the orders' index, for readers of orders
        search=('number',),
        search_ids=by_customer(Invoice),
        search_related=(('order_id', 'orders'),),
        summed='signed_total',  # '12 invoices and credit notes · €1,234.50': invoices less credit notes, per currency
        filters=(
            Filter('kind', N_('Kind'), 'choice', choices=DOCUMENT_KINDS),
            Filter('issued_at', N_('Issued'), 'date_range'),
            # '/invoices?customer_id=12' (a customer's page's "See all"), as /orders?customer_id=12
            Filter(
                'customer_id', N_('Customer'), 'related', related='customers', related_condition=of_customer(Invoice)
            ),
            Filter('currency', N_('Currency'), 'choice', choices=CURRENCIES),
            Filter('payment_status', N_('Status'), 'choice', choices=INVOICE_STATUSES),
        ),
        default_sort='issued_at',
        default_descending=True,
        card=Card(title='number', status='payment_status', secondary=('customer_id', 'signed_total', 'issued_at')),
    )
)

PAYMENTS = register(
    Resource(
        key=Topic.payments,
        link='/orders/{order_id}',
        label=N_('Payments'),
        singular=N_('payment'),
        wording=Wording(
            count=lambda n: ngettext('{n} payment', '{n} payments', n),
            arrived=lambda n: ngettext('{n} new payment', '{n} new payments', n),
            none_yet=N_('There are no payments yet.'),
        ),
        model=Payment,
        create=None,
        update=None,
        permission='orders',  # 'See orders, payments and shipments': an order's page shows its payments to them
        title='reference',
        icon='point_of_sale',
        soft_delete=False,
        description=N_('Every payment received for an order: when, how and how much'),
        columns=(
            Column('paid_at', N_('When'), kind='datetime'),
            Column('order_id', N_('Order'), kind='related', related='orders', sortable=False),
            Column('customer_id', N_('Customer'), kind='related', related='customers', sortable=False),
            Column('method', N_('Method'), kind='choice', choices=METHODS, sortable=False),
            # the method names it (Bank transfer, Card (Stripe)): offered under Columns
            Column(
                'provider',
                N_('Provider'),
                kind='choice',
                choices=PROVIDERS,
                sortable=False,
                on_phone=False,
                shown=False,
            ),
            Column('reference', N_('Reference'), sortable=False, on_phone=False),
            Column('amount', N_('Amount'), kind='money', currency='currency', sortable=False),
            Column('currency', N_('Cur.'), sortable=False, on_phone=False),
            Column(
                'created_by', N_('By'), kind='related', related='users', shows='name', sortable=False, on_phone=False
            ),
        ),
        fields=(),
        undeferred=('customer_id', 'currency'),
        search=('reference',),
        search_ids=by_customer(Payment),
        search_related=(('order_id', 'orders'),),  # the order's number, or the email it was placed with
        summed='amount',
        filters=(
            Filter('paid_at', N_('When'), 'date_range'),
            # '/payments?customer_id=12' (a customer's page's "See all"), as /orders?customer_id=12
            Filter(
                'customer_id', N_('Customer'), 'related', related='customers', related_condition=of_customer(Payment)
            ),
            Filter('method', N_('Method'), 'choice', choices=METHODS),
            Filter('provider', N_('Provider'), 'choice', choices=PROVIDERS),
            Filter('currency', N_('Currency'), 'choice', choices=CURRENCIES),
        ),
        default_sort='paid_at',
        default_descending=True,
        card=Card(title='order_id', status='method', secondary=('customer_id', 'amount', 'paid_at')),
    )
)

REFUNDS = register(
    Resource(
        key=Topic.refunds,
        link='/orders/{order_id}',
        label=N_('Refunds'),
        singular=N_('refund'),
        wording=Wording(
            count=lambda n: ngettext('{n} refund', '{n} refunds', n),
            arrived=lambda n: ngettext('{n} new refund', '{n} new refunds', n),
            none_yet=N_('There are no refunds yet.'),
        ),
        model=Refund,
        create=None,
        update=None,
        permission='orders',
        title='reference',
        icon='currency_exchange',
        soft_delete=False,
        description=N_('Every refund booked on an order, how it went back and whether the money arrived'),
        columns=(
            Column('refunded_at', N_('When'), kind='datetime'),
            Column('order_id', N_('Order'), kind='related', related='orders', sortable=False),
            Column('customer_id', N_('Customer'), kind='related', related='customers', sortable=False),
            Column('method', N_('Method'), kind='choice', choices=METHODS, sortable=False, on_phone=False),
            Column('amount', N_('Amount'), kind='money', currency='currency', sortable=False),
            Column('currency', N_('Cur.'), sortable=False, on_phone=False),
            Column('kind', N_('Kind'), kind='choice', choices=REFUND_KINDS, sortable=False, on_phone=False),
            Column(
                'gateway_state',
                N_('Money back'),
                kind='choice',
                choices=REFUND_STATES,
                sortable=False,
                alarming=ALARMING,
            ),
            Column('reason', N_('Reason'), kind='stored_text', sortable=False, on_phone=False),
            # the provider's refund reference: offered under Columns (an eleventh column cut the currency short at 1440)
            Column('reference', N_('Reference'), sortable=False, on_phone=False, shown=False),
        ),
        fields=(),
        undeferred=('customer_id', 'currency', 'method', 'kind', 'gateway_state'),
        search=('reference',),
        search_ids=by_customer(Refund),
        search_related=(('order_id', 'orders'),),
        summed='amount',
        filters=(
            Filter('refunded_at', N_('When'), 'date_range'),
            # '/refunds?customer_id=12' (a customer's page's "See all"), as /orders?customer_id=12
            Filter(
                'customer_id', N_('Customer'), 'related', related='customers', related_condition=of_customer(Refund)
            ),
            Filter('kind', N_('Kind'), 'choice', choices=REFUND_KINDS),
            Filter('gateway_state', N_('Money back'), 'choice', choices=REFUND_STATES),
            Filter('currency', N_('Currency'), 'choice', choices=CURRENCIES),
        ),
        default_sort='refunded_at',
        default_descending=True,
        card=Card(title='order_id', status='gateway_state', secondary=('customer_id', 'amount', 'refunded_at')),
    )
)
