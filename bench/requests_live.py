"""Benchmark of the live /requests list: 100,000 requests, 20 agent pages in headless Chromium, requests POSTed.

Seeds (or reuses) a database with requests (customers, agents, each request with its first message; bulk inserts),
times the list's first page on the server, starts `python main.py` on it, times the list's rows on screen in Chromium
(cold, then warm), opens N agent pages on /requests and POSTs requests to /api/requests one by one: for each, the time
from the API's answer to the new row on every page (median and p95), split into websocket arrival and rendering.
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.listing import query  # noqa: E402
from backoffice.models import Ticket, TicketMessage, User  # noqa: E402
from bench._harness import app_server, chromium, free_port, sign_in, time_until, timed, wait_healthy  # noqa: E402

AGENT_PASSWORD = 'Bench-Agent-Pass-4711'
AGENTS = 20
TARGET_P95_MS = 500.0
CHUNK = 10_000
MARK = 'RQB'  # subjects of posted requests start with RQB-<run>-<i>: what the pages look for
SUBJECTS = (
    'Where is my order?',
    'Can I change my delivery address?',
    'Invoice with VAT number',
    'Checkout button does nothing on Safari',
    'Discount code not applied',
    'Wrong size — exchange please',
    'Refund not received yet',
    'Love the new app!',
    'Packaging could be greener',
    'Partnership enquiry',
)
TYPES = ('question', 'bug', 'return_exchange', 'feedback', 'other')
PRIORITIES = ('low', 'normal', 'high', 'urgent')

# Installed in every page: when a posted request's subject shows in the table (the DOM), note Date.now() (the wall
# clock, as Python's time.time()); also note when a websocket message carrying it arrived (socket.io's onAny).
WATCH = r"""
window.__seen = {}; window.__ws = {};
const re = /RQB-\d+-\d+/;
const check = () => {
  const now = Date.now();
  const body = document.querySelector('.q-table tbody');
  if (!body) return;
  for (const tr of body.rows) {
    const t = tr.textContent;
    const m = t.match(re);
    if (!m) continue;
    if (!(m[0] in window.__seen)) window.__seen[m[0]] = now;
    const k = m[0] + '|' + t;  // each text a row had: a changed row (its status, its assignee) is a new one
    if (!(k in window.__seen)) window.__seen[k] = now;
  }
};
new MutationObserver(check).observe(document.body, {childList: true, subtree: true, characterData: true});
window.socket.onAny((...args) => {
  const now = Date.now();
  const found = JSON.stringify(args).match(/RQB-\d+-\d+/g);
  if (found) for (const m of new Set(found)) (window.__ws[m] = window.__ws[m] || []).push(now);
});
check();
return document.visibilityState;
"""
# [watching, DOM time, websocket time] of a marker (with `token` in its row's text, when given), after `since`
ASK = r"""
const [m, token, since] = arguments;
if (!window.__seen) return [false, null, null];
let seen = null;
if (token === null) seen = window.__seen[m] ?? null;
else for (const [k, at] of Object.entries(window.__seen))
  if (k.startsWith(m + '|') && k.includes(token) && (seen === null || at < seen)) seen = at;
const ws = (window.__ws[m] || []).filter((at) => at >= since);
return [true, seen, ws.length ? Math.min(...ws) : null];
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--requests', type=int, default=100_000, help='requests to seed (default 100,000)')
    parser.add_argument('--pages', type=int, default=20, help='agent pages open on /requests (default 20)')
    parser.add_argument('--posts', type=int, default=30, help='requests to POST, one by one (default 30)')
    parser.add_argument(
        '--browsers',
        type=int,
        default=1,
        help='Chromium processes the pages are spread over, each signed in as another agent '
        '(default 1: one browser, one agent, N windows)',
    )
    parser.add_argument(
        '--database-url',
        help='e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench (empty, or '
        'seeded by an earlier run); default: a SQLite file',
    )
    parser.add_argument('--sqlite-file', type=Path, help='the SQLite file (default: a temporary one); seeded if empty')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--runs', type=int, default=20, help='timed runs of the server-side first page (median)')
    parser.add_argument('--visits', type=int, default=10, help='warm visits of /requests timed in Chromium')
    parser.add_argument('--gap', type=float, default=0.5, help='seconds between one row showing and the next POST')
    parser.add_argument('--server-log', type=Path, help='keep the server output here')
    parser.add_argument(
        '--probe',
        action='store_true',
        help='run the server through bench/live_probe.py and split the server side into steps',
    )
    parser.add_argument(
        '--nice',
        type=int,
        default=0,
        help='run Chromium at this niceness (e.g. 10) so that the server gets the CPU first, as if '
        "the agents' browsers ran on their own machines",
    )
    parser.add_argument(
        '--floor',
        action='store_true',
        help='compare with a bare NiceGUI page (bench/live_floor.py) pushing the same row, interleaved: for each '
        'page count of --counts, --rounds blocks of Backoffice then floor, each posting --posts new requests and '
        'changing each (status and assignee); skips the visits and the server figures',
    )
    parser.add_argument('--counts', default='1,5,20', help='page counts compared with --floor (default 1,5,20)')
    parser.add_argument('--rounds', type=int, default=2, help='Backoffice/floor blocks per page count (default 2)')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-requests-'))
    url = args.database_url or f'sqlite:///{args.sqlite_file or work / "requests.db"}'
    print(f'Database: {make_url(url).render_as_string(hide_password=True)}')
    seed_if_empty(url, args.requests, args.seed)
    if args.floor:
        return compare(args, url, work)
    print(server_figures(args.runs))

    log = args.server_log or work / 'server.log'
    script = 'bench/live_probe.py' if args.probe else 'main.py'
    browsers: list[WebDriver] = []
    with app_server(url, work, script=script, log=log) as (base, server):
        try:
            keys = api_keys(url, args.posts + 2)
            count = max(1, min(args.browsers, args.pages, AGENTS))
            for index in range(count):
                browsers.append(chromium(work / f'profile-{index}', nice=args.nice))
                sign_in(browsers[-1], base, agent_email(index), AGENT_PASSWORD)

            cold = time_until(browsers[0], f'{base}/requests', rows_on_screen)
            warm = [time_until(browsers[0], f'{base}/requests', rows_on_screen) for _ in range(args.visits)]
            print(
                f'\n/requests in Chromium (1440 px), from driver.get to the first row on screen:\n'
                f'  first visit (cold)  {cold:7.0f} ms\n'
                f'  next visits (warm)  {statistics.median(warm):7.0f} ms median, {max(warm):.0f} ms worst of '
                f'{len(warm)}'
            )

            pages = open_pages(browsers, base, args.pages)
            print(
                f'\n{len(pages)} agent pages open on /requests in {count} Chromium '
                f'{"process" if count == 1 else "processes"} ({", ".join(sorted({p.visibility for p in pages}))})'
            )
            roots = {'server': [server.pid], 'browsers': [b.service.process.pid for b in browsers]}
            results = post_and_watch(pages, base, keys, args.posts, args.gap, roots)
            print(report(results, len(pages)))
            if args.probe:
                time.sleep(0.5)
                print(probe_report(results, log))
        finally:
            for browser in browsers:
                browser.quit()
            for index in range(len(browsers)):
                shutil.rmtree(work / f'profile-{index}', ignore_errors=True)
    problems = [line for line in log.read_text(errors='replace').splitlines() if 'Traceback' in line or 'ERROR' in line]
    if problems:
        print(f'\nThe server logged {len(problems)} error lines; see {log}')
    return 0


# --- against the floor -----------------------------------------------------------------------------------------------


@contextmanager
def floor_server(work: Path) -> Iterator[str]:
    """bench/live_floor.py on a free port; its address uses `localhost`, so its cookies are not the app's."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(('BACKOFFICE_', 'PYTEST', 'NICEGUI'))}
    with (work / 'floor.log').open('wb') as out:
        server = subprocess.Popen(
            [sys.executable, 'bench/live_floor.py', str(port)], cwd=ROOT, env=clean, stdout=out, stderr=out
        )
        try:
            wait_healthy(f'http://127.0.0.1:{port}/healthz')
            yield f'http://localhost:{port}'
        finally:
            server.terminate()
            server.wait(timeout=10)


def call_json(url: str, method: str, payload: dict | None = None, key: str | None = None) -> dict:
    headers = {'Content-Type': 'application/json'}
    if key:
        headers['Authorization'] = f'Bearer {key}'
    data = json.dumps(payload).encode() if payload is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers)) as answer:
        return json.loads(answer.read() or b'{}')


def compare(args: argparse.Namespace, url: str, work: Path) -> int:
    """Backoffice and the floor alternated, per page count: a new request, then that request changed (status and
    assignee), each timed from the API's answer to the row (with the change) on every page."""
    counts = [int(c) for c in args.counts.split(',')]
    per_key = 40  # under the per-key limit of 60 calls a minute, with the GETs of the versions
    blocks = len(counts) * args.rounds
    calls = 2 * blocks * (args.posts + 1)  # Backoffice and floor blocks each count their calls
    keys = api_keys(url, calls * 50 // per_key + 50)  # api_keys makes one key per 50 calls
    db.configure(url)
    import backoffice.resources  # noqa: F401  (the resources' scopes)
    from backoffice.services import api_keys as key_service

    with db.session_scope() as session:
        agents = list(session.execute(select(User).where(User.email.like('bench.agent%')).order_by(User.id)).scalars())
        writers = [
            key_service.create_key(
                session=session,
                actor=None,
                system=True,
                name=f'Bench writer {index + 1}',
                scopes=['write:tickets'],
                acting_as=agents[1],
            )[1]
            for index in range(2 * calls // per_key + 2)
        ]
        names = {agent.id: agent.name for agent in agents}
    log = args.server_log or work / 'server.log'
    results: dict[tuple[str, int, str], list[dict]] = {}
    loads: dict[tuple[str, int], list[float]] = {}
    script = 'bench/live_probe.py' if args.probe else 'main.py'
    with app_server(url, work, script=script, log=log) as (base, server), floor_server(work) as floor:
        browser = chromium(work / 'profile-compare', nice=args.nice)
        try:
            sign_in(browser, base, agent_email(0), AGENT_PASSWORD)
            handles = [browser.current_window_handle]
            for _ in range(max(counts) - 1):
                browser.switch_to.new_window('window')
                handles.append(browser.current_window_handle)
            roots = {'server': [server.pid], 'browsers': [browser.service.process.pid]}
            run, sent_calls = secrets.randbelow(10_000), 0
            for count in counts:
                for round_ in range(args.rounds):
                    for target in ('backoffice', 'floor'):
                        address = f'{base}/requests' if target == 'backoffice' else f'{floor}/'
                        pages = []
                        for index, handle in enumerate(handles):
                            browser.switch_to.window(handle)
                            if index >= count:
                                browser.get('about:blank')
                                continue
                            browser.get(address)
                            try:
                                WebDriverWait(browser, 60).until(rows_on_screen)
                            except Exception:
                                browser.save_screenshot(str(work / 'stuck.png'))
                                print(f'  no rows at {browser.current_url}; see {work / "stuck.png"}', flush=True)
                                raise
                            WebDriverWait(browser, 30).until(
                                lambda d: d.execute_script('return !!(window.socket && window.did_handshake)')
                            )
                            pages.append(Page(driver=browser, handle=handle, visibility=browser.execute_script(WATCH)))
                        time.sleep(1.0)
                        load = [float(os.getloadavg()[0])]
                        for index in range(-1, args.posts):  # one warm-up post, not counted
                            marker = f'{MARK}-{run}-{sent_calls:04d}'
                            key, writer = keys[sent_calls // per_key], writers[2 * sent_calls // per_key]
                            sent_calls += 1
                            before = cpu_seconds(roots)
                            subject = f'{marker} Where is my parcel?'
                            sent = time.time() * 1000
                            if target == 'backoffice':
                                created = call_json(
                                    f'{base}/api/requests',
                                    'POST',
                                    {
                                        'email': f'bench.poster{sent_calls}@example.com',
                                        'name': 'Bench Poster',
                                        'subject': subject,
                                        'body': 'Posted by bench/requests_live.py.',
                                        'type': 'question',
                                    },
                                    key,
                                )
                            else:
                                created = call_json(f'{floor}/floor/requests', 'POST', {'subject': subject})
                            answered = time.time() * 1000
                            seen, arrived = watch(pages, marker, since=sent)
                            after = cpu_seconds(roots)
                            if index >= 0:
                                results.setdefault((target, count, 'new'), []).append(
                                    result_of(marker, sent, answered, seen, arrived, before, after)
                                )
                            time.sleep(args.gap)
                            assignee = agents[2 + sent_calls % (len(agents) - 2)]
                            before = cpu_seconds(roots)
                            if target == 'backoffice':
                                one = f'{base}/api/v1/tickets/{created["id"]}'
                                version = call_json(one, 'GET', key=writer)['version']
                                sent = time.time() * 1000
                                call_json(
                                    one,
                                    'PATCH',
                                    {'status': 'waiting', 'assignee_id': assignee.id, 'version': version},
                                    writer,
                                )
                            else:
                                sent = time.time() * 1000
                                call_json(
                                    f'{floor}/floor/requests',
                                    'PATCH',
                                    {'subject': subject, 'status': 'Waiting on customer', 'assignee': assignee.name},
                                )
                            answered = time.time() * 1000
                            seen, arrived = watch(pages, marker, token=names[assignee.id], since=sent)
                            after = cpu_seconds(roots)
                            if index >= 0:
                                results.setdefault((target, count, 'changed'), []).append(
                                    result_of(marker, sent, answered, seen, arrived, before, after)
                                )
                            time.sleep(args.gap)
                        load.append(float(os.getloadavg()[0]))
                        loads.setdefault((target, count), []).extend(load)
                        print(
                            f'  {target:10} {count:2} pages, round {round_ + 1}: '
                            f'{summary(results[(target, count, "new")][-args.posts :])} new, '
                            f'{summary(results[(target, count, "changed")][-args.posts :])} changed '
                            f'(load {load[0]:.1f}→{load[1]:.1f})',
                            flush=True,
                        )
        finally:
            browser.quit()
            shutil.rmtree(work / 'profile-compare', ignore_errors=True)
    print(compare_report(results, loads, counts))
    if args.probe:
        for count in counts:  # each post's window ends at the next post (a new request, then its change)
            timed = sorted((r for (t, c, _k), rs in results.items() if t == 'backoffice' and c == count for r in rs),
                           key=lambda r: r['sent'])  # fmt: skip
            print(f'\n{count} page(s):' + probe_report(timed, log))
    problems = [line for line in log.read_text(errors='replace').splitlines() if 'Traceback' in line or 'ERROR' in line]
    if problems:
        print(f'\nThe server logged {len(problems)} error lines; see {log}')
    return 0


def result_of(marker, sent, answered, seen, arrived, before, after) -> dict:
    return {
        'marker': marker,
        'sent': sent,
        'answered': answered,
        'seen': seen,
        'ws': arrived,
        'cpu': {name: (after[name] - before[name]) * 1000 for name in after},
        'wall': time.time() * 1000 - sent,
    }


def all_pages_ms(result: dict) -> float | None:
    kept = [seen for seen in result['seen'] if seen == seen]  # NaN: that page was loaded anew meanwhile
    if not kept or None in kept:
        return None
    return max(kept) - result['answered']


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def summary(results: list[dict]) -> str:
    values = [v for v in map(all_pages_ms, results) if v is not None]
    if not values:
        return 'nothing seen'
    median, p95 = percentiles(values)
    return f'{median:.0f}/{p95:.0f} ms'


def compare_report(results: dict, loads: dict, counts: list[int]) -> str:
    lines = [
        '\nAPI answer → row on all pages, p50 / p95 ms (Backoffice vs the bare NiceGUI page, interleaved):',
        f'  {"pages":>5} {"kind":8} {"Backoffice":>14} {"floor":>12} {"ratio p50/p95":>14} '
        f'{"BO server CPU":>13} {"BO ws p50/p95":>14} {"load":>9}',
    ]
    for count in counts:
        for kind in ('new', 'changed'):
            ours = [v for v in map(all_pages_ms, results.get(('backoffice', count, kind), [])) if v is not None]
            floor = [v for v in map(all_pages_ms, results.get(('floor', count, kind), [])) if v is not None]
            if not ours or not floor:
                continue
            (m1, p1), (m2, p2) = percentiles(ours), percentiles(floor)
            server = statistics.median(r['cpu']['server'] for r in results[('backoffice', count, kind)])
            websocket = [
                arrived - r['answered']
                for r in results[('backoffice', count, kind)]
                for arrived in r['ws']
                if arrived is not None and arrived == arrived
            ]
            wm, wp = percentiles(websocket) if websocket else (float('nan'), float('nan'))
            load = loads.get(('backoffice', count), []) + loads.get(('floor', count), [])
            lines.append(
                f'  {count:5} {kind:8} {m1:6.0f} / {p1:5.0f} {m2:5.0f} / {p2:4.0f} {m1 / max(m2, 1):6.1f} / '
                f'{p1 / max(p2, 1):4.1f}× {server:11.0f}ms {wm:6.0f} / {wp:5.0f} '
                f'{min(load):4.1f}–{max(load):.1f}'
            )
    return '\n'.join(lines)


# --- seeding ----------------------------------------------------------------------------------------------------------


def agent_email(index: int) -> str:
    return f'bench.agent{index + 1:02d}@example.com'


def seed_if_empty(url: str, requests: int, seed: int) -> None:
    """Customers (one per five requests), 20 agents, then the requests and their first messages, all in bulk."""
    from backoffice.seed.people import big_page_cache, seed_customers
    from backoffice.services import users

    engine = db.configure(url)
    db.migrate(engine)
    with db.session_scope() as session:
        present = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
        if present:
            print(f'It already holds {present:,} requests: measuring them as they are.')
            return
        started = time.perf_counter()
        seed_customers(session=session, customers=max(1, requests // 5), companies=max(1, requests // 1000), seed=seed)
        for index in range(AGENTS):
            users.create_user(
                session=session,
                actor=None,
                system=True,
                data={
                    'email': agent_email(index),
                    'name': f'Bench Agent {index + 1:02d}',
                    'role': 'agent',
                    'password': AGENT_PASSWORD,
                },
            )
        customers = list(session.execute(text('SELECT id FROM customers ORDER BY id')).scalars())
        agents = list(
            session.execute(select(User.id).where(User.email.like('bench.agent%')).order_by(User.id)).scalars()
        )
        rng = random.Random(seed)
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        with big_page_cache(session):
            rows = [ticket_row(rng, index, requests, now, customers, agents) for index in range(requests)]
            for chunk in range(0, requests, CHUNK):
                session.execute(insert(Ticket.__table__), rows[chunk : chunk + CHUNK])
            ids = dict(session.execute(select(Ticket.number, Ticket.id)).all())
            messages = [
                {
                    'ticket_id': ids[row['number']],
                    'kind': 'customer',
                    'customer_id': row['customer_id'],
                    'body': f'Hello, {row["subject"].lower()} Could you help me? Thanks!',
                    'created_at': row['created_at'],
                    'attempts': 0,
                }
                for row in rows
            ]
            for chunk in range(0, requests, CHUNK):
                session.execute(insert(TicketMessage.__table__), messages[chunk : chunk + CHUNK])
        session.commit()
    if engine.dialect.name == 'postgresql':  # what autovacuum would do soon after a bulk load
        with engine.connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
            connection.execute(text('VACUUM ANALYZE customers, tickets, ticket_messages'))
    else:
        with engine.begin() as connection:
            connection.execute(text('ANALYZE'))
    print(
        f'Seeded {requests:,} requests, {max(1, requests // 5):,} customers and {AGENTS} agents in '
        f'{time.perf_counter() - started:.1f} s'
    )


def ticket_row(
    rng: random.Random, index: int, total: int, now: datetime, customers: list[int], agents: list[int]
) -> dict[str, Any]:
    """Two years of requests, newest last; the older ones mostly solved or closed, the last few hundred open."""
    created = now - timedelta(days=730) * (1 - (index + rng.random()) / total)
    age = now - created
    roll = rng.random()
    if age < timedelta(days=2):
        status = 'new' if roll < 0.3 else 'open' if roll < 0.7 else 'waiting'
    else:
        status = 'solved' if roll < 0.55 else 'closed' if roll < 0.97 else 'open' if roll < 0.99 else 'waiting'
    priority = rng.choices(PRIORITIES, weights=(20, 55, 18, 7))[0]
    first_due, resolution_due = created + timedelta(hours=8), created + timedelta(days=3)
    answered = status != 'new' and (status != 'open' or roll < 0.5)
    done = status in {'solved', 'closed'}
    solved = created + timedelta(hours=rng.uniform(1, 60)) if done else None
    updated = min(now, (solved or created) + timedelta(minutes=rng.uniform(0, 120)))
    due = None if done else resolution_due if answered else first_due
    return {
        'number': 1001 + index,
        'subject': rng.choice(SUBJECTS),
        'customer_id': rng.choice(customers),
        'type': rng.choices(TYPES, weights=(40, 15, 25, 10, 10))[0],
        'priority': priority,
        'status': status,
        'source': 'seed',
        'assignee_id': None if status == 'new' else rng.choice(agents),
        'tags': [],
        'order_number': f'A-{rng.randint(1000, 9999)}',
        'first_response_due': first_due,
        'resolution_due': resolution_due,
        'sla_due_at': due,
        'first_responded_at': created + timedelta(hours=rng.uniform(0.2, 6)) if answered else None,
        'solved_at': solved,
        'sla_breached_at': due + timedelta(minutes=1) if due and due < now else None,
        'severity': None,
        'steps': None,
        'bug_status': None,
        'fixed_in_version': None,
        'duplicate_of_id': None,
        'rating': None,
        'rating_comment': None,
        'rated_at': None,
        'token': f'{rng.getrandbits(128):032x}',
        'created_at': created,
        'updated_at': updated,
        'version': 1,
    }


def api_keys(url: str, posts: int) -> list[str]:
    """Enough keys with requests:write to stay under the per-key rate limit (60 a minute)."""
    from backoffice.services import api_keys as service

    db.configure(url)
    keys = []
    with db.session_scope() as session:
        for index in range(posts // 50 + 1):
            keys.append(
                service.create_key(
                    session=session, actor=None, system=True, name=f'Bench {index + 1}', scopes=['requests:write']
                )[1]
            )
    return keys


# --- the server side of the list --------------------------------------------------------------------------------------


def server_figures(runs: int) -> str:
    """What the list's handler does per load (ResourceTable._fetch): open a read session, `query.list_page`, then
    the titles of the related columns (customers, assignees) for the 25 rows; per queue."""
    from backoffice.resources import RESOURCES
    from components.resource_table import ResourceTable
    from pages.requests import queues

    tickets = RESOURCES['tickets']
    with db.read_session() as session:
        agent = session.execute(select(User).where(User.email == agent_email(0))).scalar_one()
        total = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
        session.expunge(agent)
    table = SimpleNamespace(resource=tickets, _due_columns=[c.name for c in tickets.columns if c.kind == 'due'])

    def page(filters: dict, *, rows: bool = True) -> Callable[[], Any]:
        def call() -> Any:
            with db.read_session() as session:
                result = query.list_page(
                    session=session,
                    actor=agent,
                    resource=tickets,
                    request=query.ListRequest(filters=filters, sort='updated_at', descending=True),
                )
                if rows:
                    ResourceTable._rows(table, session, result.rows)
                return result

        return call

    figures = [('first page (engine only)', page({}, rows=False)), ('first page + row titles', page({}))]
    figures += [(f'queue "{name}"', page(state['filters'])) for name, state in queues(agent).items()]
    lines = [
        f'\n/requests on the server at {total:,} requests (median and p90 of {runs}, after 2 warm-up runs):',
        f'  {"":28} {"median":>9} {"p90":>9}   rows',
    ]
    for label, call in figures:
        median, p90, result = timed(call, runs)
        lines.append(
            f'  {label:28} {median:7.1f}ms {p90:7.1f}ms   {len(result.rows)} of '
            f'{"" if result.exact else "~"}{result.total:,}'
        )
    return '\n'.join(lines)


# --- the browsers -----------------------------------------------------------------------------------------------------


def rows_on_screen(driver: WebDriver) -> bool:
    rows = driver.find_elements(By.CSS_SELECTOR, '.q-table tbody tr')
    return bool(rows) and rows[0].text.strip() != ''


class Page(SimpleNamespace):
    driver: WebDriver
    handle: str
    visibility: str


def open_pages(browsers: list[WebDriver], base: str, count: int) -> list[Page]:
    """`count` windows on /requests, spread over the browsers, each watching for posted subjects."""
    pages = []
    for index in range(count):
        driver = browsers[index % len(browsers)]
        if index >= len(browsers):  # each browser's first page reuses the window it signed in with
            driver.switch_to.new_window('window')
        driver.get(f'{base}/requests')
        WebDriverWait(driver, 30).until(rows_on_screen)
        WebDriverWait(driver, 30).until(lambda d: d.execute_script('return !!(window.socket && window.did_handshake)'))
        visibility = driver.execute_script(WATCH)
        pages.append(Page(driver=driver, handle=driver.current_window_handle, visibility=visibility))
    return pages


def post_and_watch(
    pages: list[Page], base: str, keys: list[str], posts: int, gap: float, roots: dict[str, list[int]]
) -> list[dict]:
    """POST one request at a time; wait until every page shows it; collect each page's timestamps. Two warm-up
    posts first (not counted)."""
    run = secrets.randbelow(10_000)
    results = []
    for index in range(-2, posts):
        marker = f'{MARK}-{run}-{index + 2:04d}'
        payload = {
            'email': f'bench.poster{index + 2}@example.com',
            'name': 'Bench Poster',
            'subject': f'{marker} Where is my parcel?',
            'body': 'Posted by bench/requests_live.py.',
            'type': 'question',
        }
        request = urllib.request.Request(
            f'{base}/api/requests',
            data=json.dumps(payload).encode(),
            method='POST',
            headers={'Authorization': f'Bearer {keys[(index + 2) // 50]}', 'Content-Type': 'application/json'},
        )
        before = cpu_seconds(roots)
        sent = time.time() * 1000
        with urllib.request.urlopen(request, timeout=30) as response:
            answered = time.time() * 1000
            assert response.status == 201, response.status
        seen, arrived = watch(pages, marker)
        after = cpu_seconds(roots)
        if index >= 0:
            cpu = {name: (after[name] - before[name]) * 1000 for name in after}
            results.append(
                {
                    'marker': marker,
                    'sent': sent,
                    'answered': answered,
                    'seen': seen,
                    'ws': arrived,
                    'cpu': cpu,
                    'wall': time.time() * 1000 - sent,
                }
            )
        time.sleep(gap)
    return results


def cpu_seconds(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU time (user + system) used so far by each group of process trees, and by the whole machine ('machine',
    from /proc/stat: every process, the other people's on a shared machine too)."""
    tick = os.sysconf('SC_CLK_TCK')
    parents, used = {}, {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / 'stat').read_text().rsplit(')', 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    totals = {}
    for name, pids in roots.items():
        tree, grew = set(pids), True
        while grew:
            children = {pid for pid, parent in parents.items() if parent in tree} - tree
            tree |= children
            grew = bool(children)
        totals[name] = sum(used.get(pid, 0.0) for pid in tree)
    busy = [int(v) for v in Path('/proc/stat').read_text().splitlines()[0].split()[1:]]
    totals['machine'] = (sum(busy) - busy[3] - busy[4]) / tick  # all but idle and iowait
    return totals


def watch(
    pages: list[Page], marker: str, timeout: float = 20.0, *, token: str | None = None, since: float = 0.0
) -> tuple[list[float | None], list[float | None]]:
    """Each page's wall-clock time of the row in the DOM and of the websocket message with it (None: not seen).
    The pages note the times themselves, so asking late changes nothing; asking often would (every question costs
    the browser CPU on the same cores), so the first look is after a second, then every quarter of a second."""
    seen: list[float | None] = [None] * len(pages)
    arrived: list[float | None] = [None] * len(pages)
    deadline = time.monotonic() + timeout
    time.sleep(1.0)
    while time.monotonic() < deadline and None in seen:
        for index, page in enumerate(pages):
            if seen[index] is None:
                page.driver.switch_to.window(page.handle)
                watching, seen[index], arrived[index] = page.driver.execute_script(ASK, marker, token, since)
                if not watching:  # the page was loaded anew (a reconnect gave up, a redirect): note it, watch again
                    page.reloads = getattr(page, 'reloads', 0) + 1
                    print(
                        f'  page {index + 1} was loaded anew (now at {page.driver.current_url}); it is left out '
                        f'of this post',
                        flush=True,
                    )
                    WebDriverWait(page.driver, 30).until(
                        lambda d: d.execute_script('return !!(window.socket && window.did_handshake)')
                    )
                    page.driver.execute_script(WATCH)
                    seen[index] = arrived[index] = float('nan')
        if None in seen:
            time.sleep(0.25)
    return seen, arrived


def report(results: list[dict], pages: int) -> str:
    all_pages, first_page, websocket, render, missed = [], [], [], [], 0
    reloaded = sum(1 for result in results for seen in result['seen'] if seen is not None and seen != seen)
    for result in results:
        if None in result['seen']:
            missed += 1
            continue
        kept = [
            (seen, arrived) for seen, arrived in zip(result['seen'], result['ws'], strict=True) if seen == seen
        ]  # NaN: that page was loaded anew meanwhile; left out of this post
        if not kept:
            continue
        result['seen'], result['ws'] = [seen for seen, _ in kept], [arrived for _, arrived in kept]
        answered = result['answered']
        all_pages.append(max(result['seen']) - answered)
        first_page.append(min(result['seen']) - answered)
        websocket += [arrived - answered for arrived in result['ws'] if arrived is not None]
        render += [
            seen - arrived for seen, arrived in zip(result['seen'], result['ws'], strict=True) if arrived is not None
        ]
    api = [result['answered'] - result['sent'] for result in results]
    lines = [
        f'\nPOST /api/requests one by one ({len(results)} posts after 2 warm-up posts), {pages} pages watching:',
        f'  {"":50} {"median":>8} {"p95":>8} {"max":>8}',
    ]

    def line(label: str, values: list[float]) -> None:
        if values:
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
            lines.append(f'  {label:50} {statistics.median(ordered):6.0f}ms {p95:6.0f}ms {ordered[-1]:6.0f}ms')

    line('API call (request sent → 201 received)', api)
    line(f'API answer → new row visible on all {pages} pages', all_pages)
    line('API answer → new row visible on the first page', first_page)
    line('API answer → websocket message at a page (each)', websocket)
    line('websocket message → row in the DOM (each)', render)
    for name in ('server', 'browsers', 'machine'):
        line(
            f'CPU used meanwhile by {"the whole machine (2 cores)" if name == "machine" else "the " + name}',
            [result['cpu'][name] for result in results],
        )
    line('wall time of those posts (POST → all pages asked)', [result['wall'] for result in results])
    if reloaded:
        lines.append(f'  {reloaded} times a page was found loaded anew (left out of that post)')
    if missed:
        lines.append(f'  {missed} posts did not show on every page within 20 s')
    if all_pages:
        ordered = sorted(all_pages)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
        lines.append(
            f'\n  p95 on all pages: {p95:.0f} ms (target < {TARGET_P95_MS:.0f} ms): '
            f'{"met" if p95 < TARGET_P95_MS else "MISSED"}'
        )
    return '\n'.join(lines)


def probe_report(results: list[dict], log: Path) -> str:
    """The server's steps per post (from bench/live_probe.py's lines), in ms after the API's answer."""
    probes = []
    for found in re.finditer(r'PROBE ([\d.]+) (\w+) (\S+)', log.read_text(errors='replace')):
        probes.append((float(found[1]), found[2], found[3]))
    columns: dict[str, list[float]] = {}
    for index, result in enumerate(results):
        end = results[index + 1]['sent'] if index + 1 < len(results) else float('inf')
        window = [(at - result['answered'], step, who) for at, step, who in probes if result['sent'] <= at < end]
        started: dict[str, float] = {}
        durations = []
        for at, step, who in window:
            if step == 'fetch0':
                started[who] = at
            elif step == 'fetch1' and who in started:
                durations.append(at - started.pop(who))
        checks = [float(who) for _, step, who in window if step == 'user']
        if checks:
            columns.setdefault('sign-in checks on the loop, sum', []).append(sum(checks))
            columns.setdefault('sign-in check, slowest', []).append(max(checks))
        waits = [float(who) for _, step, who in window if step == 'waited']
        if waits:
            columns.setdefault('sign-ins checked together, awaited', []).append(max(waits))
        for step in ('emit', 'timer', 'fetch0', 'fetch1', 'loaded', 'sent'):
            times = [at for at, name, _ in window if name == step]
            if times:
                columns.setdefault(f'{step} first', []).append(min(times))
                columns.setdefault(f'{step} last', []).append(max(times))
        if durations:
            columns.setdefault('one list query (each, in its thread)', []).append(statistics.median(durations))
            columns.setdefault('list queries, slowest', []).append(max(durations))
    lines = ['\nServer steps, ms after the API answer (median over the posts; first and last of the pages):']
    for label, values in columns.items():
        lines.append(f'  {label:40} {statistics.median(values):7.0f}ms')
    return '\n'.join(lines)


if __name__ == '__main__':
    raise SystemExit(main())
