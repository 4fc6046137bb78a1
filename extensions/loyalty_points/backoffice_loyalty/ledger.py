"""The loyalty services: balances, awards for paid orders (the nightly job, once per order), an automation's award,
and the KPI "points issued"; each write is one transaction with its audit entry, through the core's helpers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice import changes
from backoffice.errors import NotFound
from backoffice.i18n import N_, _
from backoffice.kpi.registry import Day, DayValue
from backoffice.models import Customer, Order, User
from backoffice.permissions import require
from backoffice.services import audit
from backoffice.stored_text import count, sentence
from backoffice_loyalty.models import LoyaltyEntry

READ, WRITE = 'loyalty.read', 'loyalty.write'
ENTITY = 'loyalty-points'  # the resource's key: its audit entries show with its records
PAID = ('paid', 'packed', 'shipped', 'delivered')
POINTS_PER_UNIT = 1  # one point per whole unit of money paid (less what was refunded)
BATCH = 500


@dataclass(frozen=True)
class Balance:
    customer_id: int
    email: str
    name: str
    points: int


def balance(*, session: Session, actor: User, customer_id: int) -> int:
    """A customer's points: the sum of their ledger."""
    require(actor, READ)
    if session.get(Customer, customer_id) is None:
        raise NotFound(_('No such customer.'))
    total = session.exec(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(LoyaltyEntry.customer_id == customer_id)
    )
    return int(total.one())


def top_balances(*, session: Session, actor: User, limit: int = 10) -> list[Balance]:
    """The customers holding the most points, most first."""
    require(actor, READ)
    points = func.sum(LoyaltyEntry.points)
    rows = session.exec(
        select(Customer.id, Customer.email, Customer.name, points)
        .join(LoyaltyEntry, col(LoyaltyEntry.customer_id) == col(Customer.id))
        .group_by(col(Customer.id), col(Customer.email), col(Customer.name))
        .order_by(points.desc(), col(Customer.id))
        .limit(limit)
    )
    return [Balance(int(i), e, n or '', int(p)) for i, e, n, p in rows]


def award_for_paid_orders(*, session: Session) -> int:
    """The nightly job: points for every paid order not awarded yet; returns the orders awarded. Run twice, or by two
    processes at once, an order is awarded once (its key `order:<id>` is unique)."""
    awarded = 0
    earned = col(Order.paid_total) - col(Order.refunded_total)
    while True:
        already = select(LoyaltyEntry.id).where(col(LoyaltyEntry.order_id) == col(Order.id))
        found = session.exec(
            select(Order)
            .where(col(Order.status).in_(PAID), col(Order.paid_at).is_not(None), earned >= 1 / POINTS_PER_UNIT)
            .where(~already.exists())
            .order_by(col(Order.id))
            .limit(BATCH)
        ).all()
        if not found:
            return awarded
        entries = [_entry_for(order) for order in found]
        session.add_all(entries)
        audit.record(
            session,
            None,
            'loyalty.awarded',
            ENTITY,
            summary=sentence(
                N_('Loyalty points for {orders} paid orders: {points} points'),
                orders=count(len(entries)),
                points=count(sum(e.points for e in entries)),
            ),
        )
        try:
            changes.commit(session)
        except IntegrityError:  # another run awarded some of these meanwhile: they are its, not ours
            session.rollback()
            return awarded
        awarded += len(entries)


def award(
    *, session: Session, actor: User, customer_id: int, points: int, reason: str, award_key: str | None = None
) -> LoyaltyEntry | None:
    """Points given by an automation (or any service), once per `award_key`; None when that key was used before."""
    require(actor, WRITE)
    if session.get(Customer, customer_id) is None:
        raise NotFound(_('No such customer.'))
    if award_key and session.exec(select(LoyaltyEntry).where(LoyaltyEntry.award_key == award_key)).first():
        return None
    entry = LoyaltyEntry(
        customer_id=customer_id, points=points, reason=reason[:200], kind='automation', award_key=award_key
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor,
        'created',
        ENTITY,
        entry.id,
        changes={'points': [None, points], 'reason': [None, entry.reason]},
        summary=sentence(N_('Awarded {points} loyalty points: {reason}'), points=count(points), reason=entry.reason),
    )
    changes.commit(session)
    return entry


def points_issued(day: Day) -> DayValue:
    """The KPI: points given that day (awards and positive adjustments; points taken back are not counted)."""
    total = day.session.exec(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.points > 0, LoyaltyEntry.created_at >= day.start, LoyaltyEntry.created_at < day.end
        )
    ).one()
    return DayValue(float(total))


def _points(order: Order) -> int:
    paid = Decimal(order.paid_total or 0) - Decimal(order.refunded_total or 0)
    return int((paid * POINTS_PER_UNIT).to_integral_value(ROUND_FLOOR))


def _entry_for(order: Order) -> LoyaltyEntry:
    return LoyaltyEntry(
        customer_id=order.customer_id,
        points=_points(order),
        reason=str(order.number),
        kind='order',
        order_id=order.id,
        award_key=f'order:{order.id}',
    )
