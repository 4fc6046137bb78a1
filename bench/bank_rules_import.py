"""Benchmark of bank rules that match: a statement whose lines each come from a customer a rule names (one rule per
customer, its counterparty exactly) is imported twice, into two accounts — with the rules on, each line matched to its
customer's open invoice of that amount (receipt and payment recorded, each in its savepoint), then with them off; the
difference over the lines matched is the cost of a rule's match, in ms per line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.models import BankRule, Customer, Invoice, Order, Role, User  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from backoffice.services import bank, bank_rules  # noqa: E402
from bench._harness import add_database_options, open_database  # noqa: E402
from tests.support.bank import Line, camt053  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--lines', type=int, default=300, help='lines (and rules, one per customer) (default 300)')
    parser.add_argument('--invoices', type=int, default=5_000, help='open invoices in the shop')
    add_database_options(parser, 'bank lines')
    args = parser.parse_args()
    open_database(args, 'bank_lines')
    with db.session_scope() as session:
        for _said in seed_orders_for_benchmark(session=session, orders=int(args.invoices / 0.95) + 50, seed=args.seed):
            pass
    with db.session_scope() as session:
        session.execute(text('UPDATE orders SET paid_total = 0 WHERE id IN (SELECT order_id FROM invoices)'))
        admin = User(email='bench.rules@example.com', name='Bench', role=Role.admin, password_hash='-')
        session.add(admin)
        session.commit()
        session.refresh(admin)
        session.expunge(admin)
        rows = session.exec(
            select(Invoice.total, Order.customer_id)
            .join(Order, Order.id == Invoice.order_id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Invoice.kind == 'invoice', Customer.deleted_at.is_(None))  # type: ignore[union-attr]
            .order_by(Invoice.id)
        )
        one_each: dict[int, object] = {}
        for total, customer_id in rows:
            one_each.setdefault(customer_id, total)
    # customers with exactly one open invoice would be ideal; a customer with several of the same amount is a miss
    chosen = list(one_each.items())[: args.lines]
    for customer_id, _total in chosen:
        with db.session_scope() as session:
            bank_rules.save_rule(
                session=session,
                actor=admin,
                values={
                    'name': f'Customer {customer_id}',
                    'counterparty': f'CUSTOMER {customer_id}',
                    'counterparty_exact': True,
                    'outcome': 'invoice',
                    'customer_id': customer_id,
                },
            )
    data = camt053([Line(f'{total:.2f}', 'VIREMENT', f'CUSTOMER {customer_id}') for customer_id, total in chosen])
    timings = {}
    for label, active in (('rules on', True), ('rules off', False)):
        with db.session_scope() as session:
            session.execute(text('UPDATE bank_rules SET active = :on'), {'on': active})
            session.commit()
            account = bank.save_account(session=session, actor=admin, values={'name': label, 'currency': 'EUR'})
        started = time.perf_counter()
        with db.session_scope() as session:
            done = bank.import_statement(
                session=session, actor=admin, account_id=account.id, data=data, file_name='rules.xml'
            )
        timings[label] = (time.perf_counter() - started, done)
    on_s, on = timings['rules on']
    off_s, _off = timings['rules off']
    with db.read_session() as session:
        rules = len(session.exec(select(BankRule.id)).all())
    print(f'{len(chosen):,} lines, {rules:,} rules, {args.invoices:,} open invoices ({db.get_engine().dialect.name})')
    print(f'import, rules on:  {on_s:6.2f} s  ({on.matched_by_rules:,} matched, {on.missed_by_rules:,} missed)')
    print(f'import, rules off: {off_s:6.2f} s')
    if on.matched_by_rules:
        print(f'per line a rule matched: {(on_s - off_s) * 1000 / on.matched_by_rules:.1f} ms')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
