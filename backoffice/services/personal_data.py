"""Erasing a customer's personal data everywhere (GDPR): what would change, by kind, and the erasure itself — the same
rules for the erase action and the trash purge; issued invoices and credit notes stay as issued."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, delete, func, null, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from backoffice.changes import commit, get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import (
    AuditEntry,
    CompanyMember,
    Customer,
    CustomerAddress,
    Delivery,
    IdempotencyRecord,
    ImportBatch,
    Invoice,
    LegalAcceptance,
    Notification,
    Order,
    OrderEvent,
    PortalAccount,
    PortalLink,
    Refund,
    Return,
    ReturnLine,
    StaffMail,
    Ticket,
    TicketMessage,
    UsageEvent,
    User,
    WebhookDelivery,
)
from backoffice.permissions import require
from backoffice.services import audit, company_members, mail_traces
from backoffice.services.erased import erased_email, is_erased
from backoffice.stored_text import sentence

PERMISSION = 'customers.privacy'
ERASED = '[erased]'  # what stands where a person's words were (stored data: never translated)
MIN_NEEDLE = 3  # a shorter name would erase unrelated words elsewhere
# fields whose values in the audit entries of the person's own records are theirs (before and after)
PERSONAL_FIELDS = frozenset(
    {
        'email',
        'name',
        'phone',
        'ban_reason',
        'shipping_name',
        'shipping_address',
        'note',
        'subject',
        'body',
        'steps',
        'rating_comment',
        'reason',
        'bill_to',
        'label',  # a saved address's (customer_addresses: audited on the customer)
        'line1',
        'line2',
        'postcode',
        'city',
    }
)

# what an erasure changes, by kind, in the order the preview lists them (marked here, translated where shown)
KINDS: dict[str, str] = {
    'profile': N_('Customer profile: name, email, phone, company, consent'),
    'addresses': N_('Saved addresses: deleted'),
    'orders': N_('Orders: email, shipping name and address, note'),
    'documents': N_("Invoices and credit notes: kept as issued, with the buyer's name and address (required by law)"),
    'requests': N_('Requests: subject, steps and rating comment'),
    'messages': N_('Messages: their text'),
    'returns': N_('Returns: reasons'),
    'events': N_('Usage events: visitor and session identifiers, details'),
    'acceptances': N_('Legal acceptances: kept (document, version, time), without the address they came from'),
    'audit': N_('Audit entries: the personal values they hold'),
    'other': N_('Notifications, webhook deliveries, stored API answers and imports naming them'),
}


@dataclass
class Found:
    """Everything of one customer's that an erasure touches."""

    customer: Customer
    needles: list[str]
    orders: list[Order] = field(default_factory=list)
    addresses: list[CustomerAddress] = field(default_factory=list)
    documents: list[Invoice] = field(default_factory=list)
    requests: list[Ticket] = field(default_factory=list)
    messages: list[TicketMessage] = field(default_factory=list)
    returns: list[Return] = field(default_factory=list)
    events: int = 0
    acceptances: int = 0
    audit: list[AuditEntry] = field(default_factory=list)
    other: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            'profile': 1,
            'addresses': len(self.addresses),
            'orders': len(self.orders),
            'documents': len(self.documents),
            'requests': len(self.requests),
            'messages': len(self.messages),
            'returns': len(self.returns),
            'events': self.events,
            'acceptances': self.acceptances,
            'audit': len(self.audit),
            'other': len(self.other),
        }


def erasure_preview(*, session: Session, actor: User, record_id: int) -> dict[str, int]:
    """How many records of each kind an erasure of this customer would change (KINDS order)."""
    require(actor, PERMISSION)
    return gather(session, find_customer(session, record_id)).counts()


def erase_customer(*, session: Session, actor: User, record_id: int, version: int, confirmation: str) -> dict[str, int]:
    """Erase the customer's personal data everywhere, once they typed the customer's email to confirm. Audited with the
    counts only (the entry holds nothing personal); returns the counts by kind."""
    require(actor, PERMISSION)
    customer = get_for_update(session, Customer, record_id, version, entity='customers', label=N_('customer'))
    if is_erased(customer):
        raise ValidationFailed({'': _("This customer's personal data is already erased.")})
    if (confirmation or '').strip().lower() != customer.email.lower():
        raise ValidationFailed({'confirmation': _("Type the customer's email exactly as shown to confirm.")})
    found = gather(session, customer)
    counts = _erased(session, actor, found)
    stamp(customer)
    session.add(customer)
    _audit(session, actor, customer, counts)
    commit(session, *published(found))
    return counts


def erase_when_kept(session: Session, customer: Customer) -> bool:
    """The trash purge's erasure of a customer it must keep (orders or requests refer to it): the same rules as the
    erase action, inside the purge's transaction. Returns whether anything changed (a second purge finds it erased)."""
    if is_erased(customer):
        return False
    counts = _erased(session, None, gather(session, customer))
    _audit(session, None, customer, counts)
    return True


def _erased(session: Session, actor: User | None, found: Found) -> dict[str, int]:
    """`anonymise`, and the company whose admin they were keeps one (company_members.keep_an_admin: the erasure ends
    their membership, and a company without an admin could no longer manage its colleagues in the portal)."""
    admin_of = company_members.admin_of(session, found.customer)
    counts = anonymise(session, found)
    if admin_of is not None:
        company_members.keep_an_admin(session, actor, admin_of)
    return counts


def gather(session: Session, customer: Customer) -> Found:
    """Find what an erasure changes: the customer's own records by their keys, and elsewhere any row naming them."""
    orders = list(session.exec(select(Order).where(Order.customer_id == customer.id).order_by(col(Order.id))))
    order_ids = [o.id for o in orders]
    requests = list(session.exec(select(Ticket).where(Ticket.customer_id == customer.id).order_by(col(Ticket.id))))
    ticket_ids = [t.id for t in requests]
    addresses = list(
        session.exec(
            select(CustomerAddress).where(CustomerAddress.customer_id == customer.id).order_by(col(CustomerAddress.id))
        )
    )
    values = [customer.email, customer.name, customer.phone or '']
    for order in orders:
        values += [order.email, order.shipping_name, order.shipping_address]
    for address in addresses:  # their address book names them and where they live
        values += [address.name, address.line1, address.line2, address.phone or '']
    needles = sorted({v.strip() for v in values if v and len(v.strip()) >= MIN_NEEDLE}, key=len, reverse=True)
    found = Found(customer=customer, needles=needles, orders=orders, addresses=addresses, requests=requests)
    if order_ids:
        found.documents = list(
            session.exec(select(Invoice).where(col(Invoice.order_id).in_(order_ids)).order_by(col(Invoice.id)))
        )
    found.messages = list(
        session.exec(
            select(TicketMessage)
            .where(or_(col(TicketMessage.ticket_id).in_(ticket_ids), col(TicketMessage.customer_id) == customer.id))
            .order_by(col(TicketMessage.id))  # as written: PostgreSQL returns rows in no set order otherwise
        )
    )
    found.returns = list(
        session.exec(
            select(Return)
            .where(or_(col(Return.customer_id) == customer.id, col(Return.order_id).in_(order_ids)))
            .order_by(col(Return.id))
        )
    )
    found.events = session.exec(select(func.count()).select_from(UsageEvent).where(_their_events(customer))).one()
    found.acceptances = session.exec(
        select(func.count()).select_from(LegalAcceptance).where(LegalAcceptance.customer_id == customer.id)
    ).one()
    own = [('customers', [customer.id]), ('orders', order_ids), ('tickets', ticket_ids)]
    own.append(('returns', [r.id for r in found.returns]))
    own.append(('invoices', [d.id for d in found.documents]))
    about_them = [
        (col(AuditEntry.entity) == entity) & col(AuditEntry.entity_id).in_([str(i) for i in ids])
        for entity, ids in own
        if ids
    ]
    found.audit = list(
        session.exec(
            select(AuditEntry).where(
                or_(*about_them, *_naming(needles, AuditEntry.summary), *_naming(needles, AuditEntry.changes, True))
            )
        )
    )
    for model, columns in _ELSEWHERE:
        where = [c for column, is_json in columns for c in _naming(needles, column, is_json)]
        if where:
            found.other += list(session.exec(select(model).where(or_(*where))))
    return found


def anonymise(session: Session, found: Found) -> dict[str, int]:
    """Apply the erasure rules to what `gather` found, inside the caller's transaction."""
    customer, needles = found.customer, found.needles
    customer_email = customer.email  # before it is erased: the received-mail log names them by it
    email = erased_email(customer.id)
    for name, value in {
        'email': email,
        'name': '',
        'phone': None,
        'ban_reason': None,
        'company_id': None,
        'marketing_consent': False,
        'last_seen_at': None,
    }.items():
        setattr(customer, name, value)
    session.add(customer)
    for address in found.addresses:  # nothing requires keeping an address book: it goes (orders keep their own copy)
        session.delete(address)
    for order in found.orders:
        order.email, order.shipping_name, order.shipping_address, order.note = email, '', '', ''
        stamp(order)
        session.add(order)
    order_ids = [o.id for o in found.orders]
    if order_ids:
        for event in session.exec(select(OrderEvent).where(col(OrderEvent.order_id).in_(order_ids))):
            event.text, event.text_params = redact(event.text, needles), redact(event.text_params, needles)
            session.add(event)
        for refund in session.exec(select(Refund).where(col(Refund.order_id).in_(order_ids))):
            refund.reason, refund.reason_params = redact(refund.reason, needles), redact(refund.reason_params, needles)
            session.add(refund)
    # found.documents stay as issued: an invoice or credit note is never changed (the law keeps the buyer's name and
    # address on it for years; services/invoices refuses any change); no search reads their buyer data
    for ticket in found.requests:
        ticket.subject, ticket.steps, ticket.rating_comment = ERASED, None, None
        stamp(ticket)
        session.add(ticket)
    for message in found.messages:
        message.body, message.delivery_error, message.body_key, message.body_params = ERASED, None, None, None
        if message.delivery == Delivery.queued:  # never sent now: its address is gone
            message.delivery, message.delivery_error = Delivery.failed, 'Not sent: the recipient was erased'
        session.add(message)
    mail_traces.forget(session, ticket_ids=[t.id for t in found.requests if t.id], senders=[customer_email])
    for returned in found.returns:
        returned.reason = ''
        stamp(returned)
        session.add(returned)
        for line in session.exec(select(ReturnLine).where(ReturnLine.return_id == returned.id)):
            line.reason = ''
            session.add(line)
    session.execute(
        update(UsageEvent)
        .where(_their_events(customer))
        .values(anonymous_id=None, session_id=None, props=null())
        .execution_options(synchronize_session=False)
    )
    session.execute(  # what was accepted and when stays: the shop's evidence; where from goes
        update(LegalAcceptance)
        .where(col(LegalAcceptance.customer_id) == customer.id, col(LegalAcceptance.ip).is_not(None))
        .values(ip=None)
        .execution_options(synchronize_session=False)
    )
    own = _own_keys(found)
    for entry in found.audit:
        ours = (entry.entity, entry.entity_id) in own
        entry.changes = erased_changes(entry.changes, needles, ours)
        entry.summary = redact(entry.summary, needles)
        entry.summary_params = redact(entry.summary_params, needles)  # the values the reader's sentence is made of
        session.add(entry)
    for row in found.other:
        for name in (
            'text',
            'text_params',
            'payload',
            'response',
            'updated',
            'to_address',
            'subject',
            'body',
            'invited_by',
        ):
            if hasattr(row, name):
                setattr(row, name, redact(getattr(row, name), needles))
        if isinstance(row, StaffMail) and row.status == 'queued':  # never sent now: its address is gone
            row.status, row.error = 'failed', 'Not sent: the recipient was erased'
        session.add(row)
    _close_portal(session, customer.id or 0)
    session.flush()
    return found.counts()


def _close_portal(session: Session, customer_id: int) -> None:
    """The customer portal forgets them: their password and sign-in links go, every browser of theirs is signed out
    (the files of their requests, from the portal or by mail, went with mail_traces.forget)."""
    account = session.exec(select(PortalAccount).where(PortalAccount.customer_id == customer_id)).first()
    if account is not None:
        account.password_hash, account.session_epoch = None, account.session_epoch + 1
        session.add(account)
    session.execute(delete(PortalLink).where(col(PortalLink.customer_id) == customer_id))


def redact(value: Any, needles: list[str]) -> Any:
    """The value with every needle (any case) replaced by ERASED, in strings at any depth."""
    if isinstance(value, str):
        for needle in needles:
            value = re.sub(re.escape(needle), ERASED, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, dict):
        return {key: redact(item, needles) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item, needles) for item in value]
    return value


def published(found: Found) -> list[tuple[Topic, dict[str, Any]]]:
    """The change events of an erasure: every open list and page showing one of these records re-reads it."""
    events: list[tuple[Topic, dict[str, Any]]] = [(Topic.customers, {'id': found.customer.id, 'action': 'updated'})]
    events += [(Topic.orders, {'id': o.id, 'action': 'updated'}) for o in found.orders]
    events += [(Topic.tickets, {'id': t.id, 'action': 'updated'}) for t in found.requests]
    events += [(Topic.returns, {'id': r.id, 'action': 'updated'}) for r in found.returns]
    return events


# --- helpers ----------------------------------------------------------------------------------------------------------

# other tables whose rows may name a person, and the columns to look in (JSON or not)
_ELSEWHERE: list[tuple[Any, list[tuple[Any, bool]]]] = [
    (Notification, [(Notification.text, False)]),
    (WebhookDelivery, [(WebhookDelivery.payload, True)]),
    (IdempotencyRecord, [(IdempotencyRecord.response, True)]),
    (ImportBatch, [(ImportBatch.updated, True)]),
    (StaffMail, [(StaffMail.to_address, False), (StaffMail.body, False)]),  # portal invitations and sign-in links
    (CompanyMember, [(CompanyMember.invited_by, False)]),  # who invited a colleague: "Ann Lee (ann@acme.com)"
]


def find_customer(session: Session, record_id: int) -> Customer:
    customer = session.get(Customer, record_id)
    if customer is None:
        raise NotFound(_('This {label} no longer exists.').format(label=_('customer')))
    return customer


def _their_events(customer: Customer) -> ColumnElement[bool]:
    """Their usage events, and the anonymous visits before they signed in under the same visitor id."""
    visitor_ids = (
        select(UsageEvent.anonymous_id)
        .where(UsageEvent.customer_id == customer.id, col(UsageEvent.anonymous_id).is_not(None))
        .distinct()
    )
    return or_(
        col(UsageEvent.customer_id) == customer.id,
        col(UsageEvent.anonymous_id).in_(visitor_ids.scalar_subquery()),
    ) & (
        col(UsageEvent.anonymous_id).is_not(None)
        | col(UsageEvent.session_id).is_not(None)
        | col(UsageEvent.props).is_not(None)
    )


def _naming(needles: list[str], column: Any, is_json: bool = False) -> list[ColumnElement[bool]]:
    """Conditions finding the rows whose column holds one of the needles (any case); a JSON column is searched in its
    stored text, where non-ASCII letters are escaped."""
    text = func.lower(cast(column, Text))
    return [text.contains((json.dumps(n)[1:-1] if is_json else n).lower(), autoescape=True) for n in needles]


def _own_keys(found: Found) -> set[tuple[str, str | None]]:
    keys: set[tuple[str, str | None]] = {('customers', str(found.customer.id))}
    keys |= {('orders', str(o.id)) for o in found.orders}
    keys |= {('tickets', str(t.id)) for t in found.requests}
    keys |= {('returns', str(r.id)) for r in found.returns}
    keys |= {('invoices', str(d.id)) for d in found.documents}
    return keys


def erased_changes(changes: dict[str, Any], needles: list[str], ours: bool) -> dict[str, Any]:
    """An audit entry's before/after values: on their own records every personal field's values go; elsewhere (and in
    the other fields) the needles are replaced."""
    if not ours:
        return redact(changes, needles)
    erased: dict[str, Any] = {}
    for name, value in changes.items():
        if name in PERSONAL_FIELDS and isinstance(value, list):
            erased[name] = [None if item in (None, '') else ERASED for item in value]
        else:
            erased[name] = redact(value, needles)
    return erased


def _audit(session: Session, actor: User | None, customer: Customer, counts: dict[str, int]) -> None:
    in_figures = ', '.join(f'{kind} {count}' for kind, count in counts.items() if count)
    audit.record(
        session,
        actor,
        'customer.erased',
        'customers',
        customer.id,
        version=customer.version,
        summary=sentence(
            N_('Erased the personal data of customer #{id} ({figures})'), id=customer.id, figures=in_figures
        ),
    )
