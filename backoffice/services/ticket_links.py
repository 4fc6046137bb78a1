"""Requests related to one another: links an agent makes between two requests (shown on both, removable), and merging
one request into another (its messages and their files move there; it closes, pointing to where the conversation goes
on). Each public function is one transaction, audited on both requests, and publishes ('tickets', {'ids': [...]})
after its commit so that both requests' screens update.

The customer is sent nothing on a merge: what they wrote is all still answered, in the target request; a reply to an
email of either request finds its thread (a moved message keeps its Message-ID), and a message on the merged request
(its link, the front office, a mail naming its number) joins the target when that is the same customer's
(`tickets.continued`); the portal shows the merged request pointing there. An email saying "your request was merged"
tells them nothing they can act on, and across two customers would tell one about the other's request. Nor are they
told "solved" of a conversation that goes on: a solved notice not sent yet of the merged request (or of the target the
merge opens again) is cancelled, audited, and stays where it was, shown to agents as not sent; the target's own
solved notice, once it is solved, is the one they get, with its rating link."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, case, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, or_, select, update
from sqlmodel.sql.expression import SelectOfScalar

from backoffice import changes, events
from backoffice.engine.declaration import Resource, resource
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.listing.search import first_reading, term_conditions
from backoffice.models import (
    Customer,
    Delivery,
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketLink,
    TicketMessage,
    TicketStatus,
    User,
    utcnow,
)
from backoffice.permissions import can, require
from backoffice.services import audit, ticket_sla
from backoffice.services.tickets import _locked, _save, _status_values, _who, system_note, takes_replies
from backoffice.stored_text import Sentence, sentence

SEARCH_LIMIT = 10  # requests a search shows
MORE_COUNTED = 1000  # beyond those shown, matches counted up to this many
AWAITING_ANSWER = (TicketStatus.new, TicketStatus.open)  # the customer's last word is unanswered
CROSS_CUSTOMER_PERMISSION = 'customers.write'  # merging two customers' requests: see `merge`


@dataclass(frozen=True)
class RelatedRequest:
    """Another request as a link list or a search shows it."""

    id: int
    number: int
    subject: str
    status: str
    customer: str = ''  # a search's results say whose it is (for who may read customers)


def may_merge(ticket: Ticket) -> bool:
    """A request still open to the customer (closed is final) that was not merged already may be merged elsewhere."""
    return takes_replies(ticket) and ticket.merged_into_id is None


def merged_into(*, session: Session, actor: User, ticket: Ticket) -> RelatedRequest | None:
    """Where a merged request's conversation goes on."""
    require(actor, 'tickets.read')
    target = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id is not None else None
    return _related(target) if target is not None else None


def linked(*, session: Session, actor: User, ticket_id: int) -> list[RelatedRequest]:
    """The requests linked to this one, by number."""
    require(actor, 'tickets.read')
    others = _linked_ids(session, ticket_id)
    if not others:
        return []
    found = session.exec(select(Ticket).where(col(Ticket.id).in_(others)).order_by(col(Ticket.number)))
    return [_related(ticket) for ticket in found]


@dataclass(frozen=True)
class Found:
    """What a search for another request shows: the first matches, and how many more match (`more_capped`: at least
    that many; counting stops there)."""

    requests: list[RelatedRequest]
    more: int = 0
    more_capped: bool = False


def search(*, session: Session, actor: User, query: str, ticket_id: int | None = None, merging: bool = False) -> Found:
    """The requests an agent may mean by `query`, to link to (or, `merging`, to merge into) the request `ticket_id`: by
    number ('1042', '#1042': that one first), else by the subject, the number or the customer's name or email, read as
    every search reads several words (`search.first_reading`): as typed when that finds a request to show, else each
    word in any order ('parcel lost' finds 'Lost parcel'); the most recently updated first. Leaves out the request
    itself and, for a link, those already linked to it; for a merge, closed ones (they cannot take one)."""
    require(actor, 'tickets.read')
    text = (query or '').replace('\x00', '').strip()
    if not text:
        return Found([])
    dialect = session.get_bind().dialect.name
    tickets_list = resource('tickets')
    number = _number_in(text)
    left_out = set() if ticket_id is None else {ticket_id} | (set() if merging else _linked_ids(session, ticket_id))
    first = [] if number is None else [case((col(Ticket.number) == number, 0), else_=1)]

    def read(terms: tuple[str, ...]) -> tuple[SelectOfScalar[Ticket], list[Ticket]]:
        # each term as the list's search reads it: the subject, the number, and the customer's name or email for those
        # who may read customers (the list's search_related)
        matches = and_(
            *(condition for term in terms for condition in _matching(session, tickets_list, term, dialect, actor))
        )
        if number is not None:
            matches = or_(Ticket.number == number, matches)
        statement = select(Ticket).where(matches, col(Ticket.id).not_in(left_out))
        if merging:
            statement = statement.where(Ticket.status != TicketStatus.closed)
        ordered = statement.order_by(*first, col(Ticket.updated_at).desc(), col(Ticket.id).desc())
        return statement, list(session.exec(ordered.limit(SEARCH_LIMIT)))

    chosen = first_reading(text, read, lambda reading: bool(reading[1]))
    if chosen is None:
        return Found([])
    statement, found = chosen
    more = 0
    if len(found) == SEARCH_LIMIT:  # count the rest, up to a point: a common word matches thousands
        ids = statement.with_only_columns(col(Ticket.id)).order_by(None).limit(SEARCH_LIMIT + MORE_COUNTED)
        more = session.exec(select(func.count()).select_from(ids.subquery())).one() - SEARCH_LIMIT
    by_customer = can(actor, resource('customers').read_permission)
    whose = _customers(session, {ticket.customer_id for ticket in found}) if by_customer else {}
    shown = [replace(_related(ticket), customer=whose.get(ticket.customer_id, '')) for ticket in found]
    return Found(shown, more, more >= MORE_COUNTED)


def _customers(session: Session, ids: set[int]) -> dict[int, str]:
    """Each customer as a search result names them: their name, else their email."""
    rows = session.exec(select(Customer.id, Customer.name, Customer.email).where(col(Customer.id).in_(ids))).all()
    return {_id(row_id): name or email for row_id, name, email in rows}


def _matching(session: Session, listed: Resource, term: str, dialect: str, actor: User) -> list[ColumnElement[bool]]:
    """The list's search of one term (a word, or the phrase as typed). On PostgreSQL its LIKE twin: the trigram indexes
    serve `lower(column) LIKE` by themselves, and the list's own form names a CTE per table, which two words would name
    twice."""
    conditions, like = term_conditions(session, listed, term, dialect, actor)
    return like if dialect == 'postgresql' else conditions


def _number_in(text: str) -> int | None:
    """The request number a search names: '1042' or '#1042'."""
    digits = text.lstrip('#').strip()
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def _linked_ids(session: Session, ticket_id: int) -> set[int]:
    rows = session.exec(
        select(TicketLink.first_id, TicketLink.second_id).where(
            or_(TicketLink.first_id == ticket_id, TicketLink.second_id == ticket_id)
        )
    ).all()
    return {second if first == ticket_id else first for first, second in rows}


def link(*, session: Session, actor: User, ticket_id: int, other_number: int | str) -> RelatedRequest:
    """Relate two requests; the link shows on both."""
    require(actor, 'tickets.write')
    ticket = _existing(session, ticket_id)
    other = _by_number(session, other_number, field='other_number')
    if other.id == ticket.id:
        raise ValidationFailed({'other_number': _('A request cannot be linked to itself')})
    first, second = sorted((_id(ticket.id), _id(other.id)))
    taken = session.exec(
        select(TicketLink.id).where(TicketLink.first_id == first, TicketLink.second_id == second)
    ).first()
    said = _('#{number} is already linked to this request').format(number=other.number)
    if taken is not None:
        raise ValidationFailed({'other_number': said})
    session.add(TicketLink(first_id=first, second_id=second, created_by_id=actor.id, created_at=utcnow()))
    try:
        session.flush()
    except IntegrityError:  # a colleague linked the two at the same moment (PostgreSQL: their insert won)
        session.rollback()
        raise ValidationFailed({'other_number': said}) from None
    _audit_both(session, actor, 'ticket.linked', ticket, other, N_('Linked #{number} to #{other}'))
    changes.commit(session, (Topic.tickets, {'ids': [ticket.id, other.id], 'action': 'linked'}))
    return _related(other)


def unlink(*, session: Session, actor: User, ticket_id: int, other_id: int) -> None:
    """Remove the link between two requests (from either side)."""
    require(actor, 'tickets.write')
    first, second = sorted((ticket_id, other_id))
    row = session.exec(select(TicketLink).where(TicketLink.first_id == first, TicketLink.second_id == second)).first()
    if row is None:
        raise NotFound(_('These requests are no longer linked.'))
    ticket, other = _existing(session, ticket_id), _existing(session, other_id)
    session.delete(row)
    _audit_both(session, actor, 'ticket.unlinked', ticket, other, N_('Unlinked #{number} from #{other}'))
    changes.commit(session, (Topic.tickets, {'ids': [ticket.id, other.id], 'action': 'unlinked'}))


MERGE_DIFFERENT_CUSTOMERS = N_(
    'Request #{number} comes from {customer} and request #{target} from {other}: two different customers. '
    "Merging shows {customer}'s messages to {other} in the portal, and {customer} gets no answer of their own."
)


def merge_warning(*, session: Session, actor: User, ticket_id: int, into_number: int | str) -> str | None:
    """What to confirm before merging this request into that one: their customers differ (None: nothing; a number
    that names no request is left to `merge`, which says so at the field)."""
    require(actor, 'tickets.read')
    ticket = session.get(Ticket, ticket_id)
    try:
        target = _by_number(session, into_number, field='into_number')
    except ValidationFailed:
        return None
    if ticket is None or target.customer_id == ticket.customer_id:
        return None
    _may_merge_across(actor, target)
    customer, other = session.get(Customer, ticket.customer_id), session.get(Customer, target.customer_id)
    return _(MERGE_DIFFERENT_CUSTOMERS).format(
        number=ticket.number, customer=_who(customer), target=target.number, other=_who(other)
    )


def merge(
    *,
    session: Session,
    actor: User,
    ticket_id: int,
    version: int,
    into_number: int | str,
    other_customer: bool = False,
) -> Ticket:
    """Move this request's messages (and the files that came with them) into the target request, and close this one
    as merged into it, with a note in both threads. Refused into itself, into a closed request, and into another
    customer's request unless `other_customer` says the person confirmed `merge_warning`. Returns the target."""
    require(actor, 'tickets.write')
    target_id = _number_to_id(session, into_number, field='into_number')
    if target_id == ticket_id:
        raise ValidationFailed({'into_number': _('A request cannot be merged into itself')})
    # both locked, the lower id first: two agents merging two requests into each other wait instead of deadlocking
    if target_id < ticket_id:
        target = _locked(session, target_id, None)
        ticket = _locked(session, ticket_id, version)
    else:
        ticket = _locked(session, ticket_id, version)
        target = _locked(session, target_id, None)
    if not may_merge(ticket):
        raise ValidationFailed({'into_number': _('This request is closed, which is final: it cannot be merged')})
    if not takes_replies(target):
        raise ValidationFailed(
            {'into_number': _('#{number} is closed: choose a request that is still open').format(number=target.number)}
        )
    if target.customer_id != ticket.customer_id:
        _may_merge_across(actor, target)
    if target.customer_id != ticket.customer_id and not other_customer:
        raise ValidationFailed(
            {
                'into_number': _(
                    'Request #{number} comes from another customer: confirm that it is the same conversation'
                ).format(number=target.number)
            }
        )
    if target.customer_id != ticket.customer_id and _unsent(session, _id(ticket.id)):
        # the outbox mails a reply to its request's customer: moved, it would go to the other customer
        raise ValidationFailed(
            {'into_number': _('A reply on this request is still waiting to be sent: merge it once the reply is sent')}
        )
    # its solved notice not sent yet would tell the customer "solved" of a conversation that goes on (in the target,
    # open or still to be solved): it stays here, cancelled, and the customer is told "solved" once, by the target
    kept = _cancel_solved_notice(
        session,
        actor,
        ticket,
        sentence(
            N_('Solved notice of #{number} not sent: merged into #{target} before it went out'),
            number=ticket.number,
            target=target.number,
        ),
    )
    staying = col(TicketMessage.id).not_in(kept)
    moved = session.exec(select(TicketMessage.id).where(TicketMessage.ticket_id == ticket.id, staying)).all()
    session.exec(
        update(TicketMessage).where(col(TicketMessage.ticket_id) == ticket.id, staying).values(ticket_id=target.id)
    )
    session.exec(
        update(TicketAttachment).where(col(TicketAttachment.ticket_id) == ticket.id).values(ticket_id=target.id)
    )
    now = utcnow()
    session.add(
        TicketMessage(
            ticket_id=_id(ticket.id),
            kind=MessageKind.note,
            author_id=actor.id,
            created_at=now,
            **system_note(sentence(N_('Merged into #{number}: the conversation goes on there.'), number=target.number)),
        )
    )
    session.add(
        TicketMessage(
            ticket_id=_id(target.id),
            kind=MessageKind.note,
            author_id=actor.id,
            created_at=now,
            **system_note(
                sentence(
                    N_('#{number} was merged into this request (messages moved: {count}).'),
                    number=ticket.number,
                    count=len(moved),
                )
            ),
        )
    )
    _took_in(session, actor, target, ticket, len(moved), now)
    _save(
        session,
        actor,
        ticket,
        {'merged_into_id': target.id, **_status_values(ticket, TicketStatus.closed, now)},
        'merged',
        summary=sentence(N_('#{number} merged into #{target}'), number=ticket.number, target=target.number),
    )
    return target


def _may_merge_across(actor: User, target: Ticket) -> None:
    """Merging into another customer's request shows one customer's messages to the other in the portal: a change to
    customers' data, refused (at the field, before any confirmation) to whom may answer requests but not change
    customers (a custom role with tickets.write alone)."""
    if not can(actor, CROSS_CUSTOMER_PERMISSION):
        raise ValidationFailed(
            {
                'into_number': _(
                    "Request #{number} is another customer's: merging into it takes the right to change customers "
                    '({permission}). Ask someone who has it, or link the two requests instead.'
                ).format(number=target.number, permission=CROSS_CUSTOMER_PERMISSION)
            }
        )


def _took_in(session: Session, actor: User, target: Ticket, merged: Ticket, moved: int, now: datetime) -> None:
    """The target's side of a merge, a change of the target like any other: a new version (an agent's edit begun on
    the one before is refused as changed meanwhile, naming who merged), its updated time (the live list moves it up),
    audited, published after the commit (its screen shows the messages that came in). A new target is open from then
    on: an agent has handled it (a helpdesk's "new" is a request no agent has touched), and its clock runs on as it was,
    the customer not being answered yet. A merged request still awaiting an answer (new or open) brings its question
    along: a target waiting on the customer or solved opens again, or the question would sit in no queue."""
    before = audit.snapshot(target)
    reopened = merged.status in AWAITING_ANSWER and target.status in (TicketStatus.waiting, TicketStatus.solved)
    if target.status == TicketStatus.new or reopened:
        for name, value in _status_values(target, TicketStatus.open, now).items():
            setattr(target, name, value)
        ticket_sla.refresh_sla_due(target)
    if reopened:  # its own "solved" not sent yet is no longer true: the question that came in awaits an answer
        _cancel_solved_notice(
            session,
            actor,
            target,
            sentence(
                N_('Solved notice of #{number} not sent: open again with #{merged} merged in before it went out'),
                number=target.number,
                merged=merged.number,
            ),
        )
    diff = audit.diff(before, audit.snapshot(target))
    changes.stamp(target)
    session.add(target)
    audit.record(
        session,
        actor,
        'ticket.merged_in',
        'tickets',
        target.id,
        version=target.version,
        changes={'messages': [None, moved], **diff},
        summary=sentence(N_('#{number} merged into #{target}'), number=merged.number, target=target.number),
    )
    # _save, which ends the merge, publishes the merged request's own change
    events.after_commit(session, Topic.tickets, {'id': target.id, 'action': 'merged_in'})


def _cancel_solved_notice(session: Session, actor: User, ticket: Ticket, why: Sentence) -> list[int]:
    """Cancel the request's solved notices the outbox has not sent (queued, or failed and waiting for a retry), which a
    merge made untrue; audited on the request when there was one. Their ids (an empty list: none)."""
    unsent = session.exec(
        select(TicketMessage).where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.kind == MessageKind.notice,
            col(TicketMessage.delivery).in_([Delivery.queued, Delivery.failed]),
        )
    ).all()
    for notice in unsent:
        notice.delivery, notice.delivery_error = Delivery.cancelled, None
        session.add(notice)
    if unsent:
        audit.record(
            session,
            actor,
            'ticket.notice_cancelled',
            'tickets',
            ticket.id,
            changes={'solved_notice': ['queued', 'cancelled']},
            summary=why,
        )
    return [_id(notice.id) for notice in unsent]


def _unsent(session: Session, ticket_id: int) -> bool:
    """A reply still to be sent (a solved notice is cancelled by the merge, and stays: see `_cancel_solved_notice`)."""
    statement = select(TicketMessage.id).where(
        TicketMessage.ticket_id == ticket_id,
        TicketMessage.kind == MessageKind.reply,
        col(TicketMessage.delivery).in_([Delivery.queued, Delivery.failed]),
    )
    return session.exec(statement.limit(1)).first() is not None


def _related(ticket: Ticket) -> RelatedRequest:
    return RelatedRequest(_id(ticket.id), ticket.number, ticket.subject, ticket.status.value)


def _id(value: int | None) -> int:
    assert value is not None  # stored rows have their ids
    return value


def _existing(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(_('This request no longer exists.'))
    return ticket


def _by_number(session: Session, number: int | str, *, field: str) -> Ticket:
    return _existing(session, _number_to_id(session, number, field=field))


def _number_to_id(session: Session, number: int | str, *, field: str) -> int:
    """The id of the request with this number (read without loading the row, which the caller may lock)."""
    text = str(number if number is not None else '').strip().lstrip('#').strip()
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed({field: _('Enter the number of a request, e.g. 1042')})
    found = session.exec(select(Ticket.id).where(Ticket.number == int(text))).first()
    if found is None:
        raise ValidationFailed({field: _('There is no request #{number}').format(number=int(text))})
    return found


def _audit_both(session: Session, actor: User, action: str, ticket: Ticket, other: Ticket, said: str) -> None:
    for one, two in ((ticket, other), (other, ticket)):
        audit.record(
            session,
            actor,
            action,
            'tickets',
            one.id,
            version=one.version,
            changes={'linked': [None, two.number] if action == 'ticket.linked' else [two.number, None]},
            summary=sentence(said, number=one.number, other=two.number),
        )
