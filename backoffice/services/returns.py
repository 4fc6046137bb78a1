"""Returns (RMA): started from a shipped order or from a support request of type "return or exchange", with lines,
quantities and reasons; receiving one restocks (return movements); it ends in a refund, a credit note (store credit)
or an exchange order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from backoffice import changes, events, stored_text
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed, typed_at
from backoffice.events import Topic
from backoffice.i18n import N_, _, pgettext
from backoffice.models import (
    Customer,
    InvoiceKind,
    MessageKind,
    MovementKind,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    Product,
    Return,
    ReturnLine,
    ReturnResolution,
    ReturnStatus,
    Ticket,
    TicketMessage,
    TicketType,
    User,
    utcnow,
)
from backoffice.permissions import can, require
from backoffice.services import audit, gateway_payments, invoices, numbering, orders, payments, stock, tickets
from backoffice.stored_text import Sentence, count, joined, money, sentence, stored, word
from backoffice.validation import too_long, whole

RETURNABLE = orders.RETURNABLE


def allowed_actions(rma: Return) -> frozenset[str]:
    """What this return allows now: 'receive' and 'cancel' while requested; once received, one resolution each
    ('refund', 'credit_note', 'exchange'); nothing once closed or cancelled."""
    if rma.status == ReturnStatus.requested:
        return frozenset({'receive', 'cancel'})
    if rma.status == ReturnStatus.received:
        return frozenset(resolution.value for resolution in ReturnResolution)
    return frozenset()


def may_start_from_ticket(ticket: Ticket) -> bool:
    """A request starts a return when it is of type "return or exchange" and names its order."""
    return ticket.type == TicketType.return_exchange and bool(ticket.order_number)


def anything_left_to_return(session: Session, order: Order) -> bool:
    """Whether any of the order's goods can still come back (shipped, and not all in returns already): what the
    request page asks before it offers "Start a return"."""
    lines = orders.order_lines(session, order.id or 0)
    return any(still_returnable(session, order.id or 0, lines).values())


def returns_of_ticket(session: Session, ticket_id: int) -> dict[str, int]:
    """{return number: its order's id} of the returns started from a request: its thread's "Return R-… started" notes
    link to where each is handled (the order's page)."""
    rows = session.exec(
        select(Return.number, Return.order_id).where(Return.ticket_id == ticket_id).order_by(col(Return.id))
    )
    return {number: order_id for number, order_id in rows}


def waits_for_order(ticket: Ticket) -> bool:
    """A return or exchange request that names no order yet: its order's number is what lets it start a return."""
    return ticket.type == TicketType.return_exchange and not ticket.order_number


REASON_MAX = 500  # characters of a return's reason (Return.reason)
LINE_REASON_MAX = 200  # of a returned line's (ReturnLine.reason)
CANCEL_REASON_MAX = 300  # of why a return is called off (said in its order's timeline)


def create_return(
    *,
    session: Session,
    actor: User,
    order_id: int,
    lines: list[dict[str, Any]],
    reason: str = '',
    ticket_id: int | None = None,
) -> Return:
    """A return of some of an order's shipped goods: {order_line_id, quantity, reason} per line, never more than was
    shipped and not returned yet."""
    if not (can(actor, 'orders.write') or (ticket_id is not None and can(actor, 'tickets.write'))):
        require(actor, 'orders.write')
    return start_return(
        session=session, actor=actor, order_id=order_id, lines=lines, reason=reason, ticket_id=ticket_id
    )


def start_return(
    *,
    session: Session,
    actor: User | None,
    order_id: int,
    lines: list[dict[str, Any]],
    reason: str = '',
    ticket_id: int | None = None,
) -> Return:
    """create_return's work, for a caller that checked who may: staff (above), or the customer in the portal (`actor`
    None: services/portal.py, which checks the order is theirs and within the return window)."""
    order = orders.locked(session, order_id, None)
    if order.status not in RETURNABLE and not orders.partly_shipped(order):
        raise orders.IllegalTransition(
            _('Order {number} is {status}: only a shipped or delivered order can be returned').format(
                number=order.number, status=orders.said(order.status)
            )
        )
    order_lines = {line.id: line for line in orders.order_lines(session, order.id)}
    returned = already_returned(session, order.id)
    shipped = shipped_quantities(session, order, list(order_lines.values()))
    errors: dict[str, str] = {}
    wanted: list[tuple[OrderLine, int, str]] = []
    claimed: dict[int, int] = {}  # what the lines before in this return already take of an order line
    for i, line in enumerate(lines):
        order_line = order_lines.get(_int(line.get('order_line_id')))
        if order_line is None:
            errors[f'lines.{i}.order_line_id'] = _('Choose a line of this order')
            continue
        quantity = _int(line.get('quantity'))
        taken = returned.get(order_line.id, 0) + claimed.get(order_line.id, 0)
        left = max(shipped.get(order_line.id, 0) - taken, 0)  # as still_returnable
        if quantity is None or quantity < 0:
            errors[f'lines.{i}.quantity'] = _('Enter a whole number')
        elif left < quantity <= order_line.quantity - taken:  # what is asked was bought but has not left yet
            errors[f'lines.{i}.quantity'] = _(
                '{sku}: {waiting} not shipped yet; at most {n} shipped can come back'
            ).format(sku=order_line.sku, waiting=order_line.quantity - shipped.get(order_line.id, 0), n=left)
        elif quantity > left:
            errors[f'lines.{i}.quantity'] = _('{sku}: at most {n} can still be returned').format(
                sku=order_line.sku, n=left
            )
        elif quantity:
            claimed[order_line.id] = claimed.get(order_line.id, 0) + quantity
            said = ' '.join(str(line.get('reason') or '').split())
            if len(said) > LINE_REASON_MAX:  # ReturnLine.reason: refused at the line, never cut unseen
                errors[f'lines.{i}.reason'] = too_long(LINE_REASON_MAX, len(said))
            wanted.append((order_line, quantity, said))
    reason = ' '.join((reason or '').split())
    if len(reason) > REASON_MAX:  # Return.reason: refused at its field, never cut unseen
        errors['reason'] = too_long(REASON_MAX, len(reason))
    if not errors and not wanted:
        errors['lines'] = _('Return at least one item')
    if errors:
        raise ValidationFailed(errors)
    number = numbering.next_number(session, 'returns', select(func.count(Return.id) + 1001).scalar_subquery())
    rma = Return(
        number=f'R-{number}',
        order_id=order.id,
        customer_id=order.customer_id,
        ticket_id=ticket_id,
        reason=reason,
        currency=order.currency,
        created_by=actor.id if actor is not None else None,
    )
    session.add(rma)
    session.flush()
    for order_line, quantity, why in wanted:
        session.add(
            ReturnLine(
                return_id=rma.id,
                order_line_id=order_line.id,
                product_id=order_line.product_id,
                quantity=quantity,
                reason=why,
            )
        )
    if ticket_id is not None:
        session.add(
            TicketMessage(
                ticket_id=ticket_id,
                kind=MessageKind.note,
                author_id=actor.id if actor is not None else None,
                **tickets.system_note(
                    sentence(N_('Return {number} started for order {order}.'), number=rma.number, order=order.number)
                ),
                created_at=utcnow(),
            )
        )
    items = joined([sentence(N_('{quantity} × {sku}'), quantity=count(q), sku=line.sku) for line, q, _why in wanted])
    orders.log_event(
        session,
        order,
        'return-requested',
        sentence(N_('Return {number} requested: {items}'), number=rma.number, items=items),
        actor,
    )
    audit.record(
        session,
        actor,
        'return.created',
        'returns',
        rma.id,
        version=rma.version,
        summary=sentence(
            N_('Return {number} for order {order}: {items}'), number=rma.number, order=order.number, items=items
        ),
    )
    noted = [(Topic.tickets, {'id': ticket_id, 'action': 'noted'})] if ticket_id is not None else []
    changes.commit(
        session,
        (Topic.returns, {'id': rma.id, 'action': 'created'}),
        (Topic.orders, {'id': order.id, 'action': 'return'}),
        *noted,
    )
    return rma


def create_return_from_ticket(
    *, session: Session, actor: User, ticket_id: int, lines: list[dict[str, Any]], reason: str = ''
) -> Return:
    """A return for the order a "return or exchange" request names (the order must be that customer's)."""
    require(actor, 'tickets.write')
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(_('This request no longer exists.'))
    if ticket.type != TicketType.return_exchange:
        raise ValidationFailed({'type': _('Only a request of type "Return or exchange" starts a return')})
    if not ticket.order_number:
        raise ValidationFailed({'order_number': _("Set the request's order number first")})
    order = tickets.linked_order(session=session, actor=actor, ticket=ticket)  # its number or the shop's own id
    if order is None:
        raise ValidationFailed(
            {'order_number': _('No order {number} of this customer').format(number=ticket.order_number)}
        )
    return create_return(
        session=session,
        actor=actor,
        order_id=order.id,
        lines=lines,
        ticket_id=ticket.id,
        reason=reason or ticket.subject,
    )


def receive(
    *,
    session: Session,
    actor: User,
    return_id: int,
    version: int | None = None,
    restock: bool = True,
    sellable: dict[int, Any] | None = None,
) -> Return:
    """The parcel is back: the returned items go back on the shelf (a return movement each); `restock=False` when
    they came back broken or unsellable: received, and the stock stays as it is (no movement). `sellable`: per return
    line id, how many of it can be sold again (the rest came back broken): only those are restocked."""
    require(actor, 'orders.write')
    rma = _locked(session, return_id, version)
    if rma.status != ReturnStatus.requested:
        raise orders.IllegalTransition(
            _('Return {number} is {status}: only a requested return can be received').format(
                number=rma.number, status=status_said(rma.status)
            )
        )
    lines = lines_of(session, rma.id)
    back = _sellable(lines, sellable) if restock else dict.fromkeys((line.id for line in lines), 0)
    wanted: dict[int, int] = {}
    for line in lines:
        if line.product_id is not None and back[line.id]:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + back[line.id]
    levels = stock.locked_levels(session, wanted) if wanted else {}
    for product_id, quantity in wanted.items():
        product = session.get(Product, product_id) if product_id not in levels else None
        if product is not None and product.stocked:
            # stocked, yet never received nor counted (sold before its first stock came in): its stock starts here,
            # reserving what its open orders wait for, as a first receipt's does
            levels[product_id] = stock.level_for(session, product)
        if product_id in levels:
            stock.move(
                session,
                levels[product_id],
                MovementKind.return_,
                quantity,
                reason=reason_of(rma),
                order_id=rma.order_id,
                return_id=rma.id,
                actor=actor,
            )
    rma.status, rma.received_at = ReturnStatus.received, utcnow()
    order = session.get(Order, rma.order_id)
    # a service or a plan sent back goes on no shelf
    kept = _stocked(session, {line.product_id for line in lines if line.product_id is not None})
    restocked = sum(back[line.id] for line in lines if line.product_id is None or line.product_id in kept)
    rma.restocked_quantity = restocked
    rma.restocked, rma.restocked_key, rma.restocked_params = stored(restocked_said(restocked, _came(lines)))
    orders.log_event(session, order, 'return-received', _receipt(rma, lines, restocked), actor)
    return _save(session, actor, rma, 'received', topics=(Topic.stock,) if restocked else ())


def receipt_said(received: Return, lines: list[ReturnLine]) -> str:
    """What `receive` said it put back on the shelf, in the reader's language (the order's timeline keeps the same
    sentence): from the return as `receive` left it."""
    return _receipt(received, lines, received.restocked_quantity or 0).shown()


# the list's cell under 'Restocked' ('2 of 3'; migration 0056 wrote it for the returns received before)
RESTOCKED = N_('{restocked} of {came}')


def restocked_said(restocked: int, came: int) -> Sentence:
    """How much of a received return went back on the shelf, as /returns lists it under 'Restocked' ('2 of 3')."""
    return sentence(RESTOCKED, restocked=count(restocked), came=count(came))


def restocked_shown(rma: Return) -> str:
    """How much of a received return went back on the shelf in the reader's language; '' before it is received."""
    if rma.restocked_quantity is None:
        return ''
    return _('Restocked: {count}').format(
        count=stored_text.show(rma.restocked, rma.restocked_key, rma.restocked_params)
    )


def _came(lines: list[ReturnLine]) -> int:
    return sum(line.quantity for line in lines)


def _stocked(session: Session, product_ids: set[int]) -> set[int]:
    if not product_ids:
        return set()
    return set(session.exec(select(Product.id).where(col(Product.id).in_(product_ids), col(Product.stocked).is_(True))))


def _receipt(rma: Return, lines: list[ReturnLine], restocked: int) -> Sentence:
    """All of the return back in stock, none of it, or some."""
    came = _came(lines)
    if restocked == came:
        return sentence(N_('Return {number} received and restocked'), number=rma.number)
    if restocked == 0:
        return sentence(N_('Return {number} received; its items were not put back in stock'), number=rma.number)
    return sentence(
        N_('Return {number} received: {restocked} of {came} items put back in stock, the rest not'),
        number=rma.number,
        restocked=count(restocked),
        came=count(came),
    )


def _sellable(lines: list[ReturnLine], sellable: dict[int, Any] | None) -> dict[int, int]:
    """How many of each return line go back on the shelf: all of it unless `sellable` says less (checked per line)."""
    given = {_int(key): value for key, value in (sellable or {}).items()}
    back: dict[int, int] = {}
    errors: dict[str, str] = {}
    for line in lines:
        if line.id not in given:
            back[line.id] = line.quantity
            continue
        field = f'sellable-{line.id}'
        number = stock.quantity_of(given[line.id], errors, field=field)
        if number is not None and field not in errors and number > line.quantity:
            errors[field] = _('At most {n} came back').format(n=line.quantity)
        back[line.id] = number or 0
    if errors:
        raise ValidationFailed(errors)
    return back


def cancel_return(
    *, session: Session, actor: User, return_id: int, version: int | None = None, reason: str = ''
) -> Return:
    """The customer keeps the goods after all: a requested return is called off (its items may be returned again).
    Nothing was restocked, reserved or drafted for it yet, so nothing else changes. A received return cannot be
    cancelled: its goods are back on the shelf (resolve it instead)."""
    require(actor, 'orders.write')
    reason = typed_at('reason', reason, maximum=CANCEL_REASON_MAX)
    rma = _locked(session, return_id, version)
    if rma.status != ReturnStatus.requested:
        raise orders.IllegalTransition(
            _(
                'Return {number} is {status}: only a return not yet received can be cancelled; its goods are back '
                'in stock, resolve it instead'
            ).format(number=rma.number, status=status_said(rma.status))
            if rma.status == ReturnStatus.received
            else _('Return {number} is {status}: only a return not yet received can be cancelled').format(
                number=rma.number, status=status_said(rma.status)
            )
        )
    rma.status, rma.closed_at = ReturnStatus.cancelled, utcnow()
    order = session.get(Order, rma.order_id)
    cancelled = (
        sentence(N_('Return {number} cancelled: {reason}'), number=rma.number, reason=reason)
        if reason
        else sentence(N_('Return {number} cancelled'), number=rma.number)
    )
    orders.log_event(session, order, 'return-cancelled', cancelled, actor)
    return _save(session, actor, rma, 'cancelled')


@dataclass(frozen=True)
class RefundQuote:
    """What resolving a return by a refund would pay back, and to whom: stated before any money moves."""

    amount: Decimal
    currency: str
    customer_name: str
    return_number: str
    order_number: str


def refund_quote(*, session: Session, actor: User, return_id: int) -> RefundQuote:
    """The amount a refund of this received return pays back: the returned items' value, at most what was paid and
    not yet refunded on its order."""
    require(actor, 'orders.write')
    rma = session.get(Return, return_id)
    if rma is None:
        raise NotFound(_('This return no longer exists.'))
    order = session.get(Order, rma.order_id)
    amount = _refundable(session, rma, order)
    customer = session.get(Customer, order.customer_id) if order.customer_id is not None else None
    name = (customer.name or customer.email) if customer is not None else _('the customer')
    return RefundQuote(amount, order.currency, name, rma.number, order.number)


def resolution_question(*, session: Session, actor: User, return_id: int, resolution: ReturnResolution | str) -> str:
    """What ending this received return by store credit or an exchange does, asked before it is done: a credit note is
    a numbered document and an exchange a new order with stock reserved, neither taken back by a second click."""
    require(actor, 'orders.write')
    rma = session.get(Return, return_id)
    if rma is None:
        raise NotFound(_('This return no longer exists.'))
    order = session.get(Order, rma.order_id)
    customer = session.get(Customer, order.customer_id) if order.customer_id is not None else None
    name = (customer.name or customer.email) if customer is not None else _('the customer')
    lines = lines_of(session, rma.id)
    if ReturnResolution(resolution) == ReturnResolution.credit_note:
        value = max(min(returned_value(session, lines), _not_given_back(session, order)), Decimal('0.00'))
        return _(
            'Give {amount} of store credit to {customer} for return {rma} (order {order})? A credit note is issued.'
        ).format(
            amount=payments.amount_in_words(value, order.currency), customer=name, rma=rma.number, order=order.number
        )
    items = ', '.join(f'{line.quantity} × {session.get(OrderLine, line.order_line_id).sku}' for line in lines)
    return _(
        'Send {items} again to {customer} at no charge for return {rma} (order {order})? A new order is made and '
        'the items are reserved.'
    ).format(items=items, customer=name, rma=rma.number, order=order.number)


def resolve(
    *,
    session: Session,
    actor: User,
    return_id: int,
    resolution: ReturnResolution | str,
    version: int | None = None,
    amount: Decimal | str | None = None,
) -> Return:
    """End a received return: refund the returned items' value, give it as store credit (a credit note), or send
    the same items again in an exchange order (reserved now, nothing to pay). A refund of an order paid at a gateway
    (Stripe) is sent there, as "Refund a payment" does: its outcome is `gateway_payments.refund_of_return`.
    `amount`: the refund the person confirmed (refund_quote); a refund that would now pay another amount is refused,
    so money never moves by more or less than what was shown."""
    require(actor, 'orders.write')
    try:
        resolution = ReturnResolution(resolution)
    except ValueError:
        raise ValidationFailed({'resolution': _('Choose refund, credit note or exchange')}) from None
    rma = _locked(session, return_id, version)
    if rma.status != ReturnStatus.received:
        raise orders.IllegalTransition(
            _('Return {number} is {status}: receive it first').format(number=rma.number, status=status_said(rma.status))
            if rma.status == ReturnStatus.requested
            else _('Return {number} is {status} already').format(number=rma.number, status=status_said(rma.status))
        )
    order = orders.locked(session, rma.order_id, None)
    lines = lines_of(session, rma.id)
    value = returned_value(session, lines)
    left = _not_given_back(session, order)  # store credit or an exchange never gives back more than the order was
    if resolution == ReturnResolution.credit_note and left <= 0:
        raise ValidationFailed(
            {
                'resolution': _(
                    'Everything order {number} cost was given back already: there is no credit left'
                ).format(number=order.number)
            }
        )
    if resolution == ReturnResolution.exchange and value > left:
        raise ValidationFailed(
            {
                'resolution': _(
                    'Order {number} has only {left} left that was not given back, less than the {value} these items '
                    'are worth: give store credit instead'
                ).format(
                    number=order.number,
                    left=payments.amount_in_words(max(left, Decimal('0')), order.currency),
                    value=payments.amount_in_words(value, order.currency),
                )
            }
        )
    value = min(value, left)
    if resolution == ReturnResolution.refund:  # checked before anything changes
        refundable = _refundable(session, rma, order)
        if amount is not None and payments.money(amount, 'amount') != refundable:
            raise ValidationFailed(
                {
                    'amount': _(
                        'The refund for return {number} is now {amount}, not {confirmed}: check it and confirm again'
                    ).format(
                        number=rma.number,
                        amount=payments.amount_in_words(refundable, order.currency),
                        confirmed=amount,
                    )
                }
            )
    rma.status, rma.resolution, rma.closed_at = ReturnStatus.closed, resolution, utcnow()
    exchange = _exchange_order(session, actor, order, lines) if resolution == ReturnResolution.exchange else None
    if exchange is not None:
        rma.exchange_order_id = exchange.id
    stamp(rma)
    session.add(rma)
    audit.record(
        session,
        actor,
        'return.resolved',
        'returns',
        rma.id,
        version=rma.version,
        summary=sentence(N_('Return {number}: {resolution}'), number=rma.number, resolution=word(RESOLVED[resolution])),
    )
    events.after_commit(session, Topic.returns, {'id': rma.id, 'action': 'resolved'})  # the refund or order commits
    if resolution == ReturnResolution.refund and gateway_payments.paid_through_gateway(session, order):
        # paid by card at a gateway: the money goes back there (written, committed with the return, then sent with
        # its idempotency key); its outcome is the gateway refund's (gateway_payments.refund_of_return)
        gateway_payments.request_refund(
            session=session,
            actor=actor,
            order_id=order.id,
            amount=refundable,
            reason=reason_of(rma),
            return_id=rma.id,
        )
    elif resolution == ReturnResolution.refund:
        payments.refund(
            session=session,
            actor=actor,
            order_id=order.id,
            amount=refundable,
            reason=reason_of(rma),
            return_id=rma.id,
        )
    else:
        if resolution == ReturnResolution.credit_note:
            note = invoices.issue(
                session, order, InvoiceKind.credit_note, actor=actor, credit=value, note=reason_of(rma)
            )
            text = sentence(
                N_('Return {number}: store credit of {amount}, credit note {note}'),
                number=rma.number,
                amount=money(value, order.currency),
                note=note.number,
            )
        else:  # the exchange order is the one to pack and ship: the original order's timeline names it
            assert exchange is not None
            text = sentence(
                N_('Return {number}: exchanged, exchange order {exchange}'), number=rma.number, exchange=exchange.number
            )
        orders.save(session, actor, order, audit.snapshot(order), 'return-resolved', text)
    return rma


# written on orders' timelines before the exchange order was named there: still read in each reader's language
WRITTEN_BEFORE = (N_('Return {number}: exchanged'),)


def reason_of(rma: Return) -> Sentence:
    """Why stock came back or money went back for a return ('Return R-7'): kept as a msgid with its number, so the
    movements list and the order page say it in the reader's language and a credit note in its own."""
    return sentence(N_('Return {number}'), number=rma.number)


def status_said(status: ReturnStatus) -> str:
    """A return's status as a word in a sentence ('received'; French 'réceptionné'): its messages and the order page's
    return rows; the returns list says the same words capitalised (resources.purchasing.RETURN_STATUSES)."""
    words = {
        ReturnStatus.requested: pgettext('return status', 'requested'),
        ReturnStatus.received: pgettext('return status', 'received'),
        ReturnStatus.closed: pgettext('return status', 'closed'),
        ReturnStatus.cancelled: pgettext('return status', 'cancelled'),
    }
    return words.get(status, str(status))


def _refundable(session: Session, rma: Return, order: Order) -> Decimal:
    amount = min(returned_value(session, lines_of(session, rma.id)), order.paid_total - order.refunded_total)
    if amount <= 0:
        raise ValidationFailed(
            {'resolution': _('Nothing was paid on order {number} that could be refunded').format(number=order.number)}
        )
    return amount


def _not_given_back(session: Session, order: Order) -> Decimal:
    """What the order cost that was neither refunded nor given as store credit (a credit note with no refund)."""
    return order.total - order.refunded_total - payments.store_credit(session, order.id)


def returns_of(*, session: Session, actor: User, order_id: int) -> list[Return]:
    require(actor, 'orders.read')
    return list(session.exec(select(Return).where(Return.order_id == order_id).order_by(col(Return.id))))


def exchange_numbers(session: Session, found: list[Return]) -> dict[int, str]:
    """The number of the exchange order each of these returns sent, by return id (the order page links to it)."""
    ids = {rma.exchange_order_id: rma.id for rma in found if rma.exchange_order_id is not None}
    if not ids:
        return {}
    rows = session.exec(select(Order.id, Order.number).where(col(Order.id).in_(list(ids))))
    return {ids[order_id]: number for order_id, number in rows}


def exchange_origin(session: Session, order_id: int) -> tuple[str, str] | None:
    """For an exchange order, the return that sent it and the order that return came from (their numbers), which
    settled it: the exchange order's page says so where a payment would show."""
    row = session.exec(
        select(Return.number, Order.number)
        .join(Order, col(Order.id) == Return.order_id)
        .where(Return.exchange_order_id == order_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def lines_of(session: Session, return_id: int) -> list[ReturnLine]:
    return list(session.exec(select(ReturnLine).where(ReturnLine.return_id == return_id).order_by(col(ReturnLine.id))))


def already_returned(session: Session, order_id: int) -> dict[int, int]:
    """{order_line_id: quantity} in the order's returns that are not cancelled."""
    rows = session.exec(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id, Return.status != ReturnStatus.cancelled)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(total) for line_id, total in rows}


def shipped_quantities(session: Session, order: Order, lines: list[OrderLine]) -> dict[int, int]:
    """{order_line_id: how many left the shop}: every line of a shipped or delivered order but what was called off (one
    shipped before parcels had lines, or with no parcel recorded, all the same), what the parcels took of a partly
    shipped one, else none."""
    if order.status in RETURNABLE:  # less what was called off before it left (orders.cancel_rest)
        return {line.id: line.quantity - line.cancelled_quantity for line in lines if line.id is not None}
    if orders.partly_shipped(order):
        return orders.shipped_by_line(session, order.id or 0, lines)
    return {}


def still_returnable(session: Session, order_id: int, lines: list[OrderLine]) -> dict[int, int]:
    """{order_line_id: how many can still come back}: shipped (a partly shipped order: what its parcels took), less
    what the order's returns not cancelled hold."""
    order = session.get(Order, order_id)
    if order is None:
        return {}
    returned = already_returned(session, order_id)
    shipped = shipped_quantities(session, order, lines)
    return {
        line.id: max(shipped.get(line.id, 0) - returned.get(line.id, 0), 0) for line in lines if line.id is not None
    }


def anything_returnable(session: Session, order_id: int, lines: list[OrderLine]) -> bool:
    """Whether any of the order's items can still come back (see still_returnable): orders.allowed_actions offers a
    return only then."""
    return any(still_returnable(session, order_id, lines).values())


def returned_value(session: Session, lines: list[ReturnLine]) -> Decimal:
    """What the returned items cost the customer: their share of each line's total with tax."""
    value = Decimal('0.00')
    for line in lines:
        order_line = session.get(OrderLine, line.order_line_id)
        per_unit = (order_line.line_total + order_line.tax_amount) / order_line.quantity
        value += (per_unit * line.quantity).quantize(orders.CENT)
    return value


def _exchange_order(session: Session, actor: User, order: Order, lines: list[ReturnLine]) -> Order:
    """The same items again at no charge: reserved now (OutOfStock if they are not there), paid (nothing is due). Its
    origin is said by its timeline's first entry, read in each reader's language; the note stays empty (on an order it
    holds the customer's words, and an English sentence stored there read English to everyone)."""
    # its totals are those of its lines (the price, all of it discounted; no shipping charged), so the order's page and
    # the reports say what the lines say rather than a subtotal of 0 above a line priced in full
    priced, totals, currency = orders.price_lines(
        session,
        [
            {'product_id': line.product_id, 'quantity': line.quantity, 'discount_percent': Decimal('100')}
            for line in lines
            if line.product_id is not None
        ],
        free_shipping=True,
    )
    stock.reserve(session, orders.reserved_by(priced), {line.product_id: line.sku for line in priced})
    now = utcnow()
    number = numbering.next_number(
        session, 'orders', select(func.max(Order.id) + orders.FIRST_NUMBER).scalar_subquery()
    )
    exchange = Order(
        number=str(number),
        customer_id=order.customer_id,
        email=order.email,
        status=OrderStatus.paid,
        source=OrderSource.exchange,
        currency=currency,
        placed_at=now,
        paid_at=now,
        shipping_name=order.shipping_name,
        shipping_address=order.shipping_address,
    )
    orders.apply_totals(exchange, totals, currency)
    session.add(exchange)
    session.flush()
    for line in priced:
        line.order_id = exchange.id
        line.tax_amount = Decimal('0.00')
        session.add(line)
    orders.log_event(
        session, exchange, 'created', sentence(N_('Exchange for order {number}'), number=order.number), actor
    )
    audit.record(
        session,
        actor,
        'order.created',
        'orders',
        exchange.id,
        version=exchange.version,
        summary=sentence(N_('Exchange order {number} for {order}'), number=exchange.number, order=order.number),
    )
    return exchange


def _locked(session: Session, return_id: int, version: int | None) -> Return:
    return get_for_update(session, Return, return_id, version, entity='returns', label=N_('return'))


RESOLVED = {  # how a resolution reads in a summary (the returns list declares the same words)
    ReturnResolution.refund: N_('Refund'),
    ReturnResolution.credit_note: N_('Credit note'),
    ReturnResolution.exchange: N_('Exchange'),
}
RETURN_SUMMARIES = {'received': N_('Return {number} received'), 'cancelled': N_('Return {number} cancelled')}


def _save(session: Session, actor: User, rma: Return, action: str, *, topics: tuple[Topic, ...] = ()) -> Return:
    stamp(rma)
    session.add(rma)
    audit.record(
        session,
        actor,
        f'return.{action}',
        'returns',
        rma.id,
        version=rma.version,
        summary=sentence(RETURN_SUMMARIES[action], number=rma.number)
        if action in RETURN_SUMMARIES
        else f'Return {rma.number} {action}',
    )
    changes.commit(
        session,
        (Topic.returns, {'id': rma.id, 'action': action}),
        (Topic.orders, {'id': rma.order_id, 'action': f'return-{action}'}),
        *((topic, {'action': action, 'return_id': rma.id}) for topic in topics),
    )
    return rma


def _int(value: Any) -> int | None:
    """A whole number, else None: '1,5' and 1.5 are not read as 15 or 1."""
    try:
        return None if isinstance(value, bool) else whole(value)
    except ValueError:
        return None
