"""Demo returns and purchase orders, made through the real services so that /returns and /purchases are not empty:
returns started from the demo's "return or exchange" requests (one still requested, one received, one refunded, one
exchanged) and purchase orders for the low-stock products (ordered, and one received)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from backoffice.errors import ServiceError
from backoffice.models import (
    Product,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    Return,
    Role,
    StockLevel,
    StockMovement,
    Ticket,
    TicketType,
    User,
    utcnow,
)
from backoffice.services import orders, purchases, returns, tickets

WHOLESALE = Decimal('0.45')
RESOLUTIONS = (None, 'received', 'refund', 'exchange')  # what becomes of the demo returns, in turn
LINE_REASONS = ('Wrong size', 'Arrived damaged', 'Wrong size', 'Not as described')  # why, in turn (/reports/returns)


def seed_returns_and_purchases(session: Session) -> list[str]:
    """Once (nothing is added when returns or purchases exist). Needs shipped orders, requests and a manager."""
    if session.exec(select(Return.id)).first() is not None or session.exec(select(Purchase.id)).first() is not None:
        return []
    manager = session.exec(select(User).where(User.role == Role.manager, col(User.is_active).is_(True))).first()
    if manager is None:
        return []
    made = _returns(session, manager)
    _opening_purchase(session, manager)
    ordered = _purchases(session, manager)
    return [f'Returns: {made} from requests; purchase orders: {ordered} for low-stock products']


def _returns(session: Session, manager: User) -> int:
    made = 0
    requests = session.exec(
        select(Ticket).where(Ticket.type == TicketType.return_exchange).order_by(col(Ticket.number))
    ).all()
    for ticket in requests:
        if made == len(RESOLUTIONS):
            break
        order = tickets.linked_order(session=session, actor=manager, ticket=ticket)
        if order is None:
            continue
        line = orders.order_lines(session, order.id)[0]
        try:
            rma = returns.create_return_from_ticket(
                session=session,
                actor=manager,
                ticket_id=ticket.id,
                lines=[{'order_line_id': line.id, 'quantity': 1, 'reason': LINE_REASONS[made]}],
            )
            outcome = RESOLUTIONS[made]
            if outcome is not None:
                rma = returns.receive(session=session, actor=manager, return_id=rma.id)
                if outcome != 'received':
                    returns.resolve(session=session, actor=manager, return_id=rma.id, resolution=outcome)
        except ServiceError:  # e.g. an order already returned in full: take the next request
            session.rollback()
            continue
        made += 1
    return made


def _opening_purchase(session: Session, manager: User) -> None:
    """What the shelves held when the shop opened was bought, at a wholesale price: one received purchase order a year
    back, a line per product's opening stock, so the stock valuation knows what each product cost (its movements
    already hold that stock: receiving it again would double it)."""
    opening = session.exec(
        select(StockMovement.product_id, StockMovement.quantity, Product.price)
        .join(Product, col(Product.id) == StockMovement.product_id)
        .where(StockMovement.reason_key == 'Opening stock', col(StockMovement.quantity) > 0)
        .order_by(col(StockMovement.product_id))
    ).all()
    if not opening:
        return
    bought_at = utcnow() - timedelta(days=365)
    costs = [(pid, quantity, (price * WHOLESALE).quantize(Decimal('0.01'))) for pid, quantity, price in opening]
    purchase = Purchase(
        supplier='Opening stock',
        reference='PO-OPENING',
        status=PurchaseStatus.received,
        ordered_at=bought_at,
        received_at=bought_at,
        line_count=len(costs),
        total=sum((quantity * cost for _pid, quantity, cost in costs), Decimal('0.00')),
        created_by=manager.id,
    )
    session.add(purchase)
    session.flush()
    for product_id, quantity, cost in costs:
        session.add(
            PurchaseLine(
                purchase_id=purchase.id or 0,
                product_id=product_id,
                quantity=quantity,
                unit_cost=cost,
                received_quantity=quantity,
            )
        )
    session.commit()


def _purchases(session: Session, manager: User) -> int:
    low = session.exec(
        select(StockLevel, Product.price)
        .join(Product, col(Product.id) == StockLevel.product_id)
        .where(col(StockLevel.max_qty) > col(StockLevel.on_hand), col(Product.stocked).is_(True))
        .order_by(col(StockLevel.on_hand), col(StockLevel.id))
        .limit(6)
    ).all()
    batches = [low[:3], low[3:6]]
    ordered = 0
    for index, batch in enumerate(b for b in batches if b):
        # bought at a wholesale price (45 % of the shop's): the purchase order's total is its lines' cost
        lines = [
            {
                'product_id': level.product_id,
                'quantity': level.max_qty - level.on_hand,
                'unit_cost': (price * WHOLESALE).quantize(Decimal('0.01')),
            }
            for level, price in batch
        ]
        purchase = purchases.create_purchase(
            session=session,
            actor=manager,
            lines=lines,
            received=False,
            supplier='Roastery Supply Co.',
            reference=f'PO-DEMO-{index + 1}',
        )
        if index == 0:
            purchases.receive(session=session, actor=manager, purchase_id=purchase.id)
        ordered += 1
    return ordered
