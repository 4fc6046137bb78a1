"""What a customer sees and does in the portal: their orders (lines, tracking, timeline), invoices and credit notes
(PDF), requests (open one, read the thread without internal notes, reply, rate). Every read goes through
`portal_scope`; each action is one transaction of the support desk's own service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, func, or_, select

from backoffice import changes, db
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed, field_errors
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import (
    CUSTOMER_SIDE,
    Customer,
    CustomerUpdate,
    Delivery,
    Invoice,
    MessageKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Refund,
    Return,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketSource,
    User,
    utcnow,
)
from backoffice.models.people import CUSTOMER_NAME_MAX
from backoffice.services import (
    app_settings,
    audit,
    documents,
    invoices,
    orders,
    personal_data_export,
    portal_timeline,
    returns,
    ticket_attachments,
    tickets,
)
from backoffice.services import portal_scope as scope
from backoffice.services.portal_scope import PortalActor
from backoffice.stored_text import sentence
from backoffice.transfer import export_files
from backoffice.validation import is_web_address, too_long

SHOWN = 100  # the newest records a list shows


@dataclass(frozen=True)
class Tracking:
    carrier: str
    number: str
    url: str  # '' when the carrier has no tracking page (or its address is not a web address)
    shipped_at: datetime
    delivered_at: datetime | None
    items: tuple[tuple[str, int], ...] = ()  # what the parcel held: (product name, quantity)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str  # in the reader's language


@dataclass(frozen=True)
class Returnable:
    order_line_id: int
    name: str
    left: int  # bought, not returned yet


@dataclass(frozen=True)
class ReturnOffer:
    """What the customer may still return from a delivered order, and until when (the return window)."""

    lines: list[Returnable]
    until: datetime


@dataclass(frozen=True)
class Cancelled:
    """What of one line was called off before it left ("Cancel what is not shipped"): it never comes."""

    quantity: int
    value: Decimal  # what those items cost the customer, tax included
    refunded: bool  # given back: the order's refunds other than returns' cover it
    paid: bool  # the order was paid: False, nothing is owed back


@dataclass(frozen=True)
class OrderView:
    order: Order
    lines: list[OrderLine]
    tracking: list[Tracking]
    timeline: list[TimelineEntry]
    documents: list[Invoice]
    returns: list[Return]
    offer: ReturnOffer | None
    cancelled: dict[int, Cancelled]  # by order line id: what of it will never ship (its rest cancelled)


@dataclass(frozen=True)
class Attached:
    id: int
    file_name: str
    size: int


@dataclass(frozen=True)
class Entry:
    kind: MessageKind
    body: str
    at: datetime
    by_us: bool  # an agent's reply or the shop's notice; else the customer's own message
    attached: tuple[Attached, ...] = ()
    colleague: str = ''  # a company member's message other than the reader's: their name (or email); '' for the reader
    agent: str = ''  # an agent's reply: the agent's first name ('Marie'); '' for the shop's own notices


@dataclass(frozen=True)
class RequestView:
    ticket: Ticket
    thread: list[Entry]
    rateable: bool  # tickets.may_rate: solved or closed, not rated yet, not merged into another
    closed: bool
    continues_in: int | None = None  # merged: the number of the request the conversation goes on in, if theirs to see


# --- orders and documents ---------------------------------------------------------------------------------------------


def my_orders(*, session: Session, actor: PortalActor) -> list[Order]:
    return list(session.exec(scope.orders(actor).limit(SHOWN)))


def order_view(*, session: Session, actor: PortalActor, number: str) -> OrderView:
    order = scope.order(session, actor, number)
    lines = orders.order_lines(session, order.id or 0)
    tracking = [
        Tracking(
            shipment.carrier.name if shipment.carrier is not None else '',
            shipment.tracking_number,
            shipment.tracking_url if is_web_address(shipment.tracking_url) else '',
            shipment.shipped_at,
            shipment.delivered_at,
            tuple((line.name, quantity) for line, quantity in parcel.items),
        )
        for parcel in orders.parcels(session, order.id or 0, lines)
        for shipment in (parcel.shipment,)
    ]
    events = list(session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(col(OrderEvent.id))))
    given_back = orders.refunded_since(session, order.id or 0, events)  # a cancellation's "to be refunded" done since
    timeline = [
        TimelineEntry(event.created_at, text)
        for event in events
        if (text := portal_timeline.customer_words(event, refunded=event.id in given_back))
    ]
    papers = list(session.exec(scope.documents(actor).where(Invoice.order_id == order.id)))
    sent_back = _returns_of(session, order)
    offer = _offer(session, order, lines) if _to_return(session, actor, order.number) is not None else None
    return OrderView(order, lines, tracking, timeline, papers, sent_back, offer, _cancelled(session, order, lines))


def order_returns(*, session: Session, actor: PortalActor, number: str) -> list[Return]:
    """The returns of one of the reader's orders, oldest first (the order page's list, drawn again after a request)."""
    return _returns_of(session, scope.order(session, actor, number))


def _returns_of(session: Session, order: Order) -> list[Return]:
    return list(session.exec(select(Return).where(Return.order_id == order.id).order_by(col(Return.id))))


def _cancelled(session: Session, order: Order, lines: list[OrderLine]) -> dict[int, Cancelled]:
    """Each line's items called off by "Cancel what is not shipped", with what they cost and whether that was given
    back: the refunds not made for a return pay back the cancelled lines in their order (the portal said everything
    was coming)."""
    called_off = [line for line in lines if line.cancelled_quantity > 0 and line.id is not None]
    if not called_off:
        return {}
    given_back = session.exec(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == order.id, col(Refund.return_id).is_(None)
        )
    ).one()
    left = Decimal(str(given_back))
    paid = order.paid_total > 0
    said: dict[int, Cancelled] = {}
    for line in called_off:
        value = orders.value_of(lines, {line.id or 0: line.cancelled_quantity})
        refunded = paid and left >= value
        left = left - value if refunded else Decimal('0.00')  # the refunds are spent on the lines in order
        said[line.id or 0] = Cancelled(line.cancelled_quantity, value, refunded, paid)
    return said


def start_return(
    *, session: Session, actor: PortalActor, number: str, lines: list[dict[str, Any]], reason: str
) -> Return:
    """The customer asks to send back some of a delivered order's goods, within the return window set in /settings;
    the return service's own rules do the rest (never more than bought and not returned yet). Who may: the rule the API
    and the contact form share, `portal_scope.order_to_return` — a company's viewer too, for their own orders."""
    scope.order(session, actor, number)  # another's is "not found"
    order = _to_return(session, actor, number)
    if order is None:  # one they read but may not return: a viewer's colleague's
        raise scope.ReadOnly(_(scope.READ_ONLY))
    offer = _offer(session, order, orders.order_lines(session, order.id or 0))
    if offer is None:
        raise ValidationFailed({'': _('This order cannot be returned from here any more. Write to us instead.')})
    if not ' '.join((reason or '').split()):
        raise ValidationFailed({'reason': _('Tell us why you send it back')})
    return returns.start_return(session=session, actor=None, order_id=order.id or 0, lines=lines, reason=reason)


def _to_return(session: Session, actor: PortalActor, number: str) -> Order | None:
    """The order, if the actor may send its goods back (`portal_scope.order_to_return`); None if not."""
    try:
        return scope.order_to_return(session, actor, number)
    except NotFound:
        return None


def _offer(session: Session, order: Order, lines: list[OrderLine]) -> ReturnOffer | None:
    days = int(app_settings.value(session=session, key='return_window_days') or 0)
    if order.status != OrderStatus.delivered or order.delivered_at is None or days <= 0:
        return None
    delivered = order.delivered_at if order.delivered_at.tzinfo else order.delivered_at.replace(tzinfo=UTC)
    until = delivered + timedelta(days=days)
    if utcnow() > until:
        return None
    # shipped (less what was called off before it left) and not returned yet
    still = returns.still_returnable(session, order.id or 0, lines)
    left = [Returnable(line.id or 0, line.name, still.get(line.id or 0, 0)) for line in lines]
    left = [line for line in left if line.left > 0]
    return ReturnOffer(left, until) if left else None


def my_documents(*, session: Session, actor: PortalActor) -> list[Invoice]:
    return list(session.exec(scope.documents(actor).limit(SHOWN)))


def document_pdf(*, session: Session, actor: PortalActor, invoice_id: int) -> tuple[bytes, str]:
    """An invoice or credit note of the actor's as a PDF (in their language) and its file name."""
    invoice = scope.document(session, actor, invoice_id)
    pdf = documents.invoice_pdf(invoice, invoices.invoice_language(session, invoice))
    return pdf, f'{invoice.number}.pdf'


# --- requests ---------------------------------------------------------------------------------------------------------


def first_name(name: str) -> str:
    """The first word of a person's name ('Marie' of 'Marie Dubois'), '' for a name left empty."""
    return (name.split() or [''])[0]


def my_requests(*, session: Session, actor: PortalActor) -> list[Ticket]:
    return list(session.exec(scope.requests(actor).limit(SHOWN)))


def continued_in(*, session: Session, actor: PortalActor, requests: list[Ticket]) -> dict[int, int | None]:
    """Where each of `requests` merged into another goes on (by id: that request's number), so a list says "Merged into
    #12" rather than that the merge, which closed it, ended it; None when that request is not the actor's to see (they
    are told nothing of another customer's request, as `request_view` does)."""
    into = {t.merged_into_id for t in requests if t.merged_into_id}
    if not into:
        return {}
    seen = {t.id: t.number for t in session.exec(scope.requests(actor).where(col(Ticket.id).in_(into)))}
    return {t.id or 0: seen.get(t.merged_into_id) for t in requests if t.merged_into_id}


def request_view(*, session: Session, actor: PortalActor, number: int | str) -> RequestView:
    ticket = scope.request(session, actor, number)
    messages = list(
        session.exec(
            select(TicketMessage)
            .where(
                TicketMessage.ticket_id == ticket.id,
                col(TicketMessage.kind).in_(CUSTOMER_SIDE),
                # a solved notice a merge cancelled before it went out: the customer was never told it
                or_(col(TicketMessage.delivery).is_(None), TicketMessage.delivery != Delivery.cancelled),
            )
            .order_by(col(TicketMessage.id))
        )
    )
    files = {
        message_id: [Attached(row.id or 0, row.file_name, row.size) for row in rows]
        for message_id, rows in ticket_attachments.shown_to_customer(session, ticket.id or 0).items()
    }
    others = {m.customer_id for m in messages if m.customer_id and m.customer_id != actor.customer_id}
    names = {
        c.id: c.name or c.email for c in session.exec(select(Customer).where(col(Customer.id).in_(others)))
    } if others else {}  # fmt: skip
    # the customer reads who answered them ("Marie, support"), as their emails are signed, and a follow-up can name
    # her; the first name only: the agent's full name is theirs, not the shop's to hand out
    authors = {m.author_id for m in messages if m.kind == MessageKind.reply and m.author_id}
    agents = {
        u.id: first_name(u.name) for u in session.exec(select(User).where(col(User.id).in_(authors)))
    } if authors else {}  # fmt: skip
    thread = [
        Entry(
            m.kind,
            tickets.note_text(m),
            m.created_at,
            m.kind != MessageKind.customer,
            tuple(files.get(m.id or 0, ())),
            names.get(m.customer_id, '') if m.kind == MessageKind.customer and m.customer_id else '',
            agents.get(m.author_id, '') if m.kind == MessageKind.reply and m.author_id else '',
        )
        for m in messages
    ]
    continues_in = None
    if ticket.merged_into_id is not None:
        try:
            continues_in = scope.request_by_id(session, actor, ticket.merged_into_id).number
        except NotFound:  # another customer's request: the customer is told nothing of it
            continues_in = None
    return RequestView(ticket, thread, tickets.may_rate(ticket), ticket.status == 'closed', continues_in)


def open_request(
    *,
    session: Session,
    actor: PortalActor,
    subject: str,
    body: str,
    order_number: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> Ticket:
    """A new request from the portal, with its attachments (images, PDFs) in the same transaction; an order named
    must be one the actor sees (a buyer's: theirs or their company's)."""
    if order_number:
        scope.order(session, actor, order_number)
    scope.require_write(actor)
    checked = ticket_attachments.check(files or [])
    written: list[Path] = []
    try:
        with db.held_commits(session):
            ticket = tickets.submit_request(
                session=session,
                email=actor.email,
                subject=subject,
                body=body,
                order_number=order_number or None,
                source=TicketSource.portal,
            )
            first = session.exec(
                select(TicketMessage.id).where(TicketMessage.ticket_id == ticket.id).order_by(col(TicketMessage.id))
            ).first()
            written = ticket_attachments.store(session, ticket_id=ticket.id or 0, message_id=first, files=checked)
        session.commit()
    except BaseException:
        ticket_attachments.remove(written)
        raise
    return ticket


def reply(
    *, session: Session, actor: PortalActor, number: int | str, body: str, files: list[tuple[str, bytes]] | None = None
) -> TicketMessage:
    """The customer's answer, with its attachments, joins the thread (the agent's page shows it at once) and reopens a
    waiting request. A company's buyer may answer a colleague's request: the message is then signed as theirs."""
    ticket = scope.request(session, actor, number)
    scope.require_write(actor)
    checked = ticket_attachments.check(files or [])
    written: list[Path] = []
    try:
        with db.held_commits(session):
            message = tickets.add_customer_message(session=session, number=ticket.number, body=body, token=ticket.token)
            if message.customer_id != actor.customer_id:
                message.customer_id = actor.customer_id
                session.add(message)
            written = ticket_attachments.store(session, ticket_id=ticket.id or 0, message_id=message.id, files=checked)
        session.commit()
    except BaseException:
        ticket_attachments.remove(written)
        raise
    return message


def attachment(*, session: Session, actor: PortalActor, attachment_id: int) -> tuple[bytes, str, str]:
    """A file of one of the actor's requests that they may see (their messages', a reply's; never a note's): its
    bytes, name and media type. Any other is "not found", as another customer's."""
    row = session.get(TicketAttachment, attachment_id)
    if row is None:
        raise NotFound(_(scope.NOT_FOUND))
    scope.request_by_id(session, actor, row.ticket_id)
    if not ticket_attachments.customer_may_have(session, row):
        raise NotFound(_(scope.NOT_FOUND))
    return ticket_attachments.content(row)


def rate(*, session: Session, actor: PortalActor, number: int | str, score: int, comment: str | None) -> Ticket:
    """The customer rates a solved request of theirs, once (the rating page's rule)."""
    ticket = scope.request(session, actor, number)
    scope.require_write(actor)
    if not score:
        raise ValidationFailed({'score': _('Choose from 1 to 5 stars')})
    return tickets.rate(session=session, number=ticket.number, token=ticket.token, score=score, comment=comment)


# --- profile and personal data ----------------------------------------------------------------------------------------


PROFILE_NAME_MAX = (
    CUSTOMER_NAME_MAX  # characters of the name a customer gives in their profile (CustomerUpdate checks it)
)


@dataclass(frozen=True)
class Profile:
    email: str
    name: str
    phone: str | None
    language: str | None
    marketing_consent: bool


def my_profile(*, session: Session, actor: PortalActor) -> Profile:
    customer = scope.customer(session, actor)
    return Profile(customer.email, customer.name, customer.phone, customer.language, customer.marketing_consent)


def update_profile(
    *,
    session: Session,
    actor: PortalActor,
    name: str,
    phone: str | None,
    language: str | None,
    marketing_consent: bool,
    loaded: Profile | None = None,
) -> Profile:
    """The customer changes their name, phone, language and marketing consent (their email stays: it is how they sign
    in); validated by the customers' own rules, audited as theirs, published like any change of a customer.
    `loaded`: the profile as their page showed it; only what they changed from it is written, so that what staff
    changed meanwhile (a phone number taken on a call) is not silently put back by the fields they left alone."""
    name = (name or '').strip()
    if len(name) > PROFILE_NAME_MAX:  # said with its length, as the form counts it (the model would say the limit only)
        raise ValidationFailed({'name': too_long(PROFILE_NAME_MAX, len(name))})
    try:
        values = CustomerUpdate.model_validate(
            {'name': name, 'phone': phone, 'language': language, 'marketing_consent': marketing_consent}
        ).model_dump(include={'name', 'phone', 'language', 'marketing_consent'})
    except ValidationError as error:
        raise ValidationFailed(field_errors(error)) from None
    customer = get_for_update(session, Customer, actor.customer_id, None, entity='customers', label=N_('customer'))
    if loaded is not None:
        values = {field: value for field, value in values.items() if value != getattr(loaded, field)}
    before = audit.snapshot(customer)
    for field, value in values.items():
        setattr(customer, field, value)
    diff = audit.diff(before, audit.snapshot(customer))
    if diff:
        stamp(customer)
        session.add(customer)
        audit.record(
            session,
            None,
            'customer.updated',
            'customers',
            customer.id,
            version=customer.version,
            changes=diff,
            summary=sentence(N_('{email} changed their profile in the customer portal'), email=customer.email),
        )
        changes.commit(session, (Topic.customers, {'id': customer.id, 'action': 'updated'}))
    else:
        session.commit()
    return Profile(customer.email, customer.name, customer.phone, customer.language, customer.marketing_consent)


def personal_data_zip(*, session: Session, actor: PortalActor) -> tuple[bytes, str]:
    """Everything held about the customer, as staff would export it for them (a ZIP of JSON, CSV and their PDFs)."""
    scope.customer(session, actor)
    path, file_name = personal_data_export.write_export(
        session=session,
        actor=None,
        record_id=actor.customer_id,
        said=N_('Customer #{id} downloaded their personal data in the portal ({count} files)'),
    )
    try:
        return path.read_bytes(), file_name
    finally:
        export_files.remove(path)
