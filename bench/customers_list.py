"""Benchmark of the customers list at a million rows: seeds a fresh database, then times what the list's server does."""

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
from backoffice.models import Company, Customer, Role, User  # noqa: E402
from backoffice.resources.customers import COMPANIES, CUSTOMERS  # noqa: E402
from backoffice.seed.people import seed_customers  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, list_report, open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--customers', type=int, default=1_000_000)
    add_database_options(parser, 'customers')
    args = parser.parse_args()

    engine, present = open_database(args, 'customers')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            seed_customers(session=session, customers=args.customers, companies=args.customers // 200, seed=args.seed)
        print(
            f'Seeded {args.customers:,} customers and {args.customers // 200:,} companies in '
            f'{time.perf_counter() - started:.1f} s'
        )
        analyze_after_load(engine, 'customers')
    print(measure(args.runs))
    return 0


def measure(runs: int) -> str:
    admin = User(email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    with read_session() as session:
        newest = session.execute(select(func.max(Customer.signed_up_at))).scalar_one()
        half = session.execute(select(func.max(Customer.id))).scalar_one() // 2
        middle = session.exec(
            select(Customer).where(Customer.id >= half, Customer.deleted_at.is_(None)).order_by(Customer.id).limit(1)
        ).one()
        member = session.exec(
            select(Customer)
            .join(Company, Company.id == Customer.company_id)
            .where(Customer.id >= half, Company.vat_number.is_not(None))
            .order_by(Customer.id)
            .limit(1)
        ).one()
        company = session.get(Company, member.company_id)
    anchor = newest.date()
    local = middle.email.split('@')[0]
    name = local.rstrip('0123456789')
    fragment = name  # a part of the address, as a support agent would type it
    window = (anchor - timedelta(days=365), anchor - timedelta(days=183))

    def page(request: query.ListRequest, cursor: query.Cursor | None = None) -> query.Page:
        with read_session() as session:
            return query.list_page(session=session, actor=admin, resource=CUSTOMERS, request=request, cursor=cursor)

    def companies(request: query.ListRequest) -> query.Page:
        with read_session() as session:
            return query.list_page(session=session, actor=admin, resource=COMPANIES, request=request)

    def count(request: query.ListRequest) -> tuple[int, bool]:
        with read_session() as session:
            return query.count(session=session, actor=admin, resource=CUSTOMERS, request=request)

    default = query.ListRequest()
    first = page(default)
    second = page(query.ListRequest(page=2), first.cursor)
    filtered = query.ListRequest(filters={'status': 'active', 'signed_up_at': window})
    search = query.ListRequest(search=fragment)
    common = query.ListRequest(search='example.org')
    by_company = query.ListRequest(search=company.name)
    by_vat = query.ListRequest(search=company.vat_number)
    by_email = query.ListRequest(search=member.email)
    figures = [
        ('count (default list)', lambda: count(default), ''),
        ('first page, default sort', lambda: page(default), 'no cursor: counts, then reads'),
        ('filtered page', lambda: page(filtered), f'status=active, signed up {window[0]}..{window[1]}'),
        ('search by email fragment', lambda: page(search), f'"{fragment}"'),
        (
            'last page',
            lambda: page(query.ListRequest(page=first.last_page), first.cursor),
            f"page {first.last_page:,} with page 1's cursor",
        ),
        ('count (filtered)', lambda: count(filtered), ''),
        ('count (search)', lambda: count(search), ''),
        ('first page, count reused', lambda: page(default, second.cursor), "page 1 with page 2's cursor"),
        ('next page', lambda: page(query.ListRequest(page=2), first.cursor), "page 2 with page 1's cursor"),
        ('search, common fragment', lambda: page(common), '"example.org": about 1 in 8 customers'),
        ('search by company name', lambda: page(by_company), f'"{company.name}": its members, and its namesakes\''),
        ('count (search by company name)', lambda: count(by_company), ''),
        ('search by VAT number', lambda: page(by_vat), f'"{by_vat.search}": one company\'s members'),
        # the companies list: a member's email finds the company (`search_ids`, by the customers' index), and every
        # search of that list asks the customers' index too
        ('companies: by member email', lambda: companies(by_email), f'"{by_email.search}": its company'),
        ('companies: by name', lambda: companies(by_company), f'"{company.name}"'),
        ('companies: common fragment', lambda: companies(common), '"example.org": contacts of many companies'),
        (
            'deep page by OFFSET',
            lambda: page(query.ListRequest(page=first.last_page // 2), first.cursor),
            f'page {first.last_page // 2:,}: no keyset path',
        ),
    ]
    headline = [
        'first page, default sort',
        'filtered page',
        'search by email fragment',
        'last page',
        'count (default list)',
    ]
    return list_report(figures, runs, headline)


if __name__ == '__main__':
    raise SystemExit(main())
