"""Benchmark: time until a list's first rows are visible in headless Chromium, at a million customers or orders.

Seeds (or reuses) a SQLite database, starts `python main.py` on it, signs in once, then opens the list again and again
and prints, in ms, from the navigation to the first row on screen: the first visit (cold: Python caches, the
browser's caches empty) and the median and worst of the following visits (warm). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import app_server, chromium, ensure_admin, first_cell, sign_in, time_until  # noqa: E402

# list → (its path, the column of the first data cell to wait for, what that cell holds once the rows are there)
LISTS = {
    'customers': ('/customers', 2, lambda text: '@' in text),  # an email address
    'orders': ('/orders', 2, str.isdigit),
}  # an order number


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--list', choices=sorted(LISTS), default='customers')
    parser.add_argument('--rows', type=int, default=1_000_000, help='customers or orders to seed into an empty file')
    parser.add_argument('--sqlite-file', type=Path, help='seed here, or reuse it if it already holds rows')
    parser.add_argument('--runs', type=int, default=10, help='warm visits to time after the cold one')
    parser.add_argument('--width', type=int, default=1440, help='browser width (390 for a phone)')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-browser-'))
    url = f'sqlite:///{args.sqlite_file or work / f"{args.list}.db"}'
    total = seed_if_empty(url, args.list, args.rows)
    path, column, looks_right = LISTS[args.list]
    with app_server(url, work) as (base, _server):
        driver = chromium(work / 'profile', width=1440, height=900)
        try:
            driver.set_window_size(args.width, 900)
            sign_in(driver, base)
            row = first_cell(column, looks_right)
            cold = time_until(driver, f'{base}{path}', row)
            warm = [time_until(driver, f'{base}{path}', row) for _ in range(args.runs)]
        finally:
            driver.quit()
            shutil.rmtree(work / 'profile', ignore_errors=True)
    print(f'{args.list} list, {total:,} {args.list}, Chromium at {args.width} px wide')
    print(f'  rows visible, first visit (cold):   {cold:7.0f} ms')
    print(
        f'  rows visible, next visits (warm):   {statistics.median(warm):7.0f} ms median, '
        f'{max(warm):.0f} ms worst of {len(warm)}'
    )
    return 0


def seed_if_empty(url: str, kind: str, rows: int) -> int:
    from sqlalchemy import text

    from backoffice import db

    db.configure(url)
    db.migrate()
    with db.read_session() as session:
        present = session.execute(text(f'SELECT count(*) FROM {kind}')).scalar_one()
    with db.session_scope() as session:
        if not present:
            started = time.perf_counter()
            if kind == 'customers':
                from backoffice.seed.people import seed_customers

                seed_customers(session=session, customers=rows, companies=rows // 200, seed=1)
            else:
                from backoffice.seed.orders import seed_orders_for_benchmark

                print('\n'.join(seed_orders_for_benchmark(session=session, orders=rows)))
            print(f'seeded {rows:,} {kind} in {time.perf_counter() - started:.0f} s')
            present = rows
        ensure_admin(session)
    return present


if __name__ == '__main__':
    raise SystemExit(main())
