"""Benchmark: what automation rules cost. Prints the median and 90th percentile of a request's change saved with no
rule on (the writer's one indexed check), and with rules on (the trigger written in the same transaction), then how
long the runner takes per trigger with `--rules` rules of that event on (each one checked, the matching ones acting
through the services and logging their run). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import timed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rules', type=int, default=10)
    parser.add_argument('--triggers', type=int, default=200)
    parser.add_argument('--runs', type=int, default=50)
    parser.add_argument('--database-url', help='default: a SQLite file in a temporary folder')
    args = parser.parse_args()

    from backoffice import db

    work = Path(tempfile.mkdtemp(prefix='bench-automations-'))
    db.configure(args.database_url or f'sqlite:///{work / "automations.db"}')
    db.migrate()
    from sqlmodel import select

    from backoffice.models import Ticket
    from backoffice.services import automation_runner, automations, tickets, users

    automation_runner.wire()
    with db.session_scope() as session:
        manager = users.create_user(
            session=session,
            actor=None,
            system=True,
            data={
                'email': 'bench.manager@example.com',
                'name': 'Bench Manager',
                'role': 'manager',
                'password': 'Quokka-lantern-87-violet',
            },
        ).user
    with db.session_scope() as session:
        first = tickets.submit_request(session=session, email='c@example.com', subject='Bench', body='Hello')

    def change() -> None:
        with db.session_scope() as session:
            ticket = session.get(Ticket, first.id)
            priority = 'high' if ticket.priority == 'normal' else 'normal'
            tickets.change(
                session=session, actor=manager, ticket_id=ticket.id, version=ticket.version, priority=priority
            )

    median, p90, _result = timed(change, args.runs)
    print(f'a request changed, no rule on:        median {median:.2f} ms, p90 {p90:.2f} ms')
    for number in range(args.rules):
        matching = number % 2 == 0  # half match (subject contains "bench"), half do not
        with db.session_scope() as session:
            rule = automations.create_rule(
                session=session,
                actor=manager,
                data={
                    'name': f'Rule {number}',
                    'event': 'request.updated',
                    'conditions': [
                        {'field': 'subject', 'operator': 'contains', 'value': 'bench' if matching else 'nothing'}
                    ],
                    'actions': [{'kind': 'add_tag', 'value': f'tag-{number}'}],
                },
            )
        with db.session_scope() as session:
            automations.dry_run(session=session, actor=manager, rule_id=rule.id, record_id=first.id)
        with db.session_scope() as session:
            automations.set_enabled(session=session, actor=manager, rule_id=rule.id, enabled=True)
    median, p90, _result = timed(change, args.runs)
    print(f'a request changed, {args.rules} rules on:       median {median:.2f} ms, p90 {p90:.2f} ms')
    automation_runner.run_pending(limit=10_000)  # the warm-up's and the timed changes' triggers
    for _n in range(args.triggers):
        change()
    started = time.perf_counter()
    ran = automation_runner.run_pending(limit=10_000)
    elapsed = time.perf_counter() - started
    with db.read_session() as session:
        tags = session.exec(select(Ticket.tags).where(Ticket.id == first.id)).one()
    print(
        f'{ran} triggers run, {args.rules} rules each ({len(tags)} tags added once, then no change): '
        f'{elapsed * 1000 / max(ran, 1):.1f} ms per trigger'
    )
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
