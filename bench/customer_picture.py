"""Benchmark of the customer and company pages at a million orders: seeds a fresh database (orders, requests, usage
events), then times each section's query for the busiest customer and company and prints the plans (EXPLAIN)."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, insert, select, text  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.db import read_session  # noqa: E402
from backoffice.models import Customer, Order, Role, Ticket, User  # noqa: E402
from backoffice.resources import resource  # noqa: E402
from backoffice.seed.kpi import seed_activity  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from backoffice.services import crud  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, open_database, timed  # noqa: E402

TARGET_MS = 50.0  # a whole page's sections, server side


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=1_000_000)
    parser.add_argument('--requests', type=int, default=100_000)
    parser.add_argument('--events', type=int, default=1_000_000)
    parser.add_argument('--plans', action='store_true', help='print every statement and its plan')
    add_database_options(parser, 'orders')
    args = parser.parse_args()

    engine, present = open_database(args, 'orders')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            for line in seed_orders_for_benchmark(session=session, orders=args.orders, seed=args.seed):
                print(line)
        with db.session_scope() as session:
            seed_activity(session=session, orders=0, events=args.events, seed=args.seed)
        with db.session_scope() as session:
            seed_requests(session, args.requests, args.seed)
        print(f'Seeded in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'orders', 'customers', 'tickets', 'usage_events', 'invoices', 'returns')
        if engine.dialect.name == 'sqlite':
            with engine.begin() as connection:
                connection.execute(text('ANALYZE'))
    print(measure(engine, args.runs, args.plans))
    return 0


def seed_requests(session, count: int, seed: int) -> None:
    """`count` requests spread over the customers, in bulk (the intake's rules are not what is measured here)."""
    rng = random.Random(seed)
    low, high = session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
    start = (session.execute(select(func.max(Ticket.number))).scalar_one() or 1000) + 1
    rows = []
    for n in range(count):
        rows.append(
            {
                'number': start + n,
                'subject': f'Question {n}',
                'customer_id': rng.randint(low, high),
                'type': 'question',
                'priority': 'normal',
                'status': rng.choice(['new', 'open', 'solved', 'closed']),
                'source': 'api',
                'tags': [],
                'token': f'bench-{n}',
            }
        )
        if len(rows) == 10_000:
            session.execute(insert(Ticket), rows)
            rows = []
    if rows:
        session.execute(insert(Ticket), rows)
    session.commit()


def measure(engine, runs: int, show_plans: bool) -> str:
    admin = User(email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    with read_session() as session:
        busiest = session.execute(
            select(Order.customer_id).group_by(Order.customer_id).order_by(func.count().desc()).limit(1)
        ).scalar_one()
        company = session.execute(
            select(Customer.company_id)
            .where(Customer.company_id.is_not(None))
            .group_by(Customer.company_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
    lines = [f'{"":34} {"median":>8} {"p90":>8}   rows / total']
    slowest = 0.0
    for key, record_id in (('customers', busiest), ('companies', company)):
        declared = resource(key)
        for section in declared.sections:

            def load(section=section, record_id=record_id):
                with read_session() as session:
                    return section.load(session=session, actor=admin, record_id=record_id, limit=5)

            median, p90, found = timed(load, runs)
            shown = f'{len(found.rows)} / {found.total:,}{"+" if found.more else ""}'
            lines.append(f'{declared.singular + " " + section.label:34} {median:7.1f}ms {p90:7.1f}ms   {shown}')
            if show_plans:
                lines += plans(engine, load)

        def page(declared=declared, record_id=record_id):  # what the page does: one session, every section
            with read_session() as session:
                return crud.record_sections(session=session, actor=admin, resource=declared, record_id=record_id)

        median, p90, _ = timed(page, runs)
        lines.append(f'{"the whole " + declared.singular + " page":34} {median:7.1f}ms {p90:7.1f}ms')
        slowest = max(slowest, median)
    lines += [
        '',
        f'Slowest whole page: {slowest:.1f} ms (target < {TARGET_MS:.0f} ms): '
        f'{"met" if slowest < TARGET_MS else "MISSED"}',
    ]
    return '\n'.join(lines)


def plans(engine, call) -> list[str]:
    seen = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith('SELECT'):
            seen.append((statement, parameters))

    event.listen(engine, 'before_cursor_execute', record)
    try:
        call()
    finally:
        event.remove(engine, 'before_cursor_execute', record)
    out = []
    for statement, parameters in seen:
        with engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()
            explain = 'EXPLAIN QUERY PLAN ' if engine.dialect.name == 'sqlite' else 'EXPLAIN '
            cursor.execute(explain + statement, parameters)
            out.append('    ' + ' '.join(statement.split())[:110])
            out += [f'      {row[-1] if engine.dialect.name == "sqlite" else row[0]}' for row in cursor.fetchall()]
    return out


if __name__ == '__main__':
    raise SystemExit(main())
