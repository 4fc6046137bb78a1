"""Benchmark of the audit log at a million entries: seeds a fresh database with a deterministic generator, then times
what the list's server does for a search (rare and common terms) and the record-type filter, as an admin and as a
manager (whose entries follow the records they may read)."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.db import read_session  # noqa: E402
from backoffice.listing import query  # noqa: E402
from backoffice.listing.search import SEARCH_INDEXES, search_index_suspended  # noqa: E402
from backoffice.models import AuditEntry, Role, User  # noqa: E402
from backoffice.resources.system import AUDIT  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, describe, open_database, timed  # noqa: E402

CHUNK = 10_000
# (entity, action, share of the log): what a busy shop's log holds, orders and requests first
KINDS = (
    ('orders', 'order.status', 0.34),
    ('tickets', 'ticket.updated', 0.22),
    ('customers', 'customer.updated', 0.12),
    ('user', 'auth.signed_in', 0.10),
    ('stock', 'stock.adjusted', 0.07),
    ('invoices', 'invoice.issued', 0.05),
    ('products', 'product.updated', 0.04),
    ('returns', 'return.received', 0.03),
    ('purchases', 'stock.received', 0.02),
    ('content', 'page.published', 0.008),
    ('companies', 'company.updated', 0.001),
    ('settings', 'settings.changed', 0.0005),
)
STATUSES = ('pending', 'paid', 'packed', 'shipped', 'delivered')
STAFF = [f'{name}@shop.example' for name in ('maria.lopez', 'ben.okafor', 'lena.kraus', 'tom.weber', 'ana.silva')]
RARE = 'zoltan.vamberg'  # one customer in the log: about 10 entries mention them


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--entries', type=int, default=1_000_000)
    parser.add_argument('--without-index', action='store_true', help='also time the search by LIKE, as before 0016')
    add_database_options(parser, 'audit entries')
    args = parser.parse_args()

    engine, present = open_database(args, 'audit_log')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            seed_audit_log(session, entries=args.entries, seed=args.seed)
        print(f'Seeded {args.entries:,} audit entries in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'audit_log')
    print(measure(args.runs))
    if args.without_index:
        index = SEARCH_INDEXES.pop('audit_log')
        try:
            print('\nWithout the search index (LIKE over the list, as before migration 0016):')
            print(measure(max(3, args.runs // 4), only=('search, rare term', 'search, common term')))
        finally:
            SEARCH_INDEXES['audit_log'] = index
    return 0


def seed_audit_log(session, *, entries: int, seed: int = 1) -> None:
    """`entries` audit rows over the last two years, oldest first, in plain bulk inserts (one transaction)."""
    rows = _rows(random.Random(seed), entries, datetime.now(UTC).replace(microsecond=0))
    with search_index_suspended(session, 'audit_log'):
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                session.execute(insert(AuditEntry.__table__), chunk)
                chunk = []
        if chunk:
            session.execute(insert(AuditEntry.__table__), chunk)
    if session.connection().dialect.name == 'sqlite':
        session.execute(text('ANALYZE audit_log'))
    session.commit()


def _rows(rng: random.Random, entries: int, now: datetime) -> Iterator[dict]:
    kinds = [(entity, action) for entity, action, _ in KINDS]
    weights = [share for _, _, share in KINDS]
    start = now - timedelta(days=730)
    step = (now - start) / entries
    rare_every = max(1, entries // 10)
    for number in range(entries):
        entity, action = rng.choices(kinds, weights)[0]
        actor = rng.choice(STAFF)
        record = rng.randrange(1, 200_000)
        customer = RARE if number % rare_every == 7 else f'customer{rng.randrange(1, 400_000)}'
        summary, changes = _story(rng, entity, record, customer)
        yield {
            'at': start + step * number,
            'actor_id': None,
            'actor_email': actor,
            'action': action,
            'entity': entity,
            'entity_id': str(record),
            'summary': summary,
            'version': rng.randrange(1, 9),
            'changes': changes,
        }


def _story(rng: random.Random, entity: str, record: int, customer: str) -> tuple[str, dict]:
    if entity == 'orders':
        before = rng.randrange(len(STATUSES) - 1)
        return f'Order {100000 + record} of {customer}@example.com: {STATUSES[before + 1]}', {
            'status': [STATUSES[before], STATUSES[before + 1]]
        }
    if entity == 'customers':
        return f'Updated {customer}@example.com', {'marketing_consent': [False, True]}
    if entity == 'tickets':
        return f'Request {200000 + record} from {customer}@example.com assigned', {'assignee_id': [None, 3]}
    if entity == 'user':
        return 'Signed in from 192.0.2.10', {}
    return f'{entity.capitalize()} {record} changed', {'note': ['', 'checked']}


def measure(runs: int, only: tuple[str, ...] = ()) -> str:
    admin = User(id=1, email='bench@example.com', name='Bench', role=Role.admin, password_hash='-', is_active=True)
    manager = User(id=2, email='boss@example.com', name='Boss', role=Role.manager, password_hash='-', is_active=True)

    def page(actor: User, request: query.ListRequest) -> query.Page:
        with read_session() as session:
            return query.list_page(session=session, actor=actor, resource=AUDIT, request=request)

    figures = [
        ('first page, default sort', admin, query.ListRequest(), 'newest first'),
        ('search, rare term', admin, query.ListRequest(search=RARE), f'"{RARE}" (~10 entries)'),
        ('search, common term', admin, query.ListRequest(search='example.com'), '"example.com" (most entries)'),
        ('search, middling term', admin, query.ListRequest(search='customer12345'), '"customer12345" (~30 entries)'),
        ('filter: orders', admin, query.ListRequest(filters={'entity': ['orders']}), 'a third of the log'),
        ('filter: returns', admin, query.ListRequest(filters={'entity': ['returns']}), '3 % of the log'),
        ('filter: settings', admin, query.ListRequest(filters={'entity': ['settings']}), '0.05 % of the log'),
        (
            'filter + rare search',
            admin,
            query.ListRequest(search=RARE, filters={'entity': ['orders']}),
            f'orders, "{RARE}"',
        ),
        ('manager, first page', manager, query.ListRequest(), 'entries they may read'),
        ('manager, rare search', manager, query.ListRequest(search=RARE), f'"{RARE}"'),
    ]
    figures = [figure for figure in figures if not only or figure[0] in only]
    lines = [f'{"":28} {"median":>8} {"p90":>8}   {"result":<24} {"what"}']
    for label, actor, request, what in figures:
        median, p90, result = timed(lambda a=actor, r=request: page(a, r), runs)
        lines.append(f'{label:28} {median:7.1f}ms {p90:7.1f}ms   {describe(result):<24} {what}')
    return '\n'.join(lines)


if __name__ == '__main__':
    raise SystemExit(main())
