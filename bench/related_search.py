"""Benchmark of the request page's "Link a request" / "Merge into…" search (services/ticket_links.search): seeds
customers and requests (subjects from a small vocabulary, so words are common and rare), then times a search per kind
of query (p50, p90), with the count of what is not shown."""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import backoffice.resources  # noqa: E402, F401  (registers the lists the search reads)
from backoffice import db  # noqa: E402
from backoffice.db import read_session  # noqa: E402
from backoffice.models import Customer, Role, Ticket, User, utcnow  # noqa: E402
from backoffice.services import ticket_links  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, open_database, timed  # noqa: E402

WORDS = 'parcel lost refund damaged late wrong size invoice address return broken missing colour label'.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--requests', type=int, default=100_000)
    parser.add_argument('--customers', type=int, default=20_000)
    add_database_options(parser, 'requests')
    args = parser.parse_args()
    engine, present = open_database(args, 'tickets')
    if not present:
        started = time.perf_counter()
        seed(args.customers, args.requests, random.Random(args.seed))
        print(f'Seeded in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'customers', 'tickets')
    print(measure(args.runs))
    return 0


def seed(customers: int, requests: int, rng: random.Random) -> None:
    now = utcnow()
    with db.session_scope() as session:
        session.bulk_insert_mappings(
            Customer,
            [
                {'email': f'person{n}@example.com', 'name': f'Person {n} {rng.choice(WORDS).title()}'}
                for n in range(customers)
            ],
        )
        session.commit()
    with db.session_scope() as session:
        batch = []
        for n in range(requests):
            when = now - timedelta(minutes=requests - n)
            batch.append(
                {
                    'number': 1001 + n,
                    'subject': ' '.join(rng.sample(WORDS, 3)) + f' {n}',
                    'customer_id': rng.randint(1, customers),
                    'tags': [],
                    'token': secrets.token_hex(8),
                    'created_at': when,
                    'updated_at': when,
                    'version': 1,
                }
            )
            if len(batch) == 5000:
                session.bulk_insert_mappings(Ticket, batch)
                batch = []
        session.bulk_insert_mappings(Ticket, batch)
        session.commit()


def measure(runs: int) -> str:
    agent = User(email='bench@example.com', name='Bench', role=Role.agent, password_hash='-', is_active=True)
    queries = [
        ('number', '#51000'),
        ('one common word', 'parcel'),
        ('two words', 'parcel refund'),
        ('three words, rare', 'lost colour label'),
        ('customer email', 'person1234@example'),
        ('customer name word', 'Person 1234'),
        ('no hit', 'zzqx-nothing'),
    ]
    lines = [f'{"query":<20} {"term":<22} {"shown":>5} {"more":>6} {"p50 ms":>8} {"p90 ms":>8}']
    for kind, term in queries:

        def run(term: str = term) -> ticket_links.Found:
            with read_session() as session:
                return ticket_links.search(session=session, actor=agent, query=term, ticket_id=1001)

        p50, p90, found = timed(run, runs)
        more = f'{found.more}+' if found.more_capped else str(found.more)
        lines.append(f'{kind:<20} {term:<22} {len(found.requests):>5} {more:>6} {p50:>8.1f} {p90:>8.1f}')
    return '\n'.join(lines)


if __name__ == '__main__':
    raise SystemExit(main())
