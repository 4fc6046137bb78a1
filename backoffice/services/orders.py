"""Orders: placing one (the front office, idempotent by its own order id) or a staff draft, prices, taxes and discounts
computed here from the products (never taken from the client), the status flow pending → paid → packed → shipped →
delivered with cancellation before shipping, reservations, the timeline. Each public function taking an `actor` is
one transaction and publishes ('orders', {'id', 'action'}) after its commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, event, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from backoffice import changes, events, formatting, stored_text
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ServiceError, ValidationFailed, field_errors, readable, typed_at
from backoffice.events import Topic
from backoffice.i18n import N_, _, pgettext
from backoffice.models import (
    Carrier,
    Customer,
    CustomerStatus,
    InvoiceKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderSource,
    OrderStatus,
    Product,
    Refund,
    Shipment,
    ShipmentLine,
    User,
    utcnow,
)
from backoffice.models.catalog import MAX_PRICE
from backoffice.payment_providers.base import message_said
from backoffice.permissions import require
from backoffice.services import app_settings, audit, customers, invoice_issue, numbering, stock
from backoffice.stored_text import Sentence, money, sentence, word
from backoffice.validation import Email, WholeNumber, is_web_address

FIRST_NUMBER = 100001
SOURCE_WORDS: dict[OrderSource, str] = {  # where an order came from, as its timeline says it
    OrderSource.api: N_('from the shop'),
    OrderSource.staff: N_('by staff'),
    OrderSource.exchange: N_('as an exchange'),
    OrderSource.seed: N_('demo data'),
}
CENT = Decimal('0.01')
MAX_LINES, MAX_QUANTITY = 100, 999

# where a status may go next; delivered and cancelled are final
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.draft: frozenset({OrderStatus.pending, OrderStatus.cancelled}),
    OrderStatus.pending: frozenset({OrderStatus.paid, OrderStatus.cancelled}),
    OrderStatus.paid: frozenset({OrderStatus.packed, OrderStatus.cancelled}),
    OrderStatus.packed: frozenset({OrderStatus.shipped, OrderStatus.cancelled}),
    OrderStatus.shipped: frozenset({OrderStatus.delivered}),
    OrderStatus.delivered: frozenset(),
    OrderStatus.cancelled: frozenset(),
}
RESERVING = stock.RESERVING  # their lines hold reserved stock
RETURNABLE = (OrderStatus.shipped, OrderStatus.delivered)  # their goods may come back
PICKABLE = (OrderStatus.pending, OrderStatus.paid, OrderStatus.packed)  # placed, not shipped: a pick list has work
# the action that takes an order to each status
STEP_TO: dict[OrderStatus, str] = {
    OrderStatus.pending: 'confirm',
    OrderStatus.paid: 'record_payment',
    OrderStatus.packed: 'pack',
    OrderStatus.shipped: 'ship',
    OrderStatus.delivered: 'deliver',
    OrderStatus.cancelled: 'cancel',
}
ACTIONS = frozenset(
    {*STEP_TO.values(), 'edit_draft', 'refund', 'start_return', 'issue_invoice', 'pick_list', 'cancel_rest'}
)


def allowed_actions(
    order: Order, *, invoiced: bool = False, on_terms: bool = False, returnable: bool = True
) -> frozenset[str]:
    """The actions this order allows now, by name (see ACTIONS): the order page shows these and no other. Each
    action's service still checks its own rule, with the reason, when it runs. An order is invoiced by hand once paid,
    or before if its customer is `on_terms` (a business customer with payment terms). `returnable`: something of it can
    still come back (returns.anything_returnable); once everything has been returned, no return is offered."""
    status = order.status
    allowed = {STEP_TO[target] for target in TRANSITIONS[status]}
    if status in PICKABLE:  # placed and not shipped yet: something is still to fetch from the shelves
        allowed.add('pick_list')
    if refunded_in_full(order):  # nothing left paid: its goods are not sent (check_goods_may_leave)
        allowed -= {'pack', 'ship'}
    if partly_shipped(order):  # parcels left: the rest ships or is called off, the order is no longer cancelled
        allowed.discard('cancel')
        allowed.add('cancel_rest')
    if status == OrderStatus.draft:
        allowed.add('edit_draft')
    if order.paid_total > order.refunded_total:
        allowed.add('refund')
    if (status in RETURNABLE or partly_shipped(order)) and returnable:  # a partly shipped one: what its parcels took
        allowed.add('start_return')
    if (
        not invoiced
        and not settled_by_exchange(order)  # nothing sold: the invoice of the order it replaces stands
        and status not in (OrderStatus.draft, OrderStatus.cancelled)
        and (status != OrderStatus.pending or on_terms)
    ):
        allowed.add('issue_invoice')
    return frozenset(allowed)


def settled_by_exchange(order: Order) -> bool:
    """An exchange order (a return resolved by an exchange: the same items sent again at no charge) is settled by that
    return: nothing is to pay, so no payment is awaited, and nothing is sold, so it has no invoice of its own."""
    return order.source == OrderSource.exchange and order.total == 0


class IllegalTransition(ServiceError):
    """A status change the flow does not allow (the API answers 409)."""


class ExternalIdTaken(ServiceError):
    """The shop's order id names an order placed for another customer: a retry is the same customer's order, so this
    is a new order under a reused id, and answering the other customer's order would lose it."""


class CustomerBanned(ServiceError):
    def __init__(self) -> None:
        super().__init__(_('This customer is banned: their orders are not accepted.'))


# --- what the front office and staff may send -------------------------------------------------------------------------


def _one_line(limit: int):
    def clean(value: Any) -> str:
        value = ' '.join(str(value or '').replace('\x00', '').split())
        if len(value) > limit:
            raise ValueError(_('Use at most {n} characters').format(n=formatting.number(limit)))
        return value

    return clean


class LineIn(BaseModel):
    model_config = ConfigDict(extra='forbid')

    sku: str | None = Field(default=None, max_length=40)
    product_id: int | None = None
    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)  # '1,5' refused, never read as 15
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] = Decimal('0')

    @field_validator('discount_percent', mode='before')
    @classmethod
    def _typed_percent(cls, value: Any) -> Any:
        """A percent as staff type it in the draft form: '12,5' (French), '12.5 %', or nothing for none."""
        if not isinstance(value, str):
            return value
        typed = ''.join(value.split()).removesuffix('%').replace(',', '.')
        return typed or Decimal('0')


NAME_MAX = 120  # characters of an order's customer and shipping names, on one line
SHIPPING_ADDRESS_MAX = 1000
CUSTOMER_NOTE_MAX = 2000  # of the customer's note on an order
FREE_SHIPPING_REASON_MAX = 200  # of why a draft ships free (said in its timeline)


class OrderIn(BaseModel):
    """An order as the front office sends it: who, what (products by SKU or id, quantities, a discount in percent),
    where to. Prices, taxes, shipping and totals are the back office's."""

    model_config = ConfigDict(extra='forbid')

    email: Email | None = None
    customer_id: int | None = None
    name: str = ''
    external_id: str | None = Field(default=None, max_length=100)
    lines: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)
    shipping_name: str = ''
    shipping_address: str = Field(default='', max_length=SHIPPING_ADDRESS_MAX)
    note: str = Field(default='', max_length=CUSTOMER_NOTE_MAX)

    _names = field_validator('name', 'shipping_name', mode='before')(_one_line(NAME_MAX))
    _external = field_validator('external_id', mode='before')(
        lambda v: (_one_line(100)(v) or None) if v is not None else None
    )


class DraftIn(OrderIn):
    """A staff draft (a phone order): an order, and shipping may be waived with a reason kept in its timeline."""

    free_shipping: bool = False
    free_shipping_reason: str = ''

    _reason = field_validator('free_shipping_reason', mode='before')(_one_line(FREE_SHIPPING_REASON_MAX))


# --- placing and drafting ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False: the same external_id was placed before; this is that order


def place_order(
    *, session: Session, data: dict[str, Any], actor: User | None = None, source: OrderSource = OrderSource.api
) -> Placed:
    """A placed order (pending, its lines reserved): idempotent by `external_id` (a repeat returns the first order).
    Refused with ValidationFailed (per field), OutOfStock or CustomerBanned."""
    if actor is not None:
        require(actor, 'orders.write')
    values = _valid(OrderIn, data)
    if values['external_id']:
        existing = _by_external_id(session, values['external_id'])
        if existing is not None:
            session.commit()  # nothing written: end the transaction (and SQLite's write lock), keep the record loaded
            return Placed(_same_customers(existing, values), False)
    if not values['lines']:
        raise ValidationFailed({'lines': _('Add at least one product')})
    try:
        order = _create(session, actor, values, OrderStatus.pending, source)
    except IntegrityError:  # a concurrent call with the same external_id won the race
        session.rollback()
        existing = _by_external_id(session, values['external_id']) if values['external_id'] else None
        if existing is None:
            raise
        return Placed(_same_customers(existing, values), False)
    return Placed(order, True)


def create_draft(*, session: Session, actor: User, data: dict[str, Any]) -> Order:
    """A staff draft: priced like any order but reserving nothing until it is confirmed."""
    require(actor, 'orders.write')
    values = _draft_values(data)
    return _create(session, actor, values, OrderStatus.draft, OrderSource.staff)


def update_draft(*, session: Session, actor: User, order_id: int, version: int, data: dict[str, Any]) -> Order:
    """Change a draft's customer (by `customer_id` or `email`; a banned one is refused), lines, address or note
    (prices are computed again)."""
    require(actor, 'orders.write')
    values = _draft_values(data)
    order = locked(session, order_id, version)
    if order.status != OrderStatus.draft:
        raise IllegalTransition(
            _('Order {number} is {status}: only a draft can be edited').format(
                number=order.number, status=said(order.status)
            )
        )
    before = audit.snapshot(order)
    text = sentence(N_('Draft changed'))  # stored with its msgid: shown in each reader's language
    if values['customer_id'] is not None or values['email']:
        customer = _customer(session, values)
        if customer.id != order.customer_id:
            order.customer_id, order.email = customer.id, customer.email
            text = sentence(N_('Draft changed: the customer is now {email}'), email=customer.email)
    waived = values.get('shipping_waived_reason', '')
    if waived != order.shipping_waived_reason:  # said in the timeline on its own, with the reason
        log_event(session, order, 'shipping-waived', _waiver_said(waived), actor)
        order.shipping_waived_reason = waived
    lines, totals, currency = price_lines(session, values['lines'], free_shipping=bool(waived))
    session.exec(delete(OrderLine).where(OrderLine.order_id == order.id))
    apply_totals(order, totals, currency)
    for name in ('shipping_name', 'shipping_address', 'note'):
        setattr(order, name, values[name])
    for line in lines:
        line.order_id = order.id
        session.add(line)
    return save(session, actor, order, before, 'draft-updated', text)


def confirm(*, session: Session, actor: User, order_id: int, version: int) -> Order:
    """A draft becomes a placed order: its lines are reserved (OutOfStock if they cannot all be)."""
    require(actor, 'orders.write')
    order = locked(session, order_id, version)
    check_transition(order, OrderStatus.pending)
    lines = order_lines(session, order.id)
    if not lines:
        raise ValidationFailed({'lines': _('Add at least one product before confirming')})
    stock.reserve(session, reserved_by(lines), {line.product_id: line.sku for line in lines})
    before = audit.snapshot(order)
    order.status, order.placed_at = OrderStatus.pending, utcnow()
    return save(session, actor, order, before, 'confirmed', sentence(N_('Confirmed: waiting for payment')))


# --- the flow ---------------------------------------------------------------------------------------------------------


def pack(*, session: Session, actor: User, order_id: int, version: int) -> Order:
    require(actor, 'orders.write')
    order = locked(session, order_id, version)
    check_transition(order, OrderStatus.packed)
    check_goods_may_leave(order)
    before = audit.snapshot(order)
    order.status = OrderStatus.packed
    return save(session, actor, order, before, 'packed', sentence(N_('Packed')))


def ship(
    *,
    session: Session,
    actor: User,
    order_id: int,
    version: int,
    carrier_id: int | None = None,
    tracking_number: str = '',
    lines: Mapping[Any, Any] | list[dict[str, Any]] | str | None = None,
) -> Shipment:
    """A parcel left: a shipment with the carrier's tracking link, holding `lines` ({order_line_id: quantity}, or
    [{order_line_id, quantity}], or as the API sends it 'MUG-01:2, TEE-03:1' by SKU or line id; None or '':
    everything not shipped yet), whose reserved goods become sales. The order is
    shipped when its last unit left; until then it stays packed and reads "Partly shipped" (`partly_shipped`).
    Refused at `lines.{order_line_id}` (more than remains, not a whole number, a line of another order) or at
    `lines` (no item); two people shipping the same units at once: the second is refused (the order's version)."""
    require(actor, 'orders.write')
    order = locked(session, order_id, version)
    check_transition(order, OrderStatus.shipped)
    check_goods_may_leave(order)
    tracking_number = _tracking_number(tracking_number)
    carrier = _carrier_chosen(session, carrier_id)
    if carrier is not None and not tracking_number:
        raise ValidationFailed(
            {'tracking_number': _('Enter the tracking number {carrier} gave').format(carrier=carrier.name)}
        )
    bought = order_lines(session, order.id)
    remaining = remaining_by_line(session, order.id, bought)
    if isinstance(lines, str):
        lines = _parcel_from_text(order, bought, lines)
    parcel = _parcel(order, bought, remaining, lines)
    by_id = {line.id: line for line in bought}
    now = utcnow()
    leaving: dict[int, int] = {}
    for line_id, quantity in parcel.items():
        product_id = by_id[line_id].product_id
        if product_id is not None:
            leaving[product_id] = leaving.get(product_id, 0) + quantity
    stock.ship(session, leaving, order_id=order.id, order_number=order.number, actor=actor)
    first = not any(quantity < by_id[line_id].quantity for line_id, quantity in remaining.items())
    shipment = Shipment(
        order_id=order.id,
        carrier_id=carrier.id if carrier else None,
        tracking_number=tracking_number,
        stored_tracking_url=stored_link(carrier, tracking_number),
        carrier=carrier,
        shipped_at=now,
        created_by=actor.id,
    )
    session.add(shipment)
    session.flush()
    for line_id, quantity in parcel.items():
        session.add(ShipmentLine(shipment_id=shipment.id, order_line_id=line_id, quantity=quantity))
    rest = {line_id: left - parcel.get(line_id, 0) for line_id, left in remaining.items()}
    rest = {line_id: left for line_id, left in rest.items() if left > 0}
    before = audit.snapshot(order)
    order.shipped_at = now  # the latest parcel's; while some remain, the order stays packed: "Partly shipped"
    items = items_said(by_id, parcel)
    if rest:
        action = 'parcel-shipped'
        still = items_said(by_id, rest)
        text = (
            sentence(
                N_('Parcel shipped with {carrier}, tracking {tracking}: {items} — still to ship: {rest}'),
                carrier=carrier.name,
                tracking=tracking_number,
                items=items,
                rest=still,
            )
            if carrier
            else sentence(N_('Parcel shipped: {items} — still to ship: {rest}'), items=items, rest=still)
        )
    else:
        action = 'shipped'
        order.status = OrderStatus.shipped
        if first:  # the whole order in one parcel: said as it always was
            text = (
                sentence(
                    N_('Shipped with {carrier}, tracking {tracking}'), carrier=carrier.name, tracking=tracking_number
                )
                if carrier
                else sentence(N_('Shipped'))
            )
        else:
            text = (
                sentence(
                    N_('Last parcel shipped with {carrier}, tracking {tracking}: {items}'),
                    carrier=carrier.name,
                    tracking=tracking_number,
                    items=items,
                )
                if carrier
                else sentence(N_('Last parcel shipped: {items}'), items=items)
            )
    save(session, actor, order, before, action, text, topics=(Topic.stock,), shipment=shipment)
    return shipment


MAX_TRACKING = 80  # characters of a tracking number (Shipment.tracking_number)
# said under the field where one is typed: a number typed in groups is stored and shown in one piece, and its link works
TRACKING_SAID = N_('Saved without spaces, as carriers’ tracking links need it')


def _tracking_number(typed: Any) -> str:
    """A tracking number as typed, its spaces taken out (carriers print it in groups); one too long is refused at its
    field: cut to fit, it was another parcel's number and its link led nowhere."""
    number = ''.join(str(typed or '').split())
    if len(number) > MAX_TRACKING:
        raise ValidationFailed(
            {'tracking_number': _('Use at most {n} characters').format(n=formatting.number(MAX_TRACKING))}
        )
    return number


def whole_order_shipped(session: Session, shipment: Shipment) -> bool:
    """Whether the parcel `ship` just made was the order's last (the order is shipped), else some is still to ship."""
    order = session.get(Order, shipment.order_id)
    return order is not None and order.status == OrderStatus.shipped


def _parcel(
    order: Order,
    bought: list[OrderLine],
    remaining: dict[int, int],
    asked: Mapping[Any, Any] | list[dict[str, Any]] | None,
) -> dict[int, int]:
    """What goes in this parcel, {order_line_id: quantity} (none of 0): everything remaining when nothing is asked."""
    if asked is None:
        parcel = {line_id: left for line_id, left in remaining.items() if left > 0}
    else:
        pairs = (
            [(row.get('order_line_id'), row.get('quantity')) for row in asked if isinstance(row, dict)]
            if isinstance(asked, list)
            else list(asked.items())
        )
        errors: dict[str, str] = {}
        parcel = {}
        for key, typed in pairs:
            line_id = _whole(key)
            if line_id is None or line_id not in remaining:
                errors[f'lines.{key}'] = _('This line is not on order {number}').format(number=order.number)
                continue
            left = remaining[line_id]
            quantity = _whole(typed if typed not in (None, '') else 0)
            if quantity is None or quantity < 0:
                errors[f'lines.{line_id}'] = _('Enter a whole number from 0 to {left}').format(left=left)
            elif parcel.get(line_id, 0) + quantity > left:
                errors[f'lines.{line_id}'] = (
                    _('Only {left} left to ship').format(left=left) if left else _('Already shipped in full')
                )
            elif quantity:
                parcel[line_id] = parcel.get(line_id, 0) + quantity
        if errors:
            raise ValidationFailed(errors)
    if not parcel:
        raise ValidationFailed({'lines': _('Choose at least one item for this parcel')})
    order_of_lines = [line.id for line in bought]
    return dict(sorted(parcel.items(), key=lambda item: order_of_lines.index(item[0])))


def _parcel_from_text(order: Order, bought: list[OrderLine], text: str) -> dict[Any, Any] | None:
    """'MUG-01:2, TEE-03:1' (a line by its SKU, any case, or its id) as {order_line_id: quantity}; '' → None."""
    if not text.strip():
        return None
    by_sku = {line.sku.casefold(): line.id for line in bought}
    asked: dict[Any, Any] = {}
    for part in (part.strip() for part in text.split(',')):
        if not part:
            continue
        name, colon, quantity = part.rpartition(':')
        if not colon:
            raise ValidationFailed(
                {'lines': _('Write each item as SKU:quantity, e.g. MUG-01:2 (read: {part})').format(part=part[:60])}
            )
        line_id = by_sku.get(name.strip().casefold(), name.strip())
        if line_id in asked:  # the same line twice: both together
            earlier, more = _whole(asked[line_id]), _whole(quantity)
            quantity = earlier + more if earlier is not None and more is not None else quantity
        asked[line_id] = quantity
    return asked


def _whole(value: Any) -> int | None:
    """A whole number as typed or sent ('2', 2, 2.0), else None ('1.5', 'two', True)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    return int(text) if text.lstrip('-').isdigit() and len(text) <= 9 else None


def items_said(lines: dict[int | None, OrderLine], quantities: dict[int, int]) -> str:
    """Some of an order's items as a parcel lists them: '2 × MUG-01, 1 × TEE-M'."""
    return ', '.join(f'{quantity} × {lines[line_id].sku}' for line_id, quantity in quantities.items())


def shipped_by_line(session: Session, order_id: int, lines: list[OrderLine]) -> dict[int, int]:
    """How many of each line (by id) left in the order's parcels so far. A parcel without lines was made before parcels
    could be split (migration 0072): it took the whole order."""
    rows = session.exec(
        select(Shipment.id, ShipmentLine.order_line_id, ShipmentLine.quantity)
        .join(ShipmentLine, col(ShipmentLine.shipment_id) == Shipment.id, isouter=True)
        .where(Shipment.order_id == order_id)
    ).all()
    if any(line_id is None for _shipment, line_id, _quantity in rows):
        return {line.id: line.quantity for line in lines if line.id is not None}
    shipped: dict[int, int] = {}
    for _shipment, line_id, quantity in rows:
        shipped[line_id] = shipped.get(line_id, 0) + quantity
    return shipped


def remaining_by_line(session: Session, order_id: int, lines: list[OrderLine]) -> dict[int, int]:
    """How many of each line (by id) are still to ship (not those called off: `cancel_rest`)."""
    shipped = shipped_by_line(session, order_id, lines)
    return {
        line.id: max(0, line.quantity - line.cancelled_quantity - shipped.get(line.id, 0))
        for line in lines
        if line.id is not None
    }


def unshipped_rest(session: Session, order_id: int, lines: list[OrderLine]) -> tuple[dict[int, int], Decimal]:
    """What of the order is still to ship ({order_line_id: quantity}, none of 0) and what it cost the customer (each
    line's share of its total with tax, as a return's value)."""
    rest = {line_id: left for line_id, left in remaining_by_line(session, order_id, lines).items() if left > 0}
    return rest, value_of(lines, rest)


def value_of(lines: list[OrderLine], quantities: Mapping[int, int]) -> Decimal:
    """What some of an order's items ({order_line_id: quantity}) cost the customer: each line's share of its total
    with tax, as a return's value."""
    by_id = {line.id: line for line in lines}
    return sum(
        (
            ((by_id[i].line_total + by_id[i].tax_amount) / by_id[i].quantity * n).quantize(CENT)
            for i, n in quantities.items()
            if n and i in by_id
        ),
        Decimal('0.00'),
    )


CANCEL_REASON_MAX = 300  # characters of a cancellation's reason: its timeline sentence (500) keeps it whole, and a
# refund given with it takes it as its reason (payments.REFUND_REASON_MAX, 500): a cancellation is never refused by it


def cancel_rest(
    *, session: Session, actor: User, order_id: int, version: int | None, reason: str = ''
) -> tuple[Order, Decimal]:
    """Call off what a partly shipped order has not shipped (an item discontinued): those quantities are released
    from the reservation and will never ship, and the order is shipped with what its parcels took (the `shipped`
    entry, its automations and webhook). Money is not given back here, as Cancel order does not: the timeline says
    what the cancelled items cost, to refund through "Refund a payment". Returns the order and that value. Refused on
    an order nothing of which has shipped (Cancel order) or that is shipped in full."""
    require(actor, 'orders.write')
    reason = typed_at('reason', reason, maximum=CANCEL_REASON_MAX)
    order = locked(session, order_id, version)
    if not partly_shipped(order):
        if order.status in (OrderStatus.shipped, OrderStatus.delivered):
            raise IllegalTransition(
                _('Order {number} is shipped in full: nothing is left to cancel').format(number=order.number)
            )
        if order.status == OrderStatus.cancelled:
            raise IllegalTransition(_('Order {number} is cancelled already').format(number=order.number))
        raise IllegalTransition(
            _('Nothing of order {number} has shipped yet: use Cancel order').format(number=order.number)
        )
    bought = order_lines(session, order.id)
    rest, value = unshipped_rest(session, order.id, bought)
    by_id = {line.id: line for line in bought}
    releasing: dict[int, int] = {}
    for line_id, left in rest.items():
        line = by_id[line_id]
        line.cancelled_quantity += left
        session.add(line)
        if line.product_id is not None:
            releasing[line.product_id] = releasing.get(line.product_id, 0) + left
    stock.release(session, releasing)
    before = audit.snapshot(order)
    order.status = OrderStatus.shipped  # with what its parcels took; shipped_at stays the last parcel's
    said = {'items': items_said(by_id, rest), 'value': money(value, order.currency), 'reason': reason}
    owed = order.paid_total - order.refunded_total > 0
    key = REST_CANCELLED[(0 if reason else 2) + (0 if owed else 1)]
    save(session, actor, order, before, 'shipped', sentence(key, **said), topics=(Topic.stock,))
    return order, value


# the timeline entry of "Cancel what is not shipped" (its msgids live in invoice_issue, whose credit note names what
# was cancelled): when the sales report finds it, a refund made after it is for the cancelled items (reports/sales.py)
REST_CANCELLED = invoice_issue.REST_CANCELLED


def partly_shipped(order: Order) -> bool:
    """Some parcels left and some items remain: the order stays packed (its rest reserved, found under Packed) and
    reads "Partly shipped"; it becomes shipped when its last unit leaves. Read from the order alone (a list shows it
    with no query per row): only a parcel sets shipped_at before the order is shipped."""
    return order.status in (OrderStatus.paid, OrderStatus.packed) and order.shipped_at is not None


@dataclass(frozen=True)
class Parcel:
    """One shipment of an order and what was in it: (order line, quantity) pairs."""

    shipment: Shipment
    items: list[tuple[OrderLine, int]]


def parcels(session: Session, order_id: int, lines: list[OrderLine]) -> list[Parcel]:
    """The order's parcels, oldest first, each with its items (a parcel from before migration 0072: every line)."""
    shipments = list(session.exec(select(Shipment).where(Shipment.order_id == order_id).order_by(col(Shipment.id))))
    if not shipments:
        return []
    by_id = {line.id: line for line in lines}
    held: dict[int, list[tuple[OrderLine, int]]] = {}
    for row in session.exec(
        select(ShipmentLine)
        .where(col(ShipmentLine.shipment_id).in_([shipment.id for shipment in shipments]))
        .order_by(col(ShipmentLine.id))
    ):
        if row.order_line_id in by_id:
            held.setdefault(row.shipment_id, []).append((by_id[row.order_line_id], row.quantity))
    return [
        Parcel(shipment, held.get(shipment.id or 0) or [(line, line.quantity) for line in lines])
        for shipment in shipments
    ]


def parcels_of(*, session: Session, actor: User, order_id: int) -> list[Parcel]:
    require(actor, 'orders.read')
    return parcels(session, order_id, order_lines(session, order_id))


def deliver_parcel(*, session: Session, actor: User, shipment_id: int) -> Order:
    """One parcel arrived: the order is delivered when it is shipped in full and every parcel arrived."""
    require(actor, 'orders.write')
    shipment = session.get(Shipment, int(shipment_id))
    if shipment is None:
        raise NotFound(_('This shipment no longer exists.'))
    order = locked(session, shipment.order_id, None)  # one change of the order at a time
    session.refresh(shipment)
    if shipment.delivered_at is not None:
        raise IllegalTransition(_('This parcel was already delivered'))
    now = utcnow()
    shipment.delivered_at = now
    session.add(shipment)
    session.flush()
    before = audit.snapshot(order)
    waiting = session.exec(
        select(func.count())
        .select_from(Shipment)
        .where(Shipment.order_id == order.id, col(Shipment.delivered_at).is_(None))
    ).one()
    if order.status == OrderStatus.shipped and not waiting:
        order.status, order.delivered_at = OrderStatus.delivered, now
        return save(session, actor, order, before, 'delivered', sentence(N_('Delivered')), shipment=shipment)
    tracking = ' '.join(filter(None, (shipment.carrier.name if shipment.carrier else '', shipment.tracking_number)))
    text = (
        sentence(N_('Parcel {tracking} delivered'), tracking=tracking) if tracking else sentence(N_('Parcel delivered'))
    )
    return save(session, actor, order, before, 'parcel-delivered', text, shipment=shipment)


MAX_BULK = 500  # orders one bulk action changes at most (the list says to narrow it beyond)


@dataclass(frozen=True)
class Packed:
    """What a bulk "Mark packed" did: the orders packed, and each one left as it was with why (by number)."""

    packed: list[str]
    refused: dict[str, str]


def pack_many(*, session: Session, actor: User, order_ids: list[int]) -> Packed:
    """Mark the chosen orders packed, each on its own (one that may not be, a pending one, is left with its reason
    and the others go on); at most MAX_BULK."""
    require(actor, 'orders.write')
    if len(order_ids) > MAX_BULK:
        raise ValidationFailed(
            {
                'orders': _('Choose at most {most} orders at a time; narrow the list (a status, a date range)').format(
                    most=MAX_BULK
                )
            }
        )
    packed: list[str] = []
    refused: dict[str, str] = {}
    for order_id in order_ids:
        order = session.get(Order, order_id)
        if order is None:
            continue
        number, version = order.number, order.version
        try:
            pack(session=session, actor=actor, order_id=order_id, version=version)
        except ServiceError as error:  # its status does not allow it, or it changed meanwhile
            session.rollback()
            refused[number] = str(error)
        else:
            packed.append(number)
    return Packed(packed, refused)


# A paid order's status says it was paid; once money went back that reads wrong ("Paid" for an order refunded in
# full), so it reads as what became of the payment. An order whose goods left says both where the goods are and that
# money went back ("Delivered · Refunded"): "Delivered" alone hid the refund. The stored status is unchanged (it still
# says where the goods are: a paid order may be cancelled, a part refund still packed), and filters read the stored one.
REFUND_STATUSES = {
    'partly_refunded': N_('Partly refunded'),
    'refunded': N_('Refunded'),
    'shipped_partly_refunded': N_('Shipped · Partly refunded'),
    'shipped_refunded': N_('Shipped · Refunded'),
    'delivered_partly_refunded': N_('Delivered · Partly refunded'),
    'delivered_refunded': N_('Delivered · Refunded'),
}
SHOWN_STATUSES = {**REFUND_STATUSES, 'partly_shipped': N_('Partly shipped')}  # beside the stored ones (status_shown)


def status_shown(order: Order) -> str:
    """The order's status as people read it, a key of the orders' statuses or of SHOWN_STATUSES: partly shipped (see
    `partly_shipped`); a paid order any
    of whose payment was given back reads Refunded or Partly refunded rather than Paid, a shipped or delivered one
    "Delivered · Refunded" (list, order page, a customer's orders, exports, reports, the portal)."""
    if partly_shipped(order):
        return 'partly_shipped'
    if order.refunded_total <= 0:
        return order.status.value
    refunded = 'refunded' if refunded_in_full(order) else 'partly_refunded'
    if order.status == OrderStatus.paid:
        return refunded
    if order.status in (OrderStatus.shipped, OrderStatus.delivered):
        return f'{order.status.value}_{refunded}'
    return order.status.value


def is_placed(order: Order) -> bool:
    """A draft (a phone order being typed) is not placed yet: Confirm places it and sets its time then."""
    return order.status != OrderStatus.draft


def refunded_in_full(order: Order) -> bool:
    """Everything paid for this order was given back (and something was paid): the sale is undone in money."""
    return order.paid_total > 0 and order.refunded_total >= order.paid_total


def check_goods_may_leave(order: Order) -> None:
    """An order refunded in full is not packed or shipped: its goods would leave for free (it cannot take a new
    payment either, its total having been paid once); cancelling it frees its stock."""
    if order.status in (OrderStatus.paid, OrderStatus.packed) and refunded_in_full(order):
        raise IllegalTransition(
            _('Order {number} was refunded in full: it is not sent; cancel it to free its stock').format(
                number=order.number
            )
        )


def may_correct_tracking(shipment: Shipment) -> bool:
    """A parcel on its way may have its carrier and tracking number put right (typed wrong, or none given when it
    left); once delivered its record stays as it was."""
    return shipment.delivered_at is None


def correct_tracking(
    *,
    session: Session,
    actor: User,
    shipment_id: int,
    carrier_id: int | None = None,
    tracking_number: str = '',
    version: int | None = None,
) -> Shipment:
    """A tracking number typed wrong, or none given when the parcel left: the shipment gets the right carrier and
    number (its link made again, which the customer's portal shows), and the order's timeline says what it was.
    `version`: the order's as the person saw it when they began; StaleRecord if a colleague changed the order since
    (their own correction of the same parcel would otherwise be overwritten unseen)."""
    require(actor, 'orders.write')
    shipment = session.get(Shipment, int(shipment_id))
    if shipment is None:
        raise NotFound(_('This shipment no longer exists.'))
    order = locked(session, shipment.order_id, version)  # one change of the order at a time
    if not may_correct_tracking(shipment):
        raise IllegalTransition(_('This parcel was delivered: its tracking stays as it was'))
    tracking_number = _tracking_number(tracking_number)
    carrier = _carrier_chosen(session, carrier_id, kept=shipment.carrier_id)
    if not tracking_number:
        raise ValidationFailed(
            {
                'tracking_number': _('Enter the tracking number {carrier} gave').format(carrier=carrier.name)
                if carrier is not None
                else _('Enter the tracking number')
            }
        )
    was = ' '.join(filter(None, (shipment.carrier.name if shipment.carrier else '', shipment.tracking_number)))
    shipment.carrier_id, shipment.carrier = (carrier.id if carrier else None), carrier
    shipment.tracking_number = tracking_number
    shipment.stored_tracking_url = stored_link(carrier, tracking_number)
    session.add(shipment)
    now = ' '.join(filter(None, (carrier.name if carrier else '', tracking_number)))
    text = (
        sentence(N_('Tracking changed to {now} (was: {was})'), now=now, was=was)
        if was
        else sentence(N_('Tracking changed to {now} (was: none)'), now=now)
    )
    save(session, actor, order, audit.snapshot(order), 'tracking-corrected', text, shipment=shipment)
    return shipment


def deliver(*, session: Session, actor: User, order_id: int, version: int) -> Order:
    require(actor, 'orders.write')
    order = locked(session, order_id, version)
    check_transition(order, OrderStatus.delivered)
    now = utcnow()
    for shipment in session.exec(
        select(Shipment).where(Shipment.order_id == order.id, col(Shipment.delivered_at).is_(None))
    ):
        shipment.delivered_at = now
        session.add(shipment)
    before = audit.snapshot(order)
    order.status, order.delivered_at = OrderStatus.delivered, now
    return save(session, actor, order, before, 'delivered', sentence(N_('Delivered')))


def cancel(*, session: Session, actor: User | None, order_id: int, version: int | None, reason: str = '') -> Order:
    """Cancel before shipping: the reserved stock is released. Money already paid stays until it is refunded; what
    was invoiced on terms and not paid is credited (a credit note citing the invoice)."""
    if actor is not None:
        require(actor, 'orders.write')
    reason = typed_at('reason', reason, maximum=CANCEL_REASON_MAX)
    order = locked(session, order_id, version)
    check_transition(order, OrderStatus.cancelled)
    if order.status in RESERVING:
        stock.release(session, reserved_by(order_lines(session, order.id)))
    before = audit.snapshot(order)
    order.status, order.cancelled_at = OrderStatus.cancelled, utcnow()
    owed = order.paid_total - order.refunded_total
    if reason and owed > 0:
        key = N_('Cancelled: {reason} — {owed} paid, to refund')
    elif reason:
        key = N_('Cancelled: {reason}')
    else:
        key = N_('Cancelled — {owed} paid, to refund') if owed > 0 else N_('Cancelled')
    text = sentence(key, reason=reason, owed=money(owed, order.currency))
    unpaid = order.total - order.paid_total
    if unpaid > 0 and invoice_issue.invoice_of(session, order.id) is not None:  # invoiced on terms, never paid
        note = invoice_issue.issue(session, order, InvoiceKind.credit_note, actor=actor, credit=unpaid, cancelled=True)
        text = sentence(
            N_('{cancelled}; credit note {note} for the unpaid {unpaid}'),
            cancelled=text,
            note=note.number,
            unpaid=money(unpaid, order.currency),
        )
        events.after_commit(session, Topic.invoices, {'id': note.id, 'action': 'issued'})
    return save(session, actor, order, before, 'cancelled', text, topics=(Topic.stock,))


def change_status(*, session: Session, actor: User, order_id: int, version: int, status: OrderStatus | str) -> Order:
    """The status as a user picks it: each target goes through its own action, which keeps its rules."""
    target = OrderStatus(status)
    if target == OrderStatus.pending:
        return confirm(session=session, actor=actor, order_id=order_id, version=version)
    if target == OrderStatus.packed:
        return pack(session=session, actor=actor, order_id=order_id, version=version)
    if target == OrderStatus.delivered:
        return deliver(session=session, actor=actor, order_id=order_id, version=version)
    if target == OrderStatus.cancelled:
        return cancel(session=session, actor=actor, order_id=order_id, version=version)
    require(actor, 'orders.write')
    order = locked(session, order_id, version)
    check_transition(order, target)
    if target == OrderStatus.paid:
        raise IllegalTransition(
            _('Order {number} becomes paid when its payments cover the total: record a payment').format(
                number=order.number
            )
        )
    raise IllegalTransition(
        _('Order {number} is shipped with its carrier and tracking number: use Ship').format(number=order.number)
    )


def check_transition(order: Order, target: OrderStatus) -> None:
    """IllegalTransition, saying why and what is possible, unless the flow allows going from here to `target`."""
    current = order.status
    if target == OrderStatus.cancelled and partly_shipped(order):
        raise IllegalTransition(
            _('Order {number} is partly shipped: it can no longer be cancelled; ship the rest').format(
                number=order.number
            )
        )
    if target in TRANSITIONS[current]:
        return
    if current == target:
        raise IllegalTransition(
            _('Order {number} is already {status}').format(number=order.number, status=said(current))
        )
    if current == OrderStatus.delivered:
        raise IllegalTransition(
            _('Order {number} is {status}, which is final; start a return instead').format(
                number=order.number, status=said(current)
            )
        )
    if current == OrderStatus.cancelled:
        raise IllegalTransition(
            _('Order {number} is {status}, which is final').format(number=order.number, status=said(current))
        )
    if target == OrderStatus.cancelled:
        raise IllegalTransition(
            _(
                'Order {number} has been shipped: it can no longer be cancelled; start a return once it is delivered'
            ).format(number=order.number)
        )
    allowed = _(' or ').join(sorted(said(s) for s in TRANSITIONS[current]))
    raise IllegalTransition(
        _('Order {number} is {status}: it cannot become {target} (next: {allowed})').format(
            number=order.number, status=said(current), target=said(target), allowed=allowed
        )
    )


def said(status: OrderStatus) -> str:
    """An order's status as a word in a sentence ('paid'; French 'payée')."""
    words = {
        OrderStatus.draft: pgettext('order status', 'draft'),
        OrderStatus.pending: pgettext('order status', 'pending'),
        OrderStatus.paid: pgettext('order status', 'paid'),
        OrderStatus.packed: pgettext('order status', 'packed'),
        OrderStatus.shipped: pgettext('order status', 'shipped'),
        OrderStatus.delivered: pgettext('order status', 'delivered'),
        OrderStatus.cancelled: pgettext('order status', 'cancelled'),
    }
    return words.get(status, str(status))


# --- reading ----------------------------------------------------------------------------------------------------------


def get_order(*, session: Session, actor: User, number: str) -> Order:
    require(actor, 'orders.read')
    order = session.exec(select(Order).where(Order.number == str(number).strip().lstrip('#'))).first()
    if order is None:
        raise NotFound(_('There is no order {number}.').format(number=number))
    return order


def order_lines(session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(col(OrderLine.id))))


def shelf_shortages(session: Session, order: Order, lines: list[OrderLine]) -> list[str]:
    """For an order still holding reserved stock, each of its products whose shelf holds fewer than open orders
    reserved (a count found them missing): 'MUG: 3 reserved by open orders, 1 on the shelf (2 short)'. Shipping waits
    until more arrive or an order changes; the order page says so before anyone tries."""
    if order.status not in RESERVING:
        return []
    return [stock.shortage_said(level) for level in stock.shortages(session, reserved_by(lines))]


MAX_NOTE = 500  # a timeline entry's text holds 500 characters, the note's words and 'Note: ' included
NOTE_TEXT_MAX = MAX_NOTE - len('Note: ')  # of the note's own words


def add_note(*, session: Session, actor: User, order_id: int, text: str) -> OrderEvent:
    """A staff note on the order's timeline ('Customer called: leave it with the neighbour'), signed by its writer; the
    order itself does not change (its version stays: a colleague's open dialog is not made stale by it)."""
    require(actor, 'orders.write')
    words = '\n'.join(' '.join(line.split()) for line in str(text or '').replace('\x00', '').strip().splitlines())
    if not words:
        raise ValidationFailed({'text': _('Write the note')})
    if len(words) > NOTE_TEXT_MAX:
        raise ValidationFailed({'text': _('Use at most {n} characters').format(n=formatting.number(NOTE_TEXT_MAX))})
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(_('This order no longer exists.'))
    said = sentence(N_('Note: {text}'), text=words)
    log_event(session, order, 'note', said, actor)
    audit.record(
        session,
        actor,
        'order.note',
        'orders',
        order.id,
        version=order.version,
        summary=sentence(N_('Order {number}: {text}'), number=order.number, text=said),
    )
    changes.commit(session, (Topic.orders, {'id': order.id, 'action': 'note'}))
    return session.exec(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(col(OrderEvent.id).desc())
    ).first()


def authors(*, session: Session, actor: User, events: list[OrderEvent]) -> dict[int, str]:
    """Who wrote each timeline entry staff made, by user id: their name (the shop and the system have none)."""
    require(actor, 'orders.read')
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    return {
        user.id: user.name or user.email
        for user in session.exec(select(User).where(col(User.id).in_(ids)))
        if user.id is not None
    }


def timeline(*, session: Session, actor: User, order_id: int) -> list[OrderEvent]:
    require(actor, 'orders.read')
    return list(session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(col(OrderEvent.id))))


def shipments_of(*, session: Session, actor: User, order_id: int) -> list[Shipment]:
    require(actor, 'orders.read')
    return list(session.exec(select(Shipment).where(Shipment.order_id == order_id).order_by(col(Shipment.id))))


def _carrier_chosen(session: Session, carrier_id: Any, *, kept: int | None = None) -> Carrier | None:
    """The carrier a parcel leaves with (None: none said): one still in use, or the one the parcel has (`kept`, when
    its tracking is put right after the carrier stopped being used). Refused at `carrier_id` otherwise."""
    if carrier_id in (None, ''):
        return None
    carrier = session.get(Carrier, int(carrier_id))
    if carrier is None:
        raise ValidationFailed({'carrier_id': _('Choose a carrier')})
    if not carrier.active and carrier.id != kept:
        raise ValidationFailed(
            {'carrier_id': _('{carrier} is no longer used: choose another carrier').format(carrier=carrier.name)}
        )
    return carrier


def carriers_for(shipment: Shipment, active: dict[int, str]) -> dict[int, str]:
    """The carriers a parcel's tracking may be put right with: those in use, and the one it left with even if it is
    no longer used (so that correcting a number keeps it)."""
    own = shipment.carrier
    if own is None or own.id is None or own.id in active:
        return active
    return {**active, own.id: _('{carrier} (no longer used)').format(carrier=own.name)}


def carrier_name(shipment: Shipment) -> str | None:
    """Who carries a parcel, by name, whether or not the carrier is still in use (None: no carrier said)."""
    return shipment.carrier.name if shipment.carrier is not None else None


def carriers(*, session: Session, actor: User) -> dict[int, str]:
    """Active carriers by id, for a choice."""
    require(actor, 'orders.read')
    rows = session.exec(select(Carrier.id, Carrier.name).where(col(Carrier.active).is_(True)).order_by(Carrier.name))
    return dict(rows.all())


def last_carrier(*, session: Session, actor: User) -> int | None:
    """The carrier the latest parcel left with, while it is active: the next one most likely goes the same way."""
    require(actor, 'orders.read')
    return session.exec(
        select(Shipment.carrier_id)
        .join(Carrier, col(Carrier.id) == col(Shipment.carrier_id))
        .where(col(Carrier.active).is_(True))
        .order_by(col(Shipment.id).desc())
        .limit(1)
    ).first()


def discount_percent(line: OrderLine) -> Decimal:
    """The percent a line's discount was given as (the line keeps the amount): what the draft form shows again, so
    that saving a draft unchanged prices it as before."""
    gross = line.unit_price * line.quantity
    if not line.discount or not gross:
        return Decimal('0')
    return (line.discount * 100 / gross).quantize(CENT, ROUND_HALF_UP)


def reserved_by(lines: list[OrderLine]) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for line in lines:
        if line.product_id is not None:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
    return wanted


def stored_link(carrier: Carrier | None, tracking_number: str) -> str | None:
    """What a shipment stores of its tracking link: None when the carrier's template makes it again as it is (see
    Shipment.tracking_url), else the link itself."""
    url = tracking_url(carrier, tracking_number)
    if url and carrier is not None and url == carrier.tracking_url_template.replace('{tracking}', tracking_number):
        return None
    return url


@event.listens_for(Carrier, 'before_update')
def _keep_links_on_change(_mapper: Any, connection: Connection, carrier: Carrier) -> None:
    """Before a carrier's template changes, its shipments that make their link from it store the link it made: a
    parcel's link stays the one it was given."""
    if inspect(carrier).attrs.tracking_url_template.history.has_changes():
        _keep_links(connection, carrier.id)


@event.listens_for(Carrier, 'before_delete')
def _keep_links_on_delete(_mapper: Any, connection: Connection, carrier: Carrier) -> None:
    _keep_links(connection, carrier.id)


def _keep_links(connection: Connection, carrier_id: int | None) -> None:
    shipments = Shipment.__table__
    template = select(col(Carrier.tracking_url_template)).where(col(Carrier.id) == carrier_id).scalar_subquery()
    connection.execute(  # the template as stored still: this runs before the carrier's own UPDATE
        shipments.update()
        .where(shipments.c.carrier_id == carrier_id, shipments.c.tracking_url.is_(None))
        .values(tracking_url=func.coalesce(func.replace(template, '{tracking}', shipments.c.tracking_number), ''))
    )


def tracking_url(carrier: Carrier | None, tracking_number: str) -> str:
    if carrier is None or not carrier.tracking_url_template or not tracking_number:
        return ''
    from urllib.parse import quote

    url = carrier.tracking_url_template.replace('{tracking}', quote(tracking_number, safe=''))[:400]
    return url if is_web_address(url) else ''  # a template saved before addresses were checked never becomes a link


# --- pricing ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopTerms:
    """What /settings says a new order costs on top of its goods (read when it is priced; stored totals stay)."""

    tax_rate: Decimal  # 0.2000 = 20 % VAT added to net prices and shipping
    shipping_fee: Decimal
    free_shipping_from: Decimal  # goods (after discounts) from this amount ship free

    @classmethod
    def current(cls, session: Session) -> ShopTerms:
        def setting(key: str) -> Decimal:
            return app_settings.decimal_value(session=session, key=key)

        return cls(
            (setting('vat_rate') / 100).quantize(Decimal('0.0001')),
            setting('shipping_fee'),
            setting('free_shipping_from'),
        )


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    shipping_total: Decimal
    total: Decimal


def price_lines(
    session: Session, lines: list[dict[str, Any]], *, free_shipping: bool = False
) -> tuple[list[OrderLine], Totals, str]:
    """Order lines priced from the products now (price, tax, the discount percent turned into an amount) and the
    order's totals, with the VAT rate and shipping /settings say now (none, with its VAT, when `free_shipping`: a
    staff draft's waiver). ValidationFailed names the line: `lines.2.sku`."""
    terms = ShopTerms.current(session)
    errors: dict[str, str] = {}
    priced: list[OrderLine] = []
    currencies = set()
    for i, line in enumerate(lines):
        product, problem = _product_for_sale(session, line)
        if product is None:
            errors[f'lines.{i}.sku'] = problem
            continue
        currencies.add(product.currency)
        gross = (product.price * line['quantity']).quantize(CENT)
        discount = (gross * Decimal(line['discount_percent']) / 100).quantize(CENT, ROUND_HALF_UP)
        net = gross - discount
        priced.append(
            OrderLine(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                quantity=line['quantity'],
                unit_price=product.price,
                tax_rate=terms.tax_rate,
                discount=discount,
                line_total=net,
                tax_amount=(net * terms.tax_rate).quantize(CENT, ROUND_HALF_UP),
            )
        )
    if len(currencies) > 1:
        errors['lines'] = _('All products of an order must be in one currency (these are in {currencies})').format(
            currencies=', '.join(sorted(currencies))
        )
    if errors:
        raise ValidationFailed(errors)
    subtotal = sum((line.unit_price * line.quantity for line in priced), Decimal('0')).quantize(CENT)
    discount = sum((line.discount for line in priced), Decimal('0'))
    goods = subtotal - discount
    free = free_shipping or not priced or goods >= terms.free_shipping_from
    shipping = Decimal('0.00') if free else terms.shipping_fee
    shipping_tax = (shipping * terms.tax_rate).quantize(CENT, ROUND_HALF_UP)
    tax = sum((line.tax_amount for line in priced), Decimal('0')) + shipping_tax
    totals = Totals(subtotal, discount, tax, shipping, goods + tax + shipping)
    if max(subtotal, totals.total) > MAX_PRICE:  # each line in range, the sum not: PostgreSQL refused the write
        raise ValidationFailed(
            {
                'lines': _("This order's total would be over {amount}: split it into smaller orders").format(
                    amount=formatting.number(MAX_PRICE, 2)
                )
            }
        )
    return priced, totals, (currencies.pop() if currencies else 'EUR')


# --- helpers ----------------------------------------------------------------------------------------------------------


def locked(session: Session, order_id: int, version: int | None) -> Order:
    return get_for_update(session, Order, order_id, version, entity='orders', label=N_('order'))


def log_event(session: Session, order: Order, kind: str, text: str | Sentence, actor: User | None) -> None:
    """An entry of the order's timeline; a `Sentence` shows in each reader's language (`timeline_text`)."""
    english, key, params = stored_text.stored(text)
    session.add(
        OrderEvent(
            order_id=order.id,
            kind=kind,
            text=english[:500],
            text_key=key,
            text_params=params,
            actor_id=actor.id if actor else None,
            created_at=utcnow(),
        )
    )


# a cancellation's entry says what was paid is "to refund": once refunds made after it gave that back, it reads as
# done, so the timeline does not show a refund still owed (the stored entry and its key stay, which invoices and the
# sales report look for); (stored key, its amount's parameter, how it reads once refunded)
TO_REFUND = {
    'Cancelled: {reason} — {owed} paid, to refund': ('owed', N_('Cancelled: {reason} — {owed} paid, refunded since')),
    'Cancelled — {owed} paid, to refund': ('owed', N_('Cancelled — {owed} paid, refunded since')),
    REST_CANCELLED[0]: ('value', N_('Shipped; not shipped, cancelled: {items} ({reason}) — {value} refunded since')),
    REST_CANCELLED[2]: ('value', N_('Shipped; not shipped, cancelled: {items} — {value} refunded since')),
}


def refunded_since(session: Session, order_id: int, events: list[OrderEvent]) -> set[int]:
    """The ids of the entries among `events` that left money "to refund" which refunds made since have given back
    in full (a reversed refund counts against them; a return's refund does not count): `timeline_text(entry,
    refunded=True)` says so."""
    waiting = [entry for entry in events if entry.text_key in TO_REFUND and entry.id is not None]
    if not waiting:
        return set()
    refunds = session.exec(  # a return's refund is for the items that came back, not for what was cancelled
        select(Refund.refunded_at, Refund.amount).where(Refund.order_id == order_id, col(Refund.return_id).is_(None))
    ).all()
    done: set[int] = set()
    for entry in waiting:
        amount = (entry.text_params or {}).get(TO_REFUND[entry.text_key or ''][0])
        owed = Decimal(str(amount.get('money', '0'))) if isinstance(amount, dict) else None
        given = sum((value for at, value in refunds if at >= entry.created_at), Decimal('0'))
        if owed is not None and entry.id is not None and given >= owed:
            done.add(entry.id)
    return done


def timeline_text(event: OrderEvent, *, refunded: bool = False) -> str:
    """A timeline entry in the reader's language, its amounts and dates in their format (an entry written before
    entries kept their msgid: its English text, translated when it is a known one such as 'Packed'). A gateway's
    failure inside it (`{message}`), stored in the words of whoever was acting before failures were stored in English,
    reads in the reader's language too. `refunded`: what it left to refund was refunded since (`refunded_since`)."""
    params = event.text_params
    if refunded and event.text_key in TO_REFUND:
        return stored_text.show(event.text, TO_REFUND[event.text_key][1], params)
    if event.text_key and params and isinstance(params.get('message'), str):
        said = message_said(params['message'])
        if isinstance(said, Sentence):
            params = {**params, 'message': said.as_json()}
    return stored_text.show(event.text, event.text_key, params)


def save(
    session: Session,
    actor: User | None,
    order: Order,
    before: dict[str, Any],
    action: str,
    text: str | Sentence,
    *,
    topics: tuple[Topic, ...] = (),
    shipment: Shipment | None = None,
) -> Order:
    """Stamp, timeline, audit with the diff, commit, publish: the end of every change of an order (naming the parcel
    a change was about, for the webhooks that carry it)."""
    stamp(order)
    session.add(order)
    log_event(session, order, action, text, actor)
    audit.record(
        session,
        actor,
        f'order.{action}',
        'orders',
        order.id,
        version=order.version,
        changes=audit.diff(before, audit.snapshot(order)),
        summary=sentence(N_('Order {number}: {text}'), number=order.number, text=text),
    )
    changes.commit(
        session,
        (Topic.orders, {'id': order.id, 'action': action, **({'shipment_id': shipment.id} if shipment else {})}),
        *((topic, {'action': action, 'order_id': order.id}) for topic in topics),
    )
    return order


def _create(
    session: Session, actor: User | None, values: dict[str, Any], status: OrderStatus, source: OrderSource
) -> Order:
    customer = _customer(session, values)
    waived = values.get('shipping_waived_reason', '')
    try:
        lines, totals, currency = price_lines(session, values['lines'], free_shipping=bool(waived))
    except ValidationFailed as refused:
        if status != OrderStatus.pending:
            raise
        # a line short of stock said with the unknown SKU, not in a 409 once that is fixed
        raise ValidationFailed({**line_mistakes(session, values['lines']), **refused.errors}) from None
    if status == OrderStatus.pending:
        wanted: dict[int, int] = {}
        for line in lines:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
        stock.reserve(session, wanted, {line.product_id: line.sku for line in lines})
    start = select(func.coalesce(func.max(Order.id), 0) + FIRST_NUMBER).scalar_subquery()
    number = numbering.next_number(session, 'orders', start)
    now = utcnow()
    order = Order(
        number=str(number),
        external_id=values['external_id'],
        customer_id=customer.id,
        email=customer.email,
        status=status,
        source=source,
        placed_at=now,
        created_at=now,
        updated_at=now,
        shipping_name=values['shipping_name'] or values['name'] or customer.name,
        shipping_address=values['shipping_address'],
        note=values['note'],
        shipping_waived_reason=waived,
    )
    apply_totals(order, totals, currency)
    session.add(order)
    session.flush()
    for line in lines:
        line.order_id = order.id
        session.add(line)
    text = (
        sentence(N_('Draft created'))
        if status == OrderStatus.draft
        else sentence(N_('Placed ({source}): waiting for payment'), source=word(SOURCE_WORDS[source]))
    )
    log_event(session, order, 'created', text, actor)
    if waived:
        log_event(session, order, 'shipping-waived', _waiver_said(waived), actor)
    audit.record(
        session,
        actor,
        'order.created',
        'orders',
        order.id,
        version=order.version,
        changes=audit.diff({}, audit.snapshot(order)),
        summary=sentence(N_('Order {number} from {email}'), number=order.number, email=customer.email),
    )
    reserved = [(Topic.stock, {'action': 'reserved', 'order_id': order.id})] if status == OrderStatus.pending else []
    changes.commit(session, (Topic.orders, {'id': order.id, 'action': 'created'}), *reserved)
    return order


def _draft_values(data: dict[str, Any]) -> dict[str, Any]:
    """A draft's values; shipping waived needs its reason (kept on the order, in its timeline and audit)."""
    values = _valid(DraftIn, data)
    free, reason = values.pop('free_shipping'), values.pop('free_shipping_reason')
    if free and not reason:
        raise ValidationFailed({'free_shipping_reason': _('Say why shipping is free')})
    values['shipping_waived_reason'] = reason if free else ''
    return values


def _waiver_said(reason: str) -> Sentence:
    if reason:
        return sentence(N_('Shipping waived: {reason}'), reason=reason)
    return sentence(N_('Shipping charged again'))


def apply_totals(order: Order, totals: Totals, currency: str) -> None:
    order.currency = currency
    order.subtotal, order.discount_total, order.tax_total = totals.subtotal, totals.discount_total, totals.tax_total
    order.shipping_total, order.total = totals.shipping_total, totals.total


def _customer(session: Session, values: dict[str, Any]) -> Customer:
    if values.get('customer_id') is not None:
        customer = session.get(Customer, values['customer_id'])
        if customer is None:
            raise ValidationFailed({'customer_id': _('Choose a customer')})
    elif values.get('email'):
        customer, created = customers.find_or_create(
            session, email=values['email'], name=values.get('name') or None, came_with='their first order'
        )
        if created:  # a sign-up as a first request's is: lists, automations and webhooks hear of it
            events.after_commit(session, Topic.customers, {'id': customer.id, 'action': 'created'})
    else:
        raise ValidationFailed({'email': _("Enter the customer's email or choose a customer")})
    if customer.status == CustomerStatus.banned:
        raise CustomerBanned()
    return customer


def line_mistakes(session: Session, lines: list[dict[str, Any]]) -> dict[str, str]:
    """What placing an order refuses in its lines, by field ('lines.2.sku': an unknown SKU or one not for sale,
    'lines.0.quantity': more than is available), of the fields each line holds (a field absent was not read, and is
    not checked): the API says them beside a malformed field, all in one answer."""
    errors: dict[str, str] = {}
    found: dict[int, tuple[Product, int]] = {}  # the line's index → its product and quantity
    for i, line in enumerate(lines):
        if 'sku' not in line and 'product_id' not in line:
            continue
        product, problem = _product_for_sale(session, line)
        if product is None:
            errors[f'lines.{i}.sku'] = problem
        elif 'quantity' in line:
            found[i] = (product, line['quantity'])
    wanted: dict[int, int] = {}
    for product, quantity in found.values():
        wanted[product.id or 0] = wanted.get(product.id or 0, 0) + quantity
    levels = stock.levels_now(session, wanted)
    for i, (product, _quantity) in found.items():
        level = levels.get(product.id or 0)
        if level is not None and level.available < wanted[product.id or 0]:
            short = stock.OutOfStock([(product.sku, wanted[product.id or 0], level.available)])
            errors[f'lines.{i}.quantity'] = str(short)
    return errors


def _product_for_sale(session: Session, line: dict[str, Any]) -> tuple[Product | None, str]:
    """The line's product if it is for sale, else None and what to say at the line's SKU."""
    product = _product_of(session, line)
    if product is None and not str(line.get('sku') or line.get('product_id') or '').strip():
        return None, _("Give the product's SKU")  # not 'There is no product ' and spaces
    if product is None:
        return None, _('There is no product {sku}').format(sku=line.get('sku') or line.get('product_id'))
    if not product.active or product.deleted_at is not None:
        return None, _('{sku} is not for sale').format(sku=product.sku)
    return product, ''


def _product_of(session: Session, line: dict[str, Any]) -> Product | None:
    if line.get('product_id') is not None:
        return session.get(Product, line['product_id'])
    sku = (line.get('sku') or '').strip().upper()
    return session.exec(select(Product).where(Product.sku == sku)).first() if sku else None


def _same_customers(existing: Order, values: dict[str, Any]) -> Order:
    """The order placed before under this external_id, if it is this customer's (a retry); ExternalIdTaken if the id
    was reused for another customer's order (its number is named: the shop finds its own mistake)."""
    email, customer_id = values.get('email'), values.get('customer_id')
    if customer_id is not None and customer_id != existing.customer_id:
        taken = True
    else:
        taken = customer_id is None and bool(email) and str(email).casefold() != (existing.email or '').casefold()
    if taken:
        raise ExternalIdTaken(
            _(
                'The external_id {external_id} was already used for order {number} of another customer: '
                'send a new external_id for a new order.'
            ).format(external_id=existing.external_id, number=existing.number)
        )
    return existing


def _by_external_id(session: Session, external_id: str) -> Order | None:
    return session.exec(select(Order).where(Order.external_id == external_id)).first()


def _valid(schema: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.model_validate(data).model_dump()
    except ValidationError as error:
        raise ValidationFailed(_line_errors(error)) from None


def _line_errors(error: ValidationError) -> dict[str, str]:
    """Like field_errors, but a line's field keeps its position: `lines.0.quantity`."""
    errors: dict[str, str] = {}
    for item in error.errors():
        location = '.'.join(str(part) for part in item['loc']) if item['loc'] else ''
        message = readable(item, ours_in_english=True)
        errors.setdefault(location, message[:1].upper() + message[1:])
    return errors or field_errors(error)
