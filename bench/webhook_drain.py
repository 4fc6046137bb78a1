"""How fast the webhook outbox drains: M deliveries queued for E local receivers (answering 200 at once, or after a
delay), then the dispatcher's runs timed until the outbox is empty. The outbox must drain faster than it fills at
50 events/s. Not a test: nothing is asserted.

    .venv/bin/python bench/webhook_drain.py --deliveries 3000 --endpoints 3
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


def receiver(delay: float) -> tuple[str, ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get('Content-Length') or 0))
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
    servers = []
    for index in range(args.endpoints):
        url, server = receiver(args.delay_ms / 1000)
        servers.append(server)
        with db.session_scope() as session:
            webhooks.create_endpoint(
                session=session,
                actor=admin,
                data={'name': f'Shop {index}', 'url': url, 'events': '*', 'is_active': True},
            )
    per_endpoint = args.deliveries // args.endpoints
    with db.session_scope() as session:
        for n in range(per_endpoint):
            webhooks.queue_in(session, 'order.paid', f'order.paid:{n}', {'order': {'number': str(100000 + n)}})
        session.commit()
    queued = per_endpoint * args.endpoints
    started = time.perf_counter()
    runs = delivered = 0
    while delivered < queued:
        counts = webhooks.dispatch_due()
        runs += 1
        delivered += counts['delivered']
        if not any(counts.values()):
            break
    elapsed = time.perf_counter() - started
    print(
        f'{delivered:,} of {queued:,} deliveries to {args.endpoints} endpoints (answering in {args.delay_ms:.0f} ms) '
        f'in {elapsed:.1f} s over {runs} runs: {delivered / elapsed:,.0f} deliveries/s; load {os.getloadavg()[0]:.1f}'
    )
    for server in servers:
        server.shutdown()


if __name__ == '__main__':
    main()
