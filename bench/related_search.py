"""Benchmark of the request page's "Link a request" / "Merge into…" search (services/ticket_links.search): seeds
customers and requests (subjects from a small vocabulary, so words are common and rare), then times a search per kind
of query (p50, p90), with the count of what is not shown."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import backoffice.resources  # noqa: E402, F401  (registers the lists the search reads)
from backoffice.db import read_session  # noqa: E402
from backoffice.models import Role, User  # noqa: E402
from backoffice.services import ticket_links  # noqa: E402
from bench._harness import timed  # noqa: E402
from bench._requests_seed import seeded  # noqa: E402


def main() -> int:
    args = seeded(__doc__)
    print(measure(args.runs))
    return 0


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
