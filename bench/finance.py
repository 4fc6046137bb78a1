"""Benchmark of the finance screens: a shop with N orders (their invoices, a tenth left open on terms) and a statement
of bank lines spread over the last 12 weeks; then the /finance overview read (positions, weeks, forecast, receivables
cards), a month's accounting figures (VAT summary, payments, refunds, bank lines) and its FEC file timed."""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.models import Role, User  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from backoffice.services import accounting, bank, cashflow, fec  # noqa: E402
from bench._harness import add_database_options, open_database, timed  # noqa: E402
from tests.support.bank import Line, camt053  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=20_000, help='orders seeded, each invoiced (default 20,000)')
    parser.add_argument('--lines', type=int, default=10_000, help='bank lines over the last 12 weeks')
    add_database_options(parser, 'bank lines')
    args = parser.parse_args()
    open_database(args, 'bank_lines')
    rng = random.Random(args.seed)
    started = time.perf_counter()
    with db.session_scope() as session:
        for said in seed_orders_for_benchmark(session=session, orders=args.orders, seed=args.seed):
            print(said)
    with db.session_scope() as session:  # a tenth of the invoices open, on terms
        session.execute(
            text('UPDATE orders SET paid_total = 0 WHERE id % 10 = 0 AND id IN (SELECT order_id FROM invoices)')
        )
        admin = User(email='bench.finance@example.com', name='Bench', role=Role.admin, password_hash='-')
        session.add(admin)
        session.commit()
        session.refresh(admin)
        session.expunge(admin)
    print(f'{args.orders:,} orders ready in {time.perf_counter() - started:.1f} s')
    today = date.today()
    with db.session_scope() as session:
        account = bank.save_account(session=session, actor=admin, values={'name': 'Bench', 'currency': 'EUR'})
    lines = []
    for number in range(args.lines):
        day = (today - timedelta(days=rng.randint(0, 83))).isoformat()
        amount = Decimal(rng.randint(100, 50_000)) / 100
        sign = '' if rng.random() < 0.6 else '-'
        lines.append(Line(f'{sign}{amount:.2f}', f'LINE {number}', day=day, bank_reference=f'B{number:08d}'))
    data = camt053(lines, opening='100000.00', statement_id='BENCH', balance_day=today.isoformat())
    with db.session_scope() as session:
        bank.import_statement(session=session, actor=admin, account_id=account.id, data=data, file_name='b.xml')

    def overview() -> None:
        with db.read_session() as session:
            cashflow.overview(session=session, actor=admin)

    first, last = today.replace(day=1) - timedelta(days=30), today

    def figures() -> None:
        with db.read_session() as session:
            accounting.period(session=session, actor=admin, first=first, last=last)

    def fec_file() -> bytes:
        with db.read_session() as session:
            return fec.fec_file(session=session, actor=admin, first=first, last=last)[0]

    overview_ms, overview_p90, _ = timed(overview, args.runs)
    figures_ms, figures_p90, _ = timed(figures, args.runs)
    fec_ms, fec_p90, content = timed(fec_file, max(3, args.runs // 4))
    print(f'/finance overview:        {overview_ms:8.1f} ms median, {overview_p90:.1f} ms p90')
    print(f'accounting figures:       {figures_ms:8.1f} ms median, {figures_p90:.1f} ms p90 ({first} – {last})')
    rows = content.count(b'\n')
    print(f'FEC file:                 {fec_ms:8.1f} ms median, {fec_p90:.1f} ms p90 ({rows:,} rows)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
