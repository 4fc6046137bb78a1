"""Load on the front office's API: N clients for T seconds posting requests, orders and event batches, mixed.

Starts `python main.py` (its scheduled jobs running, as in production) on a fresh database (SQLite in WAL by default,
or `--database-url`), one API key per client (each key has its own rate limit, as each shop front would), a product
with enough stock, then runs the clients in threads; `--backup` takes a backup from the command line half-way.
Every write carries an Idempotency-Key; a call that fails for any reason is retried once with the same key.
Prints throughput, latency percentiles and every status code per kind of call, how many 503s carried Retry-After,
what the calls that overlapped the backup got, then checks the database: one request per acknowledged request, one
order per acknowledged order, no 500 anywhere. Not a test: nothing is asserted.

`--no-writer-queue` and `--busy-timeout-ms` serve the app through bench/_writer_variants.py, which turns off the
writer queue (backoffice/writer_queue.py) or changes SQLite's busy timeout in that process only, to compare ways of
making writes wait their turn.

    .venv/bin/python bench/api_load.py --clients 20 --seconds 60
    .venv/bin/python bench/api_load.py --clients 50 --seconds 60 --backup
    .venv/bin/python bench/api_load.py --clients 50 --seconds 60 --no-writer-queue --busy-timeout-ms 30000
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
from bench._harness import app_server  # noqa: E402

SKU = 'LOAD-MUG'
Result = tuple[
    str, int, float, float, bool
]  # kind, status code (0: no answer), seconds, began (monotonic), Retry-After


def prepare(url: str, clients: int) -> list[str]:
    """Schema, a product with stock for every order the run can place, and one API key per client."""
    from backoffice.engine.declaration import resource
    from backoffice.services import api_keys, crud, purchases, users

    engine = db.configure(url)
    db.migrate(engine)
    import backoffice.resources  # noqa: F401  (registers the declarations crud needs)

    with db.session_scope() as session:
        product = crud.create_record(
            session=session,
            actor=None,
            system=True,
            resource=resource('products'),
            data={'sku': SKU, 'name': 'Load mug', 'price': '12.50', 'currency': 'EUR', 'active': True},
        )
    with db.session_scope() as session:
        manager = users.create_user(
            session=session,
            actor=None,
            system=True,
            data={
                'email': 'load.manager@example.com',
                'name': 'Load Manager',
                'role': 'manager',
                'password': 'Load-Manager-Pass-4711',
            },
        )
    with db.session_scope() as session:
        purchases.receive_purchase(
            session=session,
            actor=manager.user,
            supplier='Bench',
            reference='PO-LOAD',
            lines=[{'product_id': product.id, 'quantity': 1_000_000}],
        )
    secrets = []
    for index in range(clients):
        with db.session_scope() as session:
            _key, secret = api_keys.create_key(
                session=session,
                actor=None,
                system=True,
                name=f'Load client {index + 1}',
                scopes=('requests:write', 'orders:write', 'events:write'),
            )
            secrets.append(secret)
    engine.dispose()
    return secrets


def client_loop(
    base: str,
    secret: str,
    index: int,
    until: float,
    results: list[Result],
    acked: dict,
    batch: int,
    events_only: bool = False,
) -> None:
    rng = random.Random(index)
    headers = {'Authorization': f'Bearer {secret}'}
    with httpx.Client(base_url=base, timeout=60) as http:
        sequence = 0
        while time.monotonic() < until:
            sequence += 1
            roll = 1.0 if events_only else rng.random()
            key = f'load-{index}-{sequence}-{uuid.uuid4().hex[:8]}'
            if roll < 0.5:
                kind, path = 'request', '/api/requests'
                body: dict = {
                    'email': f'load{index}-{sequence % 50}@example.com',
                    'subject': f'Load {index}-{sequence}',
                    'body': 'Where is my parcel?',
                }
            elif roll < 0.8:
                kind, path = 'order', '/api/orders'
                body = {
                    'external_id': key,
                    'email': f'load{index}-{sequence % 50}@example.com',
                    'lines': [{'sku': SKU, 'quantity': 1}],
                }
            else:
                kind, path = 'events', '/api/events'
                now = datetime.now(UTC).isoformat()
                body = {
                    'events': [
                        {'id': f'{key}-{n}', 'type': 'visit', 'ts': now, 'anonymous_id': f'a-{index}-{n % 7}'}
                        for n in range(batch)
                    ]
                }
            for attempt in range(2):  # a failed call is retried once, with the same key, as a shop front would
                began, started = time.monotonic(), time.perf_counter()
                try:
                    answer = http.post(path, json=body, headers={**headers, 'Idempotency-Key': key})
                    status = answer.status_code
                except httpx.HTTPError:
                    answer, status = None, 0
                retry_after = answer is not None and 'retry-after' in answer.headers
                label = kind if attempt == 0 else f'{kind} (retry)'
                results.append((label, status, time.perf_counter() - started, began, retry_after))
                if status == 429 and answer is not None:
                    time.sleep(min(5.0, float(answer.headers.get('Retry-After', '1'))))
                    break
                if status in (200, 201, 202):
                    if kind == 'events':
                        acked['events'] += answer.json()['accepted']
                    else:
                        acked[kind].add(answer.json()['number'])
                    break
                if status == 503 and answer is not None:
                    time.sleep(float(answer.headers.get('Retry-After', '1')))


def page_probe(base: str, until: float, times: list[float]) -> None:
    """A person opening a page while the load runs: the sign-in page's HTML, twice a second."""
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            started = time.perf_counter()
            http.get('/login')
            times.append(time.perf_counter() - started)
            time.sleep(0.5)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else 0.0


def report(results: list[Result], seconds: float) -> None:
    by_kind: dict[str, list[Result]] = collections.defaultdict(list)
    for result in results:
        by_kind[result[0]].append(result)
    ok = sum(1 for _kind, status, *_rest in results if 200 <= status < 300)
    print(f'{len(results):,} calls in {seconds:.0f} s: {ok / seconds:.1f} successful calls/s')
    print(f'{"call":<18}{"n":>7}{"p50 ms":>9}{"p95 ms":>9}{"p99 ms":>9}  status codes')
    for kind in sorted(by_kind):
        rows = by_kind[kind]
        times = [t for _k, _s, t, *_rest in rows]
        codes = collections.Counter(status for _k, status, *_rest in rows)
        shown = ', '.join(f'{code or "no answer"}: {n}' for code, n in sorted(codes.items()))
        print(
            f'{kind:<18}{len(rows):>7}{percentile(times, 0.5):>9.0f}{percentile(times, 0.95):>9.0f}'
            f'{percentile(times, 0.99):>9.0f}  {shown}'
        )
    errors = sum(1 for _k, status, *_rest in results if status >= 500 and status != 503)
    print(f'answers 500 or other 5xx but 503: {errors}')
    busy = [retry_after for _k, status, _t, _b, retry_after in results if status == 503]
    print(f'answers 503: {len(busy)}, of which with Retry-After: {sum(busy)}')
    unanswered = sum(1 for _k, status, *_rest in results if status == 0)
    if unanswered:
        print(f'calls with no answer (connection failed or timed out after 60 s): {unanswered}')


def report_window(results: list[Result], began: float, ended: float) -> None:
    """What the calls that were running while the backup ran got (began before it ended, ended after it began)."""
    during = [r for r in results if r[3] < ended and r[3] + r[2] > began]
    codes = collections.Counter(status for _k, status, *_rest in during)
    shown = ', '.join(f'{code or "no answer"}: {n}' for code, n in sorted(codes.items()))
    failed = sum(1 for _k, status, *_rest in during if not 200 <= status < 300 and status != 429)
    print(f'calls overlapping the backup: {len(during)} ({shown}); failed writers among them: {failed}')


def check_database(url: str, acked: dict) -> None:
    from backoffice.models import Order, Ticket

    engine = db.configure(url)
    with db.read_session() as session:
        tickets = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
        orders = session.execute(select(func.count()).select_from(Order)).scalar_one()
    engine.dispose()
    print(
        f'database: {tickets:,} requests for {len(acked["request"]):,} acknowledged; '
        f'{orders:,} orders for {len(acked["order"]):,} acknowledged'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clients', type=int, default=20)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--no-scheduler', action='store_true', help='without the scheduled jobs (KPI refresh…)')
    parser.add_argument('--backup', action='store_true', help='take a backup (the CLI, another process) half-way')
    parser.add_argument('--events-only', action='store_true', help='only event batches (ingestion rate)')
    parser.add_argument('--batch', type=int, default=500, help='events per batch')
    parser.add_argument('--database-url', default='', help='default: a fresh SQLite file')
    parser.add_argument(
        '--no-writer-queue', action='store_true', help='SQLite: writers race the busy handler (no writer_queue.py)'
    )
    parser.add_argument(
        '--busy-timeout-ms', type=int, help="SQLite's busy timeout in the app (default: the app's 5,000)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='api-load-'))
    url = args.database_url or f'sqlite:///{work / "load.db"}'
    os.environ['BACKOFFICE_DATA_DIR'] = str(work / 'data')
    secrets = prepare(url, args.clients)
    results: list[Result] = []
    acked: dict = {'request': set(), 'order': set(), 'events': 0}
    page_times: list[float] = []
    env = {'BACKOFFICE_SCHEDULER': '0' if args.no_scheduler else '1'}
    script = 'main.py'
    if args.no_writer_queue or args.busy_timeout_ms is not None:
        script = 'bench/_writer_variants.py'
        env['BENCH_WRITER_QUEUE'] = '0' if args.no_writer_queue else '1'
        if args.busy_timeout_ms is not None:
            env['BENCH_BUSY_TIMEOUT_MS'] = str(args.busy_timeout_ms)
    backup_window: tuple[float, float] | None = None
    with app_server(url, work, script=script, env=env, log=work / 'server.log') as (base, _server):
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=client_loop, args=(base, secret, index, until, results, acked, args.batch, args.events_only)
            )
            for index, secret in enumerate(secrets)
        ]
        threads.append(threading.Thread(target=page_probe, args=(base, until, page_times)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        if args.backup:
            time.sleep(args.seconds / 2)
            began, window_began = time.perf_counter(), time.monotonic()
            backup = subprocess.run(
                [sys.executable, '-m', 'backoffice', 'backup'],
                cwd=ROOT,
                env={**os.environ, 'BACKOFFICE_DATABASE_URL': url, 'BACKOFFICE_DATA_DIR': str(work / 'data')},
                capture_output=True,
                text=True,
            )
            backup_window = (window_began, time.monotonic())
            print(f'backup half-way: exit {backup.returncode} in {time.perf_counter() - began:.1f} s')
            print((backup.stdout + backup.stderr).strip()[-400:])
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    writers = 'writer queue ' + ('off' if args.no_writer_queue else 'on')
    if args.busy_timeout_ms is not None:
        writers += f', busy timeout {args.busy_timeout_ms} ms'
    load = ' '.join(f'{value:.1f}' for value in os.getloadavg())
    print(f'{args.clients} clients, {args.seconds:.0f} s, {url.split(":")[0]} ({writers}); load average {load}')
    report(results, elapsed)
    if backup_window:
        report_window(results, *backup_window)
    print(f'events stored: {acked["events"]:,} ({acked["events"] / elapsed:,.0f} events/s)')
    print(
        f'sign-in page while loaded: p50 {percentile(page_times, 0.5):.0f} ms, '
        f'p95 {percentile(page_times, 0.95):.0f} ms ({len(page_times)} loads)'
    )
    check_database(url, acked)
    log = (work / 'server.log').read_text(errors='replace')
    print(f'server log: {log.count("Traceback")} tracebacks, {log.count("database is locked")} "database is locked"')
    print(f'work folder: {work}')


if __name__ == '__main__':
    main()
