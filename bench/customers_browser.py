"""Benchmark: time until the customers list's first rows are visible in headless Chromium, at a million customers.

Seeds (or reuses) a SQLite database, starts `python main.py` on it, signs in once, then opens /customers again and
again and prints, in ms, from the navigation to the first row on screen: the first visit (cold: Python caches, the
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--sqlite-file', type=Path, help='seed here, or reuse it if it already holds customers')
    parser.add_argument('--runs', type=int, default=10, help='warm visits to time after the cold one')
    parser.add_argument('--width', type=int, default=1440, help='browser width (390 for a phone)')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-browser-'))
    url = f'sqlite:///{args.sqlite_file or work / "customers.db"}'
    total = seed_if_empty(url, args.customers)
    with app_server(url, work) as (base, _server):
        driver = chromium(work / 'profile', width=args.width)
        try:
            sign_in(driver, base)
            row = first_cell(2, lambda text: '@' in text)  # an email address
            cold = time_until(driver, f'{base}/customers', row)
            warm = [time_until(driver, f'{base}/customers', row) for _ in range(args.runs)]
        finally:
            driver.quit()
            shutil.rmtree(work / 'profile', ignore_errors=True)
    print(f'customers list, {total:,} customers, Chromium at {args.width} px wide')
    print(f'  rows visible, first visit (cold):   {cold:7.0f} ms')
    print(f'  rows visible, next visits (warm):   {statistics.median(warm):7.0f} ms median, '
          f'{max(warm):.0f} ms worst of {len(warm)}')
    return 0


def seed_if_empty(url: str, customers: int) -> int:
    from sqlmodel import func, select

    from backoffice import db
    from backoffice.models import Customer
    from backoffice.seed import seed_customers
    db.configure(url)
    db.migrate()
    with db.session_scope() as session:
        present = session.exec(select(func.count()).select_from(Customer)).one()
        if not present:
            started = time.perf_counter()
            seed_customers(session=session, customers=customers, companies=customers // 200, seed=1)
            print(f'seeded {customers:,} customers in {time.perf_counter() - started:.0f} s')
            present = customers
        ensure_admin(session)
    return present


if __name__ == '__main__':
    raise SystemExit(main())
