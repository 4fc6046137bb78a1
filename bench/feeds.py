"""Benchmark: reading a spreadsheet feed of a saved view over the customers list (default 100,000 customers): the time
to the first byte (admission: the token, the rate bucket, the read counted, the publisher and view read afresh, the
count) and to the last byte, as CSV and as XLSX, with a view that keeps every row and one filtered to a status.
Not a test: nothing is asserted."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import add_database_options, analyze_after_load, ensure_admin, open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--customers', type=int, default=100_000)
    add_database_options(parser, 'customers')
    args = parser.parse_args()

    from sqlmodel import select

    from backoffice import db
    from backoffice.models import User
    from backoffice.resources import resource
    from backoffice.runtime import ratelimit
    from backoffice.seed.people import seed_customers
    from backoffice.services import feeds, views

    engine, present = open_database(args, 'customers')
    if not present:
        with db.session_scope() as session:
            seed_customers(session=session, customers=args.customers, companies=args.customers // 200, seed=args.seed)
        analyze_after_load(engine, 'customers')
    with db.session_scope() as session:
        ensure_admin(session)
        admin = session.exec(select(User).order_by(User.id)).first()
    feeds.limiter = ratelimit.RateLimiter(10_000, 60.0, name='bench-feeds')  # measure the work, not the limit
    cases = {'every row': {}, 'one status': {'status': ['unfinished']}}
    for label, filters in cases.items():
        with db.session_scope() as session:
            view = views.save_view(
                session=session,
                actor=admin,
                resource=resource('customers'),
                name=f'Bench {label}',
                state={'filters': filters, 'columns': ['email', 'name', 'status', 'signed_up_at']},
            )
        for fmt in feeds.FORMATS:
            with db.session_scope() as session:
                published = feeds.publish(session=session, actor=admin, view_id=view.id, fmt=fmt)
            token = published.url.rsplit('/', 1)[1].rsplit('.', 1)[0]
            firsts, totals, size = [], [], 0
            for _run in range(max(1, args.runs // 5)):
                started = time.perf_counter()
                served = feeds.serve(token=token, fmt=fmt)
                chunks = iter(served.chunks)
                first = next(chunks, b'')
                firsts.append((time.perf_counter() - started) * 1000)
                size = len(first) + sum(len(chunk) for chunk in chunks)
                totals.append((time.perf_counter() - started) * 1000)
            firsts.sort(), totals.sort()
            print(
                f'{label:>10} {fmt:>4}: first byte {firsts[len(firsts) // 2]:8.1f} ms, '
                f'whole feed {totals[len(totals) // 2]:9.1f} ms, {size / 1e6:6.2f} MB'
            )
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
