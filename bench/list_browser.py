"""Benchmark: time until a list's first rows are visible in headless Chromium, Backoffice beside a bare NiceGUI page.

Seeds (or reuses) a SQLite database of orders (and their customers), starts `python main.py` on it and, beside it,
`bench/bare_list.py` (a bare NiceGUI app whose /orders and /customers show the same first 25 rows in a plain ui.table:
the framework's floor), signs in once, then, interleaved in one run — for each round, each width (390 and 1440 px),
each list, Backoffice then the bare page — times from the navigation's start to the first row on screen (a table cell,
or at 390 px Backoffice's first card), by the page's own clock: a cold visit (the browser's cache emptied first) and a
warm one. Prints medians, p95 and the ratio Backoffice ÷ bare, with the load average; `--before DIR` times another
checkout in the same rounds. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import ROOT, app_server, chromium, ensure_admin, free_port, sign_in, wait_healthy  # noqa: E402

# list → what its first row's text holds once the rows are there (the same test for both apps)
LISTS = {
    'orders': lambda text: any(part.isdigit() for part in text.split()),  # an order number
    'customers': lambda text: '@' in text,  # an email address
}

# the first data row's text: Backoffice's first card at phone width, else the table's first body row
FIRST_ROW_JS = """
const card = document.querySelector('.bo-card-title');
if (card && card.offsetParent !== null && card.textContent.trim()) return card.textContent;
const row = document.querySelector('.q-table tbody tr');
return row ? row.innerText : null;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--lists', nargs='+', choices=sorted(LISTS), default=['orders', 'customers'])
    parser.add_argument(
        '--rows',
        type=int,
        default=100_000,
        help='orders to seed into an empty file (and a tenth as '
        'many customers); the lists are keyset-paged, so the size matters little',
    )
    parser.add_argument('--sqlite-file', type=Path, help='seed here, or reuse it if it already holds orders')
    parser.add_argument('--runs', type=int, default=10, help='rounds; each times every list cold and warm')
    parser.add_argument('--widths', type=int, nargs='+', default=[390, 1440], help='browser widths')
    parser.add_argument('--server-log', type=Path, help="where Backoffice's output goes")
    parser.add_argument(
        '--before',
        type=Path,
        help='another checkout of Backoffice (e.g. `git worktree add --detach /tmp/before main`), served too on a copy '
        'of the database and timed in the same rounds: before/after interleaved',
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-browser-'))
    database = args.sqlite_file or work / 'orders.db'
    total = seed_if_empty(f'sqlite:///{database}', args.rows)
    print(f'{total:,} orders; load average before: {loadavg()}', flush=True)
    times: dict[tuple, list[float]] = defaultdict(list)
    firsts: dict[tuple, float] = {}
    apps = ['backoffice', 'bare'] + (['before'] if args.before else [])
    with ExitStack() as running:
        base, _server = running.enter_context(app_server(f'sqlite:///{database}', work, log=args.server_log))
        roots = {'backoffice': base, 'bare': running.enter_context(bare_server(database))}
        if args.before:
            copy_database(database, work / 'before.db')
            before, _ = running.enter_context(
                app_server(f'sqlite:///{work / "before.db"}', work / 'before', script=str(args.before / 'main.py'))
            )
            roots['before'] = before.replace('127.0.0.1', 'localhost')  # cookies are per host, not per port
        driver = chromium(work / 'profile', width=1440, height=900)
        watch_first_row(driver)
        try:
            for root in [base, roots.get('before')]:
                if root:
                    sign_in(driver, root)
            for round_ in range(args.runs + 1):  # round 0: each page's first visit since its server started
                for width in args.widths:
                    driver.set_window_size(width, 900)
                    for root in [base, roots.get('before')]:
                        if root:  # the width this browser reported on its last page there (components/viewport.py)
                            driver.execute_cdp_cmd(
                                'Network.setCookie', {'name': 'bo_width', 'value': str(width), 'url': root}
                            )
                    for name in args.lists:
                        for app in apps:
                            root = roots[app]
                            for temperature in ('cold', 'warm'):
                                if temperature == 'cold':
                                    driver.execute_cdp_cmd('Network.clearBrowserCache', {})
                                took = time_until_first_row(driver, f'{root}/{name}', LISTS[name])
                                key = (name, width, temperature, app)
                                if round_ == 0:
                                    firsts.setdefault(key, took)
                                else:
                                    times[key].append(took)
        finally:
            driver.quit()
            shutil.rmtree(work / 'profile', ignore_errors=True)
    report(args, apps, times, firsts)
    print(f'load average after: {loadavg()}')
    return 0


def time_until_first_row(driver, url: str, looks_right, timeout: float = 60) -> float:
    """Milliseconds from the navigation's start until the page's first data row shows text that looks right, by the
    page's own clock (WATCH_JS notes the moment): `driver.get` waits for the load event, which may come after."""
    started = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - started < timeout:
        text, moment = driver.execute_script('return [window.__firstRowText, window.__firstRowAt]')
        if text and looks_right(text.strip()):
            return moment
        time.sleep(0.005)
    raise SystemExit(f'no row at {url} after {timeout} s')


def watch_first_row(driver) -> None:
    """Every page the browser opens from now on notes when its first data row appears (performance.now(): ms since
    the navigation started), checked on every DOM change and every 5 ms."""
    driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': WATCH_JS})


WATCH_JS = (
    '(() => { const first = () => {' + FIRST_ROW_JS + '};'
    r"""
  const check = () => {
    if (window.__firstRowAt !== undefined) return;
    const text = first();
    if (text && (text.includes('@') || /\d/.test(text))) {
      window.__firstRowAt = performance.now(); window.__firstRowText = text;
      observer.disconnect(); clearInterval(timer);
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, characterData: true });
  const timer = setInterval(check, 5);
})();"""
)


def report(args, apps: list[str], times: dict[tuple, list[float]], firsts: dict[tuple, float]) -> None:
    print(f'\nfirst row visible, ms: median / p95 of {args.runs} (first visit after start in brackets)')
    titles = {'backoffice': 'Backoffice', 'bare': 'bare NiceGUI', 'before': 'before'}
    ratios = ' '.join(f'{"÷ bare" if a == "backoffice" else "before÷bare":>11}' for a in apps if a != 'bare')
    print(f'{"list":10} {"width":>5} {"visit":5} ' + ' '.join(f'{titles[a]:>22}' for a in apps) + f' {ratios}')
    for name in args.lists:
        for width in args.widths:
            for temperature in ('cold', 'warm'):
                shown = {}
                for app in apps:
                    values = sorted(times[(name, width, temperature, app)])
                    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
                    shown[app] = (statistics.median(values), p95, firsts.get((name, width, temperature, app), 0))
                cells = ' '.join(f'{f"{m:6.0f} / {p:5.0f} [{f:5.0f}]":>22}' for m, p, f in shown.values())
                ratio = ' '.join(f'{shown[a][0] / shown["bare"][0]:11.2f}' for a in apps if a != 'bare')
                print(f'{name:10} {width:5} {temperature:5} {cells} {ratio}')


def copy_database(source: Path, target: Path) -> None:
    """A whole copy of a SQLite file, what its write-ahead log holds included (a file copy leaves the log behind: the
    bench's admin, written after the seed, was missing from the copy and signing in failed)."""
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)


def loadavg() -> str:
    return ' '.join(Path('/proc/loadavg').read_text().split()[:3])


class bare_server:
    """bench/bare_list.py on a free port over the same database; yields its base URL."""

    def __init__(self, database: Path) -> None:
        self.database = database

    def __enter__(self) -> str:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(('BACKOFFICE_', 'PYTEST', 'NICEGUI'))}
        env.update(BARE_DATABASE=str(self.database), BARE_PORT=str(port), PYTHONUNBUFFERED='1')
        self.server = subprocess.Popen(
            [sys.executable, 'bench/bare_list.py'],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        base = f'http://127.0.0.1:{port}'
        wait_healthy(f'{base}/healthz', timeout=180)
        return base

    def __exit__(self, *_exc) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.server.kill()


def seed_if_empty(url: str, orders: int) -> int:
    """Orders (with a tenth as many customers, a catalogue, lines, payments…) seeded once into an empty database."""
    from sqlalchemy import text

    from backoffice import db

    db.configure(url)
    db.migrate()
    with db.read_session() as session:
        present = session.execute(text('SELECT count(*) FROM orders')).scalar_one()
    with db.session_scope() as session:
        if not present:
            from backoffice.seed.orders import seed_orders_for_benchmark

            started = time.perf_counter()
            print('\n'.join(seed_orders_for_benchmark(session=session, orders=orders)))
            print(f'seeded {orders:,} orders in {time.perf_counter() - started:.0f} s')
            present = orders
        ensure_admin(session)
    return present


if __name__ == '__main__':
    raise SystemExit(main())
