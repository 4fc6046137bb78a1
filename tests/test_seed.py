"""Demo and benchmark data: the same seed gives the same shop, it looks like a real one, and search sees all of it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text
from sqlmodel import col, select

from backoffice import auth, db
from backoffice.__main__ import main
from backoffice.db import read_session, session_scope
from backoffice.listing import query, search
from backoffice.models import (
    BankLine,
    Company,
    Customer,
    CustomerCreate,
    Invoice,
    InvoiceKind,
    LineStatus,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    Purchase,
    Reminder,
    Return,
    StockLevel,
    Ticket,
    TicketType,
    User,
)
from backoffice.reports.base import Params
from backoffice.resources.customers import CUSTOMERS
from backoffice.seed import demo as seed
from backoffice.seed import people
from backoffice.services import orders, receivables, reports

from .support.factories import make_user

ANCHOR = datetime(2026, 1, 15, tzinfo=UTC)


def seeded_shop() -> list[tuple]:
    with read_session() as session:
        companies = {c.id: c.name for c in session.exec(select(Company))}
        customers = session.exec(select(Customer).order_by(Customer.id))
        return [
            (
                c.email,
                c.name,
                c.phone,
                c.status,
                c.ban_reason,
                companies.get(c.company_id),
                c.marketing_consent,
                c.signed_up_at,
                c.last_seen_at,
                c.deleted_at,
            )
            for c in customers
        ]


def seed_customers(customers: int, companies: int, seed_: int) -> people.Seeded:
    with session_scope() as session:
        return people.seed_customers(
            session=session, customers=customers, companies=companies, seed=seed_, anchor=ANCHOR
        )


def empty_shop() -> None:
    with session_scope() as session:
        session.execute(delete(Customer))
        session.execute(delete(Company))
        session.commit()


def test_the_same_seed_gives_the_same_shop() -> None:
    seed_customers(150, 6, seed_=7)
    first = seeded_shop()
    empty_shop()
    seed_customers(150, 6, seed_=7)
    again = seeded_shop()
    empty_shop()
    seed_customers(150, 6, seed_=8)
    other = seeded_shop()

    assert len(first) == 150
    assert again == first
    assert other != first and other[0] != first[0]


def test_seeded_customers_look_like_real_ones() -> None:
    seed_customers(2000, 20, seed_=1)
    with read_session() as session:
        customers = session.exec(select(Customer).order_by(Customer.id)).all()
        companies = session.exec(select(Company)).all()

    share = Counter(c.status.value for c in customers)
    assert abs(share['active'] / 2000 - 0.7) < 0.05
    assert abs(share['unfinished'] / 2000 - 0.2) < 0.04
    assert abs(share['banned'] / 2000 - 0.1) < 0.03
    assert all(bool(c.ban_reason) == (c.status == 'banned') for c in customers)
    assert 0.25 < sum(c.company_id is not None for c in customers) / 2000 < 0.35
    assert 0.35 < sum(c.marketing_consent for c in customers) / 2000 < 0.45
    assert len({c.email for c in customers}) == 2000
    assert all(CustomerCreate(email=c.email).email == c.email for c in customers[:200])  # the app's own rule
    assert len(companies) == 20 and all(c.name and c.website for c in companies)

    assert all(ANCHOR - timedelta(days=3 * 365 + 1) <= c.signed_up_at <= ANCHOR for c in customers)
    assert [c.signed_up_at for c in customers] == sorted(c.signed_up_at for c in customers)  # ids follow sign-ups
    assert all(c.last_seen_at is None or c.signed_up_at <= c.last_seen_at <= ANCHOR for c in customers)
    seen = [c.last_seen_at for c in customers if c.status == 'active']
    assert 0 < seen.count(None) < len(seen) * 0.1
    assert sum(ANCHOR - s < timedelta(days=30) for s in seen if s) > len(seen) * 0.6  # mostly recent
    deleted = [c for c in customers if c.deleted_at is not None]
    assert 0 < len(deleted) < 60 and all(ANCHOR - c.deleted_at < timedelta(days=21) for c in deleted)


@pytest.mark.parametrize('bulk', [False, True], ids=['triggers', 'suspended-and-rebuilt'])
def test_search_sees_every_seeded_customer(bulk: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(people, 'BULK', 100 if bulk else 10**9)
    viewer = make_user('viewer')
    seed_customers(300, 5, seed_=3)
    with read_session() as session:
        sample = session.exec(select(Customer).where(Customer.deleted_at.is_(None)).order_by(Customer.id)).all()[::37]

    for customer in sample:
        fragment = customer.email.split('@')[0][-6:]  # ends with the customer's running number: unique enough
        assert customer.id in matching(viewer, fragment), fragment
    assert matching(viewer, 'example') == matching_by_like(viewer, 'example')

    with session_scope() as session:  # the index still follows changes made after the load
        later = Customer(email='later.customer@mail.example', name='Lara Later')
        session.add(later)
        session.commit()
    assert matching(viewer, 'lara lat') == [later.id]
    if db.get_engine().dialect.name == 'sqlite':
        with read_session() as session:
            triggers = (
                session.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers' ORDER BY name"
                    )
                )
                .scalars()
                .all()
            )
        assert triggers == ['customers_fts_after_delete', 'customers_fts_after_insert', 'customers_fts_after_update']


def matching(actor: User, term: str) -> list[int]:
    with read_session() as session:
        return list(
            query.matching_ids(session=session, actor=actor, resource=CUSTOMERS, request=query.ListRequest(search=term))
        )


def matching_by_like(actor: User, term: str) -> list[int]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, 'COMMON_TERM', 1)
        patch.setattr(search, 'COMMON_TERM_POSTGRESQL', 0)
        return matching(actor, term)


def test_the_seed_command_gives_the_demo_a_small_shop_once_and_the_team_who_can_sign_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python -m backoffice seed` (in-process) twice: the shop once, the staff once. One test for the command line's
    checks and the demo's contents (the demo seed is the costly part; test_cli.py used to seed it a second time).
    An admin exists first, as on the app's first start (the demo's bills are approved by an admin)."""
    admin = make_user('admin', email='first.admin@example.com')
    assert main(['seed']) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert main(['seed']) == 0
    again = capsys.readouterr().out.strip().splitlines()

    assert lines[0] == 'Demo shop: 30 companies, 400 customers'
    # the loyalty extension's demo data, through the core's demo hook: its dashboard card "Points issued" was 0
    assert any(line.startswith('Loyalty points: ') and 'paid orders awarded' in line for line in lines), lines
    assert lines[-1].startswith('Demo staff (') and again[-1].startswith('Demo staff (')
    assert len(again) == 1  # the shop is not added twice
    password = lines[-1].rsplit(' ', 1)[1]
    for name, email, role in seed.DEMO_STAFF:
        assert email in lines[-1]
        with read_session() as session:
            member = session.exec(select(User).where(User.email == email)).one()
        assert (member.name, member.role) == (name, role)
    assert auth.sign_in(email=seed.DEMO_STAFF[0][1], password=password, address=None).ok
    with read_session() as session:
        assert len(session.exec(select(Customer)).all()) == 400
        assert len(session.exec(select(Company)).all()) == 30
        assert len(session.exec(select(User)).all()) == len(seed.DEMO_STAFF) + 1  # the second seed added nobody
        # a demo return request names one of its customer's shipped orders, so "Start a return" works on it
        returns = session.exec(select(Ticket).where(Ticket.type == TicketType.return_exchange)).all()
        assert returns
        for ticket in returns:
            order = session.exec(select(Order).where(Order.number == ticket.order_number)).one()
            assert order.customer_id == ticket.customer_id and order.status in ('shipped', 'delivered')
        # /returns and /purchases have something to show: returns in each state, purchase orders ordered and received
        assert {r.status for r in session.exec(select(Return)).all()} >= {'requested', 'received', 'closed'}
        assert {p.status for p in session.exec(select(Purchase)).all()} == {'ordered', 'received'}
        # a demo purchase order has its total, its lines' cost (it had none)
        assert all(p.total for p in session.exec(select(Purchase)).all())
        # services and plans are not stocked: no stock level, so never low on stock
        plans = session.exec(select(Product).where(col(Product.sku).startswith('PLAN-'))).all()
        assert plans and not any(p.stocked for p in plans)
        assert not session.exec(select(StockLevel).where(col(StockLevel.product_id).in_([p.id for p in plans]))).all()
        # a received demo return says how much went back on the shelf
        received = session.exec(select(Return).where(Return.status == 'received')).first()
        assert received.restocked == '1 of 1'  # under 'Restocked'
        # a seeded parcel's timeline says which carrier took it, and its tracking number
        shipped = session.exec(
            select(OrderEvent).where(OrderEvent.kind == 'shipped').order_by(col(OrderEvent.id))
        ).all()
        seeded_parcels = [
            e for e in shipped if not e.text.startswith('Shipped; not shipped, cancelled')
        ]  # cancel_rest's
        assert seeded_parcels and all(
            e.text.startswith('Shipped with ') and ', tracking JJD' in e.text for e in seeded_parcels
        )
    demo_finance_is_consistent(admin)
    demo_reports_have_figures(admin)


def demo_reports_have_figures(admin: User) -> None:
    """/reports/stock values every stocked product (the opening stock was bought at a known cost) and
    /reports/returns has more than one reason."""
    today = datetime.now(UTC).date()
    month = Params(today - timedelta(days=30), today)
    with read_session() as session:
        valued = reports.run(session=session, actor=admin, key='stock', params=month)
        assert valued.rows and not valued.notes
        assert all(row['value'] is not None for row in valued.rows if row['quantity'])
        why = reports.run(session=session, actor=admin, key='returns', params=month)
        assert len(why.rows) >= 2


def demo_finance_is_consistent(admin: User) -> None:
    """/receivables, /finance/bank and the order list on the fresh demo: invoices in every state, numbered in the order
    they were issued; a bank statement with lines set aside by rules and lines to reconcile that name open invoices;
    reminders for the overdue ones; an order partly shipped and one whose rest was called off and refunded."""
    with read_session() as session:
        report = receivables.report(session=session, actor=admin)
        assert report.totals.count >= 20 and report.dso is not None
        assert report.totals.buckets['not_due'] > 0
        assert sum(1 for bucket, amount in report.totals.buckets.items() if bucket != 'not_due' and amount) >= 2
        for year in {i.year for i in session.exec(select(Invoice)).all()}:
            issued = session.exec(
                select(Invoice.issued_at, Invoice.sequence)
                .where(Invoice.year == year, Invoice.kind == InvoiceKind.invoice)
                .order_by(col(Invoice.sequence))
            ).all()
            assert [s for _at, s in issued] == list(range(1, len(issued) + 1))
            assert [at for at, _s in issued] == sorted(
                at for at, _s in issued
            )  # never a later number on an earlier day
        on_terms = session.exec(select(Invoice).where(col(Invoice.payment_terms_days) > 0)).all()
        assert on_terms and all(i.bill_to.get('company') for i in on_terms)
        lines = session.exec(select(BankLine)).all()
        assert {line.status for line in lines} == {LineStatus.ignored, LineStatus.unmatched}
        waiting = [line for line in lines if line.status == LineStatus.unmatched]
        suggested = [line for line in waiting if line.suggestions and line.suggestions != '[]']
        assert len(waiting) >= 5 and len(suggested) >= 4
        open_numbers = {item.number for item in report.items}
        assert all(json.loads(line.suggestions)[0]['number'] in open_numbers for line in suggested if line.amount > 0)
        assert session.exec(select(Reminder)).first() is not None
        assert any(orders.partly_shipped(o) for o in session.exec(select(Order).where(Order.status == 'packed')))
        called_off = session.exec(select(OrderLine).where(col(OrderLine.cancelled_quantity) > 0)).all()
        assert len(called_off) >= 1
        cut = session.get(Order, called_off[0].order_id)
        assert cut.status == 'shipped' and cut.refunded_total > 0


def test_the_seed_command_adds_customers_in_bulk(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['seed', '--customers', '1_200', '--companies', '4', '--seed', '5']) == 0
    assert main(['seed', '--customers', '10']) == 0  # more, with emails that do not collide

    output = capsys.readouterr().out
    assert 'Added 1,200 customers and 4 companies in ' in output
    assert 'Added 10 customers and 0 companies in ' in output
    with read_session() as session:
        assert len(session.exec(select(Customer)).all()) == 1210
        assert len(session.exec(select(User)).all()) == 0  # no staff: only what was asked for
