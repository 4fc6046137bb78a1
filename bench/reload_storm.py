"""Reload storm (issue 20): do /requests pages reload themselves while the front office posts?

Seeds (or reuses) a database with requests (bench/requests_live.py's seeding, 2,000 by default), starts `python
main.py` on it, opens `--pages` /requests pages as tabs of one window (`--windows`: one window each) in one headless
Chromium signed in as an agent, types a text into each page's first text field, then for `--seconds` POSTs requests
to /api/requests (one every `--interval` s) and, with `--event-clients N`, N clients POST event batches to /api/events
as fast as they are answered. Then it reads, per page, from the page's own sessionStorage (a script installed before
each document of the tab, so it survives a reload): how many times the document was loaded, its NiceGUI client ids,
the socket's disconnects and reconnects, NiceGUI's "reloading because …" console lines; and whether the typed text
is still there. It also counts the server's GET /requests and greps its log for handshake / reconnect lines.
Prints /proc/loadavg at the start and the end. Not a test: nothing is asserted.

    .venv/bin/python bench/reload_storm.py --seconds 60
    .venv/bin/python bench/reload_storm.py --seconds 150 --event-clients 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from bench._harness import app_server, chromium, sign_in  # noqa: E402
from bench.requests_live import AGENT_PASSWORD, agent_email, api_keys, rows_on_screen, seed_if_empty  # noqa: E402

TYPED = 'typed before the storm'
BURN = 'import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass'
ROOT = Path(__file__).resolve().parents[1]
WRAPPER = """import runpy, sys
sys.path.insert(0, {root!r})
from nicegui import ui
_run = ui.run
def run(*args, **kwargs):
    kwargs['reconnect_timeout'] = {timeout!r}
    return _run(*args, **kwargs)
ui.run = run
runpy.run_path({root!r} + '/main.py', run_name='__main__')
"""

# Runs before every document of the tab (Page.addScriptToEvaluateOnNewDocument): sessionStorage is the tab's and
# survives a reload, window variables do not.
PROBE = r"""
(() => {
  const s = sessionStorage;
  const get = (k, d) => JSON.parse(s.getItem(k) || d);
  const put = (k, v) => s.setItem(k, JSON.stringify(v));
  const note = (text) => { const r = get('__bench_notes', '[]'); r.push([Date.now(), text]); put('__bench_notes', r); };
  const loads = get('__bench_loads', '[]');
  loads.push({at: Date.now(), client: null});
  put('__bench_loads', loads);
  const log = console.log;
  console.log = function (...args) {
    const text = args.map(String).join(' ');
    if (/reload|handshake|timed out|polling/i.test(text)) note(text);
    return log.apply(this, args);
  };
  const hook = setInterval(() => {
    if (!window.socket) return;
    clearInterval(hook);
    const l = get('__bench_loads', '[]'); l[l.length - 1].client = window.clientId; put('__bench_loads', l);
    const bump = (k) => s.setItem(k, String(Number(s.getItem(k) || 0) + 1));
    window.socket.on('disconnect', (reason) => { bump('__bench_disconnects'); note('disconnect: ' + reason); });
    window.socket.on('connect_error', (err) => note('connect_error: ' + err.message));
    window.socket.io.on('reconnect', () => bump('__bench_reconnects'));
  }, 20);
})();
"""
READ = r"""
const s = sessionStorage, field = document.querySelector('input[type=text], input[type=search], input:not([type])');
return {loads: JSON.parse(s.getItem('__bench_loads') || '[]'), notes: JSON.parse(s.getItem('__bench_notes') || '[]'),
        disconnects: Number(s.getItem('__bench_disconnects') || 0),
        reconnects: Number(s.getItem('__bench_reconnects') || 0),
        typed: field ? field.value : null, visibility: document.visibilityState};
"""


def post(url: str, payload: dict | bytes, key: str) -> int:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=data, method='POST', headers={'Content-Type': 'application/json', 'Authorization': f'Bearer {key}'}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def events_key(url: str) -> str:
    from backoffice import db
    from backoffice.services import api_keys as service

    db.configure(url)
    with db.session_scope() as session:
        return service.create_key(
            session=session, actor=None, system=True, name='Storm events', scopes=['events:write']
        )[1]


def event_client(base: str, key: str, index: int, until: float, statuses: list[int]) -> None:
    from bench.events_ingest import batch_body, event_types

    rng, types, sequence = random.Random(index), event_types(), 0
    while time.monotonic() < until:
        sequence += 1
        status = post(f'{base}/api/events', batch_body(index, sequence, 100, [], rng, types), key)
        statuses.append(status)
        if status in (429, 503):
            time.sleep(1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=150, help='how long the front office posts (default 150)')
    parser.add_argument('--pages', type=int, default=10, help='/requests pages open (default 10)')
    parser.add_argument('--windows', action='store_true', help='one window per page (default: tabs of one window)')
    parser.add_argument('--interval', type=float, default=1.0, help='seconds between two posted requests (default 1)')
    parser.add_argument('--event-clients', type=int, default=0, help='clients posting event batches (default 0)')
    parser.add_argument('--requests', type=int, default=2_000, help='requests to seed if the database is empty')
    parser.add_argument('--database-url', help='default: a new SQLite file')
    parser.add_argument('--sqlite-file', type=Path)
    parser.add_argument('--server-log', type=Path)
    parser.add_argument(
        '--check', action='store_true', help='reload the last page once before the storm (the count must show it)'
    )
    parser.add_argument(
        '--burn', type=int, default=0, help='busy-loop processes during the storm, to load the machine (default 0)'
    )
    parser.add_argument(
        '--reconnect-timeout',
        type=float,
        help="serve main.py with this ui.run reconnect_timeout instead of its own (NiceGUI's default is 3 s)",
    )
    parser.add_argument('--env', action='append', default=[], help='NAME=VALUE for the server (repeatable)')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='bench-storm-'))
    url = args.database_url or f'sqlite:///{args.sqlite_file or work / "requests.db"}'
    seed_if_empty(url, args.requests, 1)
    keys = api_keys(url, int(args.seconds / args.interval) + 60)
    ekey = events_key(url) if args.event_clients else ''
    log = args.server_log or work / 'server.log'
    env = dict(item.split('=', 1) for item in args.env)
    script = 'main.py'
    if args.reconnect_timeout is not None:  # a wrapper, as bench/live_probe.py: main.py itself does not change
        script = str(work / 'storm_main.py')
        Path(script).write_text(WRAPPER.format(root=str(ROOT), timeout=args.reconnect_timeout))
    with app_server(url, work, script=script, log=log, env=env) as (base, _server):
        browser = chromium(work / 'profile')
        try:
            sign_in(browser, base, agent_email(0), AGENT_PASSWORD)
            handles = []
            for index in range(args.pages):
                if index:
                    browser.switch_to.new_window('window' if args.windows else 'tab')
                browser.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': PROBE})
                browser.get(f'{base}/requests')
                WebDriverWait(browser, 60).until(rows_on_screen)
                WebDriverWait(browser, 30).until(lambda d: d.execute_script('return !!window.did_handshake'))
                fields = [f for f in browser.find_elements(By.CSS_SELECTOR, 'input[type=text], input:not([type])')]
                if fields:
                    fields[0].send_keys(TYPED)
                handles.append(browser.current_window_handle)
            if args.check:
                browser.execute_script('location.reload()')
                time.sleep(1)
                WebDriverWait(browser, 60).until(lambda d: d.execute_script('return !!window.did_handshake'))
            started_load = Path('/proc/loadavg').read_text().strip()
            if args.reconnect_timeout is not None:
                print(f'served with reconnect_timeout={args.reconnect_timeout} s (main.py: 30 s)')
            print(f'{len(handles)} /requests pages open as {"windows" if args.windows else "tabs of one window"}')
            print(f'load at start: {started_load}', flush=True)
            until = time.monotonic() + args.seconds
            statuses: list[int] = []
            threads = [
                threading.Thread(target=event_client, args=(base, ekey, i, until, statuses), daemon=True)
                for i in range(args.event_clients)
            ]
            for thread in threads:
                thread.start()
            burners = [
                subprocess.Popen([sys.executable, '-c', BURN.format(seconds=args.seconds)]) for _ in range(args.burn)
            ]
            posted, answers, peak = 0, {}, 0.0
            while time.monotonic() < until:
                next_at = time.monotonic() + args.interval
                status = post(
                    f'{base}/api/requests',
                    {
                        'email': f'storm{posted % 200}@example.com',
                        'name': 'Storm Poster',
                        'subject': f'Storm {posted}: where is my parcel?',
                        'body': 'Posted by bench/reload_storm.py.',
                        'type': 'question',
                    },
                    keys[posted // 50],
                )
                answers[status] = answers.get(status, 0) + 1
                posted += 1
                peak = max(peak, os.getloadavg()[0])
                time.sleep(max(0.0, next_at - time.monotonic()))
            for thread in threads:
                thread.join(timeout=130)
            for burner in burners:
                burner.wait()
            ended_load = Path('/proc/loadavg').read_text().strip()
            time.sleep(2)  # a page reloading right now gets its document
            pages = []
            for handle in handles:
                browser.switch_to.window(handle)
                pages.append(browser.execute_script(READ))
        finally:
            browser.quit()
    text = log.read_text(errors='replace')
    print(f'requests posted: {posted} {answers}; event batches: {len(statuses)} {count(statuses)}')
    print(f'load at end: {ended_load}; highest 1-min load seen: {peak:.1f}')
    print('\npage  loads  reloads  client ids  disconnects  reconnects  typed kept  notes')
    reloads = 0
    for index, page in enumerate(pages, 1):
        extra = len(page['loads']) - 1
        reloads += extra
        clients = len({entry['client'] for entry in page['loads']})
        notes = '; '.join(sorted({re.sub(r'clientId \S+', 'clientId …', n[1]) for n in page['notes']}))
        print(
            f'{index:4}  {len(page["loads"]):5}  {extra:7}  {clients:10}  {page["disconnects"]:11}  '
            f'{page["reconnects"]:10}  {str(page["typed"] == TYPED):10}  {notes[:200]}'
        )
    print(f'\nreloads in all: {reloads} over {len(pages)} pages in {args.seconds:.0f} s')
    lines = [line for line in text.splitlines() if re.search(r'handshake|reconnect|Traceback|ERROR', line, re.I)]
    print(f'server log lines about handshake / reconnect / errors: {len(lines)} (log: {log})')
    for line in lines[:10]:
        print('  ' + line[:200])
    return 0


def count(statuses: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for status in statuses:
        out[status] = out.get(status, 0) + 1
    return out


if __name__ == '__main__':
    raise SystemExit(main())
