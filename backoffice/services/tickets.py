"""The support desk's rules: intake, the thread (customer messages, replies, notes), transitions, assignment,
duplicates, ratings, canned replies and the in-app notifications they raise. Each public function is one transaction
and publishes ('tickets', {'id', 'action'}) after its commit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, func, select

from backoffice import changes, i18n, stored_text
from backoffice.changes import get_for_update, stamp
from backoffice.db import session_scope
from backoffice.errors import NotFound, ServiceError, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext, pgettext
from backoffice.models import (
    OPEN_STATUSES,
    BugStatus,
    CannedReply,
    Customer,
    CustomerStatus,
    Delivery,
    MessageKind,
    Order,
    Ticket,
    TicketCounter,
    TicketMessage,
    TicketPriority,
    TicketSource,
    TicketStatus,
    TicketType,
    User,
    utcnow,
)
from backoffice.permissions import can, require
from backoffice.services import (
    app_settings,
    audit,
    bulk,
    customers,
    notifications,
    portal_scope,
    roles,
    ticket_attachments,
    ticket_sla,
)
from backoffice.services.ticket_input import RequestIn, TicketChange, _BodyIn, _CommentIn, _valid
from backoffice.stored_text import Sentence, sentence

__all__ = ['RequestIn', 'TicketChange']  # the request resource declares its forms with these

FIRST_NUMBER = 1001
PLACEHOLDERS = ('customer_name', 'customer_first_name', 'order_number', 'request_number', 'agent_name')
# {ticket_number}, the name canned replies written before docs/GLOSSARY.md use, is still filled in

# where a status may go next; closed is final
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.new: frozenset({TicketStatus.open, TicketStatus.waiting, TicketStatus.solved, TicketStatus.closed}),
    TicketStatus.open: frozenset({TicketStatus.waiting, TicketStatus.solved, TicketStatus.closed}),
    TicketStatus.waiting: frozenset({TicketStatus.open, TicketStatus.solved, TicketStatus.closed}),
    TicketStatus.solved: frozenset({TicketStatus.open, TicketStatus.closed}),
    TicketStatus.closed: frozenset(),
}
DONE = ticket_sla.DONE


class CustomerBanned(ServiceError):
    """The customer is banned: their requests are refused (the API answers 403)."""

    def __init__(self) -> None:
        super().__init__(_('This customer is banned: their requests are not accepted.'))


# --- intake -----------------------------------------------------------------------------------------------------------


def submit_request(
    *,
    session: Session,
    email: str,
    name: str | None = None,
    subject: str,
    body: str,
    type: TicketType | str | None = None,
    order_number: str | None = None,
    source: TicketSource | str = TicketSource.api,
    priority: TicketPriority | str | None = None,
    actor: User | None = None,
    assignee_id: int | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> Ticket:
    """A new request: the customer found or created by email (a banned one is refused with CustomerBanned), a number,
    SLA due times from the settings, and an assignee when auto-assignment is on. `actor`: the agent who logged it;
    `assignee_id`: who takes it instead of auto-assignment (a support mailbox's default assignee); `files`: the first
    message's attachments (the portal's rules: images and PDFs), written in the same transaction or not at all."""
    errors: dict[str, str] = {}
    try:
        data = _valid(
            RequestIn,
            {
                'email': email,
                'name': name,
                'subject': subject,
                'body': body,
                'type': type,
                'order_number': order_number,
                'priority': priority,
            },
        )
    except ValidationFailed as error:
        errors.update(error.errors)
    else:
        if (
            TicketSource(source) in CUSTOMERS_OWN_WORDS
            and (data['type'] or TicketType.question) == TicketType.return_exchange
        ):
            problem = return_order_problem(session, email=data['email'], order_number=data['order_number'])
            if problem:
                errors['order_number'] = problem
    try:
        checked = ticket_attachments.check(files or [])
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors:  # every field at fault at once, the files with the text
        raise ValidationFailed(errors)
    now = utcnow()
    number = _next_number(session)  # also serialises concurrent intakes until this transaction ends
    customer, new_customer = customers.find_or_create(
        session, email=data['email'], name=data['name'], came_with='their first request'
    )
    if customer.status == CustomerStatus.banned:
        session.rollback()
        raise CustomerBanned
    ticket = Ticket(
        number=number,
        subject=data['subject'],
        customer_id=customer.id,
        type=data['type'] or TicketType.question,
        priority=data['priority'] or TicketPriority.normal,
        source=TicketSource(source),
        order_number=data['order_number'],
        token=secrets.token_urlsafe(24),
        created_at=now,
        updated_at=now,
    )
    if ticket.type == TicketType.bug:
        ticket.bug_status = BugStatus.reported
    ticket_sla.set_due_times(session, ticket)
    # a mailbox's default assignee deactivated (or no longer answering requests) since it was chosen: the request goes
    # to the queue as any other, not to someone who will never see it
    given = session.get(User, assignee_id) if assignee_id is not None else None
    ticket.assignee_id = given.id if answers_requests(given) else _auto_assignee(session)
    session.add(ticket)
    session.flush()
    if ticket.assignee_id is not None and (actor is None or ticket.assignee_id != actor.id):
        _tell_assignee(
            session, ticket, N_('New request #{number} assigned to you: {subject}')
        )  # auto-assignment, or a mailbox's default assignee: nobody else tells them it is theirs
    message = TicketMessage(
        ticket_id=ticket.id, kind=MessageKind.customer, customer_id=customer.id, body=data['body'], created_at=now
    )
    session.add(message)
    written = _attach(session, message, checked)
    try:
        created = audit.snapshot(ticket)
        created.pop('token')
        audit.record(
            session,
            actor,
            'ticket.created',
            'tickets',
            ticket.id,
            version=ticket.version,
            changes=audit.diff({}, created),
            summary=sentence(N_('Request #{number} from {email}'), number=number, email=customer.email),
        )
        new = [(Topic.customers, {'id': customer.id, 'action': 'created'})] if new_customer else []
        changes.commit(session, *new, (Topic.tickets, {'id': ticket.id, 'action': 'created'}))
    except BaseException:
        ticket_attachments.remove(written)
        raise
    return ticket


# what the customer sends themselves (not an agent, nor a mail read by the mailbox): a return names one of their
# orders. The portal checks the order named with its own scope before (a company buyer's: theirs or their company's)
CUSTOMERS_OWN_WORDS = frozenset({TicketSource.api, TicketSource.contact})


def return_order_problem(session: Session, *, email: str, order_number: str | None) -> str | None:
    """What is wrong with the order number a customer's return or exchange request names: None when it is an order the
    customer with `email` may return in the portal (portal_scope.order_to_return: theirs, or their company's while they
    are a member who acts for it — admin or buyer, never a viewer —, never a draft), so the API and the contact form
    take what the portal takes (or none is named). An unknown number, another customer's and a viewer's colleague's say
    the same, so the answer tells nobody which numbers exist."""
    number = ' '.join((order_number or '').split())
    if not number:
        return None
    customer = session.exec(select(Customer).where(Customer.email == email.strip().lower())).first()
    if customer is not None:
        try:
            portal_scope.order_to_return(session, portal_scope.actor_of(session, customer), number)
        except NotFound:
            pass
        else:
            return None
    return _('This customer has no order {number}: give the number of one of their orders').format(number=number)


def log_request(*, session: Session, actor: User, data: dict[str, Any]) -> Ticket:
    """An agent records a request on a customer's behalf (a phone call): the same rules as the intake. The customer
    is one picked (`customer_id`, found by name or email as they type) or, for a caller not known yet, the one the
    email and name given make."""
    require(actor, 'tickets.write')
    values = {key: data.get(key) for key in ('email', 'name', 'subject', 'body', 'type', 'order_number', 'priority')}
    picked = data.get('customer_id')
    if picked not in (None, ''):
        require(actor, 'customers.read')
        customer = session.get(Customer, picked) if isinstance(picked, int) else None
        if customer is None or customer.deleted_at is not None:
            raise ValidationFailed({'customer_id': _('This customer no longer exists')})
        values.update(email=customer.email, name=None)  # theirs as stored: a typed name does not rename them
    elif not (values['email'] or '').strip():
        raise ValidationFailed({'customer_id': _("Choose a customer, or give a new customer's email")})
    # theirs: the agent on the phone is the one who follows it up, unless they gave it to a colleague
    assignee_id = data.get('assignee_id') or actor.id
    assignee = session.get(User, assignee_id) if isinstance(assignee_id, int) else None
    if not answers_requests(assignee):
        raise ValidationFailed({'assignee_id': _('Choose an active member of staff who answers requests')})
    return submit_request(session=session, actor=actor, source=TicketSource.staff, assignee_id=assignee.id, **values)


def add_customer_message(
    *,
    session: Session,
    number: int,
    body: str,
    token: str | None = None,
    email: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> TicketMessage:
    """A follow-up from the customer joins the thread and reopens a solved or waiting request. The customer proves
    the request is theirs with its token or (the front office, which has signed them in) their email. `files`: its
    attachments (the portal's rules), written in the same transaction or not at all."""
    ticket = continued(session, _ticket_of_customer(session, number, token=token, email=email))
    customer = session.get(Customer, ticket.customer_id)
    if customer.status == CustomerStatus.banned:
        raise CustomerBanned
    text, checked = _written(body, files)
    if ticket.status == TicketStatus.closed:
        raise ValidationFailed({'number': _closed(number)})
    ticket = get_for_update(session, Ticket, ticket.id, None, entity='tickets', label=N_('request'))
    message = TicketMessage(
        ticket_id=ticket.id, kind=MessageKind.customer, customer_id=customer.id, body=text, created_at=utcnow()
    )
    session.add(message)
    written = _attach(session, message, checked)
    values: dict[str, Any] = {}
    if ticket.status in (TicketStatus.waiting, TicketStatus.solved):
        values = {'status': TicketStatus.open, 'solved_at': None}
    # the agent in charge learns it from the bell, not by reloading the list (of a snoozed one with no assignee: who
    # snoozed it, since it comes back now)
    told = ticket.assignee_id or (ticket.snoozed_by_id if ticket.snoozed_until is not None else None)
    if told is not None:
        _tell_assignee(session, ticket, N_('The customer wrote on request #{number}: {subject}'), to=told)
    if ticket.snoozed_until is not None:  # the customer wrote: it comes back now, not at the snooze's end
        values.update(snoozed_until=None, snoozed_by_id=None)
    try:
        _save(
            session,
            None,
            ticket,
            values,
            'customer-message',
            touched=True,
            summary=sentence(N_('Message from the customer on #{number}'), number=ticket.number),
        )
    except BaseException:
        ticket_attachments.remove(written)
        raise
    return message


def follow_up_problem(session: Session, *, number: int, email: str) -> str:
    """Why the customer of `email` cannot follow up on request `number` ('' when they can): no such request of
    theirs, or it is closed. What add_customer_message refuses, read without writing, for the API to say it beside a
    malformed field of the same call."""
    try:
        ticket = continued(session, _ticket_of_customer(session, number, email=email))
    except NotFound as missing:
        return str(missing)
    return _closed(number) if ticket.status == TicketStatus.closed else ''


def _closed(number: int) -> str:
    return _('Request #{number} is closed: send a new request').format(number=number)


def continued(session: Session, ticket: Ticket) -> Ticket:
    """Where the customer's conversation goes on: a request merged into another of the same customer's goes on there
    (followed a few merges deep); any other request is itself. A merge into another customer's request is not followed:
    one customer's message never lands in another's request by it."""
    for _hop in range(5):
        if ticket.merged_into_id is None:
            break
        target = session.get(Ticket, ticket.merged_into_id)
        if target is None or target.customer_id != ticket.customer_id:
            break
        ticket = target
    return ticket


# --- the agent's side -------------------------------------------------------------------------------------------------


def takes_replies(ticket: Ticket) -> bool:
    """Whether the customer can still be answered on this request (a closed one takes notes only)."""
    return ticket.status != TicketStatus.closed


def reply(
    *,
    session: Session,
    actor: User,
    ticket_id: int,
    version: int,
    body: str,
    status: TicketStatus | str | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> TicketMessage:
    """An answer to the customer, queued in the outbox (services/mail.py sends it, its `files` attached: images and
    PDFs by the portal's rules, which the customer also sees in the portal). The first one stamps the first
    response. A new or open request then waits on the customer, unless `status` says otherwise (e.g. solved); a
    waiting or solved one keeps its status. An unassigned request becomes the replier's."""
    require(actor, 'tickets.write')
    text, checked = _written(body, files, mailed=True)
    _refuse_unfilled_placeholders(text)
    ticket = _locked(session, ticket_id, version)
    if not takes_replies(ticket):
        raise ValidationFailed({'body': _('This request is closed: it cannot be answered any more')})
    now = utcnow()
    values: dict[str, Any] = {}
    if status is None:
        status = TicketStatus.waiting if ticket.status in (TicketStatus.new, TicketStatus.open) else ticket.status
    values.update(_status_values(ticket, TicketStatus(status), now))
    if ticket.first_responded_at is None:
        values['first_responded_at'] = now
    if ticket.assignee_id is None:
        values['assignee_id'] = actor.id
    message = TicketMessage(
        ticket_id=ticket.id,
        kind=MessageKind.reply,
        author_id=actor.id,
        body=text,
        created_at=now,
        delivery=Delivery.queued,
    )
    session.add(message)
    written = _attach(session, message, checked)
    try:
        _save(
            session,
            actor,
            ticket,
            values,
            'replied',
            touched=True,
            summary=_summary(N_('Replied on #{number}'), N_('Replied on #{number} with {files}'), ticket, checked),
        )
    except BaseException:
        ticket_attachments.remove(written)
        raise
    return message


def add_note(
    *, session: Session, actor: User, ticket_id: int, body: str, files: list[tuple[str, bytes]] | None = None
) -> TicketMessage:
    """An internal note for colleagues, with its `files` (the portal's rules): never sent, its files never shown to
    the customer, and no edit conflict (the request itself is not changed)."""
    require(actor, 'tickets.write')
    text, checked = _written(body, files)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(_('This request no longer exists.'))
    message = TicketMessage(
        ticket_id=ticket.id, kind=MessageKind.note, author_id=actor.id, body=text, created_at=utcnow()
    )
    session.add(message)
    written = _attach(session, message, checked)
    try:
        audit.record(
            session,
            actor,
            'ticket.noted',
            'tickets',
            ticket.id,
            version=ticket.version,
            summary=_summary(N_('Note on #{number}'), N_('Note on #{number} with {files}'), ticket, checked),
        )
        changes.commit(session, (Topic.tickets, {'id': ticket.id, 'action': 'noted'}))
    except BaseException:
        ticket_attachments.remove(written)
        raise
    return message


def _written(
    body: str, files: list[tuple[str, bytes]] | None, *, mailed: bool = False
) -> tuple[str, list[ticket_attachments.Incoming]]:
    """A reply's or a note's text and files as they may be kept (`mailed`: a reply's, which go out in one email);
    ValidationFailed names every field at fault (the text and the files at once)."""
    errors: dict[str, str] = {}
    text, checked = '', []
    try:
        text = _valid(_BodyIn, {'body': body})['body']
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        checked = ticket_attachments.check(files or [], mailed=mailed)
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors:
        raise ValidationFailed(errors)
    return text, checked


def _attach(session: Session, message: TicketMessage, files: list[ticket_attachments.Incoming]) -> list[Any]:
    """The message's files written and their rows added in its transaction; the paths, to remove should it fail."""
    if not files:
        return []
    session.flush()  # the message's id
    return ticket_attachments.store(session, ticket_id=message.ticket_id, message_id=message.id, files=files)


def _summary(plain: str, with_files: str, ticket: Ticket, files: list[ticket_attachments.Incoming]) -> Sentence:
    """The audit summary of a reply or a note, naming the files it came with."""
    if not files:
        return sentence(plain, number=ticket.number)
    return sentence(with_files, number=ticket.number, files=', '.join(item.file_name for item in files)[:300])


def change(*, session: Session, actor: User, ticket_id: int, version: int, **fields: Any) -> Ticket:
    """Status, priority, type, assignee, tags, subject, order number and bug fields, with their rules: legal status
    transitions only (closed is final), solved stamps solved_at, a priority change moves the SLA due times."""
    require(actor, 'tickets.write')
    values = _valid(TicketChange, fields, partial=True)
    ticket = _locked(session, ticket_id, version)
    return _apply(session, actor, ticket, values, 'updated')


def update_ticket(*, session: Session, actor: User, record_id: int, version: int, changes: dict[str, Any]) -> Ticket:
    """The record service's hook (resources/support.py): a generic edit goes through `change`."""
    return change(session=session, actor=actor, ticket_id=record_id, version=version, **changes)


def assign_to_me(*, session: Session, actor: User, ticket_id: int, version: int) -> Ticket:
    return change(session=session, actor=actor, ticket_id=ticket_id, version=version, assignee_id=actor.id)


TAKEN_MEANWHILE = N_('a colleague has it: open the request to take it over')


def bulk_assign_to_me(*, actor: User, ids: list[int]) -> bulk.Summary:
    """Assign to me on the requests ticked in a list (its bulk bar), one transaction each: those nobody has, or the
    actor's already. One a colleague has is skipped, saying so: ticked in Unassigned, it was taken by a colleague before
    the press (their row gone from the list, still ticked), and went to this agent without a word to either of them.
    A request is taken over from a colleague on its page, where its assignee shows. A closed one is skipped too."""
    require(actor, 'tickets.write')
    summary = bulk.Summary()
    for ticket_id in ids:
        try:
            with session_scope() as session:
                ticket = session.get(Ticket, ticket_id)
                if ticket is None:
                    raise NotFound(_('This request no longer exists.'))
                if ticket.status == TicketStatus.closed:
                    raise ValidationFailed(
                        {'': _('{action} does not apply to it now').format(action=_('Assign to me'))}
                    )
                if ticket.assignee_id not in (None, actor.id):
                    raise ValidationFailed({'': _(TAKEN_MEANWHILE)})
                if ticket.assignee_id is None:
                    assign_to_me(session=session, actor=actor, ticket_id=ticket_id, version=ticket.version)
            summary.done += 1
        except ServiceError as error:
            errors = getattr(error, 'errors', None)
            summary.skipped.append((ticket_id, '; '.join(errors.values()) if errors else str(error)))
    return summary


def next_statuses(ticket: Ticket) -> list[TicketStatus]:
    """The statuses a request may be set to now: its own and where it may go next, in the desk's order (closed, which
    is final: only closed)."""
    allowed = TRANSITIONS[ticket.status] | {ticket.status}
    return [status for status in TicketStatus if status in allowed]


def may_mark_duplicate(ticket: Ticket) -> bool:
    """A request not yet closed (closed is final) and not already a duplicate may be marked as one."""
    return ticket.status != TicketStatus.closed and ticket.duplicate_of_id is None


DIFFERENT_CUSTOMERS = N_(
    'Request #{number} comes from {customer} and request #{original} from {other}: two different customers. '
    'Closing it as a duplicate means {customer} gets no answer of their own.'
)


def duplicate_warning(*, session: Session, actor: User, ticket_id: int, of_number: int | str) -> str | None:
    """What to confirm before marking this request a duplicate of that one: their customers differ (None: nothing;
    a number that names no request is left to mark_duplicate, which says so at the field)."""
    require(actor, 'tickets.read')
    ticket = session.get(Ticket, ticket_id)
    try:
        original = _original(session, of_number)
    except ValidationFailed:
        return None
    if ticket is None or original.customer_id == ticket.customer_id or _points_on(original):
        return None  # a duplicate or merged original is refused by mark_duplicate first, naming the one to choose
    customer, other = session.get(Customer, ticket.customer_id), session.get(Customer, original.customer_id)
    return _(DIFFERENT_CUSTOMERS).format(
        number=ticket.number, customer=_who(customer), original=original.number, other=_who(other)
    )


def _points_on(original: Ticket) -> bool:
    """Whether a request names another to go to instead (a duplicate's original, a merged request's target)."""
    return original.duplicate_of_id is not None or original.merged_into_id is not None


def mark_duplicate(
    *,
    session: Session,
    actor: User,
    ticket_id: int,
    version: int,
    of_number: int | str,
    other_customer: bool = False,
) -> Ticket:
    """Close a request as a duplicate of an earlier one (a note in its thread says which). The original must come
    from the same customer unless `other_customer` says the person confirmed duplicate_warning."""
    require(actor, 'tickets.write')
    ticket = _locked(session, ticket_id, version)
    original = _original(session, of_number)
    number = original.number
    if original.id == ticket.id:
        raise ValidationFailed({'of_number': _('A request cannot be a duplicate of itself')})
    if original.duplicate_of_id is not None:
        first = session.get(Ticket, original.duplicate_of_id)
        raise ValidationFailed(
            {
                'of_number': _('#{number} is itself a duplicate of #{first}: choose that one').format(
                    number=number, first=first.number
                )
            }
        )
    if original.merged_into_id is not None:
        # its conversation goes on in the request it was merged into: pointed at, the customer's duplicate led to a
        # closed request nobody answers any more
        into = session.get(Ticket, original.merged_into_id)
        raise ValidationFailed(
            {
                'of_number': _('#{number} was merged into #{into}: choose that one').format(
                    number=number, into=into.number if into else original.merged_into_id
                )
            }
        )
    if ticket.status == TicketStatus.closed:
        raise ValidationFailed({'status': _('This request is closed, which is final')})
    if original.customer_id != ticket.customer_id and not other_customer:
        raise ValidationFailed(
            {
                'of_number': _(
                    'Request #{number} comes from another customer: confirm that it is the same request'
                ).format(number=number)
            }
        )
    now = utcnow()
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            kind=MessageKind.note,
            author_id=actor.id,
            created_at=now,
            **system_note(sentence(N_('Closed as a duplicate of #{number}.'), number=original.number)),
        )
    )
    values = {'duplicate_of_id': original.id, **_status_values(ticket, TicketStatus.closed, now)}
    return _save(
        session,
        actor,
        ticket,
        values,
        'duplicate',
        summary=sentence(N_('#{number} is a duplicate of #{original}'), number=ticket.number, original=original.number),
    )


def retry_delivery(*, session: Session, actor: User, message_id: int) -> TicketMessage:
    """Put a failed reply (or solved notice) back in the outbox."""
    require(actor, 'tickets.write')
    message = session.get(TicketMessage, message_id, with_for_update=session.get_bind().dialect.name != 'sqlite')
    if message is None or message.kind not in (MessageKind.reply, MessageKind.notice):
        raise NotFound(_('This reply no longer exists.'))
    if message.delivery != Delivery.failed:
        raise ValidationFailed({'': _('Only a reply that failed to send can be sent again')})
    message.delivery, message.delivery_error, message.attempts = Delivery.queued, None, 0
    session.add(message)
    audit.record(
        session,
        actor,
        'ticket.reply_retried',
        'tickets',
        message.ticket_id,
        summary=sentence(N_('Sending a reply again')),
    )
    changes.commit(session, (Topic.tickets, {'id': message.ticket_id, 'action': 'delivery'}))
    return message


def system_note(text: Sentence) -> dict[str, Any]:
    """The body of a note the app writes itself on a request: the English text, and its msgid and values so that each
    agent reads it in their language (`note_text`)."""
    english, key, params = stored_text.stored(text)
    return {'body': english, 'body_key': key, 'body_params': params}


def note_text(message: TicketMessage) -> str:
    """A thread entry's text as its reader reads it: the app's own notes in their language, what people wrote as
    written."""
    if message.body_key:
        return stored_text.show(message.body, message.body_key, message.body_params)
    return message.body


def _original(session: Session, of_number: int | str) -> Ticket:
    try:
        number = int(str(of_number).strip().lstrip('#'))
    except ValueError:
        raise ValidationFailed({'of_number': _('Enter the number of the original request, e.g. 1042')}) from None
    if not 0 < number < 2**31:
        raise ValidationFailed({'of_number': _('There is no request #{number}').format(number=number)})
    original = session.exec(select(Ticket).where(Ticket.number == number)).first()
    if original is None:
        raise ValidationFailed({'of_number': _('There is no request #{number}').format(number=number)})
    return original


def _who(customer: Customer | None) -> str:
    if customer is None:
        return _('a deleted customer')
    return f'{customer.name} ({customer.email})' if customer.name else customer.email


# --- reading ----------------------------------------------------------------------------------------------------------


def found_by_reference(session: Session, term: str) -> list[int]:
    """The requests a list search names by reference (the request resource's `search_ids`): '#1042', as customers and
    our own replies quote a request, finds request 1042; an order's number finds the requests about that order. Only a
    term that could be one is looked up (a digit, no space)."""
    wanted = (term or '').strip()
    if not wanted or len(wanted) > 41 or ' ' in wanted or not any(c.isdigit() for c in wanted):
        return []
    found: list[int] = []
    if wanted.startswith('#') and wanted[1:].isdigit() and len(wanted) < 12:
        found += session.exec(select(Ticket.id).where(Ticket.number == int(wanted[1:]))).all()
    order = wanted.lstrip('#').lower()
    statement = select(Ticket.id).where(func.lower(col(Ticket.order_number)) == order).limit(200)
    found += [ticket_id for ticket_id in session.exec(statement).all() if ticket_id not in found]
    return [ticket_id for ticket_id in found if ticket_id is not None]


def get_ticket(*, session: Session, actor: User, number: int) -> Ticket:
    require(actor, 'tickets.read')
    wanted = int(number)
    # a number no INTEGER column holds (an address typed by hand) is no request, not a database error
    ticket = session.exec(select(Ticket).where(Ticket.number == wanted)).first() if 0 < wanted < 2**31 else None
    if ticket is None:
        raise NotFound(_('There is no request #{number}.').format(number=number))
    return ticket


def original_of(*, session: Session, actor: User, ticket: Ticket) -> Ticket | None:
    """The request this one duplicates, if it was marked as a duplicate."""
    require(actor, 'tickets.read')
    return session.get(Ticket, ticket.duplicate_of_id) if ticket.duplicate_of_id is not None else None


def linked_order(*, session: Session, actor: User, ticket: Ticket) -> Order | None:
    """The order the request names (its order number, or the shop's own order id), if it is this customer's."""
    require(actor, 'tickets.read')
    reference = (ticket.order_number or '').strip().lstrip('#')
    if not reference:
        return None
    statement = select(Order).where(
        Order.customer_id == ticket.customer_id, (Order.number == reference) | (Order.external_id == reference)
    )
    return session.exec(statement.order_by(col(Order.id)).limit(1)).first()


def thread(*, session: Session, actor: User, ticket_id: int) -> list[TicketMessage]:
    """The request's messages, replies and notes, oldest first."""
    require(actor, 'tickets.read')
    statement = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(col(TicketMessage.id))
    return list(session.exec(statement))


# --- customer feedback ------------------------------------------------------------------------------------------------


def rate(*, session: Session, number: int, token: str, score: int, comment: str | None = None) -> Ticket:
    """The customer's rating (1–5, with an optional comment) of a solved or closed request, once, through the link
    that carries the request's token."""
    ticket = _ticket_of_customer(session, number, token=token)
    ticket = get_for_update(session, Ticket, ticket.id, None, entity='tickets', label=N_('request'))
    if ticket.rated_at is not None:
        raise ValidationFailed({'': _('This request has already been rated. Thank you!')})
    if ticket.merged_into_id is not None:
        raise ValidationFailed({'': merged_words(session, ticket)})
    if ticket.status not in DONE:
        raise ValidationFailed({'': _('A request can be rated once it is solved')})
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed({'score': _('Give a score from 1 to 5')})
    comment = _valid(_CommentIn, {'comment': comment})['comment']
    return _save(
        session,
        None,
        ticket,
        {'rating': score, 'rating_comment': comment, 'rated_at': utcnow()},
        'rated',
        summary=sentence(N_('Rated {score}/5 by the customer'), score=score),
    )


def may_rate(ticket: Ticket) -> bool:
    """Whether the customer may rate this request now: solved or closed, not rated yet, and not merged into another.
    A merge closes the request without anybody's help having ended it: its conversation goes on in the other one,
    which is rated once solved (a merged request's rating would count in CSAT for help nobody gave). The portal, the
    rating link's page, the API and the solved email's link all ask this."""
    return ticket.status in DONE and ticket.rated_at is None and ticket.merged_into_id is None


def merged_words(session: Session, ticket: Ticket) -> str:
    """What the customer is told of their request merged into another, where to rate and write: the other's number
    when it is theirs too (another customer's request is never named to them)."""
    into = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id is not None else None
    if into is not None and into.customer_id == ticket.customer_id:
        return _(
            'This request was merged into request #{number}: the conversation goes on there, and you can rate our '
            'help there once it is solved.'
        ).format(number=into.number)
    return _(
        'This request was merged into another one: the conversation goes on there, and you can rate our help there '
        'once it is solved.'
    )


SOLVED_NOTICE = N_(
    'We have marked your request #{number} "{subject}" as solved.\n\n'
    'If anything is still not right, write to us again quoting request #{number}.'
)


def solved_notice(ticket: Ticket, actor: User | None) -> TicketMessage:
    """The email that tells the customer their request is solved; services/mail.py adds the link to rate it when it
    sends it (the link carries the request's token, so it is never stored in the thread agents read)."""
    return TicketMessage(
        ticket_id=ticket.id,
        kind=MessageKind.notice,
        author_id=actor.id if actor is not None else None,
        body=_notice_text(ticket),
        created_at=utcnow(),
        delivery=Delivery.queued,
    )


def _notice_text(ticket: Ticket) -> str:
    """The solved notice in the customer's language (their own, else the shop's default): it is stored as sent."""
    session = object_session(ticket)
    customer = session.get(Customer, ticket.customer_id) if session is not None else None
    # the customer's language arrives with issue #14's core part; until then (and without one) the shop's default
    language = getattr(customer, 'language', None) or i18n._default()
    with i18n.use(language):
        return _(SOLVED_NOTICE).format(number=ticket.number, subject=ticket.subject)


def _said(status: TicketStatus) -> str:
    """A request's status as a word in a sentence ('solved'; French 'résolue')."""
    words = {
        TicketStatus.new: pgettext('request status', 'new'),
        TicketStatus.open: pgettext('request status', 'open'),
        TicketStatus.waiting: pgettext('request status', 'waiting'),
        TicketStatus.solved: pgettext('request status', 'solved'),
        TicketStatus.closed: pgettext('request status', 'closed'),
    }
    return words.get(status, str(status))


@dataclass(frozen=True)
class RatingLink:
    """What the public rating page shows for the number and token of a customer's link."""

    number: int
    subject: str
    rateable: bool  # may_rate: solved or closed, not rated yet, not merged into another
    rated: bool
    merged: str = ''  # merged into another request: where the conversation goes on, in the customer's words


def rating_link(*, session: Session, number: int | str, token: str) -> RatingLink:
    """The request a rating link names, if its token matches (NotFound otherwise, telling nothing more)."""
    ticket = _ticket_of_customer(session, number, token=token)
    merged = merged_words(session, ticket) if ticket.merged_into_id is not None else ''
    return RatingLink(ticket.number, ticket.subject, may_rate(ticket), ticket.rated_at is not None, merged)


# --- canned replies ---------------------------------------------------------------------------------------------------


def render_canned(
    *, session: Session, actor: User, canned: CannedReply | int, ticket: Ticket | int, blanks: bool = False
) -> str:
    """A canned reply's body with this request's values; see fill_placeholders for what happens to the others.
    `blanks`: what the request has no value for becomes empty rather than staying as written, for an automation's
    email, which nobody reads before it goes (refused for a placeholder left in, the rule would stop mailing)."""
    require(actor, 'tickets.read')
    canned = session.get(CannedReply, canned) if isinstance(canned, int) else canned
    ticket = session.get(Ticket, ticket) if isinstance(ticket, int) else ticket
    if canned is None or ticket is None:
        raise NotFound(_('This canned reply or request no longer exists.'))
    customer = session.get(Customer, ticket.customer_id)
    filled = fill_placeholders(
        canned.body,
        {
            'customer_name': (customer.name or None) if customer else None,
            # "Hi Hugo," rather than "Hi Hugo Evans,": the first word of the name the customer gave
            'customer_first_name': ((customer.name or '').split() or [None])[0] if customer else None,
            'order_number': _order_number_of(session, actor, ticket),
            'request_number': ticket.number,
            'ticket_number': ticket.number,
            'agent_name': actor.name,
        },
    )
    return fill_placeholders(filled, dict.fromkeys(PLACEHOLDERS, '')) if blanks else filled


def _order_number_of(session: Session, actor: User, ticket: Ticket) -> str | None:
    """The number {order_number} fills in: only ever an order of the request's customer. The one the request names,
    if it is theirs; none when it names an order that is not theirs (a mistyped number, someone else's order: the agent
    checks before writing one); their latest when it names none. A customer without orders leaves it blank."""
    if (ticket.order_number or '').strip().lstrip('#'):
        named = linked_order(session=session, actor=actor, ticket=ticket)
        return named.number if named is not None else None
    latest = session.exec(
        select(Order.number)
        .where(Order.customer_id == ticket.customer_id)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        .limit(1)
    ).first()
    return latest or None


def tags_in_use(*, session: Session, recent: int = 2000, limit: int = 200) -> list[str]:
    """The tags of the `recent` most recently changed requests, the most used first (what an agent filters by)."""
    counted: dict[str, int] = {}
    rows = session.exec(
        select(Ticket.tags).order_by(col(Ticket.updated_at).desc(), col(Ticket.id).desc()).limit(recent)
    )
    for tags in rows:
        for tag in tags or ():
            counted[tag] = counted.get(tag, 0) + 1
    return sorted(counted, key=lambda tag: (-counted[tag], tag))[:limit]


def canned_choices(*, session: Session, actor: User, limit: int = 200) -> dict[int, str]:
    """The canned replies an agent picks from, each as 'Title — its text' on one line: typing in the picker finds one
    by a word of its title or of its text (the agent remembers 'tracking', not that the reply is called 'Parcel
    delay'). First `limit` by title."""
    require(actor, 'tickets.read')
    replies = session.exec(
        select(CannedReply)
        .where(col(CannedReply.deleted_at).is_(None))
        .order_by(func.lower(CannedReply.title), col(CannedReply.id))
        .limit(limit)
    )
    return {reply.id or 0: f'{reply.title} — {" ".join(reply.body.split())}' for reply in replies}


_PLACEHOLDER = re.compile(r'\{(\w+)\}')


def fill_placeholders(template: str, values: dict[str, Any]) -> str:
    """Known placeholders take their value; one the request has no value for (no order number, a customer known by
    their email only) and unknown ones, a typo like {custmer_name}, stay as written so the agent sees them before
    sending: emptied, 'a return label for order .' reached the customer without a word. Stray braces are left
    alone."""

    def value_of(match: re.Match) -> str:
        name = match.group(1)
        return match.group(0) if values.get(name) is None else str(values[name])

    return _PLACEHOLDER.sub(value_of, template)


def _refuse_unfilled_placeholders(text: str) -> None:
    """A reply still holding a canned reply's placeholder ({order_number} on a request without an order) is refused
    at its text, naming it: the customer would read the braces."""
    left = [
        name for name in dict.fromkeys(_PLACEHOLDER.findall(text)) if name in PLACEHOLDERS or name == 'ticket_number'
    ]
    if left:
        raise ValidationFailed(
            {
                'body': ngettext(
                    'Replace {placeholders} before sending: this request has no value for it',
                    'Replace {placeholders} before sending: this request has no value for them',
                    len(left),
                ).format(placeholders=', '.join(f'{{{name}}}' for name in left))
            }
        )


# --- helpers ----------------------------------------------------------------------------------------------------------


def _locked(session: Session, ticket_id: int, version: int | None) -> Ticket:
    return get_for_update(session, Ticket, ticket_id, version, entity='tickets', label=N_('request'))


def _next_number(session: Session) -> int:
    """The next request number, by one atomic upsert: the counter row stays locked until the transaction ends, so
    numbers are unique and gapless on PostgreSQL too (SQLite's BEGIN IMMEDIATE serialises writers anyway). A missing
    counter starts after the highest number in use."""
    table = TicketCounter.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == 'postgresql' else sqlite.insert
    start = select(func.coalesce(func.max(Ticket.number), FIRST_NUMBER - 1) + 1).scalar_subquery()
    statement = (
        insert(table)
        .values(name='tickets', value=start)
        .on_conflict_do_update(index_elements=['name'], set_={'value': table.c.value + 1})
        .returning(table.c.value)
    )
    return session.execute(statement).scalar_one()


def _auto_assignee(session: Session) -> int | None:
    """An active member of staff whose role receives requests (tickets.receive: agents, and any custom role given it)
    per the auto-assignment setting, or None. Runs after _next_number, so concurrent intakes take turns and
    round-robin never hands two requests to the same agent by a race."""
    mode = app_settings.value(session=session, key='auto_assign')
    if mode == 'off':
        return None
    agents = list(
        session.exec(
            select(User.id)
            .where(col(User.role).in_(roles.keys_with(session, 'tickets.receive')), col(User.is_active).is_(True))
            .order_by(col(User.id))
        )
    )
    if not agents:
        return None
    if mode == 'least_loaded':
        # a snoozed request counts in its agent's load: it is theirs and comes back to them (the bell tells them), so an
        # agent who put ten aside for Monday is not handed the next ten as if free. Only new requests are handed out
        # here: a snoozed one is never picked (automations may test Snoozed before assigning one)
        open_work = (
            select(Ticket.assignee_id, func.count())
            .where(col(Ticket.assignee_id).in_(agents), col(Ticket.status).in_(OPEN_STATUSES))
            .group_by(Ticket.assignee_id)
        )
        load = dict(session.exec(open_work).all())
        return min(agents, key=lambda agent: (load.get(agent, 0), agent))
    turn = session.get(TicketCounter, 'round_robin') or TicketCounter(name='round_robin', value=0)
    turn.value = next((agent for agent in agents if agent > turn.value), agents[0])
    session.add(turn)
    return turn.value


def _status_values(ticket: Ticket, target: TicketStatus, now: datetime) -> dict[str, Any]:
    if target == ticket.status:
        return {}
    if target not in TRANSITIONS[ticket.status]:
        if ticket.status == TicketStatus.closed:
            raise ValidationFailed(
                {
                    'status': _(
                        'This request is closed, which is final; a new message from the customer starts a new request'
                    )
                }
            )
        if target == TicketStatus.new:
            raise ValidationFailed({'status': _('A request cannot go back to new')})
        raise ValidationFailed(
            {
                'status': _('A {status} request cannot become {target}').format(
                    status=_said(ticket.status), target=_said(target)
                )
            }
        )
    values: dict[str, Any] = {'status': target}
    if target == TicketStatus.solved or (target == TicketStatus.closed and ticket.solved_at is None):
        values['solved_at'] = now
    elif target not in DONE:
        values['solved_at'] = None
    return values


def _apply(session: Session, actor: User, ticket: Ticket, values: dict[str, Any], action: str) -> Ticket:
    """Check an agent's changes against the rules, then save them."""
    errors: dict[str, str] = {}
    now = utcnow()
    if 'status' in values and values['status'] is None:
        errors['status'] = _('This field is required')
    for name in ('subject', 'priority', 'type'):
        if name in values and values[name] is None:
            errors[name] = _('This field is required')
    if values.get('tags') is None and 'tags' in values:
        values['tags'] = []
    if errors:
        raise ValidationFailed(errors)
    if values.get('status') is not None:
        try:
            values.update(_status_values(ticket, values['status'], now))
        except ValidationFailed as error:
            errors.update(error.errors)
    if values.get('assignee_id') is not None:
        assignee = session.get(User, values['assignee_id'])
        if not answers_requests(assignee):  # a colleague deactivated since the page was drawn too
            errors['assignee_id'] = _('Choose an active member of staff who answers requests')
        elif ticket.status == TicketStatus.new and 'status' not in values:
            values['status'] = TicketStatus.open  # a person took it on
    kind = values.get('type') or ticket.type
    if kind == TicketType.bug and ticket.bug_status is None and values.get('bug_status') is None:
        values['bug_status'] = BugStatus.reported
    if kind != TicketType.bug:
        for name, label in (
            ('severity', N_('severity')),
            ('steps', N_('steps')),
            ('bug_status', N_('bug status')),
            ('fixed_in_version', N_('fixed-in version')),
        ):
            if values.get(name) is not None:
                errors[name] = _('Only a bug report has a {field}: make its type Bug first').format(field=_(label))
    if values.get('bug_status', ticket.bug_status) == BugStatus.fixed and not values.get(
        'fixed_in_version', ticket.fixed_in_version
    ):
        errors['fixed_in_version'] = _('Say in which version it is fixed')
    if errors:
        raise ValidationFailed(errors)
    if 'priority' in values and values['priority'] != ticket.priority:
        values.update(ticket_sla.due_times(session, ticket, values['priority']))
    handed = values.get('assignee_id')
    if handed is not None and handed != ticket.assignee_id and handed != actor.id:  # given by a colleague: say so
        name = actor.name or actor.email
        _tell_assignee(session, ticket, N_('{name} assigned request #{number} to you: {subject}'), to=handed, name=name)
    return _save(session, actor, ticket, values, action)


def answers_requests(user: User | None) -> bool:
    """Whether a request may be assigned to this member of staff: active, in a role that answers requests."""
    return user is not None and user.is_active and can(user, 'tickets.write')


def _tell_assignee(session: Session, ticket: Ticket, text: str, *, to: int | None = None, **values: Any) -> None:
    """A notification to the request's assignee (or `to`, its next one), inside the caller's transaction, in their
    own language."""
    notifications.notify(
        session,
        user_id=to or ticket.assignee_id or 0,
        link=f'/requests/{ticket.number}',
        text=sentence(text, number=ticket.number, subject=ticket.subject, **values),
    )


def _save(
    session: Session,
    actor: User | None,
    ticket: Ticket,
    values: dict[str, Any],
    action: str,
    *,
    touched: bool = False,
    summary: str | Sentence = '',
) -> Ticket:
    """Set the values, keep the SLA due time in step, stamp, audit with the diff, commit, publish. `touched`: the
    thread changed, so the request counts as changed even when none of its fields did."""
    before = audit.snapshot(ticket)
    was = ticket.status
    for name, value in values.items():
        setattr(ticket, name, value)
    if ticket.status in DONE:  # solved or closed: nothing to come back to
        ticket.snoozed_until, ticket.snoozed_by_id = None, None
    ticket_sla.refresh_sla_due(ticket)
    diff = audit.diff(before, audit.snapshot(ticket))
    if not diff and not touched:
        session.commit()  # nothing to save: end the transaction (and its lock) without a new version
        return ticket
    stamp(ticket)
    session.add(ticket)
    if ticket.status == TicketStatus.solved and was != TicketStatus.solved:
        session.add(solved_notice(ticket, actor))
    audit.record(
        session,
        actor,
        f'ticket.{action}',
        'tickets',
        ticket.id,
        version=ticket.version,
        changes=diff,
        summary=summary
        or sentence(N_('Changed #{number}: {fields}'), number=ticket.number, fields=', '.join(sorted(diff))),
    )
    changes.commit(session, (Topic.tickets, {'id': ticket.id, 'action': action}))
    return ticket


def _ticket_of_customer(session: Session, number: int, *, token: str | None = None, email: str | None = None) -> Ticket:
    """The request, if the caller proves it is the customer's: NotFound tells no one whether the number exists, and
    names what the caller sent (the front office sends an email, a customer's link a token)."""
    missing = NotFound(
        _('No request matches this number and link.')
        if token or not email
        else _('No request of this customer has this number.')
    )
    try:
        ticket = session.exec(select(Ticket).where(Ticket.number == int(number))).first()
    except (TypeError, ValueError):
        raise missing from None
    if ticket is None:
        raise missing
    if token:
        if not secrets.compare_digest(str(token).encode(), ticket.token.encode()):
            raise missing
        return ticket
    if email:
        customer = session.get(Customer, ticket.customer_id)
        if customer is None or customer.email.lower() != str(email).strip().lower():
            raise missing
        return ticket
    raise missing
