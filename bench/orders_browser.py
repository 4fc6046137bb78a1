"""Benchmark: time until the orders list's first rows are visible in headless Chromium, at a million orders.

Reuses a SQLite database seeded by `bench/orders_list.py --sqlite-file F` (or seeds one), starts `python main.py` on
it, signs in once, then opens /orders again and again and prints, in ms, from the navigation to the first row on
screen: the first visit (cold) and the median and worst of the following visits (warm). Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from bench.customers_browser import EMAIL, FLAGS, PASSWORD, free_port, wait_healthy  # noqa: E402


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
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('BACKOFFICE_', 'PYTEST', 'NICEGUI'))}
    env.update(BACKOFFICE_DATABASE_URL=url, BACKOFFICE_PORT=str(port), BACKOFFICE_DATA_DIR=str(work / 'data'),
               BACKOFFICE_STORAGE_SECRET='bench-storage-secret-0123456789', BACKOFFICE_SCHEDULER='0')
    server = subprocess.Popen([sys.executable, 'main.py'], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    driver = None
    try:
        wait_healthy(f'http://127.0.0.1:{port}/healthz')
        options = webdriver.ChromeOptions()
        options.binary_location = '/usr/bin/chromium'
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f'--user-data-dir={work / "profile"}')
        options.add_argument(f'--window-size={args.width},900')
        driver = webdriver.Chrome(options=options, service=Service('/usr/bin/chromedriver'))
        base = f'http://127.0.0.1:{port}'
        driver.get(f'{base}/login')
        driver.find_element(By.CSS_SELECTOR, 'input[type=email]').send_keys(EMAIL)
        driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(PASSWORD)
        driver.find_element(By.XPATH, '//button[.//*[normalize-space(text())="Log in"]]').click()
        WebDriverWait(driver, 30).until(lambda d: d.current_url.rstrip('/') == base)

        cold = visit(driver, f'{base}/orders')
        warm = [visit(driver, f'{base}/orders') for _ in range(args.runs)]
        print(f'orders list, {total:,} orders, Chromium at {args.width} px wide')
        print(f'  rows visible, first visit (cold):   {cold:7.0f} ms')
        print(f'  rows visible, next visits (warm):   {statistics.median(warm):7.0f} ms median, '
              f'{max(warm):.0f} ms worst of {len(warm)}')
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work / 'profile', ignore_errors=True)
    return 0


def visit(driver, url: str) -> float:
    """From asking for the page to its first data row (an order number) on screen."""
    start = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, 30, poll_frequency=0.005).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'tbody tr td:nth-child(2)')
        and d.find_elements(By.CSS_SELECTOR, 'tbody tr td:nth-child(2)')[0].text.strip().isdigit())
    return (time.perf_counter() - start) * 1000


def seed_if_empty(url: str, orders: int) -> int:
    from sqlmodel import func, select

    from backoffice import db
    from backoffice.models import Order
    from backoffice.seed_orders import seed_orders_for_benchmark
    from backoffice.services import users
    db.configure(url)
    db.migrate()
    with db.read_session() as session:
        present = session.exec(select(func.count()).select_from(Order)).one()
    if not present:
        with db.session_scope() as session:
            print('\n'.join(seed_orders_for_benchmark(session=session, orders=orders)))
        present = orders
    with db.session_scope() as session:
        if not users.count_users(session=session):
            users.create_user(session=session, actor=None, system=True,
                              data={'email': EMAIL, 'name': 'Bench Admin', 'role': 'admin', 'password': PASSWORD})
    return present


if __name__ == '__main__':
    raise SystemExit(main())
