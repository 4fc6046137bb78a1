"""Benchmark: the reconciliation screen (/finance/bank) in headless Chromium, on a database bank_import.py left (10,000
lines with their suggestions, 100,000 open invoices): from the navigation until the first line card's "Match" button
is on screen, the first visit (cold) and the median and worst of the next ones. Not a test: nothing is asserted."""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import EMAIL, PASSWORD, app_server, chromium, sign_in, time_until  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--sqlite-file', type=Path, help='the SQLite file bank_import.py --sqlite-file seeded')
    parser.add_argument('--database-url', help='or the PostgreSQL database bank_import.py --database-url seeded')
    parser.add_argument('--runs', type=int, default=10, help='warm visits to time after the cold one')
    parser.add_argument('--width', type=int, default=1440, help='browser width (390 for a phone)')
    args = parser.parse_args()
    if not (args.sqlite_file or args.database_url):
        parser.error('give --sqlite-file or --database-url')
    url = args.database_url or f'sqlite:///{args.sqlite_file}'
    lines = prepare(url)
    work = Path(tempfile.mkdtemp(prefix='bench-bank-browser-'))
    with app_server(url, work) as (base, _server):
        driver = chromium(work / 'profile', width=args.width, height=900)
        try:
            sign_in(driver, base)
            cold = time_until(driver, f'{base}/finance/bank', match_button_shown)
            warm = [time_until(driver, f'{base}/finance/bank', match_button_shown) for _ in range(args.runs)]
        finally:
            driver.quit()
            shutil.rmtree(work, ignore_errors=True)
    print(f'/finance/bank, {lines:,} bank lines, Chromium at {args.width} px wide')
    print(f'  first "Match" visible, first visit (cold):  {cold:7.0f} ms')
    print(
        f'  first "Match" visible, next visits (warm):  {statistics.median(warm):7.0f} ms median, '
        f'{max(warm):.0f} ms worst of {len(warm)}'
    )
    print(f'load average: {Path("/proc/loadavg").read_text().split()[0]} at the end (other jobs share the machine)')
    return 0


def prepare(url: str) -> int:
    """The admin the browser signs in as (added once), and how many lines the screen has to choose from."""
    from sqlalchemy import text
    from sqlmodel import select

    from backoffice import db
    from backoffice.models import User
    from backoffice.services import users

    db.configure(url)
    db.migrate()
    with db.session_scope() as session:
        if session.exec(select(User.id).where(User.email == EMAIL)).first() is None:
            users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': EMAIL, 'name': 'Bench Admin', 'role': 'admin', 'password': PASSWORD},
            )
        return int(session.execute(text('SELECT count(*) FROM bank_lines')).scalar_one())


def match_button_shown(driver) -> bool:
    """The first unmatched line's card with its one-click "Match" (the screen opens on lines to reconcile)."""
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.XPATH, '//button[.//span[normalize-space(.)="Match"]]'))


if __name__ == '__main__':
    raise SystemExit(main())
