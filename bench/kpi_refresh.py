"""Benchmark: KPI refresh and dashboard speed at a million orders and five million usage events.

Seeds (or reuses) a database with customers, orders and events over a year (bulk inserts), then prints: the full
recompute of the last 35 days and of the whole year, the incremental refresh after 1,000 new orders, the peak Python
memory of the refresh, and the time until the dashboard's cards and charts are visible at 390 px in headless Chromium
(first visit cold, then warm). Not a test: nothing is asserted. `--screenshots DIR` saves the dashboard at 390 and
1440 px.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import EMAIL, PASSWORD, app_server, chromium, sign_in  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=1_000_000)
    parser.add_argument('--events', type=int, default=5_000_000)
    parser.add_argument('--customers', type=int, default=100_000)
    parser.add_argument('--days', type=int, default=365, help='the activity spreads over this many days')
    parser.add_argument('--database-url', help='default: a SQLite file in a temporary folder')
    parser.add_argument('--sqlite-file', type=Path, help='seed here, or reuse it if it already holds orders')
    parser.add_argument('--runs', type=int, default=10, help='warm dashboard visits after the cold one')
    parser.add_argument('--skip-year', action='store_true', help='skip the full recompute of the whole period')
    parser.add_argument('--screenshots', type=Path, help='save dashboard-390.png and dashboard-1440.png here')
    parser.add_argument('--rounds', type=int, default=5, help='more rounds of 1,000 new orders + incremental refresh')
    parser.add_argument('--skip-browser', action='store_true', help='the refresh figures only')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-kpi-'))
    url = args.database_url or f'sqlite:///{args.sqlite_file or work / "kpi.db"}'
    from backoffice import db

    db.configure(url)
    db.migrate()
    seed_if_empty(args)

    from backoffice.kpi import refresh

    started = time.perf_counter()
    written = refresh.recompute()
    nightly = time.perf_counter() - started
    nightly_again = statistics.median(timed(refresh.recompute) for _ in range(2))  # pages now in the OS cache
    started = time.perf_counter()
    if not args.skip_year:
        refresh.recompute(first=(datetime.now(UTC) - timedelta(days=args.days)).date())
    year = time.perf_counter() - started
    refresh.refresh_incremental()
    add_orders(1000)
    tracemalloc.start()
    started = time.perf_counter()
    incremental_rows = refresh.refresh_incremental()
    incremental = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    again = []
    for _ in range(args.rounds):
        add_orders(1000)
        again.append(timed(refresh.refresh_incremental))
    quiet = min(timed(refresh.refresh_incremental) for _ in range(5))

    print(
        f'KPI refresh on {db.get_engine().dialect.name}: {count("orders"):,} orders, {count("usage_events"):,} '
        f'events, {count("customers"):,} customers, {today_orders():,} orders today'
    )
    print(
        f'  full recompute, last 35 days ({written} values):   {nightly * 1000:8.0f} ms first, '
        f'{nightly_again * 1000:.0f} ms again (median of 2)'
    )
    print(f'  full recompute, {args.days} days:                    {year * 1000:8.0f} ms')
    print(
        f'  incremental after 1,000 new orders ({incremental_rows} values): {incremental * 1000:5.0f} ms first, '
        f'{statistics.median(again) * 1000:.0f} ms median of {args.rounds} more rounds, '
        f'peak Python memory {peak / 1e6:.1f} MB'
        if again
        else ''
    )
    print(f'  incremental with nothing new:                {quiet * 1000:8.1f} ms')
    if args.skip_browser:
        return 0
    browser(url, work, args)
    return 0


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def seed_if_empty(args: argparse.Namespace) -> None:
    from backoffice import db
    from backoffice.seed.kpi import seed_activity
    from backoffice.seed.people import seed_customers
    from backoffice.services import users

    with db.session_scope() as session:
        if count('customers') == 0:
            seed_customers(session=session, customers=args.customers, companies=args.customers // 200, seed=1)
        if count('orders') == 0:
            started = time.perf_counter()
            seed_activity(session=session, orders=args.orders, events=args.events, days=args.days, seed=1)
            print(f'seeded {args.orders:,} orders and {args.events:,} events in {time.perf_counter() - started:.0f} s')
            analyze_after_bulk_load()
        if users.count_users(session=session) == 0:
            users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': EMAIL, 'name': 'Bench Admin', 'role': 'admin', 'password': PASSWORD},
            )


def analyze_after_bulk_load() -> None:
    """What autovacuum would do shortly after a bulk load (PostgreSQL: statistics and the visibility map, without
    which a count over an index visits the table); ANALYZE on SQLite."""
    from sqlalchemy import text

    from backoffice import db

    engine = db.get_engine()
    if engine.dialect.name == 'postgresql':
        with engine.connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
            for table in ('customers', 'orders', 'order_events', 'refunds', 'usage_events'):
                connection.execute(text(f'VACUUM ANALYZE {table}'))
    else:
        with engine.connect() as connection:
            connection.execute(text('ANALYZE'))
            connection.commit()


def add_orders(number: int) -> None:
    from backoffice import db
    from backoffice.seed.kpi import seed_activity

    with db.session_scope() as session:
        seed_activity(session=session, orders=number, events=0, days=0, seed=2)


def today_orders() -> int:
    from sqlalchemy import bindparam, text

    from backoffice import db
    from backoffice.models.base import UTCTimestamp

    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with db.read_session() as session:
        count = text('SELECT count(*) FROM orders WHERE placed_at >= :start')  # the instant bound as stored
        return session.execute(count.bindparams(bindparam('start', start, type_=UTCTimestamp()))).scalar_one()


def count(table: str) -> int:
    from sqlalchemy import text

    from backoffice import db

    with db.read_session() as session:
        return session.execute(text(f'SELECT count(*) FROM {table}')).scalar_one()


def browser(url: str, work: Path, args: argparse.Namespace) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with app_server(url, work) as (base, _server):
        driver = chromium(work / 'profile', width=1440, height=900)
        try:
            driver.set_window_size(390, 844)
            sign_in(driver, base, EMAIL, PASSWORD)
            wait = WebDriverWait(driver, 60, poll_frequency=0.005)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.kpi-card'))
            driver.get(f'{base}/login')  # leave the dashboard, so that the cold visit below is a full page load

            def visit() -> tuple[float, float]:
                start = time.perf_counter()
                driver.get(f'{base}/')
                wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '.kpi-card')) >= 15)
                cards = time.perf_counter() - start
                wait.until(lambda d: charts_drawn(d) >= 4)
                return cards * 1000, (time.perf_counter() - start) * 1000

            cold = visit()
            warm = [visit() for _ in range(args.runs)]
            print(f'dashboard in Chromium at 390 px ({count("orders"):,} orders)')
            for label, index in (('cards', 0), ('charts', 1)):
                print(
                    f'  {label} visible, cold: {cold[index]:6.0f} ms; warm: '
                    f'{statistics.median(w[index] for w in warm):6.0f} ms median'
                )
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                for width, height in ((390, 2400), (1440, 1400)):
                    driver.set_window_size(width, height)
                    driver.get(f'{base}/')
                    wait.until(lambda d: charts_drawn(d) >= 4)
                    time.sleep(1)
                    driver.save_screenshot(str(args.screenshots / f'dashboard-{width}.png'))
        finally:
            driver.quit()
            shutil.rmtree(work / 'profile', ignore_errors=True)


def charts_drawn(driver) -> int:
    """Charts drawn, not SVG layers: Plotly draws three `.main-svg` per chart."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length"
    )


if __name__ == '__main__':
    raise SystemExit(main())
