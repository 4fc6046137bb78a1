"""Benchmark: checking 50 alert rules after a KPI refresh, and reading the dashboard's goals strip.

Seeds (or reuses) a database with customers, orders and usage events (as `kpi_refresh.py` does), computes the KPIs'
last 35 days, adds 50 alert rules over every KPI and kind (above, below, change, no data) and 5 objectives of 4 key
results, then prints the median and 90th percentile of `alert_checks.evaluate()` (the steady state: nothing crosses,
nothing is written), of one run where every rule crosses (fired and told in-app), and of `goals.board` for the strip.
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import EMAIL, PASSWORD, timed  # noqa: E402

KINDS = ('above', 'below', 'change', 'no_data')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=100_000)
    parser.add_argument('--events', type=int, default=500_000)
    parser.add_argument('--customers', type=int, default=10_000)
    parser.add_argument('--days', type=int, default=365)
    parser.add_argument('--rules', type=int, default=50)
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--database-url', help='default: a SQLite file in a temporary folder')
    parser.add_argument('--sqlite-file', type=Path, help='seed here, or reuse it if it already holds orders')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-alerts-'))
    url = args.database_url or f'sqlite:///{args.sqlite_file or work / "alerts.db"}'
    from backoffice import db

    db.configure(url)
    db.migrate()
    admin = seed_if_empty(args)

    from sqlmodel import select

    from backoffice.kpi import refresh
    from backoffice.kpi.registry import KPIS
    from backoffice.models import AlertRule
    from backoffice.services import alert_checks, alerts, goals

    started = time.perf_counter()
    refresh.recompute()
    print(f'KPIs of the last 35 days computed in {time.perf_counter() - started:.1f} s')
    with db.session_scope() as session:
        session.execute(AlertRule.__table__.delete())
        session.commit()
    for number in range(args.rules):
        kpi, kind = KPIS[number % len(KPIS)], KINDS[number % len(KINDS)]
        threshold = {'above': 1e12, 'below': -1, 'change': 1e6, 'no_data': 1e5}[kind]  # never crosses
        with db.session_scope() as session:
            alerts.create_rule(
                session=session,
                actor=admin,
                data={
                    'name': f'Rule {number}',
                    'kpi': kpi.key,
                    'kind': kind,
                    'threshold': threshold,
                    'window_days': 1 + number % 7,
                    'recipients': [admin.id],
                },
            )
    today = goals_today()
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
            kpi = KPIS[(number * 4 + result) % len(KPIS)]
            with db.session_scope() as session:
                goals.add_key_result(
                    session=session,
                    actor=admin,
                    objective_id=objective.id,
                    data={'title': f'KR {result}', 'kpi': kpi.key, 'baseline': 0, 'target': 1000},
                )

    median, p90, counts = timed(alert_checks.evaluate, args.runs)
    print(f'{args.rules} rules checked, nothing crossing: median {median:.1f} ms, p90 {p90:.1f} ms ({counts})')
    with db.session_scope() as session:  # every rule now crosses: fired, recorded and told in-app once each
        for rule in session.exec(select(AlertRule)):
            rule.kind, rule.threshold = 'above', -1e12
            session.add(rule)
        session.commit()
    started = time.perf_counter()
    counts = alert_checks.evaluate()
    print(f'{args.rules} rules all crossing at once: {(time.perf_counter() - started) * 1000:.1f} ms ({counts})')

    def strip():
        with db.read_session() as session:
            return goals.board(session=session, actor=admin, current_only=True)

    median, p90, shown = timed(strip, args.runs)
    results = sum(len(goal.results) for goal in shown)
    print(f'goals strip ({len(shown)} objectives, {results} key results): median {median:.1f} ms, p90 {p90:.1f} ms')
    return 0


def goals_today():
    from backoffice.kpi import days
    from backoffice.services import app_settings

    return days.today(app_settings.time_zone())


def seed_if_empty(args: argparse.Namespace):
    from sqlalchemy import func, select

    from backoffice import db
    from backoffice.models import Customer, Order, User
    from backoffice.seed.kpi import seed_activity
    from backoffice.seed.people import seed_customers
    from backoffice.services import users

    with db.session_scope() as session:
        if session.execute(select(func.count()).select_from(Customer)).scalar_one() == 0:
            seed_customers(session=session, customers=args.customers, companies=args.customers // 200, seed=1)
        if session.execute(select(func.count()).select_from(Order)).scalar_one() == 0:
            started = time.perf_counter()
            seed_activity(session=session, orders=args.orders, events=args.events, days=args.days, seed=1)
            print(f'seeded {args.orders:,} orders and {args.events:,} events in {time.perf_counter() - started:.0f} s')
        admin = session.execute(select(User).where(User.email == EMAIL)).scalars().first()
        if admin is None:
            admin = users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': EMAIL, 'name': 'Bench Admin', 'role': 'admin', 'password': PASSWORD},
            ).user
        return admin


if __name__ == '__main__':
    raise SystemExit(main())
