"""Usage-event ingestion (issue #20): N clients POST batches of events to the real app for T seconds, while a person
opens pages and the KPI refresh runs.

Starts `python main.py` (its scheduled jobs on, as in production) on a fresh database (a SQLite file in WAL by
default, or `--database-url`) with a few thousand customers, one API key per client (each key has its own rate limit,
as each shop front would) and an admin. Each client posts batches of `--batch` events (`visit` and other types, one in
five with a known customer's email) as fast as it is answered. Meanwhile a prober loads `/healthz` and a signed-in
list page (the admin's cookie from one Chromium sign-in; `--no-browser`: the sign-in page instead) twice a second,
and `python -m backoffice kpi-refresh` runs every `--refresh-every` seconds (another process, as the CLI would).

Prints events/s, per-batch p50/p95, status codes (no 500 allowed), the page times under load, each KPI refresh's time
(and the scheduler's own runs), /proc/loadavg, and the server's CPU time per batch (from /proc/PID/stat), so that a
quiet machine's rate can be estimated: 1000 ms / (CPU ms per batch) × batch is what one core could do. Not a test.

    .venv/bin/python bench/events_ingest.py --clients 4 --seconds 60
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import subprocess
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

from sqlalchemy import func, select  # noqa: E402

from backoffice import db  # noqa: E402
from bench._harness import EMAIL, PASSWORD, app_server, chromium, ensure_admin, sign_in  # noqa: E402

TYPES = ('visit', 'page_view', 'page_view', 'product_viewed', 'cart_add')  # weighted: mostly page views
Batch = tuple[int, float, int]  # status code (0: no answer), seconds, events accepted


def prepare(url: str, clients: int, customers: int) -> tuple[list[str], list[str]]:
    """Schema, customers, the admin and one events key per client; the keys' secrets and the customers' emails."""
    from backoffice.models import Customer
    from backoffice.seed.people import seed_customers
    from backoffice.services import api_keys

    engine = db.configure(url)
    db.migrate(engine)
    with db.session_scope() as session:
        seed_customers(session=session, customers=customers)
        ensure_admin(session)
    with db.read_session() as session:
        emails = list(session.execute(select(Customer.email).limit(customers)).scalars())
    secrets = []
    for index in range(clients):
        with db.session_scope() as session:
            _key, secret = api_keys.create_key(
                session=session, actor=None, system=True, name=f'Events client {index + 1}', scopes=('events:write',)
            )
            secrets.append(secret)
    engine.dispose()
    return secrets, emails


def event_types() -> tuple[str, ...]:
    from backoffice.models import EventType

    return tuple(t for t in TYPES if t in EventType.__members__) or ('visit',)


def batch_body(index: int, sequence: int, size: int, emails: list[str], rng: random.Random, types: tuple) -> bytes:
    """A batch as the snippet sends it; built as text so that the clients spend little of the shared CPU."""
    now = datetime.now(UTC).isoformat()
    tag = uuid.uuid4().hex[:8]
    items = []
    for n in range(size):
        email = f',"customer_email":"{rng.choice(emails)}"' if emails and n % 5 == 0 else ''
        items.append(
            f'{{"id":"{index}-{sequence}-{tag}-{n}","type":"{types[n % len(types)]}","ts":"{now}",'
            f'"anonymous_id":"a-{index}-{n % 97}","session_id":"s-{index}-{sequence}"{email},'
            f'"props":{{"path":"/p/{n % 40}"}}}}'
        )
    return ('{"events":[' + ','.join(items) + ']}').encode()


def client_loop(base: str, secret: str, index: int, until: float, size: int, emails: list[str], out: list) -> None:
    rng = random.Random(index)
    types = event_types()
    headers = {'Authorization': f'Bearer {secret}', 'Content-Type': 'application/json'}
    with httpx.Client(base_url=base, timeout=120) as http:
        sequence = 0
        while time.monotonic() < until:
            sequence += 1
            body = batch_body(index, sequence, size, emails, rng, types)
            started = time.perf_counter()
            try:
                answer = http.post('/api/events', content=body, headers=headers)
                status = answer.status_code
            except httpx.HTTPError:
                answer, status = None, 0
            took = time.perf_counter() - started
            accepted = answer.json().get('accepted', 0) if status == 202 and answer is not None else 0
            out.append((status, took, accepted))
            if status in (429, 503) and answer is not None:
                time.sleep(min(5.0, float(answer.headers.get('Retry-After', '1'))))


def page_probe(base: str, until: float, cookie: str | None, page: str, times: dict[str, list]) -> None:
    """A person opening pages while the load runs: /healthz and a list page (signed in), in turn, twice a second."""
    paths = ['/healthz', page if cookie else '/login']
    with httpx.Client(base_url=base, timeout=120, cookies={'session': cookie} if cookie else None) as http:
        turn = 0
        while time.monotonic() < until:
            path = paths[turn % len(paths)]
            turn += 1
            started = time.perf_counter()
            answer = http.get(path)
            took = time.perf_counter() - started
            ok = answer.status_code == 200 and (path == '/login' or '/login' not in str(answer.url))
            times[path if ok else f'{path} (failed: {answer.status_code} {answer.url.path})'].append(took)
            time.sleep(0.5)


def refresher(url: str, work: Path, until: float, every: float, runs: list[tuple[float, str]]) -> None:
    """The KPI refresh from the command line, every `every` seconds while the load runs."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith('BACKOFFICE_')},
        'BACKOFFICE_DATABASE_URL': url,
        'BACKOFFICE_DATA_DIR': str(work / 'data'),
        'BACKOFFICE_STORAGE_SECRET': 'bench-storage-secret-0123456789',
    }
    time.sleep(min(every, 10))
    while time.monotonic() + 2 < until:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, '-m', 'backoffice', 'kpi-refresh'], cwd=ROOT, env=env, capture_output=True, text=True
        )
        said = (done.stdout + done.stderr).strip().splitlines()
        runs.append((time.perf_counter() - started, said[-1] if said else f'exit {done.returncode}'))
        time.sleep(max(0.0, every - (time.perf_counter() - started)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its finished children, in seconds."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf('SC_CLK_TCK')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else 0.0


def signed_in_cookie(base: str, work: Path) -> str:
    driver = chromium(work / 'chromium')
    try:
        sign_in(driver, base, EMAIL, PASSWORD)
        return driver.get_cookie('session')['value']
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--batch', type=int, default=500, help='events per batch')
    parser.add_argument('--customers', type=int, default=5000)
    parser.add_argument('--page', default='/customers', help='the signed-in page the prober loads')
    parser.add_argument('--refresh-every', type=float, default=20, help='seconds between KPI refreshes (CLI); 0: none')
    parser.add_argument('--no-scheduler', action='store_true', help="without the app's scheduled jobs")
    parser.add_argument('--no-pages', action='store_true', help='no page prober (the CPU per batch alone)')
    parser.add_argument('--no-browser', action='store_true', help='no Chromium sign-in: probe the sign-in page')
    parser.add_argument('--database-url', default='', help='an empty database; default: a fresh SQLite file')
    parser.add_argument('--server-env', action='append', default=[], help='NAME=VALUE for the app process')
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='events-ingest-'))
    url = args.database_url or f'sqlite:///{work / "events.db"}'
    os.environ['BACKOFFICE_DATA_DIR'] = str(work / 'data')
    secrets, emails = prepare(url, args.clients, args.customers)
    env = {
        'BACKOFFICE_SCHEDULER': '0' if args.no_scheduler else '1',
        **dict(item.split('=', 1) for item in args.server_env),
    }
    batches: list[Batch] = []
    pages: dict[str, list] = collections.defaultdict(list)
    refreshes: list[tuple[float, str]] = []
    with app_server(url, work, env=env, log=work / 'server.log') as (base, server):
        cookie = None if args.no_browser or args.no_pages else signed_in_cookie(base, work)
        load_before = Path('/proc/loadavg').read_text().strip()
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=client_loop, args=(base, secret, index, until, args.batch, emails, batches))
            for index, secret in enumerate(secrets)
        ]
        clients = list(threads)
        if not args.no_pages:
            threads.append(threading.Thread(target=page_probe, args=(base, until, cookie, args.page, pages)))
        if args.refresh_every:
            threads.append(threading.Thread(target=refresher, args=(url, work, until, args.refresh_every, refreshes)))
        cpu_before, own_before, started = cpu_seconds(server.pid), time.process_time(), time.monotonic()
        load_started = datetime.now(UTC)
        for thread in threads:
            thread.start()
        time.sleep(args.seconds / 2)
        load_half = Path('/proc/loadavg').read_text().strip()
        for thread in clients:
            thread.join()
        elapsed = time.monotonic() - started
        server_cpu, own_cpu = cpu_seconds(server.pid) - cpu_before, time.process_time() - own_before
        for thread in threads:
            thread.join()  # a KPI refresh still running
        load_after = Path('/proc/loadavg').read_text().strip()
    dialect = url.split(':')[0].split('+')[0]
    print(f'{args.clients} clients × batches of {args.batch}, {elapsed:.0f} s, {dialect}, {os.cpu_count()} cores')
    print(f'/proc/loadavg: before {load_before} | half-way {load_half} | after {load_after}')
    codes = collections.Counter(status for status, _t, _a in batches)
    accepted = sum(a for _s, _t, a in batches)
    times = [t for _s, t, _a in batches]
    shown = ', '.join(f'{code or "no answer"}: {n:,}' for code, n in sorted(codes.items()))
    print(
        f'batches: {len(batches):,} ({shown})'
        f'; p50 {percentile(times, 0.5):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, '
        f'max {percentile(times, 1):.0f} ms'
    )
    print(f'events accepted: {accepted:,} = {accepted / elapsed:,.0f} events/s')
    errors = sum(n for code, n in codes.items() if code >= 500 or code == 0)
    print(f'5xx or no answer: {errors}')
    ok = max(1, codes.get(202, 0))
    print(
        f'server CPU: {server_cpu:.1f} s = {server_cpu * 1000 / ok:.0f} ms per batch of {args.batch} '
        f'({server_cpu / elapsed * 100:.0f} % of one core); one quiet core: ~{ok * args.batch / server_cpu:,.0f} '
        f'events/s; clients (this process) used {own_cpu:.1f} s CPU'
    )
    for path, values in pages.items():
        print(
            f'page {path} under load: p50 {percentile(values, 0.5):.0f} ms, p95 {percentile(values, 0.95):.0f} ms, '
            f'max {percentile(values, 1):.0f} ms ({len(values)} loads)'
        )
    for seconds, said in refreshes:
        print(f'KPI refresh (CLI) under load: {seconds:.1f} s: {said}')
    check(url, accepted, load_started)
    log = (work / 'server.log').read_text(errors='replace')
    print(f'server log: {log.count("Traceback")} tracebacks, {log.count("database is locked")} "database is locked"')
    print(f'work folder: {work}')


def check(url: str, accepted: int, load_started: datetime) -> None:
    """The rows stored against the events acknowledged, and the scheduler's KPI refreshes during the load."""
    from backoffice.models import KpiJobRun, UsageEvent

    engine = db.configure(url)
    with db.read_session() as session:
        stored = session.execute(select(func.count()).select_from(UsageEvent)).scalar_one()
        runs = session.execute(
            select(KpiJobRun).where(KpiJobRun.started_at >= load_started).order_by(KpiJobRun.id)
        ).scalars()
        for run in runs:
            took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
            shown = f'{took:.1f} s' if took is not None else 'unfinished'
            print(
                f'KPI job run {run.job} (CLI or scheduler) started {run.started_at:%H:%M:%S}: {shown}, '
                f'{run.rows} values, error {run.error}'
            )
    engine.dispose()
    print(f'database: {stored:,} events stored for {accepted:,} acknowledged')


if __name__ == '__main__':
    main()
