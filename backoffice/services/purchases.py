"""Purchase orders: ordered from a supplier (no stock moves), then received (a receipt movement per line); or received
at once when goods arrive without an order. Each public function is one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from backoffice import changes, formatting, stored_text
from backoffice.errors import NotFound, ServiceError, StaleRecord, ValidationFailed, typed_at
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import (
    AuditEntry,
    MovementKind,
    Product,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    Supplier,
    User,
    utcnow,
)
from backoffice.permissions import require
from backoffice.services import audit, stock
from backoffice.stored_text import counted, sentence
from backoffice.validation import too_long, typed_money

# audit summaries; their counts in the reader's plural form ('1 line', '2 lines'; plurals in declared-plurals.po)
ORDERED_LINES = N_('Ordered purchase {purchase} from {supplier}: {lines}')
RECEIVED_LINES = N_('Received purchase {purchase} from {supplier}: {lines}')
RECEIVED_PART = N_('Received part of purchase {purchase} from {supplier}: {items}')
LINES = (N_('{n} line'), '{n} lines')
ITEMS = (N_('{n} item'), '{n} items')
MAX_TOTAL = Decimal('9999999999.99')  # a purchase's total column: Numeric(12, 2)
# entries written before said '{lines} lines' ('1 lines'): read as the sentences above
stored_text.reworded(
    N_('Ordered purchase {purchase} from {supplier}: {lines} lines'), ORDERED_LINES, counted_as={'lines': LINES}
)
stored_text.reworded(
    N_('Received purchase {purchase} from {supplier}: {lines} lines'), RECEIVED_LINES, counted_as={'lines': LINES}
)
stored_text.reworded(
    N_('Received part of purchase {purchase} from {supplier}: {items} items'),
    RECEIVED_PART,
    counted_as={'items': ITEMS},
)


class AlreadyReceived(ServiceError):
    """Receiving a purchase twice would count its goods twice (the API and the UI say so)."""


def receive_purchase(
    *, session: Session, actor: User, lines: list[dict], supplier: str = '', reference: str = ''
) -> Purchase:
    """Goods arrived from a supplier: one receipt movement per line (a product becomes stock-tracked if it was not)."""
    return create_purchase(
        session=session, actor=actor, lines=lines, supplier=supplier, reference=reference, received=True
    )


MAX_REFERENCE = 80  # characters of a purchase's reference (Purchase.reference)
CLOSE_REASON_MAX = 300  # of why a purchase is closed short or cancelled (Purchase.close_reason)
SUPPLIER_MAX = 200  # of its supplier's name as it was when ordered (Purchase.supplier): as long as Supplier.name


def create_purchase(
    *,
    session: Session,
    actor: User,
    lines: list[dict[str, Any]],
    supplier: str = '',
    reference: str = '',
    received: bool = True,
    supplier_id: int | None = None,
) -> Purchase:
    """A purchase of {product_id, quantity, unit_cost?} lines: `received` (the goods are here: receipt movements now)
    or ordered (nothing moves until it is received). The supplier is one of the suppliers (`supplier_id`); a name
    alone is kept as typed and linked to the supplier of that name if there is one."""
    require(actor, 'catalog.write')
    reference = (reference or '').strip()
    if len(reference) > MAX_REFERENCE:  # cut to fit, it was another delivery note's, found by nobody searching for it
        raise ValidationFailed({'reference': too_long(MAX_REFERENCE, len(reference))})
    chosen = _supplier_of(session, supplier_id, supplier)
    wanted = _valid_lines(session, lines, received=received)
    now = utcnow()
    costs = [unit_cost * quantity for _, quantity, unit_cost in wanted if unit_cost is not None]
    if sum(costs, Decimal('0.00')) > MAX_TOTAL:  # each line in range, the sum not: PostgreSQL refused the write
        raise ValidationFailed(
            {
                'lines': _("This purchase's total would be over {amount}: split it into smaller purchases").format(
                    amount=formatting.number(MAX_TOTAL, 2)
                )
            }
        )
    purchase = Purchase(
        supplier=chosen.name if chosen else typed_at('supplier', supplier, maximum=SUPPLIER_MAX),
        supplier_id=chosen.id if chosen else None,
        reference=reference,
        status=PurchaseStatus.ordered,
        ordered_at=now,
        line_count=len(wanted),
        total=sum(costs, Decimal('0.00')) if costs else None,
        created_by=actor.id,
    )
    session.add(purchase)
    session.flush()
    for product, quantity, unit_cost in sorted(wanted, key=lambda w: w[0].id):
        session.add(
            PurchaseLine(purchase_id=purchase.id, product_id=product.id, quantity=quantity, unit_cost=unit_cost)
        )
    session.flush()
    changed = _receive(session, actor, purchase) if received else []
    audit.record(
        session,
        actor,
        'stock.received' if received else 'purchase.ordered',
        'purchases',
        purchase.id,
        summary=sentence(
            RECEIVED_LINES if received else ORDERED_LINES,
            purchase=label(purchase),
            supplier=purchase.supplier or '?',
            lines=counted(*LINES, len(wanted)),
        ),
    )
    _commit(session, purchase, 'received' if received else 'ordered', changed)
    return purchase


def may_receive(purchase: Purchase) -> bool:
    """A purchase still on order, or partly received (a short delivery: the rest is still due), can be received."""
    return purchase.status in (PurchaseStatus.ordered, PurchaseStatus.partly_received)


def still_due_orders(*, session: Session, actor: User, limit: int = 10) -> list[Purchase]:
    """The purchase orders still due (ordered, or partly received), oldest first: a delivery that arrives is most
    likely one of them, and is received from its order (a new receipt would count its goods twice)."""
    require(actor, 'catalog.read')
    return list(
        session.exec(
            select(Purchase)
            .where(col(Purchase.status).in_((PurchaseStatus.ordered, PurchaseStatus.partly_received)))
            .order_by(col(Purchase.ordered_at), col(Purchase.id))
            .limit(limit)
        )
    )


def still_due(line: PurchaseLine) -> int:
    """How many of a line's quantity have not arrived yet."""
    return max(line.quantity - line.received_quantity, 0)


class ReceivedMeanwhile(StaleRecord):
    """A colleague received some of the purchase after this person opened it (the same parcel, most likely): booking
    theirs too would count its goods twice, so nothing is booked and what they typed stays on their screen.
    `received`: each line's received quantity now ({line id: quantity}), what the screen shows once it is told."""

    def __init__(self, purchase: Purchase, items: int, by: str | None, at: datetime, received: dict) -> None:
        super().__init__(N_('purchase'), by, at, 0)
        who = by or _('someone else')
        if may_receive(purchase):
            text = ngettext(
                '{who} received {n} item of purchase {purchase} meanwhile ({when}): nothing of yours was booked, and '
                'what you typed is kept. If it was the same delivery, close this; if another one arrived too, press '
                'Receive now again.',
                '{who} received {n} items of purchase {purchase} meanwhile ({when}): nothing of yours was booked, and '
                'what you typed is kept. If it was the same delivery, close this; if another one arrived too, press '
                'Receive now again.',
                items,
            )
        else:
            text = ngettext(
                '{who} received {n} item of purchase {purchase} meanwhile ({when}): it is received in full, and '
                'nothing of yours was booked.',
                '{who} received {n} items of purchase {purchase} meanwhile ({when}): it is received in full, and '
                'nothing of yours was booked.',
                items,
            )
        self.args = (
            text.format(who=who, n=formatting.number(items), purchase=label(purchase), when=formatting.when(at)),
        )
        self.items, self.received = items, received

    def shown_again(self) -> str:
        return str(self)

    def for_a_program(self) -> str:
        return str(self)


def receive(
    *,
    session: Session,
    actor: User,
    purchase_id: int,
    quantities: dict[int, Any] | None = None,
    seen: dict[int, int] | None = None,
) -> Purchase:
    """Goods of an ordered purchase arrived: each line's arrived quantity becomes a receipt movement. `quantities`
    ({line id: quantity}) records a short delivery, a line left out receiving nothing; without it, everything still
    due arrives. The purchase stays partly received until every line has arrived; receiving it again then is refused.
    `seen` ({line id: received quantity}): what the person's screen showed as received; if a colleague received more
    since (two people unpacking the same parcel), nothing is booked (ReceivedMeanwhile) — what is due is checked
    against the purchase as it is now, locked, never as it was when the screen was drawn.
    """
    require(actor, 'catalog.write')
    # locked (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the write lock already) and read again if this session had it:
    # the lines read next are then those the previous receiver committed
    purchase = session.exec(
        select(Purchase).where(Purchase.id == purchase_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if purchase is None:
        raise NotFound(_('This purchase no longer exists.'))
    if purchase.status == PurchaseStatus.cancelled:
        raise AlreadyReceived(
            _('Purchase {purchase} was cancelled ({when}): nothing is expected from it').format(
                purchase=label(purchase), when=formatting.when(purchase.closed_at)
            )
        )
    if purchase.status == PurchaseStatus.closed_short:
        raise AlreadyReceived(
            _('Purchase {purchase} was closed short ({when}): nothing more is expected from it').format(
                purchase=label(purchase), when=formatting.when(purchase.closed_at)
            )
        )
    lines = session.exec(
        select(PurchaseLine)
        .where(PurchaseLine.purchase_id == purchase.id)
        .order_by(col(PurchaseLine.id))
        .execution_options(populate_existing=True)
    ).all()
    if seen is not None:
        _refuse_if_received_meanwhile(session, purchase, lines, seen)
    if not may_receive(purchase):
        raise AlreadyReceived(
            _('Purchase {purchase} was received already ({when}): its goods are in stock').format(
                purchase=label(purchase), when=formatting.when(purchase.received_at)
            )
        )
    before = purchase.status
    arriving = _arriving(lines, quantities)
    changed = _receive(session, actor, purchase, arriving)
    audit.record(
        session,
        actor,
        'stock.received',
        'purchases',
        purchase.id,
        changes={'status': [str(before), str(purchase.status)]},
        summary=sentence(
            N_('Received purchase {purchase} from {supplier}')
            if purchase.status == PurchaseStatus.received
            else RECEIVED_PART,
            purchase=label(purchase),
            supplier=purchase.supplier or '?',
            items=counted(*ITEMS, sum(arriving.values())),
        ),
    )
    _commit(session, purchase, 'received', changed)
    return purchase


class CannotCloseShort(ServiceError):
    """Closing short a purchase that is not waiting for anything (received in full, or closed already)."""


def may_close_short(purchase: Purchase) -> bool:
    """A purchase still waiting for goods (on order, or partly received) may be closed with what arrived."""
    return may_receive(purchase)


def close_short(*, session: Session, actor: User, purchase_id: int, reason: str) -> Purchase:
    """The supplier will not deliver the rest: the purchase is closed with what was received. What was still due stops
    being expected (no longer on order, nor in the lists of what is due); its lines keep what arrived. The reason is
    mandatory; the purchase's timeline says who closed it, what was missing and why."""
    require(actor, 'catalog.write')
    why = ' '.join((reason or '').split())
    if not why:
        raise ValidationFailed({'reason': _('Say why the rest will not come (e.g. "discontinued by the supplier")')})
    if len(why) > CLOSE_REASON_MAX:
        raise ValidationFailed({'reason': too_long(CLOSE_REASON_MAX, len(why))})
    purchase = session.exec(select(Purchase).where(Purchase.id == purchase_id).with_for_update()).first()
    if purchase is None:
        raise NotFound(_('This purchase no longer exists.'))
    if purchase.status == PurchaseStatus.received:
        raise CannotCloseShort(
            _(
                'Purchase {purchase} was received in full ({when}): nothing is missing, so it cannot be closed short.'
            ).format(purchase=label(purchase), when=formatting.when(purchase.received_at))
        )
    if purchase.status == PurchaseStatus.cancelled:
        raise CannotCloseShort(
            _('Purchase {purchase} was cancelled ({when}): nothing is expected from it.').format(
                purchase=label(purchase), when=formatting.when(purchase.closed_at)
            )
        )
    if not may_close_short(purchase):
        raise CannotCloseShort(
            _('Purchase {purchase} was closed already ({when}): nothing more is expected from it.').format(
                purchase=label(purchase), when=formatting.when(purchase.closed_at)
            )
        )
    lines = session.exec(
        select(PurchaseLine, Product.sku)
        .join(Product, col(Product.id) == PurchaseLine.product_id)
        .where(PurchaseLine.purchase_id == purchase.id)
        .order_by(col(PurchaseLine.id))
    ).all()
    missing = ', '.join(f'{still_due(line)} × {sku}' for line, sku in lines if still_due(line))
    before = purchase.status
    purchase.status, purchase.closed_at, purchase.closed_by = PurchaseStatus.closed_short, utcnow(), actor.id
    purchase.close_reason = why
    session.add(purchase)
    audit.record(
        session,
        actor,
        'purchase.closed_short',
        'purchases',
        purchase.id,
        changes={'status': [str(before), str(purchase.status)], 'close_reason': [None, why]},
        summary=sentence(
            N_('Closed short by {who}: {missing} not delivered. Reason: {reason}'),
            who=actor.name or actor.email,
            missing=missing,
            reason=why,
        ),
    )
    _commit(session, purchase, 'closed_short', [])
    return purchase


class CannotCancel(ServiceError):
    """Cancelling a purchase of which something arrived (it is closed short instead), or one already over."""


def may_cancel(purchase: Purchase) -> bool:
    """A purchase on order of which nothing has arrived yet (ordered by mistake, or no longer wanted) may be
    cancelled."""
    return purchase.status == PurchaseStatus.ordered


def cancel(*, session: Session, actor: User, purchase_id: int, reason: str) -> Purchase:
    """A purchase ordered by mistake, before anything arrived: it stops being expected (no longer on order, in the
    lists of what is due, nor in the cash expected out). The reason is mandatory; the timeline says who cancelled it
    and why. Once something was received it cannot be cancelled — its goods are in stock and may be billed —: it is
    closed short, which keeps what arrived."""
    require(actor, 'catalog.write')
    why = ' '.join((reason or '').split())
    if not why:
        raise ValidationFailed({'reason': _('Say why it is cancelled (e.g. "ordered twice by mistake")')})
    if len(why) > CLOSE_REASON_MAX:
        raise ValidationFailed({'reason': too_long(CLOSE_REASON_MAX, len(why))})
    purchase = session.exec(select(Purchase).where(Purchase.id == purchase_id).with_for_update()).first()
    if purchase is None:
        raise NotFound(_('This purchase no longer exists.'))
    if not may_cancel(purchase):
        raise CannotCancel(_cannot_cancel(session, purchase))
    before = purchase.status
    purchase.status, purchase.closed_at, purchase.closed_by = PurchaseStatus.cancelled, utcnow(), actor.id
    purchase.close_reason = why
    session.add(purchase)
    audit.record(
        session,
        actor,
        'purchase.cancelled',
        'purchases',
        purchase.id,
        changes={'status': [str(before), str(purchase.status)], 'close_reason': [None, why]},
        summary=sentence(
            N_('Cancelled by {who}: nothing had arrived. Reason: {reason}'), who=actor.name or actor.email, reason=why
        ),
    )
    _commit(session, purchase, 'cancelled', [])
    return purchase


def _cannot_cancel(session: Session, purchase: Purchase) -> str:
    """Why this purchase cannot be cancelled, and what to do instead."""
    if purchase.status == PurchaseStatus.cancelled:
        return _('Purchase {purchase} was cancelled already ({when}).').format(
            purchase=label(purchase), when=formatting.when(purchase.closed_at)
        )
    if purchase.status == PurchaseStatus.closed_short:
        return _('Purchase {purchase} was closed short ({when}): nothing more is expected from it.').format(
            purchase=label(purchase), when=formatting.when(purchase.closed_at)
        )
    arrived = session.exec(
        select(func.coalesce(func.sum(PurchaseLine.received_quantity), 0)).where(
            PurchaseLine.purchase_id == purchase.id
        )
    ).one()
    if purchase.status == PurchaseStatus.received:
        return _(
            'Purchase {purchase} was received ({when}): its goods are in stock, so it cannot be cancelled.'
        ).format(purchase=label(purchase), when=formatting.when(purchase.received_at))
    return ngettext(
        'Purchase {purchase} cannot be cancelled: {n} item of it was received. Close it short instead: what arrived '
        'stays, and the rest is no longer expected.',
        'Purchase {purchase} cannot be cancelled: {n} items of it were received. Close it short instead: what arrived '
        'stays, and the rest is no longer expected.',
        int(arrived),
    ).format(purchase=label(purchase), n=formatting.number(arrived))


def cancelled(purchase: Purchase) -> bool:
    """Cancelled before anything arrived: nothing is expected from it."""
    return purchase.status == PurchaseStatus.cancelled


def closed_short(purchase: Purchase) -> bool:
    """Closed with what arrived: the rest will not come."""
    return purchase.status == PurchaseStatus.closed_short


def timeline(*, session: Session, actor: User, purchase_id: int) -> list[AuditEntry]:
    """What happened to the purchase, oldest first: ordered, received (in parts), closed short, billed…"""
    require(actor, 'catalog.read')
    return list(reversed(audit.entries_for(session, 'purchases', purchase_id)))


def lines_of(*, session: Session, actor: User, purchase_id: int) -> list[tuple[PurchaseLine, str, str]]:
    """A purchase's lines with each product's SKU and name."""
    require(actor, 'catalog.read')
    rows = session.exec(
        select(PurchaseLine, Product.sku, Product.name)
        .join(Product, Product.id == PurchaseLine.product_id)
        .where(PurchaseLine.purchase_id == purchase_id)
        .order_by(col(PurchaseLine.id))
    )
    return list(rows.all())


def supplier_choices(*, session: Session, actor: User) -> dict[int, str]:
    """The suppliers a purchase order may go to (id → name), by name: for whoever orders stock."""
    require(actor, 'catalog.read')
    rows = session.exec(
        select(Supplier.id, Supplier.name).where(col(Supplier.deleted_at).is_(None)).order_by(col(Supplier.name))
    )
    return {supplier_id: name for supplier_id, name in rows if supplier_id is not None}


def label(purchase: Purchase) -> str:
    return purchase.reference or f'#{purchase.id}'


def _arriving(lines: Sequence[PurchaseLine], quantities: dict[int, Any] | None) -> dict[int, int]:
    """{line id: quantity arriving now}, each between 0 and what the line still has due, at least one item in all."""
    if quantities is None:
        return {line.id: still_due(line) for line in lines if line.id is not None}
    errors: dict[str, str] = {}
    arriving: dict[int, int] = {}
    by_id = {line.id: line for line in lines}
    for key in quantities:
        if _line_id(key) not in by_id:
            raise ValidationFailed({'lines': _('This line is not on the purchase')})
    for i, line in enumerate(lines):
        if line.id is None:
            continue
        wanted = next((value for key, value in quantities.items() if _line_id(key) == line.id), 0)
        quantity = stock.quantity_of(0 if wanted in (None, '') else wanted, errors, field=f'lines.{i}.quantity')
        if quantity is None or f'lines.{i}.quantity' in errors:
            continue
        if quantity > still_due(line):
            errors[f'lines.{i}.quantity'] = _('At most {n} still due').format(n=formatting.number(still_due(line)))
        else:
            arriving[line.id] = quantity
    if errors:
        raise ValidationFailed(errors)
    if not any(arriving.values()):
        raise ValidationFailed({'lines': _('Receive at least 1')})
    return arriving


def _refuse_if_received_meanwhile(
    session: Session, purchase: Purchase, lines: Sequence[PurchaseLine], seen: dict[int, int]
) -> None:
    """ReceivedMeanwhile if any line has more received now than the person's screen showed."""
    shown = {_line_id(key): value for key, value in seen.items()}
    items = 0
    for line in lines:
        before = shown.get(line.id)
        if isinstance(before, int) and line.received_quantity > before:
            items += line.received_quantity - before
    if not items:
        return
    last = session.exec(
        select(AuditEntry)
        .where(
            AuditEntry.entity == 'purchases',
            AuditEntry.entity_id == str(purchase.id),
            AuditEntry.action == 'stock.received',
        )
        .order_by(col(AuditEntry.id).desc())
        .limit(1)
    ).first()
    by = audit.named(session, last.actor_email) if last is not None else None  # an API key by its name
    received = {line.id: line.received_quantity for line in lines if line.id is not None}
    raise ReceivedMeanwhile(purchase, items, by, last.at if last else utcnow(), received)


def _line_id(key: Any) -> int | None:
    try:
        return int(key)
    except (TypeError, ValueError):
        return None


def _receive(session: Session, actor: User, purchase: Purchase, arriving: dict[int, int] | None = None) -> list:
    """Moves what arrives into stock (`arriving`: {line id: quantity}; everything still due without it) and sets the
    purchase's status: received once every line has arrived, else partly received."""
    lines = session.exec(
        select(PurchaseLine).where(PurchaseLine.purchase_id == purchase.id).order_by(col(PurchaseLine.product_id))
    ).all()
    changed = []
    for line in lines:
        quantity = still_due(line) if arriving is None else arriving.get(line.id or 0, 0)
        if quantity <= 0:
            continue
        line.received_quantity += quantity
        session.add(line)
        product = session.get(Product, line.product_id)
        if not product.stocked:  # a service bought in: it arrived, and no stock moves
            continue
        level = stock.level_for(session, product)
        stock.move(
            session,
            level,
            MovementKind.receipt,
            quantity,
            reason=sentence(N_('Purchase {number}'), number=label(purchase)),
            purchase_id=purchase.id,
            actor=actor,
        )
        changed.append(level.id)
    if all(still_due(line) == 0 for line in lines):
        purchase.status, purchase.received_at = PurchaseStatus.received, utcnow()
    else:
        purchase.status = PurchaseStatus.partly_received
    session.add(purchase)
    return changed


def _supplier_of(session: Session, supplier_id: Any, name: str) -> Supplier | None:
    if supplier_id not in (None, ''):
        try:
            found = session.get(Supplier, int(supplier_id))
        except (TypeError, ValueError):
            found = None
        if found is None or found.deleted_at is not None:
            raise ValidationFailed({'supplier': _('Choose a supplier')})
        return found
    name = ' '.join((name or '').split())
    if not name:
        return None
    return session.exec(
        select(Supplier).where(func.lower(Supplier.name) == name.lower(), col(Supplier.deleted_at).is_(None))
    ).first()


def _valid_lines(
    session: Session, lines: list[dict[str, Any]], *, received: bool = True
) -> list[tuple[Product, int, Decimal | None]]:
    if not lines:
        raise ValidationFailed({'lines': _('Add at least one product and quantity')})
    errors: dict[str, str] = {}
    wanted: list[tuple[Product, int, Decimal | None]] = []
    for i, line in enumerate(lines):
        quantity = stock.quantity_of(line.get('quantity'), errors, field=f'lines.{i}.quantity')
        try:
            product = stock.product_of(session, line.get('product_id'))
        except (NotFound, ValidationFailed):
            errors[f'lines.{i}.product_id'] = _('Choose a product')
            continue
        if product.deleted_at is not None:  # not bought again while in the trash (the picker offers none)
            errors[f'lines.{i}.product_id'] = stock.in_the_trash(product)
            continue
        if quantity is not None and quantity <= 0:
            errors[f'lines.{i}.quantity'] = _('Receive at least 1') if received else _('Order at least 1')
        unit_cost = None
        if line.get('unit_cost') not in (None, ''):
            # kept to the cent (the column is Numeric(12, 2)): 12.345 is refused in words, never rounded silently
            try:
                unit_cost = typed_money(line['unit_cost'])
            except ValueError as refused:
                errors[f'lines.{i}.unit_cost'] = str(refused)
            else:
                if unit_cost < 0:
                    errors[f'lines.{i}.unit_cost'] = _('Enter an amount of 0 or more')
        wanted.append((product, quantity, unit_cost))
    if errors:
        raise ValidationFailed(errors)
    return wanted


def _commit(session: Session, purchase: Purchase, action: str, changed_levels: list[int]) -> None:
    changes.commit(
        session,
        (Topic.purchases, {'id': purchase.id, 'action': action}),
        *((Topic.stock, {'id': level_id, 'action': 'received'}) for level_id in changed_levels),
    )
