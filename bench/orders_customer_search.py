"""Benchmark of the Orders list's search through the customers (search_related) on PostgreSQL: for each kind of term,
how the customers it finds are read (their trigram indexes, or every row) and what that read and the list's first
page take. `--vacuum` runs `VACUUM ANALYZE customers` first, as autovacuum would after the seed's bulk load."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402

from backoffice.db import read_session  # noqa: E402
from backoffice.listing import query, search  # noqa: E402
from backoffice.models import Customer, Order, Role, Shipment, User  # noqa: E402
from backoffice.resources import resource  # noqa: E402
from backoffice.resources.sales import ORDERS  # noqa: E402
from bench._harness import add_database_options, open_database, timed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_database_options(parser, 'orders')
    parser.add_argument('--vacuum', action='store_true', help='VACUUM ANALYZE customers before measuring')
    args = parser.parse_args()
    engine, present = open_database(args, 'orders')
    if engine.dialect.name != 'postgresql' or not present:
        raise SystemExit('Seed a PostgreSQL database with bench/orders_list.py first, then run this with --reuse.')
    if args.vacuum:
        with engine.connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
            connection.execute(text('VACUUM ANALYZE customers'))
    print(f'load average before: {_load()}')
    print(measure(args.runs))
    print(f'load average after: {_load()}')
    return 0


def measure(runs: int) -> str:
    admin = User(email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    customers = resource(ORDERS.search_related[0][1])
    with read_session() as session:
        half = session.execute(select(Order.id).order_by(Order.id.desc()).limit(1)).scalar_one() // 2
        middle = session.exec(select(Order).where(Order.id >= half).order_by(Order.id).limit(1)).one()
        name = session.get(Customer, middle.customer_id).name
        parcel = session.exec(
            select(Shipment.tracking_number).where(Shipment.order_id >= half).order_by(Shipment.order_id).limit(1)
        ).one()
    terms = [
        ('order number', middle.number),
        ('tracking number', parcel),
        ('email, local part', middle.email.split('@')[0]),
        ("customer's name", name),
        ('last name alone', name.split()[-1]),
    ]
    lines = [f'{"term":18} {"":22} {"customers p50/p90":>20} {"list page p50/p90":>20}  customers read by']
    for label, term in terms:
        # the customers the list's search goes through, as `listing/search._through` reads them on PostgreSQL
        found = select(customers.model.id).where(search._likes(customers, term, 'postgresql'))  # noqa: SLF001

        def branch(found: Any = found) -> Any:
            with read_session() as session:
                return session.execute(found).scalars().all()

        def page(term: str = term) -> Any:
            with read_session() as session:
                return query.list_page(
                    session=session, actor=admin, resource=ORDERS, request=query.ListRequest(search=term)
                )

        ids = timed(branch, runs)
        listed = timed(page, runs)
        with read_session() as session:
            compiled = found.compile(dialect=session.get_bind().dialect, compile_kwargs={'literal_binds': True})
            plan = [row[0] for row in session.execute(text('EXPLAIN ' + str(compiled).replace('%%', '%')))]
        read = 'every row (Seq Scan)' if any('Seq Scan' in line for line in plan) else 'trigram indexes'
        lines.append(
            f'{label:18} {term[:22]:22} {ids[0]:8.1f} /{ids[1]:6.1f} ms {listed[0]:8.1f} /{listed[1]:6.1f} ms  {read}'
        )
    lines.append(f'{runs} runs each after two warm-up calls')
    return '\n'.join(lines)


def _load() -> str:
    return ' '.join(f'{x:.2f}' for x in os.getloadavg())


if __name__ == '__main__':
    raise SystemExit(main())
