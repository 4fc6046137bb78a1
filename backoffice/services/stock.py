"""Stock rules: reserving for orders (under row locks, so two orders racing for the last unit cannot both win), the
movements ledger (receipt, sale, return, adjustment with a reason) that always sums to on hand, min/max, the low-stock
job and the reorder list. Functions taking the session positionally run inside the caller's transaction (orders,
returns); those taking a keyword-only session and an actor are whole transactions."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from backoffice import changes, events, formatting, stored_text
from backoffice.changes import get_for_update, stamp
from backoffice.engine.declaration import LedgerPage, LedgerRow
from backoffice.errors import NotFound, ServiceError, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import (
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    Return,
    ShipmentLine,
    StockLevel,
    StockMovement,
    User,
    utcnow,
)
from backoffice.permissions import can, require
from backoffice.services import audit, notifications, roles
from backoffice.stored_text import Sentence, count, sentence, stored
from backoffice.transfer.csv_out import csv_bytes
from backoffice.validation import too_long, typed_line

MAX_QUANTITY = 1_000_000


class OutOfStock(ServiceError):
    """An order asks for more than is available (the API answers 409)."""

    def __init__(self, shortages: list[tuple[str, int, int]]) -> None:
        parts = [
            _('{sku}: {wanted} wanted, {available} available').format(
                sku=sku, wanted=wanted, available=max(available, 0)
            )
            for sku, wanted, available in shortages
        ]
        super().__init__(_('Not enough stock — {shortages}.').format(shortages='; '.join(parts)))
        self.shortages = shortages


class NotStocked(ValidationFailed):
    """A stock change of a product that is not stocked (a service, a plan): said at the form's first field."""

    def __init__(self, message: str) -> None:
        super().__init__({'': message})


RESERVING = (OrderStatus.pending, OrderStatus.paid, OrderStatus.packed)  # their lines hold reserved stock


def stocked_rows() -> list[Any]:
    """Conditions keeping the stock rows of stocked products only: a product turned into a service keeps its old row
    (should it be stocked again), shown nowhere."""
    return [col(StockLevel.product_id).in_(select(Product.id).where(col(Product.stocked).is_(True)))]


def low_on_sale() -> ColumnElement[bool]:
    """Stock rows low in stock that count as such: the flag (at or below the minimum, or fewer on the shelf than
    reserved), of a product not in the trash — as the alert, the reorder list, the digest and the dashboard's card."""
    return and_(
        col(StockLevel.low_stock).is_(True),
        col(StockLevel.product_id).in_(select(Product.id).where(col(Product.deleted_at).is_(None))),
    )


# --- inside an order's or a return's transaction ----------------------------------------------------------------------


def levels_now(session: Session, product_ids: Iterable[int]) -> dict[int, StockLevel]:
    """The stock rows of these stocked products as they are now, not locked (what an order could reserve, read to say
    so before it is placed); products not stock-tracked are left out, as locked_levels leaves them."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    return {level.product_id: level for level in session.exec(_stocked_levels(ids))}


def _stocked_levels(ids: list[int]) -> Any:
    """The select of the stock rows of these products that are stocked (levels_now, locked_levels)."""
    return (
        select(StockLevel)
        .join(Product, col(Product.id) == StockLevel.product_id)
        .where(col(StockLevel.product_id).in_(ids), col(Product.stocked).is_(True))
    )


def locked_levels(session: Session, product_ids: Iterable[int]) -> dict[int, StockLevel]:
    """The stock rows of these products, locked until the transaction ends (PostgreSQL: FOR UPDATE, in product order
    so that two orders never wait on each other; SQLite: BEGIN IMMEDIATE already serialises writers). Products
    without a row are not stock-tracked and are left out, and so are products not stocked (a service, a plan), even
    should one still have a row: ordering one never reserves, ships or restocks anything."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    statement = _stocked_levels(ids).order_by(col(StockLevel.product_id)).execution_options(populate_existing=True)
    if session.get_bind().dialect.name != 'sqlite':
        statement = statement.with_for_update(of=StockLevel)
    return {level.product_id: level for level in session.exec(statement)}


def reserve(session: Session, wanted: dict[int, int], skus: dict[int, str]) -> None:
    """Reserve `wanted` {product_id: quantity}; all or nothing, OutOfStock naming every short line."""
    levels = locked_levels(session, wanted)
    shortages = [
        (skus.get(pid, str(pid)), qty, levels[pid].available)
        for pid, qty in wanted.items()
        if pid in levels and levels[pid].available < qty
    ]
    if shortages:
        raise OutOfStock(shortages)
    for pid, qty in wanted.items():
        if pid in levels:
            levels[pid].reserved += qty
            _refresh(session, levels[pid])


def release(session: Session, reserved: dict[int, int]) -> None:
    """Give back what an order reserved (cancelled before shipping)."""
    levels = locked_levels(session, reserved)
    for pid, qty in reserved.items():
        if pid in levels:
            levels[pid].reserved = max(0, levels[pid].reserved - qty)
            _refresh(session, levels[pid])


def ship(session: Session, shipped: dict[int, int], *, order_id: int, order_number: str, actor: User | None) -> None:
    """The reserved goods leave the warehouse: a sale movement each, naming its order; on hand and reserved both go
    down."""
    levels = locked_levels(session, shipped)
    # a stocked product with no stock row yet (ordered before its first stock arrived) has nothing on its shelf: its
    # row is made at 0 (reserving its open orders, this one too), so the sale below is refused as any shortage is —
    # stock never goes below 0 (`move`) — instead of leaving with no movement and a level that says nothing left
    for product in session.exec(
        select(Product).where(col(Product.id).in_(sorted(set(shipped) - set(levels))), col(Product.stocked).is_(True))
    ):
        level = level_for(session, product)
        assert level is not None
        levels[product.id] = level
    # a count found fewer on the shelf than the order reserved: said by product, as an order short of stock is
    missing = [
        (levels[pid].sku, qty, levels[pid].on_hand)
        for pid, qty in shipped.items()
        if pid in levels and levels[pid].on_hand < qty
    ]
    if missing:
        raise OutOfStock(missing)
    for pid, qty in shipped.items():
        if pid in levels:
            levels[pid].reserved = max(0, levels[pid].reserved - qty)
            move(
                session,
                levels[pid],
                MovementKind.sale,
                -qty,
                reason=sentence(SALE_REASON, number=order_number),
                order_id=order_id,
                actor=actor,
            )


SALE_REASON = N_('Order {number}')  # a sale's reason, in the reader's language where shown ('Commande 1042')


def move(
    session: Session,
    level: StockLevel,
    kind: MovementKind,
    quantity: int,
    *,
    reason: str | Sentence = '',
    order_id: int | None = None,
    return_id: int | None = None,
    purchase_id: int | None = None,
    actor: User | None = None,
) -> StockMovement:
    """One ledger entry and the stock on hand it changes, together: the ledger always sums to on hand. `reason`: a
    person's words as they are, or the app's own as a `Sentence` ('Return R-7'), shown in the reader's language."""
    if level.on_hand + quantity < 0:
        raise ValidationFailed(
            {
                'quantity': _('{product} has {on_hand} on hand: {n} cannot be taken out').format(
                    product=level.sku or _('This product'), on_hand=level.on_hand, n=-quantity
                )
            }
        )
    level.on_hand += quantity
    _refresh(session, level)
    text, key, params = stored(reason)
    movement = StockMovement(
        product_id=level.product_id,
        kind=kind,
        quantity=quantity,
        balance=level.on_hand,
        reason=text[:MAX_REASON],
        reason_key=key,
        reason_params=params,
        order_id=order_id,
        return_id=return_id,
        purchase_id=purchase_id,
        created_at=utcnow(),
        created_by=actor.id if actor else None,
    )
    session.add(movement)
    return movement


def level_for(session: Session, product: Product, *, create: bool = True) -> StockLevel | None:
    """The product's stock row, locked; made (at zero, reserving what its open orders wait for) when missing and
    `create` — the product becomes tracked. A product not stocked (a service, a plan) has none: adjusting, counting it
    or setting its limits is refused."""
    if not product.stocked:
        raise NotStocked(
            _('{sku} is not stocked (a service or a plan): it has no stock to change or count').format(sku=product.sku)
        )
    level = locked_levels(session, [product.id]).get(product.id)
    if level is None and create:
        level = StockLevel(product_id=product.id, sku=product.sku)
        session.add(level)
        session.flush()
        # orders placed before its first stock (pre-orders) reserved nothing, there being no row: they reserve now,
        # or their units read as available and were sold twice
        level = reserve_for_open_orders(session, product) or level
    return level


def _left_unstocked_level(session: Session, product: Product, shelf: int) -> StockLevel:
    """The stock row of a product not stocked that still holds units, locked, for a count to 0 (where they went said in
    its note); any other stock change of it is refused (`level_for`)."""
    statement = select(StockLevel).where(StockLevel.product_id == product.id, col(StockLevel.on_hand) != 0)
    if session.get_bind().dialect.name != 'sqlite':
        statement = statement.with_for_update()
    level = session.exec(statement.execution_options(populate_existing=True)).first()
    if level is None:
        level_for(session, product)  # raises NotStocked: nothing on its row to count out
        raise AssertionError('unreachable')
    if shelf != 0:
        raise ValidationFailed(
            {
                'counted': _(
                    '{sku} is not stocked: count its units to 0, or stock it again to keep {n} on the shelf'
                ).format(sku=product.sku, n=formatting.number(shelf))
            }
        )
    return level


def _refresh(session: Session, level: StockLevel) -> None:
    level.available = level.on_hand - level.reserved
    # fewer on the shelf than reserved (a count found them missing) is low whatever the minimum: orders wait for it
    level.low_stock = level.available < 0 or (level.min_qty > 0 and level.available <= level.min_qty)
    if not level.low_stock:
        level.low_alerted_at = None
    level.updated_at = utcnow()
    session.add(level)


def short(level: StockLevel) -> int:
    """How many open orders reserved beyond what is on the shelf (a count found fewer): 0 when none."""
    return max(level.reserved - level.on_hand, 0)


def shortage_said(level: StockLevel) -> str:
    """What a short product's stock says, wherever it is shown ('' when it is not short)."""
    if not short(level):
        return ''
    return _('{sku}: {reserved} reserved by open orders, {on_hand} on the shelf ({short} short)').format(
        sku=level.sku,
        reserved=formatting.number(level.reserved),
        on_hand=formatting.number(level.on_hand),
        short=formatting.number(short(level)),
    )


def shortages(session: Session, product_ids: Iterable[int]) -> list[StockLevel]:
    """The stock rows of these products (stocked ones) holding fewer on the shelf than open orders reserved."""
    ids = sorted(set(product_ids))
    if not ids:
        return []
    return list(
        session.exec(
            select(StockLevel)
            .join(Product, col(Product.id) == StockLevel.product_id)
            .where(
                col(StockLevel.product_id).in_(ids),
                col(Product.stocked).is_(True),
                col(StockLevel.on_hand) < col(StockLevel.reserved),
            )
            .order_by(col(StockLevel.sku))
        )
    )


def why_not_unstocked(session: Session, product: Product) -> str | None:
    """Why a stocked product cannot stop being stocked now, or None: units on its shelf or reserved by open orders
    would be hidden and never released (a product not stocked has no stock row in use). The person empties it first,
    by the ordinary ways that leave a trace: ship or cancel the orders, count the shelf to 0 saying where it went."""
    if not product.stocked or product.id is None:
        return None
    level = locked_levels(session, [product.id]).get(product.id)
    if level is None or (level.on_hand == 0 and level.reserved == 0):
        return None
    said = _('{sku} still has stock — on the shelf: {on_hand}, reserved by open orders: {reserved}.').format(
        sku=product.sku, on_hand=formatting.number(level.on_hand), reserved=formatting.number(level.reserved)
    )
    if level.reserved and level.on_hand > level.reserved:
        todo = _(
            'Ship or cancel those orders, then count the rest out (Count stock: 0, saying where it went); it can then '
            'stop being stocked.'
        )
    elif level.reserved:
        todo = _('Ship or cancel those orders first; it can then stop being stocked.')
    else:
        todo = _('Count them out first (Count stock: 0, saying where they went); it can then stop being stocked.')
    return f'{said} {todo}'


def left_unstocked(session: Session, product: Product) -> int:
    """Units still on the stock row of a product that is not stocked (switched before that was refused while units
    were on its shelf): its form says so until they are counted to 0 or the product is stocked again; 0 otherwise."""
    if product.stocked or product.id is None:
        return 0
    return session.exec(select(StockLevel.on_hand).where(StockLevel.product_id == product.id)).first() or 0


def left_unstocked_said(units: int) -> str:
    """'3 units still recorded on the shelf although not stocked — …' ('' for none)."""
    if not units:
        return ''
    return ngettext(
        '{n} unit still recorded on the shelf although not stocked — count it to 0 (Count stock, saying where it '
        'went) or stock the product again',
        '{n} units still recorded on the shelf although not stocked — count them to 0 (Count stock, saying where '
        'they went) or stock the product again',
        abs(units),
    ).format(n=formatting.number(units))


def rename(session: Session, product: Product) -> None:
    """A product's new SKU on its stock row (a copy, for the stock list's sort and search), stocked or not. Inside the
    save's transaction."""
    if product.id is None:
        return
    statement = select(StockLevel).where(StockLevel.product_id == product.id)
    if session.get_bind().dialect.name != 'sqlite':
        statement = statement.with_for_update()
    level = session.exec(statement).first()
    if level is not None and level.sku != product.sku:
        level.sku = product.sku
        stamp(level)
        session.add(level)
        events.after_commit(session, Topic.stock, {'id': level.id, 'action': 'renamed'})  # the stock list shows it


def reserve_for_open_orders(session: Session, product: Product) -> StockLevel | None:
    """A product stocked again: the open orders placed while it was not stocked reserved nothing of it, yet shipping or
    cancelling them takes their quantities off its reservations. They reserve now, the whole of each line (shipping and
    cancelling count on it), oldest order first; fewer on the shelf than that is a shortage, said as a count's is
    (`shortage_said`: the product shows as low stock and its orders say so). Inside the save's transaction. None when
    the product has no stock row (never tracked: nothing to reserve from)."""
    if not product.stocked or product.id is None:
        return None
    level = locked_levels(session, [product.id]).get(product.id)
    if level is None:
        return None
    wanted = session.exec(
        select(func.coalesce(func.sum(unshipped()), 0))
        .join(Order, col(Order.id) == OrderLine.order_id)
        .where(OrderLine.product_id == product.id, col(Order.status).in_(RESERVING))
    ).one()
    if level.reserved != wanted:
        # what open orders hold, not more: any reservation left from before (released by migration 0058) is gone
        level.reserved = int(wanted)
        _refresh(session, level)
        session.flush()
    return level


def unshipped() -> Any:
    """What of an order line is still to ship, as SQL: its quantity less what its parcels took (an open order ships
    in several parcels: what left is no longer reserved) and what was called off (orders.cancel_rest)."""
    shipped = (
        select(func.coalesce(func.sum(ShipmentLine.quantity), 0))
        .where(col(ShipmentLine.order_line_id) == OrderLine.id)
        .scalar_subquery()
    )
    return col(OrderLine.quantity) - col(OrderLine.cancelled_quantity) - shipped


def short_orders(session: Session, level: StockLevel) -> list[str]:
    """The numbers of the open orders the shelf cannot cover, the oldest served first: shipping them waits."""
    if not short(level):
        return []
    rows = session.exec(
        select(Order.number, unshipped())
        .join(Order, col(Order.id) == OrderLine.order_id)
        .where(OrderLine.product_id == level.product_id, col(Order.status).in_(RESERVING))
        .order_by(col(Order.placed_at), col(Order.id), col(OrderLine.id))
    ).all()
    shelf, waiting = level.on_hand, []
    for number, quantity in rows:
        if shelf >= quantity:
            shelf -= quantity
        elif number not in waiting:
            waiting.append(number)
    return waiting


# --- staff actions (one transaction each) -------------------------------------------------------------------------


def adjust(*, session: Session, actor: User, product_id: int, quantity: int, reason: str) -> StockMovement:
    """Correct the stock on hand by a signed quantity (a count, breakage, a find); the reason is mandatory."""
    require(actor, 'catalog.write')
    errors = {}
    reason = ' '.join((reason or '').split())
    if not reason:
        errors['reason'] = _('Say why the stock changes (e.g. "counted 12 on the shelf", "2 broken in transit")')
    elif len(reason) > MAX_REASON:  # the ledger keeps 300: cut, the reason read as something else
        errors['reason'] = too_long(MAX_REASON, len(reason))
    quantity = quantity_of(quantity, errors, allow_negative=True)
    if errors:
        raise ValidationFailed(errors)
    product = product_of(session, product_id)
    refuse_trashed(product)
    level = level_for(session, product)
    if quantity < 0 and level.on_hand + quantity < level.reserved:  # units found are welcome, short or not
        raise ValidationFailed(
            {
                # a correction does not take reserved units; a count does, when the shelf really holds fewer
                'quantity': _(
                    '{reserved} of {sku} are reserved by orders: on hand cannot go below that (it would become {n}). '
                    'If fewer are really on the shelf, count them (Count stock): the count is booked and those orders '
                    'show as short.'
                ).format(reserved=level.reserved, sku=product.sku, n=level.on_hand + quantity)
            }
        )
    movement = move(session, level, MovementKind.adjustment, quantity, reason=reason, actor=actor)
    audit.record(
        session,
        actor,
        'stock.adjusted',
        'stock',
        level.id,
        changes={'on_hand': [level.on_hand - quantity, level.on_hand]},
        summary=sentence(N_('{sku}: {quantity} ({reason})'), sku=product.sku, quantity=f'{quantity:+d}', reason=reason),
    )
    changes.commit(session, (Topic.stock, {'id': level.id, 'action': 'adjusted'}))
    return movement


MAX_REASON = 300  # characters of a movement's reason (StockMovement.reason)


def record_count(
    *, session: Session, actor: User, product_id: int, counted: Any, reason: str = ''
) -> StockMovement | None:
    """A stock count: how many are on the shelf now. The difference from on hand is booked as an adjustment, worked out
    here under the row's lock (a sale shipped while the person counted is not undone); a count that agrees books
    nothing (None). `reason` is optional: the count is the reason. A count below what open orders reserved is booked
    too (the shelf holds what it holds): the reservations stay and the product is short (`shortage_said`)."""
    require(actor, 'catalog.write')
    errors: dict[str, str] = {}
    shelf = quantity_of(counted, errors, field='counted')
    try:  # the form counts up to MAX_REASON; a longer note (the API, a paste) is refused at its field, never cut
        note = typed_line(reason, maximum=MAX_REASON)
    except ValueError as error:
        errors['reason'] = str(error)
    if errors or shelf is None:
        raise ValidationFailed(errors)
    product = product_of(session, product_id)
    refuse_trashed(product)
    level = _left_unstocked_level(session, product, shelf) if not product.stocked else level_for(session, product)
    difference = shelf - level.on_hand
    if difference == 0:
        session.commit()
        return None
    # fewer on the shelf than open orders reserved (breakage, theft): the count is the truth and is booked; the
    # reservations stay, and the shortage shows (available below 0 is low stock; the orders and the count say so)
    text = (
        sentence(N_('Counted {counted} on the shelf: {note}'), counted=count(shelf), note=note)
        if note
        else sentence(N_('Counted {counted} on the shelf'), counted=count(shelf))
    )
    movement = move(session, level, MovementKind.adjustment, difference, reason=text, actor=actor)
    audit.record(
        session,
        actor,
        'stock.counted',
        'stock',
        level.id,
        changes={'on_hand': [level.on_hand - difference, level.on_hand]},
        summary=sentence(
            N_('{sku}: counted {counted} ({quantity})'),
            sku=product.sku,
            counted=count(shelf),
            quantity=f'{difference:+d}',
        ),
    )
    changes.commit(session, (Topic.stock, {'id': level.id, 'action': 'adjusted'}))
    return movement


def set_limits(
    *, session: Session, actor: User, product_id: int, min_qty: int, max_qty: int, version: int | None = None
) -> StockLevel:
    """Min (alert at or below) and max (reorder up to) for a product; max 0 means no reorder target."""
    require(actor, 'catalog.write')
    errors: dict[str, str] = {}
    min_qty = quantity_of(min_qty, errors, field='min_qty')
    max_qty = quantity_of(max_qty, errors, field='max_qty')
    if not errors and min_qty < 0:
        errors['min_qty'] = _('Use 0 or more')
    if not errors and max_qty and max_qty < min_qty:
        errors['max_qty'] = _('The maximum must be at least the minimum')
    if errors:
        raise ValidationFailed(errors)
    product = product_of(session, product_id)
    level = level_for(session, product)
    if version is not None:
        level = get_for_update(session, StockLevel, level.id, version, entity='stock', label=N_('stock level'))
    before = audit.snapshot(level)
    level.min_qty, level.max_qty = min_qty, max_qty
    _refresh(session, level)
    stamp(level)
    audit.record(
        session,
        actor,
        'stock.limits',
        'stock',
        level.id,
        version=level.version,
        changes=audit.diff(before, audit.snapshot(level)),
        summary=sentence(
            N_('{sku}: min {minimum}, max {maximum}'), sku=product.sku, minimum=count(min_qty), maximum=count(max_qty)
        ),
    )
    changes.commit(session, (Topic.stock, {'id': level.id, 'action': 'limits'}))
    return level


# --- reading, the job and the reorder list ------------------------------------------------------------------------


def ledger(*, session: Session, actor: User, product_id: int | None = None, limit: int = 200) -> list[StockMovement]:
    require(actor, 'catalog.read')
    statement = select(StockMovement).order_by(col(StockMovement.id).desc()).limit(limit)
    if product_id is not None:
        statement = statement.where(StockMovement.product_id == product_id)
    return list(session.exec(statement))


def movement_opens(*, session: Session, actor: User, movement_id: int) -> str | None:
    """Where a row of the movements ledger leads: a sale's or a return's order, a receipt's purchase (as the app
    links purchases elsewhere: /purchases?open=…); None for an adjustment, a count, or what the reader may not see."""
    require(actor, 'catalog.read')
    movement = session.get(StockMovement, movement_id)
    if movement is None:
        return None
    if movement.order_id is not None and can(actor, 'orders.read'):
        order = session.get(Order, movement.order_id)
        return f'/orders/{order.number}' if order is not None else None
    if movement.purchase_id is not None and session.get(Purchase, movement.purchase_id) is not None:
        return f'/purchases?open={movement.purchase_id}'
    return None


HISTORY_PAGE = 20  # movements on a page of a product's stock history
# a movement's kind as its history says it above the reference it came from (the same words as the movements list's)
KIND_SAID = {
    MovementKind.receipt: N_('Receipt'),
    MovementKind.sale: N_('Sale'),
    MovementKind.return_: N_('Return'),
    MovementKind.adjustment: N_('Adjustment'),
}


def history(*, session: Session, actor: User, record_id: int, page: int = 1) -> LedgerPage:
    """A product's stock history, newest first, a page at a time: why its stock is what it is. Each movement's time,
    change, stock on hand after it, reason (in the reader's language), what it came from — an order's number, a
    return's, a purchase's reference, linked for those who may open it — and who made it (none: the system)."""
    require(actor, 'catalog.read')
    total = session.exec(
        select(func.count()).select_from(StockMovement).where(StockMovement.product_id == record_id)
    ).one()
    pages = max(1, math.ceil(total / HISTORY_PAGE))
    page = min(max(1, int(page or 1)), pages)
    # the page's ids first, read from the index alone (ix_stock_movements_product_created, migration 0082), then only
    # those rows and what they name: a deep page steps over index entries, not over rows and their joins
    ids = (
        select(StockMovement.id)
        .where(StockMovement.product_id == record_id)
        .order_by(col(StockMovement.created_at).desc(), col(StockMovement.id).desc())
        .offset((page - 1) * HISTORY_PAGE)
        .limit(HISTORY_PAGE)
        .subquery()
    )
    rows = session.exec(
        select(StockMovement, Order.number, Return.number, Purchase.reference, User.name)
        .join(ids, ids.c.id == StockMovement.id)
        .join(Order, col(Order.id) == StockMovement.order_id, isouter=True)
        .join(Return, col(Return.id) == StockMovement.return_id, isouter=True)
        .join(Purchase, col(Purchase.id) == StockMovement.purchase_id, isouter=True)
        .join(User, col(User.id) == StockMovement.created_by, isouter=True)
        .order_by(col(StockMovement.created_at).desc(), col(StockMovement.id).desc())
    ).all()
    orders = can(actor, 'orders.read')
    shown = []
    for movement, order, returned, bought, by in rows:
        reference, href = '', ''
        if returned is not None:
            reference, href = returned, f'/orders/{order}' if order is not None and orders else ''
        elif order is not None:
            reference, href = order, f'/orders/{order}' if orders else ''
        elif movement.purchase_id is not None:  # its reference, else its number (services/purchases.label)
            reference, href = bought or f'#{movement.purchase_id}', f'/purchases?open={movement.purchase_id}'
        reason = stored_text.show(movement.reason, movement.reason_key, movement.reason_params)
        if reference and reference in reason:
            # the app's own reason names what the movement came from ('Order 1042'): said once, as the linked
            # reference, under the kind of movement ('Sale'), not 'Order 1042' above '1042'
            reason, reference = _(KIND_SAID.get(movement.kind, '')) or reason, reason
        shown.append(
            LedgerRow(
                at=movement.created_at,
                change=movement.quantity,
                after=movement.balance,
                reason=reason,
                reference=reference,
                href=href,
                by=by or '',
            )
        )
    return LedgerPage(rows=shown, page=page, pages=pages, total=total)


def ledger_mismatches(*, session: Session) -> list[tuple[int, int, int]]:
    """(product_id, on_hand, ledger sum) for every product whose ledger does not sum to its stock (should be none)."""
    sums = (
        select(StockMovement.product_id, func.sum(StockMovement.quantity).label('total'))
        .group_by(StockMovement.product_id)
        .subquery()
    )
    rows = session.exec(
        select(StockLevel.product_id, StockLevel.on_hand, func.coalesce(sums.c.total, 0)).join(
            sums, sums.c.product_id == StockLevel.product_id, isouter=True
        )
    )
    return [(pid, on_hand, int(total)) for pid, on_hand, total in rows if on_hand != int(total)]


def reservation_mismatches(*, session: Session) -> list[tuple[int, int, int]]:
    """(product_id, reserved, what open orders still wait for) for every stocked product whose reservations are not
    its open orders' lines less what parcels took and what was called off (should be none: migration 0080 recounted
    them so)."""
    waiting = (
        select(OrderLine.product_id, func.sum(unshipped()).label('total'))
        .join(Order, col(Order.id) == OrderLine.order_id)
        .where(col(Order.status).in_(RESERVING))
        .group_by(col(OrderLine.product_id))
        .subquery()
    )
    rows = session.exec(
        select(StockLevel.product_id, StockLevel.reserved, func.coalesce(waiting.c.total, 0))
        .join(waiting, waiting.c.product_id == StockLevel.product_id, isouter=True)
        .where(*stocked_rows())
        .order_by(col(StockLevel.product_id))
    )
    return [(pid, reserved, int(total)) for pid, reserved, total in rows if reserved != int(total)]


@dataclass(frozen=True)
class ReorderLine:
    product_id: int
    sku: str
    name: str
    on_hand: int
    reserved: int
    available: int
    min_qty: int
    max_qty: int
    order_quantity: int
    on_order: int = 0  # already ordered from a supplier, not received yet


def reorder_list(*, session: Session, actor: User) -> list[ReorderLine]:
    """Every product at or below its minimum, with the quantity that brings it back to its maximum (or the minimum
    plus one when no maximum is set), less what purchase orders not yet received bring: a product they already
    bring back up is not listed (it was ordered twice from the list before); nor is a product in the trash. A product
    open orders wait for before its first stock came in (pre-orders) is listed with what they wait for."""
    require(actor, 'catalog.read')
    rows = session.exec(
        select(StockLevel, Product.name)
        .join(Product, Product.id == StockLevel.product_id)
        .where(
            col(StockLevel.low_stock).is_(True),
            col(Product.stocked).is_(True),
            col(Product.deleted_at).is_(None),  # a product in the trash is not bought again
        )
        .order_by(col(StockLevel.sku))
    ).all()
    # sold before their first stock came in (pre-orders): no stock row yet, so never low, yet orders wait for them
    # (they reserve once it arrives, `level_for`); read as a row at 0 on hand holding what those orders wait for
    waiting = session.exec(
        select(Product.id, Product.sku, Product.name, func.sum(unshipped()))
        .join(OrderLine, col(OrderLine.product_id) == Product.id)
        .join(Order, col(Order.id) == OrderLine.order_id)
        .where(
            col(Order.status).in_(RESERVING),
            col(Product.stocked).is_(True),
            col(Product.deleted_at).is_(None),
            ~select(StockLevel.id).where(StockLevel.product_id == Product.id).exists(),
        )
        .group_by(col(Product.id), col(Product.sku), col(Product.name))
    ).all()
    awaited = [
        (StockLevel(product_id=pid, sku=sku, reserved=int(wanted), available=-int(wanted)), name)
        for pid, sku, name, wanted in waiting
        if wanted and wanted > 0
    ]
    if awaited:
        rows = sorted([*rows, *awaited], key=lambda row: row[0].sku)
    coming = on_order(session, [level.product_id for level, _name in rows])
    lines = []
    for level, name in rows:
        ordered = coming.get(level.product_id, 0)
        wanted = max(level.max_qty, level.min_qty + 1) - level.available - ordered
        if wanted > 0:
            lines.append(
                ReorderLine(
                    level.product_id,
                    level.sku,
                    name,
                    level.on_hand,
                    level.reserved,
                    level.available,
                    level.min_qty,
                    level.max_qty,
                    wanted,
                    ordered,
                )
            )
    return lines


def on_order(session: Session, product_ids: list[int]) -> dict[int, int]:
    """{product_id: quantity} on purchase orders still waiting to be received (a short delivery's rest included)."""
    if not product_ids:
        return {}
    rows = session.exec(
        select(PurchaseLine.product_id, func.sum(col(PurchaseLine.quantity) - col(PurchaseLine.received_quantity)))
        .join(Purchase, col(Purchase.id) == PurchaseLine.purchase_id)
        .where(
            col(Purchase.status).in_((PurchaseStatus.ordered, PurchaseStatus.partly_received)),
            col(PurchaseLine.product_id).in_(product_ids),
        )
        .group_by(PurchaseLine.product_id)
    )
    return {product_id: int(quantity or 0) for product_id, quantity in rows}


def reorder_csv(*, session: Session, actor: User) -> bytes:
    """The reorder list as a purchase list (CSV, one product a line; UTF-8 with the BOM Excel needs for accents)."""
    return csv_bytes(
        ['sku', 'name', 'order_quantity', 'available', 'on_order', 'on_hand', 'reserved', 'min', 'max'],
        (
            [
                line.sku,
                line.name,
                line.order_quantity,
                line.available,
                line.on_order,
                line.on_hand,
                line.reserved,
                line.min_qty,
                line.max_qty,
            ]
            for line in reorder_list(session=session, actor=actor)
        ),
    )


def alert_low_stock(*, session: Session, limit: int = 500) -> list[int]:
    """The `low-stock` job: tell the staff who run stock (in the app), once per product until it is restocked above
    its minimum. One notification a run for each of them: a single product newly low opens its own stock; several are
    listed in one notice that opens the list filtered on low stock (a first run told of each product apart, by the
    dozen). Products not stocked, or in the trash, are never low. Returns the product ids alerted."""
    statement = (
        select(StockLevel)
        .join(Product, col(Product.id) == StockLevel.product_id)
        .where(
            col(StockLevel.low_stock).is_(True),
            col(StockLevel.low_alerted_at).is_(None),
            col(Product.stocked).is_(True),
            col(Product.deleted_at).is_(None),  # in the trash: told once it is restored, if still low
        )
        .order_by(col(StockLevel.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name != 'sqlite':
        statement = statement.with_for_update(of=StockLevel, skip_locked=True)
    levels = list(session.exec(statement))
    if not levels:
        session.commit()
        return []
    staff = list(
        session.exec(
            select(User).where(
                col(User.is_active).is_(True), col(User.role).in_(roles.keys_with(session, 'catalog.write'))
            )
        )
    )
    now = utcnow()
    for level in levels:
        level.low_alerted_at = now
        session.add(level)
    text, link = _low_stock_notice(session, levels)
    for user in staff:
        notifications.notify(session, user_id=user.id, text=text, link=link)
    # 'low': below its minimum, told once until restocked (the automation event "Stock below minimum", per product)
    changes.commit(session, *((Topic.stock, {'id': level.id, 'action': 'low'}) for level in levels))
    return [level.product_id for level in levels]


LOW_STOCK_LISTED = 8  # SKUs named in a notice of several products (a notice holds 500 characters)


def _low_stock_notice(session: Session, levels: list[StockLevel]) -> tuple[Sentence, str]:
    """What one run of the job says, and where the notice leads."""
    if len(levels) == 1:
        [level] = levels
        name = session.exec(select(Product.name).where(Product.id == level.product_id)).first() or ''
        if short(level):  # fewer on the shelf than open orders reserved: '-2 available' would say it badly
            text = sentence(
                N_('Short on the shelf: {sku} {name} has {on_hand} for {reserved} reserved by open orders'),
                sku=level.sku,
                name=name,
                on_hand=count(level.on_hand),
                reserved=count(level.reserved),
            )
            return text, f'/inventory?open={level.id}'
        text = sentence(
            N_('Low stock: {sku} {name} has {available} available (minimum {minimum})'),
            sku=level.sku,
            name=name,
            available=count(level.available),
            minimum=count(level.min_qty),
        )
        # that product's stock opened (its limits, Adjust, Count), not the list's first page
        return text, f'/inventory?open={level.id}'
    skus = ', '.join(sorted(level.sku for level in levels)[:LOW_STOCK_LISTED])
    more = len(levels) - LOW_STOCK_LISTED
    text = (
        sentence(
            N_('Low stock: {n} products at or below their minimum: {skus} and {more} more'),
            n=count(len(levels)),
            skus=skus,
            more=count(more),
        )
        if more > 0
        else sentence(N_('Low stock: {n} products at or below their minimum: {skus}'), n=count(len(levels)), skus=skus)
    )
    return text, '/inventory?low_stock=yes'  # the stock list filtered on low stock (ResourceTable reads the filter)


# --- helpers ------------------------------------------------------------------------------------------------------


def product_of(session: Session, product_id) -> Product:
    try:
        product = session.get(Product, int(product_id))
    except (TypeError, ValueError):
        raise ValidationFailed({'product_id': _('Choose a product')}) from None
    if product is None:
        raise NotFound(_('This product no longer exists.'))
    return product


def before_trash(session: Session, product_ids: list[int]) -> list[str]:
    """What moving these products to the trash leaves behind, said before (products' `trash_said`): units still on
    their shelf, units open orders reserve (still to be shipped), units open purchases still bring; then that in the
    trash their stock takes no adjustment or count and they go on no purchase. [] when there is none of it."""
    live = list(
        session.exec(select(Product.id).where(col(Product.id).in_(product_ids), col(Product.deleted_at).is_(None)))
    )
    if not live:
        return []
    many = len(live) > 1
    said = []
    shelf = session.exec(
        select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
            col(StockLevel.product_id).in_(live), col(StockLevel.on_hand) > 0
        )
    ).one()
    shelf = int(shelf)
    if shelf:
        said.append(
            (
                ngettext('{n} unit of them is still on the shelf.', '{n} units of them are still on the shelf.', shelf)
                if many
                else ngettext('{n} unit of it is still on the shelf.', '{n} units of it are still on the shelf.', shelf)
            ).format(n=formatting.number(shelf))
        )
    waiting = unshipped()
    orders, reserved = session.exec(
        select(func.count(func.distinct(OrderLine.order_id)), func.coalesce(func.sum(waiting), 0))
        .join(Order, col(Order.id) == OrderLine.order_id)
        .join(Product, col(Product.id) == OrderLine.product_id)
        .where(
            col(OrderLine.product_id).in_(live),
            col(Order.status).in_(RESERVING),
            col(Product.stocked).is_(True),
            waiting > 0,
        )
    ).one()
    if orders:
        said.append(
            (
                ngettext(
                    '{n} open order reserves {units} of them, still to be shipped.',
                    '{n} open orders reserve {units} of them, still to be shipped.',
                    orders,
                )
                if many
                else ngettext(
                    '{n} open order reserves {units} of it, still to be shipped.',
                    '{n} open orders reserve {units} of it, still to be shipped.',
                    orders,
                )
            ).format(n=formatting.number(orders), units=_units(int(reserved)))
        )
    due_lines = col(PurchaseLine.quantity) - col(PurchaseLine.received_quantity)
    purchases, due = session.exec(
        select(func.count(func.distinct(PurchaseLine.purchase_id)), func.coalesce(func.sum(due_lines), 0))
        .join(Purchase, col(Purchase.id) == PurchaseLine.purchase_id)
        .where(
            col(PurchaseLine.product_id).in_(live),
            col(Purchase.status).in_((PurchaseStatus.ordered, PurchaseStatus.partly_received)),
            due_lines > 0,
        )
    ).one()
    if purchases:
        said.append(
            (
                ngettext(
                    '{n} open purchase still brings {units} of them.',
                    '{n} open purchases still bring {units} of them.',
                    purchases,
                )
                if many
                else ngettext(
                    '{n} open purchase still brings {units} of it.',
                    '{n} open purchases still bring {units} of it.',
                    purchases,
                )
            ).format(n=formatting.number(purchases), units=_units(int(due)))
        )
    if said:
        said.append(
            _(
                'While they are in the trash, their stock cannot be adjusted or counted and they cannot be put on a '
                'new purchase.'
            )
            if many
            else _(
                'While it is in the trash, its stock cannot be adjusted or counted and it cannot be put on a new '
                'purchase.'
            )
        )
    return said


def _units(n: int) -> str:
    return ngettext('{n} unit', '{n} units', n).format(n=formatting.number(n))


def refuse_trashed(product: Product, *, field: str = '') -> None:
    """A product in the trash takes no stock change and no new purchase line: restored first. (Its units on the shelf,
    reserved or still due were said before it went there: `before_trash`.) `field`: where the form says it."""
    if product.deleted_at is not None:
        raise ValidationFailed({field: in_the_trash(product)})


def in_the_trash(product: Product) -> str:
    return _('The {singular} "{name}" is in the trash; restore it first').format(
        singular=_('product'), name=product.name or product.sku
    )


def quantity_of(value, errors: dict[str, str], *, field: str = 'quantity', allow_negative: bool = False) -> int | None:
    try:
        if isinstance(value, bool) or value is None or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        number = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except ValueError:
        errors[field] = _('Enter a whole number')
        return None
    if abs(number) > MAX_QUANTITY:
        errors[field] = _('Use at most {n}').format(n=formatting.number(MAX_QUANTITY))
    elif not allow_negative and number < 0:
        errors[field] = _('Use 0 or more')
    elif allow_negative and number == 0:
        errors[field] = _('Enter a quantity other than 0 (negative takes stock out)')
    return number
