"""Benchmark: building and rendering the founder's digest, and the `digests` job over many recipients.

Makes a fresh SQLite database (or uses --database-url), writes 400 days of every KPI's daily aggregate by hand (the
digest reads aggregates only, so the size of the order tables does not matter to it), 5 current objectives of 4 key
results, and N staff members with a daily digest of every card; then prints the median and 90th percentile of
building one digest (`digest.build`), of rendering its email with the sparklines (`digest_mail.render`), the size of
that email, the time of one sparkline PNG, and the time of one `digests` job run queuing every recipient's digest
(and of a second run, which must queue nothing). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import timed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--recipients', type=int, default=50)
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--database-url', help='default: a SQLite file in a temporary folder')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-digest-'))
    from backoffice import db

    db.configure(args.database_url or f'sqlite:///{work / "digest.db"}')
    db.migrate()
    from backoffice import sparkline
    from backoffice.kpi import days
    from backoffice.kpi.registry import KPIS
    from backoffice.models import KpiDaily
    from backoffice.services import digest, digest_mail, goals, users

    today = days.today('UTC')
    rng = random.Random(18)
    with db.session_scope() as session:
        for kpi in KPIS:
            for ago in range(400):
                value = rng.uniform(10, 1000)
                session.add(
                    KpiDaily(
                        kpi=kpi.key,
                        day=today - timedelta(days=ago),
                        value=value,
                        numerator=value,
                        denominator=rng.uniform(1000, 2000),
                    )
                )
        session.commit()
    staff = []
    for number in range(args.recipients):
        with db.session_scope() as session:
            staff.append(
                users.create_user(
                    session=session,
                    actor=None,
                    system=True,
                    data={
                        'email': f'digest{number}@example.com',
                        'name': f'Reader {number}',
                        'role': 'admin' if number == 0 else 'manager',
                        'password': 'Bench-Digest-Pass-2931',
                    },
                ).user
            )
    admin = staff[0]
    for number in range(5):
        with db.session_scope() as session:
            objective = goals.create_objective(
                session=session,
                actor=admin,
                data={
                    'title': f'Objective {number}',
                    'first_day': today - timedelta(days=30),
                    'last_day': today + timedelta(days=60),
                },
            )
        for result in range(4):
            with db.session_scope() as session:
                goals.add_key_result(
                    session=session,
                    actor=admin,
                    objective_id=objective.id,
                    data={
                        'title': f'KR {result}',
                        'kpi': KPIS[(number * 4 + result) % len(KPIS)].key,
                        'baseline': 0,
                        'target': 10_000,
                        'direction': 'increase',
                    },
                )
    for user in staff:
        with db.session_scope() as session:
            digest.save_choice(session=session, actor=user, frequency='daily', weekday=0, hour=0, kpis=[], version=0)

    first = last = today - timedelta(days=1)

    def build():
        with db.read_session() as session:
            return digest.build(session=session, actor=admin, first=first, last=last)

    median, p90, built = timed(build, args.runs)
    print(f'digest.build (every card, goals, alerts, SLA, low stock): median {median:.1f} ms, p90 {p90:.1f} ms')
    median, p90, made = timed(
        lambda: digest_mail.render(built, base_url='https://bo.example', unsubscribe='https://bo.example/u'),
        args.runs,
    )
    size = len(made.html) + sum(len(p['data']) for p in made.parts)
    print(
        f'digest_mail.render ({len(made.parts)} sparklines): median {median:.1f} ms, p90 {p90:.1f} ms; '
        f'HTML {len(made.html) / 1024:.1f} KB, with images (base64) {size / 1024:.1f} KB'
    )
    median, p90, png = timed(lambda: sparkline.png(built.cards[0].spark * 30), args.runs)
    print(f'one sparkline PNG (30 points): median {median:.2f} ms, {len(png)} bytes')
    started = time.perf_counter()
    queued = digest.send_due(now=datetime.now(UTC).replace(hour=23))
    print(f'digests job, first run: {queued} digests queued in {time.perf_counter() - started:.2f} s')
    started = time.perf_counter()
    again = digest.send_due(now=datetime.now(UTC).replace(hour=23))
    print(f'digests job, second run: {again} queued in {(time.perf_counter() - started) * 1000:.0f} ms')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
