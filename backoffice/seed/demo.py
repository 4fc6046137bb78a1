"""Deterministic demo and benchmark data: the same seed (and the same day) gives the same shop."""

from __future__ import annotations

import random

from sqlalchemy import text
from sqlmodel import Session, select

from backoffice import auth, extension_hooks
from backoffice.models import Company, Customer, Order, Role, User
from backoffice.seed.catalog import seed_catalog
from backoffice.seed.content import seed_content
from backoffice.seed.finance import seed_finance
from backoffice.seed.orders import seed_orders
from backoffice.seed.payables import seed_payables
from backoffice.seed.people import seed_customers
from backoffice.seed.returns import seed_returns_and_purchases
from backoffice.seed.support import seed_support
from backoffice.services import users

DEMO_STAFF = [
    ('Maria Lopez', 'maria.lopez@example.com', Role.manager),
    ('Sam Okafor', 'sam.okafor@example.com', Role.agent),
    ('Lea Schmidt', 'lea.schmidt@example.com', Role.agent),
    ('Tom Becker', 'tom.becker@example.com', Role.agent),
    ('Yuki Tanaka', 'yuki.tanaka@example.com', Role.viewer),
]
DEMO_COMPANIES = 30
DEMO_CUSTOMERS = 400
DEMO_ORDERS = 3000  # a year of a small shop's orders
DEMO_EVENTS = 130_000  # a year of its visitors' events: about 30,000 visits, one in ten ending in an order


def demo_is_seeded(*, session: Session) -> bool:
    return session.exec(select(User.id).where(User.email == DEMO_STAFF[0][1])).first() is not None


def seed_demo(*, session: Session, seed: int = 1) -> list[str]:
    """A realistic small shop and team; the staff line (with the shared password) comes last."""
    lines = []
    if session.exec(select(Customer.id)).first() is None and session.exec(select(Company.id)).first() is None:
        seeded = seed_customers(session=session, customers=DEMO_CUSTOMERS, companies=DEMO_COMPANIES, seed=seed)
        lines.append(f'Demo shop: {seeded.companies} companies, {seeded.customers} customers')
    catalog = seed_catalog(session, random.Random(seed))
    if catalog.products:
        lines.append(f'Catalogue: {catalog.categories} categories, {catalog.products} products')
    lines += seed_content(session, random.Random(seed))
    if session.exec(select(Order.id)).first() is None:
        orders = seed_orders(session=session, orders=DEMO_ORDERS, seed=seed)
        if orders.orders:
            lines.append(
                f'Orders: {orders.orders} over the last year, with {orders.payments} payments and '
                f'{orders.shipments} shipments; stock for every product'
            )
    password = auth.generate_password()
    for name, email, role in DEMO_STAFF:
        if session.exec(select(User.id).where(User.email == email)).first() is None:
            users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': email, 'name': name, 'role': role, 'password': password},
            )
    lines += seed_support(session, random.Random(seed))  # after the staff: requests are assigned to the agents
    lines += seed_payables(session)  # before the purchases: a purchase names its supplier
    lines += seed_returns_and_purchases(session)  # after the requests: returns start from them
    lines += seed_finance(session)  # after the bills: the bank pays one
    lines += extension_hooks.seed_demo(session, seed)  # the extensions' own: before the KPIs that count them
    lines += seed_kpi_demo(session, seed)
    lines.append(
        f'Demo staff ({", ".join(f"{e} ({r.value})" for _, e, r in DEMO_STAFF)}) share the password {password}'
    )
    return lines


def seed_kpi_demo(session: Session, seed: int) -> list[str]:
    """A year of usage events to go with the year of orders (about one visit in ten ends in an order), and the KPIs of
    the last weeks; the app's start computes the rest of their history in the background (a minute of work)."""
    from backoffice.kpi import refresh
    from backoffice.models import UsageEvent
    from backoffice.seed.kpi import seed_activity

    if session.exec(select(UsageEvent.id)).first() is not None:
        return []
    has_orders = session.connection().execute(text('SELECT 1 FROM orders LIMIT 1')).first() is not None
    seeded = seed_activity(
        session=session, orders=0 if has_orders else DEMO_ORDERS, events=DEMO_EVENTS, days=365, seed=seed
    )
    refresh.recompute()
    made = f'{seeded.orders} orders and ' if seeded.orders else ''
    return [f'Activity: {made}{seeded.events} usage events over the last year; KPIs computed for the last weeks']
