"""Benchmark of /api/v1/customers over HTTP (in process, httpx over ASGI): seeds customers into a fresh database, then
times what an integration does — the first page, the next page by cursor, a page deep by number, a filtered page, a
search, one record — and the whole walk through N pages by cursor, in ms (median, p90)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlmodel import select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.api.resources import router  # noqa: E402
from backoffice.models import Role, User  # noqa: E402
from backoffice.runtime import ratelimit  # noqa: E402
from backoffice.seed.people import seed_customers  # noqa: E402
from backoffice.services import api_keys  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--customers', type=int, default=100_000)
    parser.add_argument('--walk', type=int, default=20, help='pages walked by cursor, 100 rows each')
    add_database_options(parser, 'customers')
    args = parser.parse_args()

    engine, present = open_database(args, 'customers')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            seed_customers(session=session, customers=args.customers, companies=args.customers // 200, seed=args.seed)
        print(f'Seeded {args.customers:,} customers in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'customers')
    ratelimit.api_keys = ratelimit.RateLimiter(10**9, 60.0)  # measure the work, not the limit
    print(asyncio.run(measure(_secret(), args.runs, args.walk)))
    return 0


def _secret() -> str:
    with db.session_scope() as session:
        admin = session.exec(select(User).where(User.email == 'bench.api@example.com')).first()
        if admin is None:
            admin = User(email='bench.api@example.com', name='Bench', role=Role.admin, password_hash='-')
            session.add(admin)
            session.commit()
        return api_keys.create_key(
            session=session, actor=None, system=True, name='Bench', scopes=['read:customers'], acting_as=admin
        )[1]


async def measure(secret: str, runs: int, walk: int) -> str:
    app = FastAPI()
    app.include_router(router)
    headers = {'Authorization': f'Bearer {secret}'}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://bench') as client:

        async def get(path: str, **params) -> dict:
            answer = await client.get(path, params=params, headers=headers)
            answer.raise_for_status()
            return answer.json()

        first = await get('/api/v1/customers', page_size=100)
        middle = first['items'][len(first['items']) // 2]
        figures = [
            ('first page (100 rows)', lambda: get('/api/v1/customers', page_size=100)),
            (
                'next page by cursor',
                lambda: get('/api/v1/customers', page_size=100, cursor=first['next_cursor']),
            ),
            ('page 500 by number (OFFSET)', lambda: get('/api/v1/customers', page_size=100, page=500)),
            (
                'filtered: status=active, consent',
                lambda: get('/api/v1/customers', status='active', marketing_consent=True),
            ),
            ('search: part of a name', lambda: get('/api/v1/customers', q=middle['name'].split()[0][:5])),
            ('one record', lambda: get(f'/api/v1/customers/{middle["id"]}')),
        ]
        lines = [f'{"operation":40} {"median ms":>10} {"p90 ms":>8}']
        for label, call in figures:
            times = []
            await call()
            for _ in range(runs):
                started = time.perf_counter()
                await call()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            lines.append(f'{label:40} {times[len(times) // 2]:10.1f} {times[int(len(times) * 0.9)]:8.1f}')
        started, page, pages = time.perf_counter(), first, 1
        while page['next_cursor'] and pages < walk:
            page = await get('/api/v1/customers', page_size=100, cursor=page['next_cursor'])
            pages += 1
        lines.append(f'walk {pages} pages by cursor: {(time.perf_counter() - started) * 1000:.0f} ms in all')
    return '\n'.join(lines)


if __name__ == '__main__':
    raise SystemExit(main())
