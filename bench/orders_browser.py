"""Benchmark: time until the orders list's first rows are visible in headless Chromium, at a million orders.

Reuses a SQLite database seeded by `bench/orders_list.py --sqlite-file F` (or seeds one), starts `python main.py` on
it, signs in once, then opens /orders again and again and prints, in ms, from the navigation to the first row on
screen: the first visit (cold) and the median and worst of the following visits (warm). Not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import app_server, chromium, ensure_admin, first_cell, sign_in, time_until  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=1_000_000)
    parser.add_argument('--sqlite-file', type=Path, help='seed here, or reuse it if it already holds orders')
    parser.add_argument('--runs', type=int, default=10, help='warm visits to time after the cold one')
    parser.add_argument('--width', type=int, default=1440, help='browser width (390 for a phone)')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-browser-'))
    url = f'sqlite:///{args.sqlite_file or work / "orders.db"}'
    total = seed_if_empty(url, args.orders)
    with app_server(url, work) as (base, _server):
        driver = chromium(work / 'profile', width=args.width)
        try:
            sign_in(driver, base)
            row = first_cell(2, str.isdigit)  # an order number
            cold = time_until(driver, f'{base}/orders', row)
            warm = [time_until(driver, f'{base}/orders', row) for _ in range(args.runs)]
        finally:
            driver.quit()
            shutil.rmtree(work / 'profile', ignore_errors=True)
    print(f'orders list, {total:,} orders, Chromium at {args.width} px wide')
    print(f'  rows visible, first visit (cold):   {cold:7.0f} ms')
    print(f'  rows visible, next visits (warm):   {statistics.median(warm):7.0f} ms median, '
          f'{max(warm):.0f} ms worst of {len(warm)}')
    return 0


def seed_if_empty(url: str, orders: int) -> int:
    from sqlmodel import func, select

    from backoffice import db
    from backoffice.models import Order
    from backoffice.seed_orders import seed_orders_for_benchmark
    db.configure(url)
    db.migrate()
    with db.read_session() as session:
        present = session.exec(select(func.count()).select_from(Order)).one()
    with db.session_scope() as session:
        if not present:
            print('\n'.join(seed_orders_for_benchmark(session=session, orders=orders)))
            present = orders
        ensure_admin(session)
    return present


if __name__ == '__main__':
    raise SystemExit(main())
