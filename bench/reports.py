"""Benchmark: each ready report at the benchmark data size.

Seeds (or reuses) a database with the benchmark generator (`seed --orders N`: customers, catalogue, orders with their
lines, payments and invoices), then adds in bulk what that generator does not make: refunds (2 % of paid orders, a
credit note each is not needed by the sales report), returns with reasons (1 % of orders), requests with response and
resolution times and ratings, and a purchase with a unit cost per product. Prints the median and 90th percentile of
`reports.run` per report and period, and of the XLSX and PDF exports. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import EMAIL, PASSWORD, timed  # noqa: E402

REASONS = ('Too small', 'Too large', 'Damaged in transit', 'Not as described', 'Changed my mind', 'Wrong item sent')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=200_000)
    parser.add_argument('--tickets', type=int, default=50_000)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--database-url', help='default: a SQLite file in a temporary folder')
    parser.add_argument('--sqlite-file', type=Path, help='seed here, or reuse it if it already holds orders')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-reports-'))
    url = args.database_url or f'sqlite:///{args.sqlite_file or work / "reports.db"}'
    from backoffice import db

    db.configure(url)
    db.migrate()
    admin = seed_if_empty(args)

    from backoffice.kpi.days import today as shop_today
    from backoffice.reports.base import Params
    from backoffice.services import app_settings, reports

    today = shop_today(app_settings.time_zone())
    month = Params(first=today - timedelta(days=29), last=today)
    year = Params(first=today - timedelta(days=364), last=today)
    cases = [
        ('sales by product, 30 days', 'sales', month),
        ('sales by product, 365 days', 'sales', year),
        ('sales by category, 365 days', 'sales', Params(year.first, year.last, group='category')),
        ('sales by month, 365 days', 'sales', Params(year.first, year.last, group='period', grain='month')),
        ('VAT per rate, 30 days', 'vat', month),
        ('VAT per rate, 365 days', 'vat', year),
        ('stock valuation, now', 'stock', month),
        ('stock valuation, 90 days ago', 'stock', Params(month.first, month.last, at=today - timedelta(days=90))),
        ('returns by reason, 365 days', 'returns', year),
        ('support per agent, 30 days', 'support', month),
        ('support per agent, 365 days', 'support', year),
        ('cohorts, 12 months', 'cohorts', reports.default_params('cohorts', today)),
    ]
    # CPU: this process's own time (SQLite runs in it), which a machine busy with other jobs inflates far less than
    # the wall clock; on PostgreSQL the server's share is not in it
    print(f'{"report":<34} {"rows":>6} {"median":>9} {"p90":>9} {"CPU":>9}')
    for title, key, params in cases:

        def one(key=key, params=params):
            with db.read_session() as session:
                return reports.run(session=session, actor=admin, key=key, params=params)

        median, p90, table = timed(one, args.runs)
        print(f'{title:<34} {len(table.rows):>6} {median:>7.0f} ms {p90:>6.0f} ms {cpu(one):>6.0f} ms')
    for fmt in ('xlsx', 'pdf'):

        def export(fmt=fmt):
            with db.read_session() as session:
                return reports.export(session=session, actor=admin, key='sales', params=year, fmt=fmt)

        median, p90, made = timed(export, args.runs)
        title = f'sales by product 365 d as {fmt.upper()} (bytes)'
        print(f'{title:<34} {len(made[0]):>6} {median:>7.0f} ms {p90:>6.0f} ms {cpu(export):>6.0f} ms')
    return 0


def cpu(call) -> float:
    """The CPU time of one call in ms."""
    started = time.process_time()
    call()
    return (time.process_time() - started) * 1000


def seed_if_empty(args: argparse.Namespace):
    from sqlalchemy import func, select

    from backoffice import db
    from backoffice.models import Order, User
    from backoffice.seed.orders import seed_orders_for_benchmark
    from backoffice.services import users

    with db.session_scope() as session:
        if session.execute(select(func.count()).select_from(Order)).scalar_one() == 0:
            started = time.perf_counter()
            for line in seed_orders_for_benchmark(session=session, orders=args.orders, seed=1):
                print(line)
            extras(session, args.tickets)
            print(f'seeded in {time.perf_counter() - started:.0f} s')
        admin = session.execute(select(User).where(User.email == EMAIL)).scalars().first()
        if admin is None:
            admin = users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': EMAIL, 'name': 'Bench Admin', 'role': 'admin', 'password': PASSWORD},
            ).user
        return admin


def extras(session, tickets: int) -> None:
    """Refunds, returns with reasons, requests with their times and ratings, and a purchase at a known cost per
    product, inserted in bulk (the generator makes none of them)."""
    from sqlalchemy import insert, select

    from backoffice.models import (
        Customer,
        Order,
        OrderLine,
        Product,
        Purchase,
        PurchaseLine,
        Refund,
        Return,
        ReturnLine,
        Ticket,
    )
    from backoffice.services import users

    rng = random.Random(1)
    paid = session.execute(
        select(Order.id, Order.total, Order.paid_at, Order.customer_id).where(Order.paid_at.is_not(None))
    ).all()
    chosen = rng.sample(paid, len(paid) // 50)
    session.execute(
        insert(Refund),
        [
            {
                'order_id': order_id,
                'amount': (Decimal(total) * Decimal('0.3')).quantize(Decimal('0.01')),
                'reason': 'Bench refund',
                'refunded_at': paid_at + timedelta(days=rng.randint(1, 20)),
            }
            for order_id, total, paid_at, _customer in chosen
        ],
    )
    returned = rng.sample(paid, len(paid) // 100)
    first_line = dict(
        session.execute(
            select(OrderLine.order_id, OrderLine.id).where(OrderLine.order_id.in_([r[0] for r in returned[:30000]]))
        ).all()
    )
    rows = [r for r in returned if r[0] in first_line]
    session.execute(
        insert(Return),
        [
            {
                'number': f'B-{n}',
                'order_id': order_id,
                'customer_id': customer_id,
                'status': 'received',
                'reason': rng.choice(REASONS),
                'created_at': paid_at + timedelta(days=rng.randint(3, 30)),
                'updated_at': paid_at,
            }
            for n, (order_id, _total, paid_at, customer_id) in enumerate(rows)
        ],
    )
    return_ids = dict(session.execute(select(Return.order_id, Return.id).where(Return.number.like('B-%'))).all())
    session.execute(
        insert(ReturnLine),
        [
            {
                'return_id': return_ids[order_id],
                'order_line_id': first_line[order_id],
                'quantity': 1,
                'reason': rng.choice(REASONS),
            }
            for order_id, *_rest in rows
        ],
    )
    agents = []
    for n in range(8):
        agents.append(
            users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': f'agent{n}@bench.example', 'name': f'Agent {n}', 'role': 'agent', 'password': PASSWORD},
            ).user.id
        )
    customers = [c for (c,) in session.execute(select(Customer.id).limit(20000)).all()]
    now = datetime.now(UTC)
    batch = []
    for n in range(tickets):
        created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        responded = created + timedelta(minutes=rng.randint(5, 48 * 60)) if rng.random() < 0.9 else None
        solved = responded + timedelta(hours=rng.randint(1, 120)) if responded and rng.random() < 0.8 else None
        batch.append(
            {
                'number': 900_000 + n,
                'subject': 'Bench request',
                'customer_id': rng.choice(customers),
                'status': 'solved' if solved else 'open',
                'type': 'question',
                'priority': 'normal',
                'source': 'seed',
                'assignee_id': rng.choice(agents) if rng.random() < 0.95 else None,
                'tags': [],
                'created_at': created,
                'updated_at': created,
                'first_responded_at': responded,
                'solved_at': solved,
                'rating': rng.randint(1, 5) if solved and rng.random() < 0.4 else None,
                'token': f'bench{n}',
            }
        )
    session.execute(insert(Ticket), batch)
    products = [p for (p,) in session.execute(select(Product.id)).all()]
    session.execute(
        insert(Purchase),
        [
            {
                'supplier': 'Bench',
                'reference': 'PO-BENCH',
                'status': 'received',
                'received_at': now - timedelta(days=400),
            }
        ],
    )
    purchase_id = session.execute(select(Purchase.id).where(Purchase.reference == 'PO-BENCH')).scalar_one()
    session.execute(
        insert(PurchaseLine),
        [
            {
                'purchase_id': purchase_id,
                'product_id': p,
                'quantity': 100,
                'unit_cost': Decimal(rng.randint(200, 5000)) / 100,
            }
            for p in products
        ],
    )
    session.commit()


if __name__ == '__main__':
    raise SystemExit(main())
