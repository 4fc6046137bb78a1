"""Where a dashboard visit spends its time, from inside the page: milliseconds since navigation start until the HTML
has arrived, the DOM is ready, the KPI cards are in the DOM, the websocket is open, and the first and the last of the
four Plotly charts are drawn. Cold visits start with an empty browser cache (CDP `Network.clearBrowserCache`: every
script, Plotly's bundle included, is fetched and compiled again); warm visits reuse it. Medians and p95.

    .venv/bin/python bench/dashboard_probe.py --sqlite-file /tmp/kpi.db      # a database kpi_refresh.py seeded
    .venv/bin/python bench/dashboard_probe.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/dashboard_probe.py --sqlite-file /tmp/kpi.db --widths 390 1440 --cold 5 --floor --switch 10

`--floor` interleaves each visit with visits of bare NiceGUI pages (`bench/_floor_plotly.py`): one Plotly chart on
NiceGUI's own `ui.plotly` and full bundle (`floor`), the same chart on the dashboard's element and smaller bundle
(`floor-basic`), and the dashboard's four figures alone on it (`floor-basic-4`): the framework's floors, measured in
the same minute. `--switch N` then taps the
period switch N times (7 d and 30 d in turn) on a loaded dashboard and times, from the tap: a busy state visible
(an element with `aria-busy="true"` on screen), the first card showing its new value, and all four charts redrawn
with the new period's figures.

Timestamps are taken in the page (requestAnimationFrame and a wrapped WebSocket, injected before the page's own
scripts) so that Selenium's polling neither costs the browser CPU nor adds its own latency.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import app_server, chromium, sign_in  # noqa: E402

OBSERVER = r"""
window.__t = {};
(function loop() {
  const t = performance.now();
  const need = /^\/floor(-basic)?$/.test(location.pathname) ? 1 : 4;  // one chart on the two bare floors
  if (!__t.cards && document.querySelectorAll('.kpi-card').length >= 15) __t.cards = t;
  // charts drawn, not SVG layers: Plotly draws three .main-svg per chart
  const drawn = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length;
  if (!__t.first_chart && drawn >= 1) __t.first_chart = t;
  if (drawn >= need) { __t.charts = t; return; }
  requestAnimationFrame(loop);
})();
const NativeSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new NativeSocket(...args);
  socket.addEventListener('open', () => { __t.websocket = performance.now(); });
  return socket;
};
window.WebSocket.prototype = NativeSocket.prototype;
Object.assign(window.WebSocket, NativeSocket);
"""
# a tap on the period switch, timed in the page: busy state on screen, the first card's new text, four charts redrawn
SWITCH = r"""
const label = arguments[0];
const button = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === label);
const plots = () => [...document.querySelectorAll('.js-plotly-plot')];
plots().forEach(p => { p.__before = p._fullData; });
const firstCard = () => (document.querySelector('.kpi-card') || {}).innerText;
const cardBefore = firstCard();
const r = window.__s = {};
const t0 = performance.now();
button.click();
(function loop() {
  const t = performance.now() - t0;
  const busy = [...document.querySelectorAll('[aria-busy="true"], [data-switching]')]
    .some(e => e.offsetParent !== null);
  if (busy && r.busy === undefined) r.busy = t;
  if (r.card === undefined && firstCard() !== cardBefore) r.card = t;
  const fresh = plots().filter(p => p.querySelector('.main-svg') && p._fullData && p._fullData !== p.__before);
  if (fresh.length >= 4 && r.card !== undefined && !busy) { r.charts = t; return; }
  if (t > 20000) { r.timeout = true; return; }
  requestAnimationFrame(loop);
})();
"""
STEPS = ('html', 'dom_ready', 'cards', 'websocket', 'first_chart', 'charts')


def stats(values: list[float]) -> str:
    if not values:
        return '      —'
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f'{statistics.median(values):6.0f} / {p95:5.0f}'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--database-url')
    parser.add_argument('--sqlite-file', type=Path)
    parser.add_argument('--runs', type=int, default=10, help='warm visits per width')
    parser.add_argument('--cold', type=int, default=3, help='cold visits (empty browser cache) per width')
    parser.add_argument('--widths', type=int, nargs='+', default=[390])
    parser.add_argument('--floor', action='store_true', help='interleave the bare pages of _floor_plotly.py')
    parser.add_argument('--switch', type=int, default=0, help='period switches timed at each width')
    parser.add_argument(
        '--app-root', type=Path, default=ROOT, help='the dashboard from this checkout (a "before"); floors: this one'
    )
    args = parser.parse_args()
    url = args.database_url or f'sqlite:///{args.sqlite_file}'
    from contextlib import ExitStack

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    work = Path(tempfile.mkdtemp(prefix='bench-probe-'))
    with ExitStack() as stack:
        base, _server = stack.enter_context(app_server(url, work, root=args.app_root))
        floor = None
        if args.floor:
            floor, _floor_server = stack.enter_context(app_server(url, work / 'floor', script='bench/_floor_plotly.py'))
        driver = chromium(work / 'profile', width=1440, height=900)
        try:
            sign_in(driver, base)
            wait = WebDriverWait(driver, 60, poll_frequency=0.05)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.kpi-card'))
            driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': OBSERVER})

            def visit(target: str, cold: bool) -> dict:
                driver.get('about:blank')
                if cold:
                    driver.execute_cdp_cmd('Network.clearBrowserCache', {})
                driver.get(target)
                try:
                    wait.until(lambda d: d.execute_script('return window.__t && window.__t.charts'))
                except Exception:
                    print('timed out:', target, driver.current_url, driver.execute_script('return window.__t'))
                    raise
                return driver.execute_script("""const n = performance.getEntriesByType('navigation')[0];
                    return Object.assign({html: n.responseEnd, dom_ready: n.domContentLoadedEventEnd}, window.__t)""")

            for width in args.widths:
                driver.set_window_size(width, 844 if width < 600 else 900)
                visits: dict[tuple[str, bool], list[dict]] = {}
                plan = [True] * args.cold + [False] * (args.runs + 1)  # the first warm visit fills the cache again
                for index, cold in enumerate(plan):
                    for name, target in (
                        ('backoffice', f'{base}/'),
                        ('floor', f'{floor}/floor'),
                        ('floor-basic', f'{floor}/floor-basic'),
                        ('floor-basic-4', f'{floor}/floor-basic-4'),
                    ):
                        if name.startswith('floor') and not floor:
                            continue
                        result = visit(target, cold)
                        if cold or index > args.cold:
                            visits.setdefault((name, cold), []).append(result)
                print(f'\n{args.app_root} at {width} px, ms since navigation start: median / p95 ({load()})')
                for (name, cold), runs in visits.items():
                    print(f'  {name} {"cold" if cold else "warm"} ({len(runs)} visits)')
                    for step in STEPS:
                        values = [run[step] for run in runs if step in run]
                        if values:
                            print(f'    {step:12s} {stats(values)}')
                if args.switch:
                    driver.get(f'{base}/')
                    wait.until(lambda d: d.execute_script('return window.__t && window.__t.charts'))
                    switches = []
                    for index in range(args.switch):
                        label = '7 d' if index % 2 == 0 else '30 d'
                        driver.execute_script(SWITCH, label)
                        wait.until(lambda d: d.execute_script('return window.__s.charts || window.__s.timeout'))
                        switches.append(driver.execute_script('return window.__s'))
                    print(f'  period switch at {width} px, ms from the tap: median / p95 ({args.switch} taps)')
                    for step, what in (
                        ('busy', 'busy state visible'),
                        ('card', 'first card new'),
                        ('charts', 'all four charts redrawn'),
                    ):
                        values = [s[step] for s in switches if step in s]
                        print(f'    {what:24s} {stats(values)}  ({len(values)} of {len(switches)})')
        finally:
            driver.quit()
    return 0


def load() -> str:
    return 'load average ' + ' '.join(Path('/proc/loadavg').read_text().split()[:3])


if __name__ == '__main__':
    raise SystemExit(main())
