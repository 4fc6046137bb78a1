"""Customers (the product's end users) and companies (B2B accounts), declared once."""

from __future__ import annotations

from backoffice import i18n
from backoffice.engine.declaration import (
    Action,
    Card,
    Column,
    Filter,
    FormField,
    RecordSection,
    RelatedList,
    Resource,
    register,
)
from backoffice.events import Topic
from backoffice.i18n import N_
from backoffice.models import (
    Company,
    CompanyCreate,
    CompanyUpdate,
    Customer,
    CustomerCreate,
    CustomerStatus,
    CustomerUpdate,
)
from backoffice.resources.purchasing import RETURN_STATUSES
from backoffice.resources.sales import ORDER_STATUSES
from backoffice.resources.support import STATUSES as REQUEST_STATUSES
from backoffice.services import customer_picture as picture
from backoffice.services.customers import ban_customer, erase_personal_data, status_change_allowed, unban_customer

STATUSES = {'active': 'Active', 'unfinished': 'Unfinished sign-up', 'banned': 'Banned'}
EDITABLE_STATUSES = {'active': 'Active', 'unfinished': 'Unfinished sign-up'}


COMPANIES = register(
    Resource(
        key=Topic.companies,
        link='/companies?open={id}',
        label='Companies',
        singular='company',
        model=Company,
        create=CompanyCreate,
        update=CompanyUpdate,
        permission='customers',
        title='name',
        icon='business',
        description='B2B accounts, their contacts and notes',
        columns=(
            Column('name', 'Name'),
            Column('website', 'Website', on_phone=False),
            Column('vat_number', 'VAT number', on_phone=False),
            Column('created_at', 'Added', kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('name', 'Name', required=True),
            FormField('website', 'Website', help='https://…'),
            FormField('vat_number', 'VAT number'),
            FormField('notes', 'Notes', kind='markdown'),
        ),
        search=('name', 'vat_number'),
        default_sort='name',
        related_lists=(RelatedList('Contacts', 'customers', 'company_id'),),
        page='/companies/{id}',
        sections=(
            RecordSection('contacts', 'Contacts', 'customers.read', picture.company_contacts, statuses=STATUSES),
            RecordSection('orders', "Contacts' orders", 'orders.read', picture.company_orders, statuses=ORDER_STATUSES),
            RecordSection(
                'requests', "Contacts' requests", 'tickets.read', picture.company_requests, statuses=REQUEST_STATUSES
            ),
        ),
    )
)

CUSTOMERS = register(
    Resource(
        key=Topic.customers,
        link='/customers?open={id}',
        label='Customers',
        singular='customer',
        model=Customer,
        create=CustomerCreate,
        update=CustomerUpdate,
        permission='customers',
        title='email',
        icon='people',
        description='The people who use the product: status, consent, company',
        columns=(
            Column('email', 'Email', kind='email'),
            Column('name', 'Name', on_phone=False),
            Column('status', 'Status', kind='choice', choices=STATUSES),
            Column('company_id', 'Company', kind='related', related='companies', sortable=False, on_phone=False),
            Column('marketing_consent', 'Consent', kind='bool', on_phone=False),
            Column('signed_up_at', 'Signed up', kind='datetime', on_phone=False),
            Column('last_seen_at', 'Last seen', kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('email', 'Email', kind='email', required=True),
            FormField('name', 'Name'),
            FormField('phone', 'Phone'),
            FormField(
                'status',
                'Status',
                kind='choice',
                choices=EDITABLE_STATUSES,
                help='Banning is an action of its own, with a reason',
            ),
            FormField('company_id', 'Company', kind='related', related='companies'),
            FormField('marketing_consent', 'Agrees to marketing email', kind='bool'),
            FormField(
                'language',
                N_('Language'),
                kind='choice',
                choices=i18n.available(),
                help=N_('Of their emails and invoices; empty: the default language from the settings'),
            ),
        ),
        search=('email', 'name'),
        filters=(
            Filter('status', 'Status', 'choice', choices=STATUSES),
            Filter('marketing_consent', 'Marketing consent', 'bool'),
            Filter('signed_up_at', 'Signed up', 'date_range'),
            Filter('company_id', 'Company', 'related', related='companies'),
        ),
        default_sort='signed_up_at',
        card=Card(title='email', status='status', secondary=('name', 'company_id', 'last_seen_at')),
        default_descending=True,
        unique=('email',),
        check_change=status_change_allowed,
        erase_when_kept=erase_personal_data,
        page='/customers/{id}',
        sections=(
            RecordSection('orders', 'Orders', 'orders.read', picture.customer_orders, statuses=ORDER_STATUSES),
            RecordSection('requests', 'Requests', 'tickets.read', picture.customer_requests, statuses=REQUEST_STATUSES),
            RecordSection('returns', 'Returns', 'orders.read', picture.customer_returns, statuses=RETURN_STATUSES),
            RecordSection('documents', 'Invoices and credit notes', 'invoices.read', picture.customer_documents),
            RecordSection('activity', 'Recent activity', 'customers.read', picture.customer_usage),
            RecordSection('segments', 'Segments', 'segments.read', picture.customer_segments, empty='In no segment.'),
        ),
        actions=(
            Action(
                'ban',
                'Ban',
                ban_customer,
                'customers.write',
                icon='block',
                inputs=(FormField('reason', 'Reason', kind='long_text', required=True),),
                visible=lambda c: c.status != CustomerStatus.banned,
            ),
            Action(
                'unban',
                'Unban',
                unban_customer,
                'customers.write',
                icon='lock_open',
                visible=lambda c: c.status == CustomerStatus.banned,
                confirm='Lift the ban on this customer?',
            ),
        ),
    )
)
