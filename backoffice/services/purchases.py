"""Purchase orders: ordered from a supplier (no stock moves), then received (a receipt movement per line); or received
at once when goods arrive without an order. Each public function is one transaction."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, func, select

from backoffice import changes, formatting
from backoffice.errors import NotFound, ServiceError, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import MovementKind, Product, Purchase, PurchaseLine, PurchaseStatus, Supplier, User, utcnow
from backoffice.permissions import require
from backoffice.services import audit, stock
from backoffice.stored_text import count, sentence


class AlreadyReceived(ServiceError):
    """Receiving a purchase twice would count its goods twice (the API and the UI say so)."""


def receive_purchase(
    *, session: Session, actor: User, lines: list[dict], supplier: str = '', reference: str = ''
) -> Purchase:
    """Goods arrived from a supplier: one receipt movement per line (a product becomes stock-tracked if it was not)."""
    return create_purchase(
        session=session, actor=actor, lines=lines, supplier=supplier, reference=reference, received=True
    )


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
    chosen = _supplier_of(session, supplier_id, supplier)
    wanted = _valid_lines(session, lines)
    now = utcnow()
    costs = [unit_cost * quantity for _, quantity, unit_cost in wanted if unit_cost is not None]
    purchase = Purchase(
        supplier=chosen.name[:120] if chosen else ' '.join(supplier.split())[:120],
        supplier_id=chosen.id if chosen else None,
        reference=reference.strip()[:80],
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
            N_('Received purchase {purchase} from {supplier}: {lines} lines')
            if received
            else N_('Ordered purchase {purchase} from {supplier}: {lines} lines'),
            purchase=label(purchase),
            supplier=purchase.supplier or '?',
            lines=count(len(wanted)),
        ),
    )
    _commit(session, purchase, 'received' if received else 'ordered', changed)
    return purchase


def may_receive(purchase: Purchase) -> bool:
    """Only a purchase still on order can be received (once)."""
    return purchase.status == PurchaseStatus.ordered


def receive(*, session: Session, actor: User, purchase_id: int) -> Purchase:
    """An ordered purchase arrived: each line becomes a receipt movement. Receiving it again is refused."""
    require(actor, 'catalog.write')
    purchase = session.exec(select(Purchase).where(Purchase.id == purchase_id).with_for_update()).first()
    if purchase is None:
        raise NotFound(_('This purchase no longer exists.'))
    if purchase.status != PurchaseStatus.ordered:
        raise AlreadyReceived(
            _('Purchase {purchase} was received already ({when}): its goods are in stock').format(
                purchase=label(purchase), when=formatting.when(purchase.received_at)
            )
        )
    changed = _receive(session, actor, purchase)
    audit.record(
        session,
        actor,
        'stock.received',
        'purchases',
        purchase.id,
        changes={'status': ['ordered', 'received']},
        summary=sentence(
            N_('Received purchase {purchase} from {supplier}'),
            purchase=label(purchase),
            supplier=purchase.supplier or '?',
        ),
    )
    _commit(session, purchase, 'received', changed)
    return purchase


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


def _receive(session: Session, actor: User, purchase: Purchase) -> list:
    lines = session.exec(
        select(PurchaseLine).where(PurchaseLine.purchase_id == purchase.id).order_by(col(PurchaseLine.product_id))
    ).all()
    changed = []
    for line in lines:
        level = stock.level_for(session, session.get(Product, line.product_id))
        stock.move(
            session,
            level,
            MovementKind.receipt,
            line.quantity,
            reason=f'Purchase {label(purchase)}',
            purchase_id=purchase.id,
            actor=actor,
        )
        changed.append(level.id)
    purchase.status, purchase.received_at = PurchaseStatus.received, utcnow()
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


def _valid_lines(session: Session, lines: list[dict[str, Any]]) -> list[tuple[Product, int, Decimal | None]]:
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
        if quantity is not None and quantity <= 0:
            errors[f'lines.{i}.quantity'] = _('Receive at least 1')
        unit_cost = None
        if line.get('unit_cost') not in (None, ''):
            try:
                unit_cost = Decimal(str(line['unit_cost']).strip().replace(' ', '').replace(',', '.')).quantize(
                    Decimal('0.01')
                )
                if unit_cost < 0 or unit_cost >= Decimal('1e10'):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
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
