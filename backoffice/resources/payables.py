"""Suppliers (a list and form like any other) and supplier bills (a list; a bill changes only through
services/bills.py: entered, approved, paid, cancelled), declared once."""

from __future__ import annotations

from backoffice.engine.declaration import Card, Column, Filter, FormField, RelatedList, Resource, Wording, register
from backoffice.events import Topic
from backoffice.i18n import N_, ngettext
from backoffice.models import Supplier, SupplierBill, SupplierCreate, SupplierUpdate
from backoffice.services.bills import STATUS_WORDS

BILL_STATUSES = dict(STATUS_WORDS)

SUPPLIERS = register(
    Resource(
        key=Topic.suppliers,
        link='/suppliers?open={id}',
        label=N_('Suppliers'),
        singular=N_('supplier'),
        wording=Wording(
            count=lambda n: ngettext('{n} supplier', '{n} suppliers', n),
            arrived=lambda n: ngettext('{n} new supplier', '{n} new suppliers', n),
            none_yet=N_('There are no suppliers yet.'),
            new=N_('New supplier'),
            create=N_('Create supplier'),
            created=N_('Supplier created'),
            trashed=N_('Supplier moved to the trash'),
            restored=N_('Supplier restored'),
        ),
        model=Supplier,
        create=SupplierCreate,
        update=SupplierUpdate,
        permission='payables',
        read='payables.read',
        write='payables.manage',
        title='name',
        icon='store',
        description=N_('Who the shop buys from: VAT number, bank details, payment terms and contact'),
        columns=(
            Column('name', N_('Name')),
            Column('vat_number', N_('VAT number'), on_phone=False),
            Column('iban', N_('IBAN'), on_phone=False, sortable=False),
            Column('payment_terms_days', N_('Terms (days)'), kind='number'),
            Column('contact_name', N_('Contact'), on_phone=False),
            Column('contact_email', N_('Contact email'), kind='email', on_phone=False, shown=False),
            Column('created_at', N_('Added'), kind='datetime', on_phone=False, shown=False),
        ),
        fields=(
            FormField('name', N_('Name'), required=True),
            FormField('vat_number', N_('VAT number'), help=N_('With its EU country code, e.g. FR40303265045')),
            FormField('iban', N_('IBAN'), help=N_('Where the shop pays this supplier')),
            FormField('bic', N_('BIC'), help=N_("The bank's code (SWIFT), 8 or 11 characters")),
            FormField(
                'payment_terms_days',
                N_('Payment terms (days)'),
                kind='number',
                help=N_('A bill is due this many days after its date, unless the bill says otherwise'),
            ),
            FormField('contact_name', N_('Contact name')),
            FormField('contact_email', N_('Contact email'), kind='email'),
            FormField('contact_phone', N_('Contact phone')),
            FormField('notes', N_('Notes'), kind='long_text'),
        ),
        search=('name', 'vat_number'),
        default_sort='name',
        related_lists=(RelatedList(N_('Bills'), 'supplier-bills', 'supplier_id'),),
        card=Card(title='name', secondary=('payment_terms_days', 'contact_name')),
    )
)

SUPPLIER_BILLS = register(
    Resource(
        key=Topic.supplier_bills,
        link='/finance/bills/{id}',
        label=N_('Supplier bills'),
        singular=N_('supplier bill'),
        wording=Wording(
            count=lambda n: ngettext('{n} bill', '{n} bills', n),
            arrived=lambda n: ngettext('{n} new bill', '{n} new bills', n),
            none_yet=N_('There are no supplier bills yet.'),
        ),
        model=SupplierBill,
        create=None,
        update=None,
        permission='payables',
        read='payables.read',
        write='payables.manage',
        title='number',
        icon='receipt',
        soft_delete=False,
        description=N_('Bills from suppliers: entered, approved by a second person, paid in parts or in full'),
        summed='total',  # the caption: '12 bills · €1,234.50', per currency
        columns=(
            Column('number', N_('Bill')),
            Column('supplier_id', N_('Supplier'), kind='related', related='suppliers', sortable=False),
            Column('status', N_('Status'), kind='choice', choices=BILL_STATUSES),
            Column('issued_on', N_('Date'), kind='date', on_phone=False),
            Column('due_on', N_('Due'), kind='date'),
            Column('total', N_('Total'), kind='money', sortable=False, currency='currency'),
            Column('paid', N_('Paid'), kind='money', sortable=False, on_phone=False, currency='currency'),
        ),
        fields=(),
        search=('number',),
        filters=(
            Filter('status', N_('Status'), 'choice', choices=BILL_STATUSES),
            Filter('supplier_id', N_('Supplier'), 'related', related='suppliers'),
            Filter('due_on', N_('Due'), 'date_range'),
        ),
        default_sort='due_on',
        card=Card(title='number', status='status', secondary=('supplier_id', 'due_on', 'total')),
    )
)
