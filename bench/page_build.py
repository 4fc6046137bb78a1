"""What building a page costs the server: each main screen opened N times in NiceGUI's simulated browser (in process:
the request through the middleware, the page guard, the shell and the screen, then the websocket's handshake and what
it starts), as an admin, over a seeded small shop. Prints the CPU time per build (median and p90, `process_time`:
every thread of the process) and the NiceGUI elements each build made, served and once connected. Not a test.

    .venv/bin/python bench/page_build.py                      # SQLite (a temp file), 20 builds per screen
    .venv/bin/python bench/page_build.py --runs 40 --screens /orders /customers
    .venv/bin/python bench/page_build.py --profile /orders    # + cProfile of those builds (tottime and cumtime)
    .venv/bin/python bench/page_build.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/page_build.py --screens /shell /carriers / --queries --parts   # the shell's own share

`/shell` is a screen declared by the bench with nothing in it: the page guard and the shell alone. `--queries` counts
the database statements per build (and lists one build's); `--parts` times the shell's parts (main thread).

The seed (`--seed`, `--orders`) is the demo's generators at a small size: customers and companies, the catalogue, orders
with their payments and shipments, the support requests; the detail screens open the first record of each kind.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EMAIL, PASSWORD = 'bench.admin@example.com', 'Bench-Admin-Pass-2931'
SCREENS = ['/', '/orders', '/customers', '/requests', '/products', '/orders/{order}', '/customers/{customer}',
           '/requests/{request}']  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=20, help='timed builds per screen, after two warm-up builds')
    parser.add_argument('--screens', nargs='+', default=SCREENS)
    parser.add_argument('--database-url', help='an empty database (default: a temporary SQLite file)')
    parser.add_argument('--orders', type=int, default=300)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--language', default='en')
    parser.add_argument('--profile', nargs='*', metavar='SCREEN', help='cProfile these screens (none named: all)')
    parser.add_argument('--top', type=int, default=35, help='rows of each profile')
    parser.add_argument('--dump', type=Path, help='write each profile to DUMP.<screen>.prof (for pstats or snakeviz)')
    parser.add_argument('--kinds', action='store_true', help='also print the elements made per kind')
    parser.add_argument('--queries', action='store_true', help="count the SQL statements per build, list one build's")
    parser.add_argument('--parts', action='store_true', help="time the shell's parts per build (main thread)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='bench-page-build-'))
    url = args.database_url or f'sqlite:///{work / "bench.db"}'
    os.environ.update(
        BACKOFFICE_DATABASE_URL=url,
        BACKOFFICE_STORAGE_SECRET='bench-storage-secret-0123456789',
        BACKOFFICE_DATA_DIR=str(work / 'data'),
        BACKOFFICE_SCHEDULER='0',
        # NiceGUI's simulation as the test suite runs it (its reset and `ui.run` take their pytest paths; no gzip)
        PYTEST_CURRENT_TEST='bench/page_build.py',
    )
    for name in ('BACKOFFICE_DEMO', 'BACKOFFICE_ADMIN_EMAIL', 'BACKOFFICE_ADMIN_PASSWORD'):
        os.environ.pop(name, None)
    try:
        records = seed(url, args.orders, args.seed, args.language)
        asyncio.run(measure(args, records))
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the SQLite file and the app's data folder
    return 0


def seed(url: str, orders: int, seed_number: int, language: str) -> dict[str, str]:
    """The small shop, the bench admin, and the first order, customer and request to open."""
    from argon2 import PasswordHasher
    from sqlmodel import select

    from backoffice import auth, db
    from backoffice.models import Customer, Order, Ticket, User
    from backoffice.seed.catalog import seed_catalog
    from backoffice.seed.orders import seed_orders
    from backoffice.seed.people import seed_customers
    from backoffice.seed.support import seed_support
    from backoffice.services import users

    auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))  # the sign-in is not measured
    engine = db.configure(url)
    db.migrate(engine)
    started = time.perf_counter()
    with db.session_scope() as session:
        if session.exec(select(User.id)).first() is None:
            seed_customers(session=session, customers=400, companies=30, seed=seed_number)
            seed_catalog(session, random.Random(seed_number))
            seed_orders(session=session, orders=orders, seed=seed_number)
            for name, email, role in (('Bench Admin', EMAIL, 'admin'), ('Sam Agent', 'sam.agent@example.com', 'agent')):
                users.create_user(
                    session=session,
                    actor=None,
                    system=True,
                    data={'email': email, 'name': name, 'role': role, 'password': PASSWORD},
                )
            seed_support(session, random.Random(seed_number))
        admin = session.exec(select(User).where(User.email == EMAIL)).one()
        users.set_language(session=session, actor=admin, language=language)
    with db.session_scope() as session:
        order = session.exec(select(Order.number).order_by(Order.id)).first()
        customer = session.exec(select(Customer.id).order_by(Customer.id)).first()
        request = session.exec(select(Ticket.number).order_by(Ticket.id)).first()
    print(f'seeded in {time.perf_counter() - started:.1f} s ({url.split(":")[0]})')
    return {'order': str(order), 'customer': str(customer), 'request': str(request)}


async def measure(args: argparse.Namespace, records: dict[str, str]) -> None:
    from nicegui import Client, background_tasks
    from nicegui.element import Element
    from nicegui.testing.user_simulation import user_simulation

    import pages  # noqa: F401  (loaded before the app, as the tests' conftest does: main.py then finds it imported)

    declare_shell_screen()
    statements = count_statements() if args.queries else None
    parts = time_shell_parts() if args.parts else None

    made: Counter[str] = Counter()
    original_init = Element.__init__

    def counting_init(self, *a, **kw):  # every element made, whatever its kind
        made[type(self).__name__] += 1
        original_init(self, *a, **kw)

    async with user_simulation(main_file=ROOT / 'main.py') as user:
        await sign_in(user)
        Element.__init__ = counting_init  # type: ignore[method-assign]
        load = Path('/proc/loadavg').read_text().split()[:3]
        print(f'load average {" ".join(load)}; {args.runs} builds per screen after 2 warm-up builds')
        heads = ('CPU ms median', 'p90', 'main thread', 'served', '+connect')
        print(f'{"screen":24} {heads[0]:>13} {heads[1]:>7} {heads[2]:>11} {heads[3]:>7} {heads[4]:>8}  elements')
        profiled = set(args.screens if args.profile == [] else args.profile or [])
        totals = []
        for pattern in args.screens:
            path = pattern.format(**records)
            times, main_times, served, connected, kinds = [], [], 0, 0, Counter()
            queries: list[int] = []
            if parts is not None:
                parts.clear()
            profiler = cProfile.Profile() if pattern in profiled or path in profiled else None
            for run in range(args.runs + 2):
                made.clear()
                if statements is not None:
                    statements.clear()
                running = set(background_tasks.running_tasks)
                started, started_main = time.process_time(), time.thread_time()
                if profiler and run >= 2:
                    profiler.enable()
                client, served_now = await build(user, path)
                await settle(running)
                if profiler and run >= 2:
                    profiler.disable()
                spent = (time.process_time() - started) * 1000
                spent_main = (time.thread_time() - started_main) * 1000
                if run >= 2:
                    times.append(spent)
                    main_times.append(spent_main)
                    if statements is not None:
                        queries.append(len(statements))
                served, connected, kinds = served_now, sum(made.values()), Counter(made)
                client.delete()
                Client.instances.pop(client.id, None)
            times.sort()
            p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
            median = statistics.median(times)
            totals.append(median)
            main_median = statistics.median(main_times)
            added = connected - served
            print(f'{path:24} {median:13.1f} {p90:7.1f} {main_median:11.1f} {served:7} {added:+8}  {connected}')
            if args.kinds:
                print('    ' + ', '.join(f'{k} {n}' for k, n in kinds.most_common()))
            if statements is not None:
                print(f"    SQL statements per build: median {statistics.median(queries):.0f}; the last build's:")
                for statement, count in Counter(statements).most_common():
                    print(f'      {count} × {statement}')
            if parts is not None:
                print(
                    '    shell parts, ms per build (main thread, median): '
                    + ', '.join(f'{name} {statistics.median(spent):.2f}' for name, spent in parts.items())
                )
            if profiler and args.dump:
                profiler.dump_stats(f'{args.dump}.{path.strip("/").replace("/", "_") or "dashboard"}.prof')
            if profiler:
                for order in ('tottime', 'cumulative'):
                    out = io.StringIO()
                    stats = pstats.Stats(profiler, stream=out)
                    stats.sort_stats(order).print_stats(args.top)
                    print(f'--- {path}: by {order}, {args.runs} builds ---')
                    print(re.sub(r'/[^ ]*/site-packages/', '', out.getvalue().split('\n\n', 2)[-1]).rstrip())
        Element.__init__ = original_init  # type: ignore[method-assign]
        load = Path('/proc/loadavg').read_text().split()[:3]
        print(f'sum of medians {sum(totals):.1f} ms; load average after {" ".join(load)}')


def declare_shell_screen() -> None:
    """`/shell`: a signed-in screen with nothing in it, to see what the guard and the shell cost alone."""
    from components.screens import screen

    @screen('/shell', 'Shell only', permission=None, in_menu=False)
    def shell_only(user) -> None:
        del user


def count_statements() -> list[str]:
    """Every SQL statement any engine runs from now on, shortened, in the list returned (cleared per build)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        seen.append(re.sub(r'\s+', ' ', statement)[:110])

    event.listen(Engine, 'before_cursor_execute', note)
    return seen


def time_shell_parts() -> dict[str, list[float]]:
    """The main thread's time in each part of the shell (components/shell.py's names, wrapped)."""
    import components.shell as shell
    from components import registry

    spent: dict[str, list[float]] = {}

    def timed(name: str, call):
        def run(*a, **kw):
            started = time.thread_time()
            try:
                return call(*a, **kw)
            finally:
                spent.setdefault(name, []).append((time.thread_time() - started) * 1000)

        return run

    for name in ('theme', '_end_on_sign_out_elsewhere', 'GlobalSearch', 'NotificationBell', '_user_menu',
                 'Navigation'):  # fmt: skip
        setattr(shell, name, timed(name, getattr(shell, name)))
    original_frame = registry.frame

    @contextmanager
    def timed_frame(*a, **kw):
        started = time.thread_time()
        with original_frame(*a, **kw):
            spent.setdefault('the whole shell', []).append((time.thread_time() - started) * 1000)
            yield

    registry.frame = timed_frame
    registry.menu_for = timed('menu_for', registry.menu_for)
    return spent


async def build(user, path: str):
    """`user.open(path)`, with the elements counted between the served page and the websocket's handshake."""
    from nicegui import Client
    from nicegui.nicegui import _on_handshake

    response = await user.http_client.get(path, follow_redirects=True)
    if response.status_code != 200 or response.headers.get('X-Nicegui-Content') != 'page':
        raise SystemExit(f'{path}: {response.status_code}, not a page')
    client_id = re.search(r"'client_id': '([0-9a-f-]+)'", response.text).group(1)
    client = Client.instances[client_id]
    served = len(client.elements)
    user.client = client
    user.sio.on('connect')
    await _on_handshake(f'test-{uuid4()}', {'client_id': client.id, 'tab_id': user.tab_id, 'document_id': str(uuid4())})
    return client, served


async def settle(before: set) -> None:
    """Let what the build started run out (at most a second): the once-connected reads, a list's timers and
    worker-thread reads; NiceGUI's own loops and a list's countdown are waiting, not working."""
    from nicegui import background_tasks

    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.002)
        pending = [
            t
            for t in background_tasks.running_tasks
            if t not in before
            and not t.get_name().startswith(('outbox', 'refresh'))
            and 'countdown' not in t.get_name()
        ]
        if not pending:
            return
        await asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()))
    if os.environ.get('BENCH_DEBUG'):
        print('still running:', [t.get_name() for t in pending])


async def sign_in(user) -> None:
    await user.open('/login')
    user.find('Email').type(EMAIL)
    user.find('Password').type(PASSWORD)
    user.find('Log in').click()
    for _ in range(200):
        await asyncio.sleep(0.05)
        if len(user.back_history) > 1:
            return
    raise SystemExit('the bench admin could not sign in')


if __name__ == '__main__':
    raise SystemExit(main())
