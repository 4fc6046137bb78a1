"""Benchmark of the header's search at a million customers and a million orders: seeds a fresh database (the same
seeded generators as `python -m backoffice seed`), then times global_search.search per kind of query (p50, p95)."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.db import read_session  # noqa: E402
from backoffice.models import Company, ContentEntry, Customer, Invoice, Order, Product, Role, Ticket, User  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from backoffice.services import global_search  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, open_database  # noqa: E402

TARGET_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--orders', type=int, default=1_000_000)
    add_database_options(parser, 'orders')
    args = parser.parse_args()

    engine, present = open_database(args, 'orders')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            lines = seed_orders_for_benchmark(
                session=session, orders=args.orders, customers=args.customers, seed=args.seed
            )
            for line in lines:
                print(line)
        _seed_the_rest(args.seed)
        print(f'Seeded in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'customers', 'companies', 'orders', 'invoices', 'products', 'content_entries')
    print(measure(args.runs))
    return 0


def _seed_the_rest(seed: int) -> None:
    """Requests and content as the demo shop has them (a few hundred: their tables are small in any shop)."""
    from backoffice.seed.content import seed_content
    from backoffice.seed.support import seed_support

    with db.session_scope() as session:
        for line in [*seed_content(session, random.Random(seed)), *seed_support(session, random.Random(seed))]:
            print(line)


def measure(runs: int) -> str:
    admin = User(email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    with read_session() as session:

        def middle(model, *where):
            half = (session.execute(select(func.max(model.id))).scalar_one() or 0) // 2
            return session.exec(select(model).where(model.id >= half, *where).order_by(model.id).limit(1)).first()

        customer = middle(Customer, Customer.name != '')
        order, invoice, product = middle(Order), middle(Invoice), middle(Product)
        company, ticket, entry = middle(Company), middle(Ticket), middle(ContentEntry)
    queries = [
        ('customer email prefix', customer.email.split('@')[0][:8]),
        ('customer name prefix', customer.name[:6]),
        ('whole email', customer.email),
        ('order number (exact)', order.number),
        ('invoice number (exact)', invoice.number if invoice else 'INV-2026-000001'),
        ('request number (exact)', str(ticket.number) if ticket else '1001'),
        ('company name prefix', company.name[:5] if company else 'Acme'),
        ('product SKU prefix', product.sku[:5]),
        ('product name prefix', product.name[:5]),
        ('content slug prefix', entry.slug[:5] if entry else 'terms'),
        ('name, surname first', ' '.join(reversed(customer.name.split()))),  # as typed finds none: each word
        ('one common letter', 'a'),
        ('two words, no hit', 'zzqx nothing'),
        ('no hit', 'zzqx-nothing'),
    ]

    def run(term: str) -> list[global_search.Hit]:
        with read_session() as session:
            return global_search.search(session=session, actor=admin, term=term)

    lines = [f'{"query":<26} {"term":<28} {"hits":>4} {"p50 ms":>8} {"p95 ms":>8}']
    worst = 0.0
    for kind, term in queries:
        found = run(term)
        run(term)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            run(term)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p50, p95 = statistics.median(times), times[min(len(times) - 1, round(len(times) * 0.95) - 1)]
        worst = max(worst, p95)
        lines.append(f'{kind:<26} {term[:28]:<28} {len(found):>4} {p50:>8.1f} {p95:>8.1f}')
    verdict = 'within' if worst <= TARGET_MS else 'OVER'
    lines.append(f'worst p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target')
    return '\n'.join(lines)


if __name__ == '__main__':
    raise SystemExit(main())
