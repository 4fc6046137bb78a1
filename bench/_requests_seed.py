"""The customers and requests that bench/related_search.py and bench/requests_search.py search (subjects of three words
from a small vocabulary, so every word is common; customers' names carry a word of it too), and the options and
database the two share."""

from __future__ import annotations

import argparse
import random
import secrets
import time
from datetime import timedelta

from backoffice import db
from backoffice.models import Customer, Ticket, utcnow
from bench._harness import add_database_options, analyze_after_load, open_database

WORDS = 'parcel lost refund damaged late wrong size invoice address return broken missing colour label'.split()


def seeded(description: str | None) -> argparse.Namespace:
    """Reads the benchmark's options, opens its database and seeds it when it is new; returns the options."""
    parser = argparse.ArgumentParser(description=description)
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
    return args


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
