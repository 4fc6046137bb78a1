"""Where a list page's time goes until its first row shows, in headless Chromium's own trace, Backoffice beside the
bare NiceGUI page (bench/bare_list.py) and, with `--before DIR`, another checkout: the navigation's phases, then the
renderer's main thread up to the first row by kind of work (parsing the HTML, compiling and running each script,
style, layout, paint), the Vue components mounted, the DOM's size and what was fetched. Not a test: prints figures.

    .venv/bin/python bench/first_rows_trace.py --sqlite-file /tmp/orders.db --widths 390 --visits 8
    .venv/bin/python bench/first_rows_trace.py --sqlite-file /tmp/orders.db --widths 390 1440 --cold

The trace comes through chromedriver's performance log (Chromium's `devtools.timeline` events); the first row's
moment is a `performance.mark` set by list_browser.py's watcher. Medians over the visits, each app visited in turn.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import FLAGS, app_server, sign_in  # noqa: E402
from bench.list_browser import LISTS, WATCH_JS, bare_server, copy_database, loadavg  # noqa: E402

MARK_JS = WATCH_JS.replace(
    'window.__firstRowAt = performance.now();',
    "window.__firstRowAt = performance.now(); performance.mark('bo-row' + location.hash);"
    " window.__domAtRow = document.getElementsByTagName('*').length;"
    " window.__cardsAtRow = document.querySelectorAll('.bo-card, .q-table tbody tr').length;",
)
assert MARK_JS != WATCH_JS

PHASES_JS = """
const n = performance.getEntriesByType('navigation')[0];
const walk = (vnode) => {  // the Vue components mounted under the app
  if (!vnode) return 0;
  let count = 0;
  if (vnode.component) { count += 1 + walk(vnode.component.subTree); }
  if (Array.isArray(vnode.children)) {
    for (const c of vnode.children) if (c && typeof c === 'object') count += walk(c);
  }
  return count;
};
const app = document.getElementById('app').__vue_app__;
const res = performance.getEntriesByType('resource');
const fcp = performance.getEntriesByName('first-contentful-paint')[0];
return {
  request: n.requestStart, ttfb: n.responseStart, html_end: n.responseEnd, interactive: n.domInteractive,
  dcl: n.domContentLoadedEventStart, dcl_end: n.domContentLoadedEventEnd, row: window.__firstRowAt,
  fcp: fcp ? fcp.startTime : null, html_kb: n.decodedBodySize / 1024,
  dom_at_row: window.__domAtRow, rows_at_row: window.__cardsAtRow,
  components: app ? walk((app._instance && app._instance.subTree) || (app._container && app._container._vnode)) : null,
  dom: document.getElementsByTagName('*').length,
  fetched: res.filter(r => r.startTime < window.__firstRowAt).length,
  fetched_kb: res.filter(r => r.startTime < window.__firstRowAt).reduce((s, r) => s + r.transferSize, 0) / 1024,
};
"""

# trace event → kind of work (top-level on the renderer's main thread; self time, children subtracted)
KINDS = {
    'ParseHTML': 'parse HTML',
    'ParseAuthorStyleSheet': 'parse CSS',
    'UpdateLayoutTree': 'style',
    'RecalculateStyles': 'style',
    'Layout': 'layout',
    'PrePaint': 'paint',
    'Paint': 'paint',
    'Layerize': 'paint',
    'UpdateLayer': 'paint',
    'CompositeLayers': 'paint',
    'Commit': 'paint',
    'v8.compile': 'compile',
    'v8.compileModule': 'compile',
    'V8.CompileCode': 'compile',
    'v8.produceModuleCache': 'compile',
    'CacheScript': 'compile',
    'MajorGC': 'gc',
    'MinorGC': 'gc',
    'V8.GC_SCAVENGER': 'gc',
    'BlinkGC.AtomicPhase': 'gc',
    'HitTest': 'other',
}
SCRIPTS = (
    'EvaluateScript',
    'v8.evaluateModule',
    'FunctionCall',
    'TimerFire',
    'EventDispatch',
    'v8.run',
    'V8.Execute',
    'RunMicrotasks',
    'FireAnimationFrame',
    'FireIdleCallback',
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--sqlite-file', type=Path, required=True)
    parser.add_argument('--list', choices=sorted(LISTS), default='orders')
    parser.add_argument('--widths', type=int, nargs='+', default=[390])
    parser.add_argument('--visits', type=int, default=6, help='visits per app and width (after one discarded)')
    parser.add_argument('--cold', action='store_true', help="empty Chromium's cache before each visit")
    parser.add_argument('--before', type=Path, help='another checkout, served on a copy of the database')
    parser.add_argument('--no-trace', action='store_true', help='phases only (tracing costs the renderer a little)')
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='bench-trace-'))
    print(f'load average before: {loadavg()}', flush=True)
    rows: dict[tuple, list[dict]] = defaultdict(list)
    with ExitStack() as running:
        base, _ = running.enter_context(app_server(f'sqlite:///{args.sqlite_file}', work))
        roots = {'backoffice': base, 'bare': running.enter_context(bare_server(args.sqlite_file))}
        if args.before:
            copy_database(args.sqlite_file, work / 'before.db')
            before, _ = running.enter_context(
                app_server(f'sqlite:///{work / "before.db"}', work / 'before', script=str(args.before / 'main.py'))
            )
            roots['before'] = before.replace('127.0.0.1', 'localhost')
        driver = traced_chromium(work / 'profile', trace=not args.no_trace)
        driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': MARK_JS})
        events: list[dict] = []  # Chromium's trace, which chromedriver hands over in arrears
        marks: dict[int, str] = {}
        visits = 0
        try:
            for app in ('backoffice', 'before'):
                if app in roots:
                    sign_in(driver, roots[app])
            for visit in range(args.visits + 1):
                for width in args.widths:
                    driver.set_window_size(width, 900)
                    for app, root in roots.items():
                        if app != 'bare':
                            driver.execute_cdp_cmd(
                                'Network.setCookie', {'name': 'bo_width', 'value': str(width), 'url': root}
                            )
                        if args.cold:
                            driver.execute_cdp_cmd('Network.clearBrowserCache', {})
                        visits += 1  # each visit's mark is named after its address's fragment (not sent)
                        measured = one_visit(driver, f'{root}/{args.list}#v{visits}', LISTS[args.list])
                        events.extend(drain(driver, trace=not args.no_trace))
                        if visit:
                            rows[(width, app)].append(measured)
                            marks[id(measured)] = f'bo-row#v{visits}'
            time.sleep(0.5)
            events.extend(drain(driver, trace=not args.no_trace))
            for measured in [m for values in rows.values() for m in values] if events else []:
                measured.update(main_thread(events, marks[id(measured)]))
        finally:
            driver.quit()
            shutil.rmtree(work, ignore_errors=True)
    report(rows, args)
    print(f'load average after: {loadavg()}')
    return 0


def traced_chromium(profile: Path, *, trace: bool):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={profile}')
    if trace:
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
        options.add_experimental_option(
            'perfLoggingPrefs',
            {
                'enableNetwork': False,
                'enablePage': False,
                'traceCategories': 'toplevel,devtools.timeline,v8,blink.user_timing,loading',
            },
        )
    return webdriver.Chrome(options=options, service=Service('/usr/bin/chromedriver'))


def drain(driver, *, trace: bool) -> list[dict]:
    if not trace:
        return []
    events = []
    for entry in driver.get_log('performance'):
        message = json.loads(entry['message'])['message']
        if message['method'] == 'Tracing.dataCollected':
            events.append(message['params'])
    return events


def one_visit(driver, url: str, looks_right, timeout: float = 60) -> dict:
    started = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - started < timeout:
        text = driver.execute_script('return window.__firstRowText')
        if text and looks_right(text.strip()):
            return driver.execute_script(PHASES_JS)
        time.sleep(0.005)
    raise SystemExit(f'no row at {url}')


def main_thread(events: list[dict], name: str) -> dict:
    """Self time per kind of work on the page's main thread, from the navigation's start to the first row's mark."""
    marks = [e for e in events if e.get('name') == name]
    if not marks:
        return {}
    mark = marks[-1]
    pid, tid = mark['pid'], mark['tid']
    starts = [
        e['ts'] for e in events if e.get('name') == 'navigationStart' and e['pid'] == pid and e['ts'] < mark['ts']
    ]
    start = max(starts, default=None)
    if start is None:
        return {}
    end = mark['ts']
    complete = sorted(
        (e for e in events if e.get('ph') == 'X' and e['pid'] == pid and e['tid'] == tid and start <= e['ts'] < end),
        key=lambda e: (e['ts'], -e.get('dur', 0)),
    )
    spent: dict[str, float] = defaultdict(float)
    stack: list[tuple[float, str]] = []  # (end, kind) of the enclosing events
    busy = 0.0
    for event in complete:
        ts, dur, name = event['ts'], event.get('dur', 0), event['name']
        # the thread's CPU time where the trace has it (not the time it waited for a core: the machine is shared),
        # the part before the first row's mark
        cpu = event.get('tdur', dur) * (min(dur, end - ts) / dur if dur else 1)
        while stack and stack[-1][0] <= ts:
            stack.pop()
        kind = KINDS.get(name) or ('script' if name in SCRIPTS else None)
        if name == 'RunTask' and not stack:
            busy += cpu
        if kind is None:
            continue
        # self time: an event's time goes to its kind, minus what a nested event of another kind took
        spent[kind] += cpu
        if stack and stack[-1][1] != kind:
            spent[stack[-1][1]] -= cpu
        elif stack:
            spent[kind] -= cpu  # same kind nested: counted once
        stack.append((ts + dur, kind))
    result = {f'cpu {k}': v / 1000 for k, v in spent.items()}
    result['cpu all tasks'] = busy / 1000
    return result


def report(rows: dict[tuple, list[dict]], args) -> None:
    keys = sorted({k for values in rows.values() for v in values for k in v})
    order = [
        'request',
        'ttfb',
        'html_end',
        'interactive',
        'dcl',
        'row',
        'dcl_end',
        'fcp',
        'html_kb',
        'fetched',
        'fetched_kb',
        'rows_at_row',
        'dom_at_row',
        'components',
        'dom',
    ]
    keys = [k for k in order if k in keys] + sorted(k for k in keys if k not in order)
    apps = [a for a in ('backoffice', 'before', 'bare') if any(a == app for _, app in rows)]
    visit = 'cold' if args.cold else 'warm'
    for width in args.widths:
        print(f'\n/{args.list} at {width} px, {visit}, median of {args.visits} (ms from navigation start, KB, counts)')
        print(f'{"":22}' + ''.join(f'{a:>12}' for a in apps))
        for key in keys:
            cells = []
            for app in apps:
                values = [v[key] for v in rows[(width, app)] if v.get(key) is not None]
                cells.append(f'{statistics.median(values):12.1f}' if values else f'{"—":>12}')
            print(f'{key:22}' + ''.join(cells))


if __name__ == '__main__':
    raise SystemExit(main())
