"""The server's memory (issue #20): RSS idle, per connected page, after the pages close, and over a soak.

Seeds (or reuses) a SQLite database — orders as `seed --orders N` does (customers, catalogue, lines, payments,
invoices, shipments), a few thousand requests, the bench admin — starts `python main.py` on it and reads the server's
resident memory (VmRSS from /proc/PID/status, its child processes added if it has any):

1. idle after start; then warm: after one signed-in visit of each page kind (so that the modules and caches a first
   page loads are in the baseline), the visiting window left on about:blank;
2. with 1, 10 and 20 connected pages open in one headless Chromium (windows, signed in as the admin), a mix of
   /requests, /orders and the dashboard (/) in turn; the MiB per connected page over the warm baseline, and the
   marginal MiB per page from 10 to 20;
3. after the pages are closed (their NiceGUI clients deleted once the reconnect timeout has passed); with `--cycles N`,
   then N times `--soak-pages` pages opened and closed, RSS after each (reused memory stays flat, kept memory steps up);
4. a soak: 10 pages open again while the front office POSTs requests (`POST /api/requests`, one every
   `--request-every` seconds) and event batches (`POST /api/events`, `--batch` events every `--events-every` seconds)
   for `--minutes`, RSS sampled every `--sample-every` seconds: the curve (start, after 5 minutes, max, end) and the
   least-squares slope over the second half (MiB per hour), which says whether it stays flat.

`--tracemalloc` runs the server through bench/_memory_probe.py (tracemalloc on, a snapshot written on SIGUSR1) and
prints the 15 largest growths between the soak's start and end (tracemalloc itself costs memory and CPU: the RSS
figures of such a run are not the ones to keep). Not a test: nothing is asserted.

    .venv/bin/python bench/memory_soak.py --sqlite-file /tmp/soak.db --minutes 30
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from backoffice import db  # noqa: E402
from bench._harness import app_server, chromium, ensure_admin, sign_in  # noqa: E402

MiB = 1024 * 1024
PAGES = ('/requests', '/orders', '/')  # opened in turn
COUNTS = (1, 10, 20)


# --- the database -----------------------------------------------------------------------------------------------------


def seed_if_empty(url: str, orders: int, requests: int, seed: int) -> None:
    from backoffice.models import Order, Ticket, User
    from backoffice.seed.orders import seed_orders_for_benchmark
    from backoffice.seed.people import big_page_cache
    from bench.requests_live import ticket_row

    engine = db.configure(url)
    db.migrate(engine)
    with db.session_scope() as session:
        if session.execute(select(func.count()).select_from(Order)).scalar_one():
            print('The database is seeded already: measuring it as it is.')
            return
        started = time.perf_counter()
        for line in seed_orders_for_benchmark(session=session, orders=orders, seed=seed):
            print(line)
        ensure_admin(session)
        session.flush()
        customers = list(session.execute(text('SELECT id FROM customers ORDER BY id')).scalars())
        agents = list(session.execute(select(User.id)).scalars())
        rng = random.Random(seed)
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        with big_page_cache(session):
            rows = [ticket_row(rng, index, requests, now, customers, agents) for index in range(requests)]
            for chunk in range(0, len(rows), 10_000):
                session.execute(insert(Ticket.__table__), rows[chunk : chunk + 10_000])
        session.commit()
    with engine.begin() as connection:
        connection.execute(text('ANALYZE'))
    print(f'Seeded {orders:,} orders and {requests:,} requests in {time.perf_counter() - started:.1f} s')


def api_secrets(url: str) -> tuple[str, str]:
    """A requests:write key and an events:write key."""
    from backoffice.services import api_keys

    db.configure(url)
    with db.session_scope() as session:
        requests_key = api_keys.create_key(
            session=session, actor=None, system=True, name='Soak requests', scopes=['requests:write']
        )[1]
        events_key = api_keys.create_key(
            session=session, actor=None, system=True, name='Soak events', scopes=['events:write']
        )[1]
    return requests_key, events_key


# --- memory -----------------------------------------------------------------------------------------------------------


def tree(pid: int) -> list[int]:
    """The process and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / 'stat').read_text().rsplit(')', 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def rss(pid: int) -> int:
    """VmRSS of the process and its children, in bytes."""
    total = 0
    for each in tree(pid):
        try:
            for line in Path(f'/proc/{each}/status').read_text().splitlines():
                if line.startswith('VmRSS:'):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


# NiceGUI keeps a closed page's client for main.py's reconnect_timeout (30 s: a dropped connection comes back to
# the same page), then deletes it: memory after closing is read once that window has passed, not within it
CLOSED_WAIT = 40.0


def settled(pid: int, wait: float = 8.0, samples: int = 3) -> int:
    """RSS after `wait` seconds, the median of a few samples a second apart."""
    time.sleep(wait)
    values = []
    for _ in range(samples):
        values.append(rss(pid))
        time.sleep(1)
    return int(statistics.median(values))


def loadavg() -> str:
    return ' '.join(Path('/proc/loadavg').read_text().split()[:3])


# --- the pages --------------------------------------------------------------------------------------------------------


def connected(driver) -> bool:
    return bool(driver.execute_script('return !!(window.socket && window.did_handshake)'))


def open_page(driver, base: str, path: str, first: bool) -> str:
    if not first:
        driver.switch_to.new_window('window')
    driver.get(f'{base}{path}')
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.q-page, .nicegui-content'))
    WebDriverWait(driver, 60).until(connected)
    return driver.current_window_handle


def close_pages(driver, handles: list[str], keep: str) -> None:
    for handle in handles:
        if handle == keep:
            driver.switch_to.window(handle)
            driver.get('about:blank')
        else:
            driver.switch_to.window(handle)
            driver.close()
    driver.switch_to.window(keep)


# --- the front office -------------------------------------------------------------------------------------------------


def front_office(base: str, keys: tuple[str, str], until: float, args, counts: dict[str, int]) -> None:
    """Requests and event batches at a steady rate until `until`."""
    requests_key, events_key = keys
    rng = random.Random(7)
    next_request = next_events = time.monotonic()
    sequence = 0
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            now = time.monotonic()
            if now >= next_request:
                next_request += args.request_every
                sequence += 1
                payload = {
                    'email': f'soak.customer{rng.randrange(500)}@example.com',
                    'name': 'Soak Customer',
                    'subject': f'SOAK-{sequence} Where is my parcel?',
                    'body': 'Posted by bench/memory_soak.py.',
                    'type': 'question',
                }
                try:
                    answer = http.post(
                        '/api/requests', json=payload, headers={'Authorization': f'Bearer {requests_key}'}
                    )
                    counts[f'requests {answer.status_code}'] = counts.get(f'requests {answer.status_code}', 0) + 1
                except httpx.HTTPError:
                    counts['requests failed'] = counts.get('requests failed', 0) + 1
            if now >= next_events:
                next_events += args.events_every
                stamp = datetime.now(UTC).isoformat()
                tag = uuid.uuid4().hex[:10]
                events = ','.join(
                    f'{{"id":"soak-{tag}-{n}","type":"page_view","ts":"{stamp}","anonymous_id":"a-{n % 97}",'
                    f'"session_id":"s-{tag}","props":{{"path":"/p/{n % 40}"}}}}'
                    for n in range(args.batch)
                )
                try:
                    answer = http.post(
                        '/api/events',
                        content=('{"events":[' + events + ']}').encode(),
                        headers={'Authorization': f'Bearer {events_key}', 'Content-Type': 'application/json'},
                    )
                    counts[f'events {answer.status_code}'] = counts.get(f'events {answer.status_code}', 0) + 1
                except httpx.HTTPError:
                    counts['events failed'] = counts.get('events failed', 0) + 1
            time.sleep(max(0.05, min(next_request, next_events) - time.monotonic()))


def slope_mib_per_hour(points: list[tuple[float, int]]) -> float:
    if len(points) < 2:
        return 0.0
    xs = [t / 3600 for t, _ in points]
    ys = [v / MiB for _, v in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def snapshot(server, work: Path, name: str) -> Path | None:
    target = work / f'{name}.tracemalloc'
    (work / 'snapshot-target').write_text(str(target))
    os.kill(server.pid, signal.SIGUSR1)
    for _ in range(600):
        if target.exists() and not (work / 'snapshot-target').exists():
            return target
        time.sleep(0.5)
    return None


def alive(server, work: Path) -> str:
    """How many NiceGUI clients and elements the server holds (bench/_memory_probe.py answers SIGUSR2)."""
    counts = work / 'counts'
    counts.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR2)
    for _ in range(120):
        if counts.exists() and counts.read_text().strip():
            clients, elements = counts.read_text().split()
            return f'{clients} NiceGUI clients, {elements} elements alive'
        time.sleep(0.5)
    return 'no count'


def growth(first: Path, last: Path) -> str:
    import tracemalloc

    before, after = tracemalloc.Snapshot.load(str(first)), tracemalloc.Snapshot.load(str(last))
    lines = ['Largest growths between the soak start and end (tracemalloc, by line):']
    for stat in after.compare_to(before, 'lineno')[:15]:
        lines.append(f'  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {stat.traceback}')
    return '\n'.join(lines)


# --- main -------------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sqlite-file', type=Path, help='the SQLite file (default: a temporary one); seeded if empty')
    parser.add_argument('--orders', type=int, default=20_000, help='orders to seed (default 20,000)')
    parser.add_argument('--requests', type=int, default=5_000, help='requests to seed (default 5,000)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--minutes', type=float, default=30, help='soak length (default 30; 0: no soak)')
    parser.add_argument('--soak-pages', type=int, default=10, help='pages open during the soak (default 10)')
    parser.add_argument('--request-every', type=float, default=6.0, help='seconds between two POSTed requests')
    parser.add_argument('--events-every', type=float, default=2.0, help='seconds between two event batches')
    parser.add_argument('--batch', type=int, default=100, help='events per batch (default 100)')
    parser.add_argument(
        '--cycles', type=int, default=0, help='after (c), open and close --soak-pages pages this many times'
    )
    parser.add_argument('--sample-every', type=float, default=30.0, help='seconds between two RSS samples')
    parser.add_argument('--scheduler', action='store_true', help="with the app's scheduled jobs (default: off)")
    parser.add_argument('--tracemalloc', action='store_true', help='the server under tracemalloc; the soak growth')
    parser.add_argument(
        '--count-clients', action='store_true', help='after closing pages, also how many NiceGUI clients/elements live'
    )
    parser.add_argument('--nice', type=int, default=0, help='run Chromium at this niceness')
    parser.add_argument('--server-log', type=Path, help='keep the server output here')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-memory-'))
    url = f'sqlite:///{args.sqlite_file or work / "soak.db"}'
    seed_if_empty(url, args.orders, args.requests, args.seed)
    keys = api_secrets(url)
    env = {'BACKOFFICE_SCHEDULER': '1' if args.scheduler else '0'}
    script = 'main.py'
    if args.tracemalloc or args.count_clients:
        script = 'bench/_memory_probe.py'
        env['BENCH_MEMORY_SNAPSHOT_TARGET'] = str(work / 'snapshot-target')
        env['BENCH_MEMORY_TRACEMALLOC'] = '1' if args.tracemalloc else '0'
        env['BENCH_MEMORY_COUNTS'] = str(work / 'counts')
    log = args.server_log or work / 'server.log'
    print(f'load average at start: {loadavg()}', flush=True)
    figures: dict[str, int] = {}
    driver = None
    with app_server(url, work, script=script, env=env, log=log) as (base, server):
        try:
            pid = server.pid
            figures['idle'] = settled(pid, wait=5)
            print(f'(a) idle after start: {figures["idle"] / MiB:.1f} MiB', flush=True)
            driver = chromium(work / 'profile', nice=args.nice)
            sign_in(driver, base)
            first = driver.current_window_handle
            for path in PAGES:  # warm: each page kind once, then nothing open
                open_page(driver, base, path, first=True)
            driver.get('about:blank')
            figures['warm'] = settled(pid, wait=10)
            print(f'    warm (each page visited once, none open): {figures["warm"] / MiB:.1f} MiB', flush=True)

            handles: list[str] = []
            for count in COUNTS:
                while len(handles) < count:
                    path = PAGES[len(handles) % len(PAGES)]
                    handles.append(open_page(driver, base, path, first=not handles))
                figures[f'pages {count}'] = settled(pid, wait=10)
                per_page = (figures[f'pages {count}'] - figures['warm']) / count / MiB
                print(
                    f'(b) {count:2d} connected pages: {figures[f"pages {count}"] / MiB:.1f} MiB, '
                    f'{per_page:.2f} MiB per page over warm  [load {loadavg()}]',
                    flush=True,
                )
            marginal = (figures['pages 20'] - figures['pages 10']) / 10 / MiB
            print(f'    marginal from 10 to 20 pages: {marginal:.2f} MiB per page', flush=True)
            close_pages(driver, handles, keep=first)
            figures['closed'] = settled(pid, wait=CLOSED_WAIT)
            print(f'(c) pages closed ({CLOSED_WAIT:g} s later): {figures["closed"] / MiB:.1f} MiB', flush=True)
            if args.count_clients:
                print(f'    {alive(server, work)}', flush=True)
            for cycle in range(args.cycles):  # is a closed page's memory reused? (flat) or kept? (steps up)
                handles = [open_page(driver, base, PAGES[i % len(PAGES)], first=i == 0) for i in range(args.soak_pages)]
                close_pages(driver, handles, keep=first)
                print(
                    f'    cycle {cycle + 1}: {args.soak_pages} pages opened and closed, then '
                    f'{settled(pid, wait=CLOSED_WAIT) / MiB:.1f} MiB  [load {loadavg()}]',
                    flush=True,
                )
                if args.count_clients:
                    print(f'    {alive(server, work)}', flush=True)

            if args.minutes > 0:
                handles = []
                for index in range(args.soak_pages):
                    handles.append(open_page(driver, base, PAGES[index % len(PAGES)], first=not handles))
                start_snapshot = snapshot(server, work, 'start') if args.tracemalloc else None
                counts: dict[str, int] = {}
                started = time.monotonic()
                until = started + args.minutes * 60
                poster = threading.Thread(target=front_office, args=(base, keys, until, args, counts), daemon=True)
                poster.start()
                curve: list[tuple[float, int]] = [(0.0, rss(pid))]
                print(
                    f'(d) soak: {args.soak_pages} pages, a request every {args.request_every:g} s, '
                    f'{args.batch} events every {args.events_every:g} s, {args.minutes:g} min',
                    flush=True,
                )
                print(f'    {0:6.1f} min {curve[0][1] / MiB:8.1f} MiB  [load {loadavg()}]', flush=True)
                while time.monotonic() < until:
                    time.sleep(min(args.sample_every, max(0.0, until - time.monotonic())))
                    point = (time.monotonic() - started, rss(pid))
                    curve.append(point)
                    print(
                        f'    {point[0] / 60:6.1f} min {point[1] / MiB:8.1f} MiB  [load {loadavg()}] {counts}',
                        flush=True,
                    )
                poster.join(timeout=60)
                end_snapshot = snapshot(server, work, 'end') if args.tracemalloc else None
                print(soak_report(curve, counts))
                if start_snapshot and end_snapshot:
                    print(growth(start_snapshot, end_snapshot))
        finally:
            if driver is not None:
                driver.quit()
            shutil.rmtree(work / 'profile', ignore_errors=True)
    print(f'load average at the end: {loadavg()}')
    problems = [line for line in log.read_text(errors='replace').splitlines() if 'Traceback' in line]
    print(f'server log: {len(problems)} tracebacks ({log})')
    return 0


def soak_report(curve: list[tuple[float, int]], counts: dict[str, int]) -> str:
    values = [v for _, v in curve]
    at5 = next((v for t, v in curve if t >= 300), values[-1])
    second_half = [(t, v) for t, v in curve if t >= curve[-1][0] / 2]
    slope = slope_mib_per_hour(second_half)
    flat = slope < 10.0 and (values[-1] - at5) / MiB < 5
    return '\n'.join(
        [
            f'Soak: start {values[0] / MiB:.1f} MiB, after 5 min {at5 / MiB:.1f}, max {max(values) / MiB:.1f}, '
            f'end {values[-1] / MiB:.1f} MiB ({len(values)} samples)',
            f'      end − after 5 min: {(values[-1] - at5) / MiB:+.1f} MiB; slope over the second half '
            f'{slope:+.1f} MiB/h -> {"flat" if flat else "GROWING"}',
            f'      front office: {counts}',
        ]
    )


if __name__ == '__main__':
    raise SystemExit(main())
