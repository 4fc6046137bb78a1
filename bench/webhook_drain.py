"""How fast the webhook outbox drains: M deliveries queued for E local receivers (answering 200 at once, or after a
delay), then the dispatcher's runs (`webhooks.dispatch_due`, the `webhooks` job) timed until the outbox is empty. The
outbox must drain faster than it fills at 50 events/s. Not a test: nothing is asserted.

`--fan-out all` (the default): every endpoint subscribes to every event, so each event is one delivery per endpoint and
each endpoint must take 50 deliveries/s; `--fan-out one`: each event goes to one endpoint (round robin), so 50 events/s
are 50 deliveries/s shared by the endpoints. Each receiver notes the order of the deliveries it gets: the bench says
whether every endpoint got its deliveries in the order they were queued.

Prints the rate back to back (runs one after the other, as the bench calls them) and at the scheduler's pace (the job
starts every 10 s, so a run that stops at its 8 s limit is followed by 2 s of nothing), in deliveries/s and events/s.

    .venv/bin/python bench/webhook_drain.py --deliveries 3000 --endpoints 3
    .venv/bin/python bench/webhook_drain.py --deliveries 3000 --endpoints 3 --delay-ms 50
    .venv/bin/python bench/webhook_drain.py --deliveries 3000 --endpoints 12 --delay-ms 50 --fan-out one --workers 16
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
INTERVAL_SECONDS = 10  # the `webhooks` job's interval (backoffice/runtime/scheduler.py)


def receiver(delay: float, seen: list[int]) -> tuple[str, ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get('Content-Length') or 0))
            seen.append(int(self.headers['X-Backoffice-Delivery']))
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header('Content-Length', '0')
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f'http://127.0.0.1:{server.server_address[1]}/hook', server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--deliveries', type=int, default=3000)
    parser.add_argument('--endpoints', type=int, default=3)
    parser.add_argument('--delay-ms', type=float, default=0, help="each receiver's time to answer")
    parser.add_argument('--fan-out', choices=('all', 'one'), default='all', help='endpoints per event (see above)')
    parser.add_argument('--workers', type=int, help="endpoints served at once (default: the app's WORKERS)")
    parser.add_argument('--limit', type=int, help="deliveries per run (default: the app's BATCH)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='webhook-drain-'))
    os.environ.update(
        BACKOFFICE_DATABASE_URL=f'sqlite:///{work / "drain.db"}',
        BACKOFFICE_DATA_DIR=str(work / 'data'),
        BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS='1',
    )
    from backoffice import db
    from backoffice.config import get_settings
    from backoffice.services import users, webhooks

    db.migrate(db.configure(get_settings().database_url))
    with db.session_scope() as session:
        admin = users.create_user(
            session=session,
            actor=None,
            system=True,
            data={'email': 'drain@example.com', 'name': 'Drain', 'role': 'admin', 'password': 'Maple-Orbit-5521-z'},
        ).user
    servers, seen, endpoint_ids = [], [], []
    for index in range(args.endpoints):
        seen.append([])
        url, server = receiver(args.delay_ms / 1000, seen[-1])
        servers.append(server)
        with db.session_scope() as session:
            endpoint_ids.append(
                webhooks.create_endpoint(
                    session=session,
                    actor=admin,
                    data={'name': f'Shop {index}', 'url': url, 'events': '*', 'is_active': True},
                )[0].id
            )
    with db.session_scope() as session:
        if args.fan_out == 'all':
            events = args.deliveries // args.endpoints
            for n in range(events):
                webhooks.queue_in(session, 'order.paid', f'order.paid:{n}', {'order': {'number': str(100000 + n)}})
        else:
            events = args.deliveries
            for n in range(events):
                webhooks.queue_for_endpoint(
                    session,
                    endpoint_ids[n % args.endpoints],
                    'order.paid',
                    f'order.paid:{n}',
                    {'order': {'number': str(100000 + n)}},
                )
        session.commit()
    queued = events * args.endpoints if args.fan_out == 'all' else events
    options = {key: value for key, value in (('workers', args.workers), ('limit', args.limit)) if value is not None}
    started = time.perf_counter()
    runs = delivered = 0
    durations: list[float] = []
    while delivered < queued:
        began = time.perf_counter()
        counts = webhooks.dispatch_due(**options)
        durations.append(time.perf_counter() - began)
        runs += 1
        delivered += counts['delivered']
        if not any(counts.values()):
            break
    elapsed = time.perf_counter() - started
    # the same runs at the job's pace: each one but the last takes at least the 10 s interval
    paced = sum(max(INTERVAL_SECONDS, seconds) for seconds in durations[:-1]) + durations[-1]
    per_event = args.endpoints if args.fan_out == 'all' else 1
    in_order = all(ids == sorted(ids) for ids in seen)
    load = ' '.join(f'{value:.1f}' for value in os.getloadavg())
    print(
        f'{delivered:,} of {queued:,} deliveries to {args.endpoints} endpoints (answering in {args.delay_ms:.0f} ms, '
        f'fan-out {args.fan_out}, pool {args.workers or webhooks.WORKERS}, {args.limit or webhooks.BATCH} per run) '
        f'in {elapsed:.1f} s over {runs} runs; load {load}'
    )
    print(
        f'back to back: {delivered / elapsed:,.0f} deliveries/s = {delivered / elapsed / per_event:,.0f} events/s; '
        f"at the scheduler's pace: {delivered / paced:,.0f} deliveries/s = {delivered / paced / per_event:,.0f} "
        f'events/s; per endpoint {delivered / elapsed / args.endpoints:,.1f} deliveries/s back to back'
    )
    print(f'each endpoint got its deliveries in queued order: {"yes" if in_order else "NO"}')
    for server in servers:
        server.shutdown()


if __name__ == '__main__':
    main()
