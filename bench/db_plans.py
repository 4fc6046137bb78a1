"""The plans and timings of the queries that read orders and invoices (the lists, their search and sorts, the customer
page, the header's search, the KPIs, the sales and VAT reports, the accounting export), on a database seeded earlier
(bench/db_size.py or orders_list.py): which index each query uses, so that dropping one is shown to cost no query.
Run it before and after a schema change and compare (`--plans` prints every statement's plan)."""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.models import Customer, Order, Role, User  # noqa: E402

TABLES = re.compile(r'\b(orders|invoices|invoice_sellers|invoice_buyers|order_lines|payments)\b')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--sqlite-file', type=Path)
    parser.add_argument('--database-url')
    parser.add_argument('--runs', type=int, default=9)
    parser.add_argument('--plans', action='store_true', help="print each statement's plan")
    args = parser.parse_args()
    engine = db.configure(args.database_url or f'sqlite:///{args.sqlite_file}')
    print(f'{"case":40} {"median":>9} {"p90":>9}  indexes used')
    for label, call in cases():
        statements = _captured(engine, call)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        plans = [(sql, _plan(engine, sql, params)) for sql, params in statements if TABLES.search(sql)]
        used = sorted(
            {
                name
                for _, plan in plans
                for name in re.findall(r'\b(ix_\w+|sqlite_autoindex_\w+|\w+_pkey|\w+_key)\b', plan)
            }
        )
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(f'{label:40} {statistics.median(times):7.1f}ms {p90:7.1f}ms  {", ".join(used) or "-"}')
        if args.plans:
            for sql, plan in plans:
                print('    ' + ' '.join(sql.split())[:300])
                print('\n'.join('      ' + line for line in plan.splitlines()))
    return 0


def cases() -> list[tuple[str, Callable[[], Any]]]:
    from backoffice.kpi import refresh
    from backoffice.listing import query
    from backoffice.reports.base import Params
    from backoffice.resources.sales import ORDERS
    from backoffice.services import accounting, customer_picture, global_search, reports

    admin = User(id=None, email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    with db.read_session() as session:
        newest = session.execute(select(func.max(Order.placed_at))).scalar_one()
        half = session.execute(select(func.max(Order.id))).scalar_one() // 2
        middle = session.execute(select(Order).where(Order.id >= half).order_by(Order.id).limit(1)).scalar_one()
        busiest = session.execute(
            select(Order.customer_id).group_by(Order.customer_id).order_by(func.count().desc()).limit(1)
        ).scalar_one()
        company = session.execute(
            select(Customer.company_id).where(Customer.company_id.is_not(None)).limit(1)
        ).scalar_one_or_none()
    today = newest.date()
    window = (today - timedelta(days=30), today)
    fragment = middle.email.split('@')[0]

    def page(request: Any) -> Callable[[], Any]:
        def run() -> Any:
            with db.read_session() as session:
                return query.list_page(session=session, actor=admin, resource=ORDERS, request=request)

        return run

    def read(work: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with db.read_session() as session:
                return work(session)

        return run

    month, year = (
        Params(first=today - timedelta(days=29), last=today),
        Params(first=today - timedelta(days=364), last=today),
    )
    found = [
        ('orders: first page', page(query.ListRequest())),
        (
            'orders: status + date filter',
            page(query.ListRequest(filters={'status': ['delivered'], 'placed_at': window})),
        ),
        ('orders: rare status + date', page(query.ListRequest(filters={'status': ['pending'], 'placed_at': window}))),
        ('orders: status filter, sort number', page(query.ListRequest(filters={'status': ['paid']}, sort='number'))),
        ('orders: search email', page(query.ListRequest(search=fragment))),
        ('orders: search number', page(query.ListRequest(search=middle.number))),
        ('orders: amount filter', page(query.ListRequest(filters={'total': (200, None)}))),
        ('orders: sort by number', page(query.ListRequest(sort='number', descending=False))),
        ('orders: sort by number, desc', page(query.ListRequest(sort='number', descending=True))),
        ('orders: sort by status', page(query.ListRequest(sort='status', descending=False))),
        ('orders: sort by total', page(query.ListRequest(sort='total', descending=True))),
        ('orders: one customer', page(query.ListRequest(filters={'customer_id': busiest}))),
        ('orders: page 400', page(query.ListRequest(page=400))),
        (
            'customer page: orders',
            read(lambda s: customer_picture.customer_orders(session=s, actor=admin, record_id=busiest, limit=5)),
        ),
        (
            'customer page: invoices',
            read(lambda s: customer_picture.customer_documents(session=s, actor=admin, record_id=busiest, limit=5)),
        ),
        ('header search: email prefix', read(lambda s: global_search.search(session=s, actor=admin, term=fragment))),
        (
            'header search: order number',
            read(lambda s: global_search.search(session=s, actor=admin, term=middle.number)),
        ),
        ('report: sales 30 days', read(lambda s: reports.run(session=s, actor=admin, key='sales', params=month))),
        ('report: sales 365 days', read(lambda s: reports.run(session=s, actor=admin, key='sales', params=year))),
        ('report: VAT 30 days', read(lambda s: reports.run(session=s, actor=admin, key='vat', params=month))),
        (
            'accounting: one month',
            read(
                lambda s: accounting.period(
                    session=s,
                    actor=admin,
                    first=today.replace(day=1) - timedelta(days=31),
                    last=today.replace(day=1) - timedelta(days=1),
                )
            ),
        ),
        ('KPIs: recompute 7 days', lambda: refresh.recompute(first=(datetime.now(UTC) - timedelta(days=7)).date())),
    ]
    if company is not None:
        found.insert(
            15,
            (
                'company page: orders',
                read(lambda s: customer_picture.company_orders(session=s, actor=admin, record_id=company, limit=5)),
            ),
        )
    return found


def _captured(engine: Any, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not executemany and statement.lstrip().upper().startswith(('SELECT', 'WITH')):
            statements.append((statement, parameters))

    event.listen(engine, 'before_cursor_execute', seen)
    try:
        call()
    finally:
        event.remove(engine, 'before_cursor_execute', seen)
    return statements


def _plan(engine: Any, sql: str, params: Any) -> str:
    explain = 'EXPLAIN QUERY PLAN ' if engine.dialect.name == 'sqlite' else 'EXPLAIN '
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(explain + sql, params).all()
    if engine.dialect.name == 'sqlite':
        return '\n'.join(row[-1] for row in rows)
    return '\n'.join(row[0] for row in rows)


if __name__ == '__main__':
    raise SystemExit(main())
