"""What the benchmarks share: timing a call, the bench admin, `main.py` served on a free port, headless Chromium."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
)
EMAIL, PASSWORD = 'bench.admin@example.com', 'Bench-Admin-Pass-2931'


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median and 90th percentile in ms of `runs` calls after two warm-up calls, and the first call's result."""
    result = call()
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))], result


def ensure_admin(session, email: str = EMAIL, password: str = PASSWORD) -> None:
    """The admin the browser benchmarks sign in as, created once per database."""
    from backoffice.services import users

    if not users.count_users(session=session):
        users.create_user(
            session=session,
            actor=None,
            system=True,
            data={'email': email, 'name': 'Bench Admin', 'role': 'admin', 'password': password},
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f'the server did not answer at {url}')


@contextmanager
def app_server(
    database_url: str,
    work: Path,
    *,
    script: str = 'main.py',
    env: dict[str, str] | None = None,
    log: Path | None = None,
    root: Path = ROOT,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`python main.py` (or a wrapper script) on a free port over the database, scheduler off; yields its base URL.
    `root`: the checkout it runs from (another one than this, for a before/after comparison)."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(('BACKOFFICE_', 'PYTEST', 'NICEGUI'))}
    clean.update(
        BACKOFFICE_DATABASE_URL=database_url,
        BACKOFFICE_PORT=str(port),
        BACKOFFICE_DATA_DIR=str(work / 'data'),
        BACKOFFICE_STORAGE_SECRET='bench-storage-secret-0123456789',
        BACKOFFICE_SCHEDULER='0',
        PYTHONUNBUFFERED='1',
    )
    clean.update(env or {})  # the caller's settings win (e.g. the scheduler on)
    out = log.open('wb') if log else subprocess.DEVNULL
    server = subprocess.Popen([sys.executable, script], cwd=root, env=clean, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f'http://127.0.0.1:{port}'
        wait_healthy(f'{base}/healthz', timeout=180)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if log:
            out.close()


def chromium(profile: Path, *, width: int = 1440, height: int = 900, nice: int = 0):
    """Headless Debian Chromium with its own profile; `nice` lowers its priority (the server gets the CPU first)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    if nice:  # a wrapper: chromedriver starts it with Chromium's arguments
        wrapper = profile.parent / f'{profile.name}-chromium-niced'
        wrapper.write_text(f'#!/bin/sh\nexec nice -n {nice} /usr/bin/chromium "$@"\n')
        wrapper.chmod(0o755)
        options.binary_location = str(wrapper)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={profile}')
    options.add_argument(f'--window-size={width},{height}')
    return webdriver.Chrome(options=options, service=Service('/usr/bin/chromedriver'))


def sign_in(driver, base: str, email: str = EMAIL, password: str = PASSWORD) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f'{base}/login')
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'input[type=email]'))
    driver.find_element(By.CSS_SELECTOR, 'input[type=email]').send_keys(email)
    driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(password)
    driver.find_element(By.XPATH, '//button[normalize-space(.)="Log in"]').click()
    WebDriverWait(driver, 30).until(lambda d: '/login' not in d.current_url)


def time_until(driver, url: str, shown: Callable[[Any], bool], timeout: float = 30) -> float:
    """Milliseconds from asking for the page until `shown(driver)` holds."""
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, timeout, poll_frequency=0.005).until(shown)
    return (time.perf_counter() - started) * 1000


def first_cell(column: int, looks_right: Callable[[str], bool]) -> Callable[[Any], bool]:
    """A `shown` test: the first data row's cell in `column` (1-based) holds text that looks right."""
    from selenium.webdriver.common.by import By

    def shown(driver) -> bool:
        cells = driver.find_elements(By.CSS_SELECTOR, f'.q-table tbody tr td:nth-child({column})')
        return bool(cells) and looks_right(cells[0].text.strip())

    return shown


def add_database_options(parser, noun: str) -> None:
    """The options every list benchmark takes: where its database is, whether to reuse it, how many timed runs."""
    parser.add_argument(
        '--database-url',
        help='an empty database, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench; default: a new SQLite file',
    )
    parser.add_argument('--sqlite-file', type=Path, help='where the SQLite database goes (default: a temporary file)')
    parser.add_argument('--reuse', action='store_true', help='measure a database seeded by an earlier run as it is')
    parser.add_argument('--runs', type=int, default=20, help='timed runs per figure (the median is shown)')
    parser.add_argument('--seed', type=int, default=1)
    parser.set_defaults(noun=noun)


def open_database(args, table: str) -> tuple[Any, int]:
    """Configures and migrates the benchmark's database; returns (engine, rows already in `table`) or exits with 2 when
    it holds rows and --reuse was not given."""
    import tempfile

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from backoffice import db

    url = args.database_url or f'sqlite:///{args.sqlite_file or Path(tempfile.mkdtemp()) / f"{table}.db"}'
    engine = db.configure(url)
    db.migrate(engine)
    with db.read_session() as session:
        present = session.execute(text(f'SELECT count(*) FROM {table}')).scalar_one()
    print(f'Database: {make_url(url).render_as_string(hide_password=True)}')
    if present and not args.reuse:
        print(f'It already holds {present:,} {args.noun}: use an empty database, or --reuse to measure it as it is.')
        raise SystemExit(2)
    return engine, present


def analyze_after_load(engine, *tables: str) -> None:
    """On PostgreSQL, what autovacuum would do soon after a bulk load (fresh statistics for the planner)."""
    from sqlalchemy import text

    if engine.dialect.name == 'postgresql':
        with engine.connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
            for table in tables:
                connection.execute(text(f'VACUUM ANALYZE {table}'))


# the list benchmarks' targets: a page's server work, and the last page against the first
LIST_TARGET_MS = 50.0
LAST_OVER_FIRST = 1.5


def list_report(figures: list[tuple[str, Callable[[], Any], str]], runs: int, headline: list[str]) -> str:
    """A list benchmark's table (label, median, p90, what came back, what was asked) and its verdicts: the slowest of
    the `headline` figures against LIST_TARGET_MS, 'last page' over 'first page, default sort' against
    LAST_OVER_FIRST (and over 'first page, count reused', both reading alone)."""
    results = {label: timed(call, runs) for label, call, _ in figures}
    lines = [f'{"":28} {"median":>8} {"p90":>8}   {"result":<24} {"what"}']
    for label, _, what in figures:
        median, p90, result = results[label]
        lines.append(f'{label:28} {median:7.1f}ms {p90:7.1f}ms   {describe(result):<24} {what}')
    slowest = max(results[label][0] for label in headline)
    ratio = results['last page'][0] / results['first page, default sort'][0]
    like_for_like = results['last page'][0] / results['first page, count reused'][0]
    lines += [
        '',
        f'Slowest headline figure: {slowest:.1f} ms (target < {LIST_TARGET_MS:.0f} ms): '
        f'{"met" if slowest < LIST_TARGET_MS else "MISSED"}',
        f'Last page / first page: {ratio:.2f} (target <= {LAST_OVER_FIRST}): '
        f'{"met" if ratio <= LAST_OVER_FIRST else "MISSED"}; '
        f'reads alone (both reusing the count): {like_for_like:.2f}',
    ]
    return '\n'.join(lines)


def describe(result: Any) -> str:
    """A list page ('25 rows of 1,000,000') or a count (total, exact) as the tables show it."""
    from backoffice.listing import query

    if isinstance(result, query.Page):
        return f'{len(result.rows)} rows of {"" if result.exact else "~"}{result.total:,}'
    total, exact = result
    return f'{"" if exact else "~"}{total:,}{"" if exact else " (estimate)"}'
