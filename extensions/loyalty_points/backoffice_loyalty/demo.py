"""The loyalty extension's demo data, given through the core's demo hook (`hooks.demo_data`): points for the demo's
paid orders, each dated on the day its order was paid (so the dashboard's "Points issued" has a year of history), and
a few adjustments by hand over the year."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from backoffice.models import Order, utcnow
from backoffice_loyalty import ledger
from backoffice_loyalty.models import LoyaltyEntry

ADJUSTMENTS = (  # what a shop's team gives or takes back by hand, with the reason they type
    (50, 'Goodwill: the parcel arrived late'),
    (100, 'Birthday bonus'),
    (25, 'Thank you for the product review'),
    (200, 'Referred a friend who ordered'),
    (-40, 'Taken back: the order was returned'),
    (30, 'Sorry for the damaged mug'),
)
HAND_MADE = 24


def seed_demo(session: Session, seed: int) -> list[str]:
    if session.exec(select(LoyaltyEntry.id)).first() is not None:
        return []  # seeded before, or the shop has its own points
    orders = ledger.award_for_paid_orders(session=session)
    # as the nightly job would have given them, the day each order was paid, not all today
    paid_at = select(Order.paid_at).where(col(Order.id) == col(LoyaltyEntry.order_id)).scalar_subquery()
    session.execute(update(LoyaltyEntry).where(col(LoyaltyEntry.kind) == 'order').values(created_at=paid_at))
    holders = list(session.exec(select(LoyaltyEntry.customer_id).distinct().order_by(col(LoyaltyEntry.customer_id))))
    rng, now = random.Random(seed), utcnow()
    if holders:
        for _n in range(HAND_MADE):
            points, reason = rng.choice(ADJUSTMENTS)
            when = now - timedelta(days=rng.randint(1, 360), minutes=rng.randint(0, 600))
            session.add(
                LoyaltyEntry(
                    customer_id=rng.choice(holders), points=points, reason=reason, created_at=when, updated_at=when
                )
            )
    session.commit()
    total = session.exec(select(func.coalesce(func.sum(LoyaltyEntry.points), 0))).one()
    made = HAND_MADE if holders else 0
    return [f'Loyalty points: {orders} paid orders awarded, {made} adjustments by hand, {int(total)} points held']
