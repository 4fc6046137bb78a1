"""Benchmark of a customers import: a seeded 3,000-row file (half updates, half new) read, previewed and applied."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import col, select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.models import Customer, Role, User  # noqa: E402
from backoffice.resources.customers import CUSTOMERS  # noqa: E402
from backoffice.seed.people import seed_customers  # noqa: E402
from backoffice.transfer import import_apply, import_map, import_plan, import_read  # noqa: E402
from bench._harness import add_database_options, open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rows', type=int, default=3000, help='rows in the file (default 3,000)')
    parser.add_argument('--customers', type=int, default=20_000, help='customers already in the database')
    add_database_options(parser, 'customers')
    args = parser.parse_args()
    open_database(args, 'customers')
    with db.session_scope() as session:
        seed_customers(session=session, customers=args.customers, companies=args.customers // 200, seed=args.seed)
        admin = User(email='bench.import@example.com', name='Bench', role=Role.admin, password_hash='-')
        session.add(admin)
        session.commit()
        session.refresh(admin)
        session.expunge(admin)
    data = customers_file(args.rows, args.seed)
    print(f'{args.rows:,} rows ({len(data) / 1024:.0f} KB) into {args.customers:,} customers')

    started = time.perf_counter()
    rows = import_read.read_table(data, 'customers.csv')
    read_s = time.perf_counter() - started
    mapping = import_map.map_columns(CUSTOMERS, rows[0].keys())
    started = time.perf_counter()
    with db.read_session() as session:
        plan = import_plan.preview(session=session, actor=admin, resource=CUSTOMERS, rows=rows, mapping=mapping)
    preview_s = time.perf_counter() - started
    counts = import_plan.count_actions(plan)
    started = time.perf_counter()
    with db.session_scope() as session:
        batch = import_apply.apply(session=session, actor=admin, resource=CUSTOMERS, plan=plan, file_name='bench.csv')
    apply_s = time.perf_counter() - started
    print(f'plan: {counts}')
    print(f'read     {read_s:6.2f} s')
    print(f'preview  {preview_s:6.2f} s')
    print(f'apply    {apply_s:6.2f} s   ({batch.counts})')
    return 0


def customers_file(count: int, seed: int) -> bytes:
    """Half the rows update existing customers (matched by email; some cells left empty), half add new ones."""
    rng = random.Random(seed)
    with db.read_session() as session:
        emails = list(session.exec(select(Customer.email).order_by(col(Customer.id)).limit(count * 4)))
    existing = rng.sample(emails, min(len(emails), count // 2))
    lines = ['Email,Name,Phone,Status,Agrees to marketing email']
    for n, email in enumerate(existing):
        name = f'Updated {n}' if rng.random() < 0.8 else ''
        consent = rng.choice(['Yes', 'No', ''])
        lines.append(f'{email},{name},,Active,{consent}')
    for n in range(count - len(existing)):
        phone = f'+33 6 12 {n % 100:02d} {n // 100 % 100:02d} 00' if rng.random() < 0.5 else ''
        lines.append(f'bench.new.{seed}.{n}@example.com,New person {n},{phone},Active,{rng.choice(["Yes", "No"])}')
    return ('\n'.join(lines) + '\n').encode()


if __name__ == '__main__':
    raise SystemExit(main())
