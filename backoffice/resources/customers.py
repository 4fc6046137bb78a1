"""Customers (the product's end users) and companies (B2B accounts), declared once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, not_

from backoffice import i18n
from backoffice.engine.declaration import (
    Action,
    Card,
    Column,
    Filter,
    FormField,
    Outcome,
    PersonalData,
    RecordSection,
    RelatedList,
    Resource,
    Wording,
    register,
)
from backoffice.events import Topic
from backoffice.i18n import N_, NP_, _, ngettext
from backoffice.kpi import sources as kpi_sources
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
from backoffice.resources.sales import SHOWN_ORDER_STATUSES
from backoffice.resources.support import STATUSES as REQUEST_STATUSES
from backoffice.services import company_members, legal_acceptances, personal_data
from backoffice.services import customer_picture as picture
from backoffice.services.customers import (
    BAN_REASON_MAX,
    ban_customer,
    companies_of_contacts,
    found_by_phone,
    status_change_allowed,
    unban_customer,
)
from backoffice.services.personal_data_export import export_personal_data


def _why_banned(customer: Customer) -> str:
    """Under a banned customer's status on their page: the reason the ban was given with (kept with it)."""
    if customer.status != CustomerStatus.banned or not customer.ban_reason:
        return ''
    return _('Reason: {reason}').format(reason=customer.ban_reason)


def _ban_foreseen(*, session: Any, actor: Any, record_id: int) -> str:
    return company_members.before_ban(session=session, actor=actor, customer_id=record_id)


def _ban(*, session: Any, actor: Any, record_id: int, version: int, reason: str) -> Outcome:
    """Ban, saying what it did to the customer's company when they were its last admin (who took over)."""
    said = company_members.after_ban(session=session, actor=actor, customer_id=record_id)
    banned = ban_customer(session=session, actor=actor, record_id=record_id, version=version, reason=reason)
    return Outcome(banned, message=' '.join((_('Customer banned.'), said)) if said else '')


def _change_allowed(customer: Customer, values: dict[str, Any]) -> dict[str, str]:
    """An edit's rules: a ban lifted only by Unban, no consent for an erased customer, and a company's last admin not
    moved out of it (company_members.contact_change_allowed)."""
    return status_change_allowed(customer, values) or company_members.contact_change_allowed(customer, values)


STATUSES = {
    'active': N_('Active'),
    'unfinished': N_('Unfinished sign-up'),
    'banned': N_('Banned'),
    'merged': NP_('customer status', 'Merged'),
}
EDITABLE_STATUSES = {'active': N_('Active'), 'unfinished': N_('Unfinished sign-up')}
# a business customer on terms is invoiced before paying, due this many days later (backoffice/services/invoices.py)
PAYMENT_TERMS: dict = {15: N_('Net 15 days'), 30: N_('Net 30 days'), 60: N_('Net 60 days')}
TERMS_HELP = N_('Invoiced before paying, due this many days later; empty: they pay before being invoiced')


COMPANIES = register(
    Resource(
        key=Topic.companies,
        link='/companies?open={id}',
        label=N_('Companies'),
        singular=N_('company'),
        wording=Wording(
            count=lambda n: ngettext('{n} company', '{n} companies', n),
            arrived=lambda n: ngettext('{n} new company', '{n} new companies', n),
            none_yet=N_('There are no companies yet.'),
            new=N_('New company'),
            create=N_('Create company'),
            created=N_('Company created'),
            trashed=N_('Company moved to the trash'),
            restored=N_('Company restored'),
        ),
        model=Company,
        create=CompanyCreate,
        update=CompanyUpdate,
        permission='customers',
        title='name',
        icon='business',
        description=N_('B2B accounts, their contacts and notes'),
        columns=(
            Column('name', N_('Name')),
            Column('website', N_('Website'), on_phone=False),
            Column('vat_number', N_('VAT number'), on_phone=False),
            Column('created_at', N_('Added'), kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('name', N_('Name'), required=True),
            FormField('website', N_('Website'), help=N_('https://…')),
            FormField('vat_number', N_('VAT number')),
            FormField('payment_terms_days', N_('Payment terms'), kind='choice', choices=PAYMENT_TERMS, help=TERMS_HELP),
            FormField('notes', N_('Notes'), kind='markdown'),
        ),
        search=('name', 'vat_number'),
        # the companies whose page points out a replaced admin who kept the role (a legacy second admin), to review
        filters=(
            Filter(
                'replaced_admin_kept',
                N_('Replaced admin still admin'),
                'bool',
                column='id',
                meanings={
                    'yes': company_members.replaced_admin_kept,
                    'no': lambda: not_(company_members.replaced_admin_kept()),
                },
            ),
        ),
        search_ids=companies_of_contacts,  # a contact's email or name finds their company (read by their index)
        default_sort='name',
        related_lists=(RelatedList(N_('Contacts'), 'customers', 'company_id'),),
        page='/companies/{id}',
        sections=(
            RecordSection('contacts', N_('Contacts'), 'customers.read', picture.company_contacts, statuses=STATUSES),
            RecordSection(
                'orders', N_("Contacts' orders"), 'orders.read', picture.company_orders, statuses=SHOWN_ORDER_STATUSES
            ),
            RecordSection(
                'requests',
                N_("Contacts' requests"),
                'tickets.read',
                picture.company_requests,
                statuses=REQUEST_STATUSES,
            ),
        ),
    )
)


def _first_order_between(start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    return col(Customer.id).in_(kpi_sources.first_buyers(start, end))


CUSTOMERS = register(
    Resource(
        key=Topic.customers,
        link='/customers?open={id}',
        label=N_('Customers'),
        singular=N_('customer'),
        wording=Wording(
            count=lambda n: ngettext('{n} customer', '{n} customers', n),
            arrived=lambda n: ngettext('{n} new customer', '{n} new customers', n),
            none_yet=N_('There are no customers yet.'),
            new=N_('New customer'),
            create=N_('Create customer'),
            created=N_('Customer created'),
            trashed=N_('Customer moved to the trash'),
            restored=N_('Customer restored'),
        ),
        model=Customer,
        create=CustomerCreate,
        update=CustomerUpdate,
        permission='customers',
        title='email',
        icon='people',
        description=N_('The people who use the product: status, consent, company'),
        columns=(
            Column('email', N_('Email'), kind='email'),
            Column('name', N_('Name'), on_phone=False),
            # on the customer's page beside the name (a number found by phone is seen there); a list column on demand
            Column('phone', N_('Phone'), sortable=False, on_phone=False, shown=False),
            Column('status', N_('Status'), kind='choice', choices=STATUSES, detail=_why_banned),
            Column('company_id', N_('Company'), kind='related', related='companies', sortable=False, on_phone=False),
            Column('marketing_consent', N_('Consent'), kind='bool', on_phone=False),
            Column('signed_up_at', N_('Signed up'), kind='datetime', on_phone=False),
            Column('last_seen_at', N_('Last seen'), kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('email', N_('Email'), kind='email', required=True),
            FormField('name', N_('Name')),
            FormField('phone', N_('Phone')),
            FormField(
                'status',
                N_('Status'),
                kind='choice',
                choices=EDITABLE_STATUSES,
                held={'banned': STATUSES['banned']},  # Ban and Unban, each with its audit entry
                help=N_('Banning is an action of its own, with a reason'),
            ),
            FormField('company_id', N_('Company'), kind='related', related='companies'),
            FormField('marketing_consent', N_('Agrees to marketing email'), kind='bool'),
            FormField(
                'language',
                N_('Language'),
                kind='choice',
                choices={code: i18n.Verbatim(name) for code, name in i18n.available().items()},  # each in its own name
                help=N_('Of their emails and invoices; empty: the default language from the settings'),
            ),
            FormField(
                'payment_terms_days',
                N_('Payment terms'),
                kind='choice',
                choices=PAYMENT_TERMS,
                help=N_("Their own terms; empty: their company's, or they pay before being invoiced"),
            ),
        ),
        search=('email', 'name'),
        search_related=(('company_id', 'companies'),),  # 'Acme' finds Acme's contacts, read by the companies' index
        search_ids=found_by_phone,  # by phone, typed with spaces or without, with the country code or a leading 0
        filters=(
            Filter('status', N_('Status'), 'choice', choices=STATUSES),
            Filter('marketing_consent', N_('Marketing consent'), 'bool'),
            Filter('signed_up_at', N_('Signed up'), 'date_range'),
            Filter('company_id', N_('Company'), 'related', related='companies'),
            # the customers whose first order was placed in these days: the New customers card's "See these in the
            # list", counted as the card counts them
            Filter('first_order', N_('First order'), 'date_range', condition=_first_order_between),
        ),
        default_sort='signed_up_at',
        card=Card(title='email', status='status', secondary=('name', 'company_id', 'last_seen_at')),
        default_descending=True,
        unique=('email',),
        check_change=_change_allowed,
        after_change=company_members.after_contact_change,  # a company keeps an admin (ban, trash, a revert)
        trash_said=company_members.before_trash,  # ...and who takes over is said before the trash
        own_consent=('marketing_consent',),
        erase_when_kept=personal_data.erase_when_kept,
        personal_data=PersonalData(
            permission=personal_data.PERMISSION,
            export=export_personal_data,
            preview=personal_data.erasure_preview,
            erase=personal_data.erase_customer,
            kinds=personal_data.KINDS,
            erased=personal_data.is_erased,
        ),
        page='/customers/{id}',
        sections=(
            RecordSection(
                'orders', N_('Orders'), 'orders.read', picture.customer_orders, statuses=SHOWN_ORDER_STATUSES
            ),
            RecordSection(
                'requests', N_('Requests'), 'tickets.read', picture.customer_requests, statuses=REQUEST_STATUSES
            ),
            RecordSection('returns', N_('Returns'), 'orders.read', picture.customer_returns, statuses=RETURN_STATUSES),
            RecordSection('documents', N_('Invoices and credit notes'), 'invoices.read', picture.customer_documents),
            RecordSection('payments', N_('Payments'), 'orders.read', picture.customer_payments),
            RecordSection('activity', N_('Recent activity'), 'customers.read', picture.customer_usage),
            RecordSection(
                'legal',
                N_('Legal acceptances'),
                'customers.read',
                legal_acceptances.customer_acceptances,
                statuses=legal_acceptances.STANDING,
                empty=N_('No legal document accepted yet.'),
            ),
            RecordSection(
                'segments', N_('Segments'), 'segments.read', picture.customer_segments, empty=N_('In no segment.')
            ),
        ),
        actions=(
            Action(
                'ban',
                N_('Ban'),
                _ban,
                'customers.write',
                icon='block',
                inputs=(FormField('reason', N_('Reason'), kind='long_text', required=True, most=BAN_REASON_MAX),),
                visible=lambda c: c.status != CustomerStatus.banned,
                foresee=_ban_foreseen,  # a company's last admin: who takes over, said before
            ),
            Action(
                'unban',
                N_('Unban'),
                unban_customer,
                'customers.write',
                icon='lock_open',
                visible=lambda c: c.status == CustomerStatus.banned,
                confirm=N_('Lift the ban on this customer?'),
            ),
        ),
    )
)
