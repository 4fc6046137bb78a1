"""What a page load costs Chromium's renderer, and the shell's share of it: each page loaded N times in headless
Chromium, with the renderer's own counters (CDP `Performance.getMetrics`: script, layout, style recalculation and
all its main-thread tasks) and the DOM's size once the page has settled. The sign-in page has no shell; `/shell`
(a signed-in screen with nothing in it, declared by bench/_shell_only.py) is the shell alone. Not a test.

    .venv/bin/python bench/page_render.py                                    # /login, /shell, /carriers, /
    .venv/bin/python bench/page_render.py --runs 10 --paths /settings --widths 390 1440
    .venv/bin/python bench/page_render.py --before /path/to/other/checkout  # both apps, loads interleaved

Each load starts from about:blank (its counters then are subtracted) with the page's scripts in the HTTP cache, as
the tests' loads are; "settled" is the page's heading shown (the sign-in form on /login), then two animation frames
and an idle callback. Each round loads every page once (in every app: with `--before`, the other checkout's app is
served from a copy of the same database), so that the machine's load drifts over all pages alike.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import EMAIL, PASSWORD, app_server, chromium  # noqa: E402

METRICS = ('TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration')
SETTLED_JS = """
const done = arguments[arguments.length - 1];
const ready = () => document.querySelector('[role=heading][aria-level="1"]')
  || document.querySelector('input[type=password]');
const idle = () => requestAnimationFrame(() => requestAnimationFrame(() =>
  (window.requestIdleCallback || setTimeout)(() => done({
    nodes: document.getElementsByTagName('*').length,
    vue: document.querySelectorAll('[id^="c"]').length,
  }))));
const wait = () => ready() ? idle() : setTimeout(wait, 10);
wait();
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--paths', nargs='+', default=['/login', '/shell', '/carriers', '/'])
    parser.add_argument('--widths', type=int, nargs='+', default=[1440])
    parser.add_argument('--runs', type=int, default=10, help='timed loads per page and width, after one warm-up load')
    parser.add_argument('--before', type=Path, help='another checkout, served too and loaded in the same rounds')
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='bench-render-'))
    try:
        database = prepare_database(work / 'render.db')
        checkouts = {'now': ROOT} | ({'before': args.before.resolve()} if args.before else {})
        with ExitStack() as running:
            apps = {}
            for name, root in checkouts.items():
                copy = work / f'{name}.db'
                shutil.copy(database, copy)
                if root != ROOT:  # the same screen in the other checkout
                    shutil.copy(ROOT / 'bench' / '_shell_only.py', root / 'bench' / '_shell_only.py')
                base, _server = running.enter_context(
                    app_server(f'sqlite:///{copy}', work / name, script='bench/_shell_only.py', root=root)
                )
                driver = chromium(work / f'profile-{name}')
                running.callback(driver.quit)
                apps[name] = (base, driver)
            measure(args, apps)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def prepare_database(path: Path) -> Path:
    from backoffice import db
    from bench._harness import ensure_admin

    engine = db.configure(f'sqlite:///{path}')
    db.migrate(engine)
    with db.session_scope() as session:
        ensure_admin(session)
    engine.dispose()
    return path


def measure(args: argparse.Namespace, apps: dict) -> None:
    results: dict[tuple, list[dict]] = {}
    load = Path('/proc/loadavg').read_text().split()[:3]
    print(f'load average {" ".join(load)}; {args.runs} loads per page after one warm-up load')
    for width in args.widths:
        for _name, (_base, driver) in apps.items():
            driver.set_window_size(width, 900)
        signed_paths = [path for path in args.paths if path != '/login']
        for group, signed in (([p for p in args.paths if p == '/login'], False), (signed_paths, True)):
            if not group:
                continue
            for _name, (base, driver) in apps.items():
                signed_in(driver, base, signed=signed)
            for run in range(args.runs + 1):  # each round loads every page in every app: drift hits all alike
                for path in group:
                    for name, (base, driver) in apps.items():
                        figures = load_once(driver, base + path, width)
                        if run:
                            results.setdefault((width, path, name), []).append(figures)
    load = Path('/proc/loadavg').read_text().split()[:3]
    print(f'{"page":14} {"width":>5} {"app":6} ' + ' '.join(f'{m[:-8]:>11}' for m in METRICS) + '  DOM nodes')
    for (width, path, name), runs in results.items():
        medians = [statistics.median(r[m] for r in runs) * 1000 for m in METRICS]
        nodes = statistics.median(r['nodes'] for r in runs)
        print(f'{path:14} {width:5} {name:6} ' + ' '.join(f'{v:8.1f} ms' for v in medians) + f'  {nodes:9.0f}')
    print(f'(medians; Task is every main-thread task of the renderer) load average after {" ".join(load)}')


def signed_in(driver, base: str, *, signed: bool) -> None:
    """Signed in as the bench admin, or signed out (for the sign-in page)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f'{base}/healthz')
    if not signed:
        driver.delete_all_cookies()
        return
    driver.get(f'{base}/shell')
    WebDriverWait(driver, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'input[type=email]') or d.find_elements(By.CSS_SELECTOR, 'header')
    )
    if driver.find_elements(By.CSS_SELECTOR, 'header'):
        return
    driver.find_element(By.CSS_SELECTOR, 'input[type=email]').send_keys(EMAIL)
    driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(PASSWORD)
    driver.find_element(By.XPATH, '//button[normalize-space(.)="Log in"]').click()
    WebDriverWait(driver, 30).until(lambda d: '/login' not in d.current_url)


def load_once(driver, url: str, width: int) -> dict:
    driver.add_cookie({'name': 'bo_width', 'value': str(width), 'path': '/', 'sameSite': 'Lax'})
    driver.get('about:blank')
    driver.execute_cdp_cmd('Performance.enable', {'timeDomain': 'threadTicks'})
    before = metrics(driver)
    driver.get(url)
    driver.set_script_timeout(30)
    dom = driver.execute_async_script(SETTLED_JS)
    after = metrics(driver)
    driver.execute_cdp_cmd('Performance.disable', {})
    figures = {m: after[m] - (before[m] if after[m] >= before[m] else 0) for m in METRICS}
    return figures | dom


def metrics(driver) -> dict[str, float]:
    return {m['name']: m['value'] for m in driver.execute_cdp_cmd('Performance.getMetrics', {})['metrics']}


if __name__ == '__main__':
    raise SystemExit(main())
