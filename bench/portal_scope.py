"""Benchmark of the customer portal's scoped reads on a shop with many orders: seeds a fresh database (the seed's
generators), then times, for a customer in the middle, their orders list, their invoices, one order's view and their
requests — what a portal page load reads (median and p90 in ms); then the same as the company admin of the company
with the most contacts (the B2B scope: the company's contacts' records)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.db import read_session  # noqa: E402
from backoffice.models import CompanyMember, CompanyRole, Customer, Order  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from backoffice.services import portal  # noqa: E402
from backoffice.services.portal_scope import PortalActor, actor_of  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, open_database, timed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=200_000)
    add_database_options(parser, 'orders')
    args = parser.parse_args()
    engine, present = open_database(args, 'orders')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            for line in seed_orders_for_benchmark(session=session, orders=args.orders, seed=args.seed):
                print(line)
        print(f'Seeded in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'customers', 'orders', 'invoices', 'tickets')
    with read_session() as session:
        busiest = session.exec(
            select(Order.customer_id, func.count()).group_by(Order.customer_id).order_by(func.count().desc()).limit(1)
        ).first()
        customer = session.get(Customer, busiest[0])
        actor = PortalActor.of(customer)
    print(f'Customer #{customer.id}: {busiest[1]} orders')

    def read(fn, **kwargs):
        def call(who):
            with read_session() as session:
                return fn(session=session, actor=who, **kwargs)

        return call

    report(actor, read, args.runs)
    with db.session_scope() as session:
        biggest = session.exec(
            select(Customer.company_id, func.count())
            .where(col(Customer.company_id).is_not(None))
            .group_by(Customer.company_id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        if biggest is None:
            print('No company with contacts: the B2B reads are not measured (seed with companies).')
            return 0
        contact = session.exec(select(Customer).where(Customer.company_id == biggest[0]).limit(1)).one()
        if session.exec(select(CompanyMember).where(CompanyMember.customer_id == contact.id)).first() is None:
            session.add(CompanyMember(company_id=biggest[0], customer_id=contact.id, role=CompanyRole.admin))
            session.commit()
        actor = actor_of(session, contact)
    print(f'\nCompany #{biggest[0]}: {biggest[1]} contacts, read as its company admin')
    report(actor, read, args.runs)
    return 0


def report(actor, read, runs: int) -> None:
    with read_session() as session:
        some = portal.my_orders(session=session, actor=actor)
    rows = [
        ('orders list (/portal)', read(portal.my_orders)),
        ('invoices list', read(portal.my_documents)),
        ('one order (lines, tracking, timeline)', read(portal.order_view, number=some[0].number)),
        ('requests list', read(portal.my_requests)),
    ]
    print(f'{"read":<40} {"rows":>5} {"p50 ms":>8} {"p90 ms":>8}')
    for name, call in rows:
        p50, p90, result = timed(lambda c=call: c(actor), runs)
        count = len(result) if isinstance(result, list) else 1
        print(f'{name:<40} {count:>5} {p50:>8.2f} {p90:>8.2f}')


if __name__ == '__main__':
    raise SystemExit(main())
