"""Benchmark of the Requests list's search box (/requests: the list engine's search of the tickets resource, which also
finds a request by its customer's name or email, `search_related`): seeds customers and requests as
bench/related_search.py does, then times the list's first page and its second (by keyset) per kind of term, as an agent
reads them (p50, p90), with the total the list says."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import backoffice.resources  # noqa: E402, F401  (registers the lists)
from backoffice.db import read_session  # noqa: E402
from backoffice.engine.declaration import resource  # noqa: E402
from backoffice.listing import query  # noqa: E402
from backoffice.models import Role, User  # noqa: E402
from bench._harness import timed  # noqa: E402
from bench._requests_seed import seeded  # noqa: E402  (the same customers and requests)


def main() -> int:
    args = seeded(__doc__)
    print(measure(args.runs))
    return 0


def measure(runs: int) -> str:
    agent = User(email='bench@example.com', name='Bench', role=Role.agent, password_hash='-', is_active=True)
    tickets = resource('tickets')
    terms = [
        ('customer email', 'person1234@example.com'),
        ('customer name', 'Person 1234'),
        ('name, accented', 'PÉRSON 1234'),  # folded as the names are (migration 0064): finds 'Person 1234'
        ('subject word', 'colour'),
        (
            'words, no phrase',
            'colour person 1234',
        ),  # no record holds it so: each word somewhere  # also in a fourteenth of the names ('Person 77 Colour')
        ('every customer', 'example.com'),  # in every customer's email, in no subject
        ('no hit', 'zzqx-nothing'),
    ]
    lines = [f'{"term":<16} {"typed":<24} {"total":>8} {"p1 p50":>7} {"p1 p90":>7} {"p2 p50":>7} {"p2 p90":>7}']
    for kind, term in terms:
        request = query.ListRequest(search=term, page_size=25)

        def first(request: query.ListRequest = request) -> query.Page:
            with read_session() as session:
                return query.list_page(session=session, actor=agent, resource=tickets, request=request)

        p50, p90, page = timed(first, runs)

        def second(request: query.ListRequest = request, cursor: query.Cursor = page.cursor) -> query.Page:
            with read_session() as session:
                return query.list_page(
                    session=session,
                    actor=agent,
                    resource=tickets,
                    request=query.ListRequest(search=request.search, page_size=25, page=2),
                    cursor=cursor,
                )

        second_p50, second_p90, _ = timed(second, runs) if page.total > 25 else (0.0, 0.0, None)
        total = f'{"" if page.exact else "~"}{page.total}'
        lines.append(f'{kind:<16} {term:<24} {total:>8} {p50:>7.1f} {p90:>7.1f} {second_p50:>7.1f} {second_p90:>7.1f}')
    return '\n'.join(lines)


if __name__ == '__main__':
    raise SystemExit(main())
