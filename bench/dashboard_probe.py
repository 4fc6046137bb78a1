"""Where a dashboard visit spends its time, from inside the page: milliseconds since navigation start until the HTML
has arrived, the DOM is ready, the KPI cards are in the DOM, the websocket is open, and the first and the last of the
four Plotly charts are drawn; the median of the warm visits (after one cold visit).

    .venv/bin/python bench/dashboard_probe.py --sqlite-file /tmp/kpi.db      # a database kpi_refresh.py seeded
    .venv/bin/python bench/dashboard_probe.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

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

# through kpi_refresh, which takes them from wherever the browser helpers live (main moved them to bench/_harness.py)
from bench._harness import app_server, chromium, sign_in  # noqa: E402

OBSERVER = r"""
window.__t = {};
(function loop() {
  const t = performance.now();
  if (!__t.cards && document.querySelectorAll('.kpi-card').length >= 15) __t.cards = t;
  // charts drawn, not SVG layers: Plotly draws three .main-svg per chart
  const drawn = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length;
  if (!__t.first_chart && drawn >= 1) __t.first_chart = t;
  if (drawn >= 4) { __t.charts = t; return; }
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
STEPS = ('html', 'dom_ready', 'cards', 'websocket', 'first_chart', 'charts')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--database-url')
    parser.add_argument('--sqlite-file', type=Path)
    parser.add_argument('--runs', type=int, default=10, help='warm visits after the cold one')
    parser.add_argument('--width', type=int, default=390)
    args = parser.parse_args()
    url = args.database_url or f'sqlite:///{args.sqlite_file}'
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    work = Path(tempfile.mkdtemp(prefix='bench-probe-'))
    with app_server(url, work) as (base, _server):
        driver = chromium(work / 'profile', width=1440, height=900)
        try:
            driver.set_window_size(args.width, 844)
            sign_in(driver, base)
            wait = WebDriverWait(driver, 60, poll_frequency=0.1)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.kpi-card'))
            driver.get(f'{base}/login')
            driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': OBSERVER})
            visits = []
            for _ in range(args.runs + 1):
                driver.get(f'{base}/')
                wait.until(lambda d: d.execute_script('return window.__t && window.__t.charts'))
                visits.append(
                    driver.execute_script("""const n = performance.getEntriesByType('navigation')[0];
                    return Object.assign({html: n.responseEnd, dom_ready: n.domContentLoadedEventEnd}, window.__t)""")
                )
        finally:
            driver.quit()
    print(f'dashboard at {args.width} px, ms since navigation start: cold | warm median of {args.runs}')
    for step in STEPS:
        warm = [visit[step] for visit in visits[1:] if step in visit]
        cold = visits[0].get(step)
        print(f'  {step:12s} {cold or 0:7.0f} | {statistics.median(warm) if warm else 0:7.0f}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
