"""A small demo shop for tests that walk every screen (the crawler, in French too): every kind of record the screens
show, and a record for each screen that takes one."""

from __future__ import annotations

import random
import re
from unittest import mock

from sqlmodel import col, select

from backoffice.db import session_scope
from backoffice.models import Customer, Order, SupplierBill, Ticket, User
from backoffice.seed import demo, support
from components.screens import SCREENS

SIGNED_IN_SCREENS = sorted(path for path, declared in SCREENS.items() if not declared.public)


def small_demo_shop() -> dict[str, str]:
    """The demo shop at a tenth of its size (every kind of record the screens show), and a record for each screen
    with a parameter."""
    with (
        mock.patch.object(demo, 'DEMO_CUSTOMERS', 30),
        mock.patch.object(demo, 'DEMO_COMPANIES', 3),
        mock.patch.object(demo, 'DEMO_ORDERS', 40),
        mock.patch.object(support, 'TICKETS', 20),
        mock.patch.object(demo, 'seed_kpi_demo', lambda session, seed: []),
        session_scope() as session,
    ):
        demo.seed_demo(session=session, seed=random.Random(5).randint(1, 9))
    with session_scope() as session:
        order = session.exec(select(Order).order_by(Order.id)).first()
        ticket = session.exec(select(Ticket).order_by(Ticket.id)).first()
        customer = session.exec(
            select(Customer).where(col(Customer.company_id).is_not(None)).order_by(Customer.id)
        ).first()
        staff = session.exec(select(User).order_by(User.id)).first()  # a demo colleague, not the signed-in account
        bill = session.exec(select(SupplierBill).order_by(SupplierBill.id)).first()
        return {
            'users': str(staff.id),
            'orders': order.number,
            'requests': str(ticket.number),
            'customers': str(customer.id),
            'companies': str(customer.company_id),
            'finance': str(bill.id),  # /finance/bills/{bill_id}
        }


def with_records(path: str, records: dict[str, str]) -> str:
    return re.sub(r'\{(\w+)(?::\w+)?\}', lambda _: records[path.split('/')[1]], path)
