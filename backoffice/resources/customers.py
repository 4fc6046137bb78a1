"""Customers (the product's end users) and companies (B2B accounts), declared once."""

from __future__ import annotations

from backoffice.engine.declaration import Action, Column, Filter, FormField, RelatedList, Resource, register
from backoffice.events import Topic
from backoffice.models import (
    Company,
    CompanyCreate,
    CompanyUpdate,
    Customer,
    CustomerCreate,
    CustomerStatus,
    CustomerUpdate,
)
from backoffice.services.customers import ban_customer, status_change_allowed, unban_customer

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
        ),
        search=('email', 'name'),
        filters=(
            Filter('status', 'Status', 'choice', choices=STATUSES),
            Filter('marketing_consent', 'Marketing consent', 'bool'),
            Filter('signed_up_at', 'Signed up', 'date_range'),
            Filter('company_id', 'Company', 'related', related='companies'),
        ),
        default_sort='signed_up_at',
        default_descending=True,
        unique=('email',),
        check_change=status_change_allowed,
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
