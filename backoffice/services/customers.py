"""Customers' own rules: found or created by email when a request or an order comes in; found by phone however it
is typed; banning (with a reason) and unbanning are named, audited actions."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from backoffice.changes import get_for_update, save_change, stamp
from backoffice.db import one_at_a_time
from backoffice.engine import declaration
from backoffice.errors import ValidationFailed, field_errors
from backoffice.i18n import N_, _
from backoffice.listing import search
from backoffice.models import Customer, CustomerCreate, CustomerStatus, User
from backoffice.permissions import require
from backoffice.services import audit
from backoffice.services.erased import is_erased
from backoffice.stored_text import sentence
from backoffice.validation import too_long


def find_or_create(session: Session, *, email: str, name: str | None, came_with: str) -> tuple[Customer, bool]:
    """The customer with this email (in any case; one in the trash too; a merged one's kept customer), else a new one
    made by the customers' rules; an unnamed customer takes the name given. Inside the caller's transaction; returns
    (customer, created)."""
    customer = _by_email(session, email)
    if customer is None:  # two first requests or orders from one new email at once take turns: one customer is made
        one_email_at_a_time(session, email)
        customer = _by_email(session, email)
    if customer is not None:
        customer = kept_for(session, customer)  # a duplicate's email, merged: the customer it was merged into
        if name and not customer.name:
            before = audit.snapshot(customer)
            customer.name = name
            stamp(customer)
            session.add(customer)
            audit.record(
                session,
                None,
                'customer.updated',
                'customers',
                customer.id,
                version=customer.version,
                changes=audit.diff(before, audit.snapshot(customer)),
                summary=sentence(N_('Name from {source}: {name}'), source=came_with, name=name),
            )
        return customer, False
    try:
        values = CustomerCreate.model_validate({'email': email, 'name': name or ''}).model_dump()
    except ValidationError as error:
        raise ValidationFailed(field_errors(error)) from None
    customer = Customer(**values)
    session.add(customer)
    session.flush()
    audit.record(
        session,
        None,
        'customer.created',
        'customers',
        customer.id,
        version=customer.version,
        changes=audit.diff({}, audit.snapshot(customer)),
        summary=sentence(N_('Added {email} with {source}'), email=email, source=came_with),
    )
    return customer, True


def one_email_at_a_time(session: Session, email: str) -> None:
    """Until this transaction ends, no other one looks for (and then makes) a customer of this email, in any case: the
    second waits and finds the first's instead of failing on the unique email (or making a second of another case)."""
    one_at_a_time(session, f'customer_email:{email.strip().lower()}')


def _by_email(session: Session, email: str) -> Customer | None:
    return session.exec(select(Customer).where(func.lower(Customer.email) == email.lower())).first()


def kept_for(session: Session, customer: Customer) -> Customer:
    """The customer a merged duplicate was merged into (following a chain of merges), else the customer itself."""
    seen = set()
    while customer.merged_into_id and customer.id not in seen:
        seen.add(customer.id)
        kept = session.get(Customer, customer.merged_into_id)
        if kept is None:
            break
        customer = kept
    return customer


CONTACT_HITS = 200


def companies_of_contacts(session: Session, term: str) -> list[int]:
    """The companies a list search finds by one of their contacts (the company resource's `search_ids`): a support
    agent with a member's email (or name) finds the company; read by the customers' search index as the customers
    list reads it (accents folded), then by the companies' ids. A contact in the trash finds nothing, nor a term the
    customers' index does not serve (shorter than three characters, or common: it would read every customer)."""
    wanted = (term or '').strip()
    found = search.rare_hits(session, declaration.resource('customers'), wanted) if len(wanted) >= 3 else None
    if found is None:  # short or common ('example.org'): it names no contact in particular
        return []
    statement = (
        select(Customer.company_id)
        .where(found, col(Customer.company_id).is_not(None), col(Customer.deleted_at).is_(None))
        .distinct()
        .limit(CONTACT_HITS)
    )
    return [company for company in session.exec(statement).all() if company is not None]


PHONE_TERM = re.compile(r'^\+?[0-9 ()./-]+$')  # what a phone number may be typed with (validation._PHONE)
PHONE_DIGITS = 4  # fewer digits than this finds too many phones to mean one
PHONE_HITS = 200


def found_by_phone(session: Session, term: str) -> list[int]:
    """The customers a list search finds by phone (the customer resource's `search_ids`): the term's digits within
    theirs, however either is spaced or punctuated ('06 12 34 56 78', '+33612345678', '0033 6…'); a leading 0 or 00
    (a national or international prefix) is left out, so that the number matches as stored with its country code.
    Only a term that could be a phone number is looked up (digits, spaces, ()./- and a leading +)."""
    wanted = (term or '').strip()
    if not PHONE_TERM.match(wanted):
        return []
    digits = ''.join(c for c in wanted if c.isdigit())
    if not wanted.startswith('+'):
        digits = digits.lstrip('0')
    if len(digits) < PHONE_DIGITS:
        return []
    stored = col(Customer.phone)
    for mark in (' ', '+', '(', ')', '.', '/', '-'):
        stored = func.replace(stored, mark, '')
    statement = select(Customer.id).where(col(Customer.phone).is_not(None), stored.contains(digits, autoescape=True))
    return [found for found in session.exec(statement.limit(PHONE_HITS)).all() if found is not None]


BAN_REASON_MAX = 500  # characters of a ban's reason (Customer.ban_reason)


def ban_customer(*, session: Session, actor: User, record_id: int, version: int, reason: str) -> Customer:
    """A banned customer cannot sign in to the product; their requests over the API are refused."""
    require(actor, 'customers.write')
    reason = (reason or '').strip()
    if not reason:
        raise ValidationFailed({'reason': _('Say why: the reason is kept with the ban')})
    if len(reason) > BAN_REASON_MAX:  # Customer.ban_reason: refused at its field (and over the API), never cut unseen
        raise ValidationFailed({'reason': too_long(BAN_REASON_MAX, len(reason))})
    customer = get_for_update(session, Customer, record_id, version, entity='customers', label=N_('customer'))
    if customer.status == CustomerStatus.banned:
        raise ValidationFailed({'': _('This customer is already banned')})
    return save_change(
        session,
        actor,
        declaration.resource('customers'),
        customer,
        {'status': CustomerStatus.banned, 'ban_reason': reason},
        'banned',
    )


def unban_customer(*, session: Session, actor: User, record_id: int, version: int) -> Customer:
    require(actor, 'customers.write')
    customer = get_for_update(session, Customer, record_id, version, entity='customers', label=N_('customer'))
    if customer.status != CustomerStatus.banned:
        raise ValidationFailed({'': _('This customer is not banned')})
    return save_change(
        session,
        actor,
        declaration.resource('customers'),
        customer,
        {'status': CustomerStatus.active, 'ban_reason': None},
        'unbanned',
    )


def status_change_allowed(customer: Customer, values: dict[str, Any]) -> dict[str, str]:
    """Editing cannot lift a ban silently: that is the Unban action, which is audited as such. Nor can it give consent
    back to an erased customer: nobody is left to have agreed (the erasure withdrew it)."""
    if 'status' in values and customer.status == CustomerStatus.banned and values['status'] != CustomerStatus.banned:
        return {'status': _('This customer is banned: use Unban')}
    if values.get('marketing_consent') and not customer.marketing_consent and is_erased(customer):
        return {'marketing_consent': _("This customer's personal data is erased: nobody is left to agree")}
    return {}
