"""Benchmark of the invoices list (/invoices): seeds orders with their invoices (as `python -m backoffice seed --orders
N` does), then times what the list's server does: pages, the date filter, the status filter, searches by number,
customer and order, and the caption's sum."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.db import read_session  # noqa: E402
from backoffice.listing import query  # noqa: E402
from backoffice.models import Customer, Invoice, Order, Role, User  # noqa: E402
from backoffice.resources.billing import INVOICES  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, list_report, open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=100_000)
    add_database_options(parser, 'invoices')
    args = parser.parse_args()

    engine, present = open_database(args, 'invoices')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            for line in seed_orders_for_benchmark(session=session, orders=args.orders, seed=args.seed):
                print(line)
        print(f'Seeded in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'invoices', 'orders', 'customers')
    print(measure(args.runs))
    return 0


def measure(runs: int) -> str:
    admin = User(email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    with read_session() as session:
        count = session.execute(select(func.count()).select_from(Invoice)).scalar_one()
        newest = session.execute(select(func.max(Invoice.issued_at))).scalar_one()
        half = session.execute(select(func.max(Invoice.id))).scalar_one() // 2
        middle = session.exec(select(Invoice).where(Invoice.id >= half).order_by(Invoice.id).limit(1)).one()
        order = session.get(Order, middle.order_id)
        name = session.get(Customer, order.customer_id).name  # as staff would type it
    print(f'{count:,} invoices and credit notes')
    anchor = newest.date()
    month = (anchor - timedelta(days=30), anchor)

    def page(request: query.ListRequest, cursor: query.Cursor | None = None) -> query.Page:
        with read_session() as session:
            return query.list_page(session=session, actor=admin, resource=INVOICES, request=request, cursor=cursor)

    def summed(request: query.ListRequest) -> tuple[int, bool]:
        """The caption's sum; shown as how many currencies it came to (None: over the budget, not shown)."""
        with read_session() as session:
            sums = query.sums(session=session, actor=admin, resource=INVOICES, request=request)
        return (len(sums), True) if sums is not None else (0, False)

    default = query.ListRequest()
    first = page(default)
    second = page(query.ListRequest(page=2), first.cursor)
    dated = query.ListRequest(filters={'issued_at': month})
    figures = [
        ('first page, default sort', lambda: page(default), 'newest first; counts, then reads'),
        ('date filter (30 days)', lambda: page(dated), f'issued {month[0]}..{month[1]}'),
        ('sum, date filter', lambda: summed(dated), 'the caption: invoices less credit notes, per currency'),
        ('sum, whole list', lambda: summed(default), 'every document'),
        ('status filter: open', lambda: page(query.ListRequest(filters={'payment_status': ['open']})), 'computed'),
        ('search by number', lambda: page(query.ListRequest(search=middle.number)), f'"{middle.number}"'),
        ('search by order number', lambda: page(query.ListRequest(search=order.number)), f'"{order.number}"'),
        ('search by customer name', lambda: page(query.ListRequest(search=name)), f'"{name}"'),
        (
            'last page',
            lambda: page(query.ListRequest(page=first.last_page), first.cursor),
            f"page {first.last_page:,} with page 1's cursor",
        ),
        ('first page, count reused', lambda: page(default, second.cursor), "page 1 with page 2's cursor"),
        ('next page', lambda: page(query.ListRequest(page=2), first.cursor), "page 2 with page 1's cursor"),
    ]
    headline = ['first page, default sort', 'date filter (30 days)', 'search by number', 'last page']
    return list_report(figures, runs, headline)


if __name__ == '__main__':
    raise SystemExit(main())
