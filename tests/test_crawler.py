"""The crawler: each role signs in on a small demo shop and, on every screen it may open, opens the first rows of each
list, every tab, every dialog a visible button opens (submitted empty, then filled in), and fails on any server error,
any error message that is not at a field, and any action that gives the user no feedback (support/crawler.py)."""

from __future__ import annotations

import logging
import random
import re
from unittest import mock

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.db import session_scope
from backoffice.models import Customer, Order, Role, Ticket
from backoffice.permissions import can
from backoffice.seed import demo, support
from components.screens import SCREENS

from .support.crawler import Crawl, ErrorLog
from .support.factories import make_user
from .support.signin import sign_in

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
        return {
            'orders': order.number,
            'requests': str(ticket.number),
            'customers': str(customer.id),
            'companies': str(customer.company_id),
        }


def with_records(path: str, records: dict[str, str]) -> str:
    return re.sub(r'\{(\w+)(?::\w+)?\}', lambda _: records[path.split('/')[1]], path)


@pytest.mark.parametrize('role', [r.value for r in Role])
async def test_every_screen_answers_every_click(user: User, role: str) -> None:
    records = small_demo_shop()
    account = make_user(role)
    await sign_in(user, account.email)
    await user.should_see('Welcome')
    crawl = Crawl(user, who=role)
    handler = ErrorLog(crawl)
    logging.getLogger().addHandler(handler)
    try:
        first = True
        for path in SIGNED_IN_SCREENS:
            if can(account, SCREENS[path].permission):
                await crawl.screen(with_records(path, records), shell=first)
                first = False
    finally:
        logging.getLogger().removeHandler(handler)
    assert crawl.actions > 10, crawl.trail
