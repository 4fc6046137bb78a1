"""How long one changed row, and one new row, take to render in one browser page: /requests' `patchRows`
(list_table.js) against the floor's bare table (bench/live_floor.py) given the same change, from the call to
`await Vue.nextTick()` (Vue's render and DOM patch; style, layout and paint not included). Median and 90th percentile
of 30 changes, three rounds. A new row goes first, the last row leaves the page and the row count moves by one.

    .venv/bin/python bench/live_render.py /tmp/r.db      # a database seeded by bench/requests_live.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from bench._harness import app_server, chromium, sign_in  # noqa: E402
from bench.requests_live import AGENT_PASSWORD, agent_email, floor_server, rows_on_screen  # noqa: E402

JS_BO = """
const done = arguments[arguments.length - 1];
const fresh = arguments[0];
(async () => {
  const el = document.querySelector('.resource-table');
  const id = Number((el.closest('[id^=c]') || el).id.slice(1));
  const vm = getElement(id);
  const times = [];
  for (let i = 0; i < 30; i++) {
    const rows = vm.shownRows;
    const r = {...rows[3], subject: 'X' + i + Math.random()};
    if (fresh) r.id = 900000000 + i;
    const order = fresh ? [r.id, ...rows.slice(0, -1).map((x) => x.id)] : rows.map((x) => x.id);
    const pages = vm.shownPagination;
    const pagination = fresh ? {...pages, rowsNumber: pages.rowsNumber + 1} : null;
    const t0 = performance.now();
    vm.patchRows([r], order, pagination, {});
    await Vue.nextTick();
    times.push(performance.now() - t0);
    await new Promise((res) => setTimeout(res, 20));
  }
  times.sort((a, b) => a - b);
  done([times[15], times[27], id]);
})();
"""
JS_FLOOR = """
const done = arguments[arguments.length - 1];
const fresh = arguments[0];
(async () => {
  const el = document.querySelector('.q-table__container');
  const id = Number(el.id.slice(1));
  const times = [];
  for (let i = 0; i < 30; i++) {
    const props = mounted_app.elements[id].props;
    let rows = props.rows.map((x) => ({...x}));
    rows[3] = {...rows[3], subject: 'X' + i + Math.random()};
    if (fresh) rows = [{...rows[3], id: 900000000 + i}, ...rows.slice(0, -1)];
    const t0 = performance.now();
    props.rows = rows;
    await Vue.nextTick();
    times.push(performance.now() - t0);
    await new Promise((res) => setTimeout(res, 20));
  }
  times.sort((a, b) => a - b);
  done([times[15], times[27], id]);
})();
"""


def main() -> int:
    database = sys.argv[1] if len(sys.argv) > 1 else '/tmp/r.db'
    work = Path(tempfile.mkdtemp(prefix='live-render-'))
    with app_server(f'sqlite:///{database}', work) as (base, _server), floor_server(work) as floor:
        browser = chromium(work / 'profile')
        browser.set_script_timeout(30)
        try:
            sign_in(browser, base, agent_email(0), AGENT_PASSWORD)
            for _ in range(3):
                for name, address, script in (
                    ('backoffice', f'{base}/requests', JS_BO),
                    ('floor', f'{floor}/', JS_FLOOR),
                ):
                    browser.get(address)
                    WebDriverWait(browser, 60).until(rows_on_screen)
                    time.sleep(1.5)
                    for fresh, what in ((False, 'one changed row'), (True, 'one new row   ')):
                        median, p90, _ = browser.execute_async_script(script, fresh)
                        print(f'{name:10} {what} rendered: median {median:5.1f} ms, p90 {p90:5.1f} ms', flush=True)
        finally:
            browser.quit()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
