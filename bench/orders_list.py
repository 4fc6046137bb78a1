"""Benchmark of the orders list at a million orders: seeds a fresh database, then times what the list's server does."""

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
from backoffice.listing import query
from backoffice.models import Customer, Order, Role, Shipment, User  # noqa: E402
from backoffice.resources.sales import ORDERS  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, list_report, open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=1_000_000)
    add_database_options(parser, 'orders')
    args = parser.parse_args()

    engine, present = open_database(args, 'orders')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:  # the same code as `python -m backoffice seed --orders N`
            for line in seed_orders_for_benchmark(session=session, orders=args.orders, seed=args.seed):
                print(line)
        print(f'Seeded in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'orders', 'customers', 'shipments')  # the tables its searches read too
    print(measure(args.runs))
    return 0


def measure(runs: int) -> str:
    admin = User(email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    with read_session() as session:
        newest = session.execute(select(func.max(Order.placed_at))).scalar_one()
        half = session.execute(select(func.max(Order.id))).scalar_one() // 2
        middle = session.exec(select(Order).where(Order.id >= half).order_by(Order.id).limit(1)).one()
        name = session.get(Customer, middle.customer_id).name  # the customer's full name, as staff would type it
        parcel = session.exec(
            select(Shipment.tracking_number).where(Shipment.order_id >= half).order_by(Shipment.order_id).limit(1)
        ).one()  # a parcel in hand: 'JJD…' (its order found through the shipments' index, migration 0055)
    anchor = newest.date()
    fragment = middle.email.split('@')[0]  # a customer's address as staff would type it: 'anna.schmidt1234'
    window = (anchor - timedelta(days=30), anchor)

    def page(request: query.ListRequest, cursor: query.Cursor | None = None) -> query.Page:
        with read_session() as session:
            return query.list_page(session=session, actor=admin, resource=ORDERS, request=request, cursor=cursor)

    default = query.ListRequest()
    first = page(default)
    second = page(query.ListRequest(page=2), first.cursor)
    filtered = query.ListRequest(filters={'status': ['delivered'], 'placed_at': window})
    rare = query.ListRequest(filters={'status': ['pending'], 'placed_at': window})
    search = query.ListRequest(search=fragment)
    number = query.ListRequest(search=middle.number)
    by_name = query.ListRequest(search=name)  # through the customers' index (search_related)
    tracked = query.ListRequest(search=parcel)
    tracked_prefix = query.ListRequest(search=parcel[:9])
    amount = query.ListRequest(filters={'total': (200, None)})
    figures = [
        ('first page, default sort', lambda: page(default), 'newest first; counts, then reads'),
        ('status + date filter', lambda: page(filtered), f'delivered, placed {window[0]}..{window[1]}'),
        ('rare status + date filter', lambda: page(rare), f'pending, placed {window[0]}..{window[1]}'),
        ('search by email', lambda: page(search), f'"{fragment}"'),
        ('search by number', lambda: page(number), f'"{middle.number}"'),
        ('search by customer name', lambda: page(by_name), f'"{name}"'),
        ('search by tracking number', lambda: page(tracked), f'"{parcel}"'),
        ('search by its first 9 characters', lambda: page(tracked_prefix), f'"{parcel[:9]}"'),
        ('amount filter', lambda: page(amount), 'total >= 200'),
        (
            'last page',
            lambda: page(query.ListRequest(page=first.last_page), first.cursor),
            f"page {first.last_page:,} with page 1's cursor",
        ),
        ('first page, count reused', lambda: page(default, second.cursor), "page 1 with page 2's cursor"),
        ('next page', lambda: page(query.ListRequest(page=2), first.cursor), "page 2 with page 1's cursor"),
    ]
    headline = ['first page, default sort', 'status + date filter', 'search by email', 'last page']
    return list_report(figures, runs, headline)


if __name__ == '__main__':
    raise SystemExit(main())
