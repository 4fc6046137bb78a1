"""Benchmark of bank reconciliation: a CAMT.053 file of 10,000 lines imported into an account whose shop has 10,000
open invoices (--invoices 100000 for the issue's figure), each new money-in line given its ranked suggestions; then the
suggestions run again alone, and the reconciliation screen's first page read."""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.models import Invoice, Role, User  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from backoffice.services import bank, bank_match  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, open_database, timed  # noqa: E402
from tests.support.bank import Line, camt053  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--lines', type=int, default=10_000, help='lines in the statement (default 10,000)')
    parser.add_argument('--invoices', type=int, default=10_000, help='open invoices to match against')
    add_database_options(parser, 'invoices')
    args = parser.parse_args()
    _engine, present = open_database(args, 'invoices')
    rng = random.Random(args.seed)
    started = time.perf_counter()
    if present:  # --reuse: the invoices an earlier run seeded; its bank rows go, so the import starts afresh
        clear_bank_rows()
        analyze_after_load(_engine, 'bank_lines', 'bank_statements')
    else:
        with db.session_scope() as session:
            orders = int(args.invoices / 0.95) + 50
            for said in seed_orders_for_benchmark(session=session, orders=orders, seed=args.seed):
                print(said)
        with db.session_scope() as session:  # the seeded invoices were paid on issue: make them all open, on terms
            session.execute(text('UPDATE orders SET paid_total = 0 WHERE id IN (SELECT order_id FROM invoices)'))
            session.add(User(email=ADMIN, name='Bench', role=Role.admin, password_hash='-'))
            session.commit()
        analyze_after_load(_engine, 'orders', 'invoices', 'customers')
    with db.session_scope() as session:
        admin = session.exec(select(User).where(User.email == ADMIN)).one()
        session.expunge(admin)
        invoices = list(
            session.exec(
                select(Invoice.number, Invoice.total)
                .where(Invoice.kind == 'invoice')
                .order_by(col(Invoice.id))
                .limit(args.invoices)
            )
        )
    print(f'{len(invoices):,} open invoices ready in {time.perf_counter() - started:.1f} s')
    with db.session_scope() as session:
        account = bank.save_account(session=session, actor=admin, values={'name': 'Bench', 'currency': 'EUR'})
    data = statement(rng, invoices, args.lines)
    print(f'CAMT.053 of {args.lines:,} lines: {len(data) / 1024 / 1024:.1f} MB')

    load_before = load_average()
    started, cpu = time.perf_counter(), time.process_time()
    with db.session_scope() as session:
        done = bank.import_statement(session=session, actor=admin, account_id=account.id, data=data, file_name='b.xml')
    total_s, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    with db.session_scope() as session:
        again = bank_match.rematch(session=session, actor=admin)
    match_s, match_cpu = time.perf_counter() - started, time.process_time() - cpu
    analyze_after_load(_engine, 'bank_lines')  # as autovacuum would soon after: else the page's plans see no lines
    with db.read_session() as session:
        first = session.execute(text('SELECT id FROM bank_lines WHERE suggestions LIKE :named'), NAMED).all()
    page_ms, page_p90, _page = timed(lambda: first_page(admin), args.runs)
    again_s = time.perf_counter()
    with db.session_scope() as session:
        repeat = bank.import_statement(
            session=session, actor=admin, account_id=account.id, data=data, file_name='b.xml'
        )
    again_s = time.perf_counter() - again_s

    print(
        f'import + matching:   {total_s:6.2f} s, CPU {total_cpu:.2f} s  '
        f'({done.new_lines:,} new lines, {done.suggested:,} with suggestions)'
    )
    print(f'matching alone:      {match_s:6.2f} s, CPU {match_cpu:.2f} s  ({again:,} lines with suggestions)')
    print(f'  named by number:   {len(first):,} lines')
    print(f'same file again:     {again_s:6.2f} s  ({repeat.new_lines} new, {repeat.known_lines:,} already there)')
    print(f'screen first page:   {page_ms:6.1f} ms median, {page_p90:.1f} ms p90 (30 lines, counts, accounts)')
    print(f'load average: {load_before} before the import, {load_average()} at the end (other jobs share the machine)')
    print("CPU: this process only (on SQLite all of the work; on PostgreSQL without the server's share)")
    return 0


ADMIN = 'bench.bank@example.com'
NAMED = {'named': '%"why": ["number"%'}  # the best suggestion found the invoice's number in the label


def statement(rng: random.Random, invoices: list, count: int) -> bytes:
    """60 % pay an invoice named in the label, 15 % pay one by amount only, the rest are card spending and fees."""
    lines = []
    for number in range(count):
        roll = rng.random()
        if roll < 0.60:
            invoice = rng.choice(invoices)
            lines.append(Line(f'{invoice.total:.2f}', f'VIR SEPA FACTURE {invoice.number}', 'CLIENT SARL'))
        elif roll < 0.75:
            invoice = rng.choice(invoices)
            lines.append(Line(f'{invoice.total:.2f}', 'VIREMENT RECU', 'DUPONT'))
        else:
            amount = Decimal(rng.randint(100, 50_000)) / 100
            lines.append(Line(f'-{amount:.2f}', f'CB MAGASIN {number}', bank_reference=f'CB{number:08d}'))
    return camt053(lines, opening='100000.00', statement_id='BENCH')


def load_average() -> str:
    """The 1-minute load average (Linux), to say how busy the machine was while the figures were taken."""
    try:
        return Path('/proc/loadavg').read_text().split()[0]
    except OSError:
        return '?'


def clear_bank_rows() -> None:
    with db.session_scope() as session:
        for table in ('bank_lines', 'bank_statements', 'bank_accounts'):
            session.execute(text(f'DELETE FROM {table}'))  # noqa: S608 - the table names are the three above
        session.commit()


def first_page(admin: User) -> None:
    with db.read_session() as session:
        bank.accounts(session=session, actor=admin)
        bank.counts(session=session, actor=admin)
        bank.lines(session=session, actor=admin, status='unmatched', limit=30)
        bank.statements(session=session, actor=admin)


if __name__ == '__main__':
    raise SystemExit(main())
