"""What one navigation between signed-in screens costs: a full page load as today, against the same screen swapped
inside one page by `ui.sub_pages` (bench/_spa_server.py, a prototype). Issue #12 (the suite is CPU-bound on page loads).

Two servers over one demo database: main.py as it is (A) and main.py with every signed-in screen served as a sub page
of one root page (B); a headless Chromium signed in on each. Each round goes through the same screens in both, in
turns (A by `driver.get` as the browser tests open a page, A by a click on the screen's link, B by the same click,
which NiceGUI's script turns into a sub page swap over the open websocket). For each navigation: the CPU seconds of
Chromium by process type (browser, renderer, gpu, utility), of chromedriver, and of the server, from just before the
navigation until SETTLE seconds after the screen's heading (`[role=heading][aria-level="1"]` with the screen's title)
shows; and the wall time until that heading shows. Medians over the rounds; the load average beside.

    .venv/bin/python bench/spa_navigation.py                 # 5 rounds, the default screens
    .venv/bin/python bench/spa_navigation.py --rounds 9 --settle 1.5 --json /tmp/spa.json
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import EMAIL, PASSWORD, app_server, chromium, sign_in  # noqa: E402

SCREENS = ('/orders', '/customers', '/requests', '/', '/settings', '/orders/{order}', '/system', '/products')
KINDS = ('browser', 'renderer', 'gpu', 'utility', 'driver', 'server')
MODES = ('A get', 'A click', 'B sub page')

HEADING_JS = """
const want = arguments[0];
return [...document.querySelectorAll('[role=heading][aria-level="1"]')].some((h) => h.textContent.trim() === want);
"""
CLICK_JS = """
const path = arguments[0];
let link = document.querySelector('.q-drawer a[href="' + path + '"]');
const made = !link;
if (made) {  // a record's address has no menu entry: a link as a list row's would be, clicked the same way
  link = document.createElement('a');
  link.href = path;
  document.body.appendChild(link);
}
link.click();
if (made) link.remove();
"""


def process_kind(process) -> str | None:
    import psutil

    try:
        name, command = process.name(), process.cmdline()
    except psutil.Error:
        return None
    if 'chromedriver' in name:
        return 'driver'
    for argument in command:
        if argument.startswith('--type='):
            kind = argument[len('--type=') :]
            return kind if kind in KINDS else 'utility'  # zygote, crashpad handler…: counted with the utilities
    return 'browser'


class CpuMeter:
    """CPU seconds by process type since the last reading, over a server's process and a chromedriver's tree. A process
    seen for the first time counts from its start; one that ended between two readings loses what it did since the
    earlier one (a renderer replaced by a full load: a little less counted for A, never more)."""

    def __init__(self, server_pid: int, driver) -> None:
        import psutil

        self.server = psutil.Process(server_pid)
        self.driver = psutil.Process(driver.service.process.pid)
        self.seen: dict[int, float] = {}
        self.read()

    def read(self) -> dict[str, float]:
        import psutil

        spent = dict.fromkeys(KINDS, 0.0)
        for process in [self.server, self.driver, *self.driver.children(recursive=True)]:
            kind = 'server' if process.pid == self.server.pid else process_kind(process)
            if kind is None:
                continue
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total = times.user + times.system + times.children_user + times.children_system
            spent[kind] += total - self.seen.get(process.pid, 0.0)
            self.seen[process.pid] = total
        return spent


def wait_for(driver, title: str, timeout: float = 30) -> float:
    """Seconds until a level-1 heading says `title` (polled every 10 ms; a page being replaced answers late)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if driver.execute_script(HEADING_JS, title):
                return time.perf_counter() - started
        except Exception:  # noqa: BLE001 (the document went away mid-call: a full load)
            pass
        time.sleep(0.01)
    raise SystemExit(f'"{title}" never showed at {driver.current_url}')


def navigate(
    driver, meter: CpuMeter, go: Callable[[], None], title: str, settle: float, throttle: float
) -> dict[str, float]:
    if throttle > 1:  # again each time: a full load may bring a new renderer, which starts unthrottled
        driver.execute_cdp_cmd('Emulation.setCPUThrottlingRate', {'rate': throttle})
    meter.read()
    started = time.perf_counter()
    go()
    wait_for(driver, title)
    wall = time.perf_counter() - started  # the navigation's own call (driver.get waits for the load) included
    time.sleep(settle)
    spent = meter.read()
    spent['wall'] = wall
    return spent


def first_order(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        row = connection.execute('SELECT number FROM orders ORDER BY id LIMIT 1').fetchone()
    if row is None:
        raise SystemExit('the demo database has no order')
    return str(row[0])


def median_table(results: dict[tuple[str, str], list[dict[str, float]]], paths: list[str]) -> list[str]:
    lines = []
    header = (
        f'{"screen":<18}{"mode":<12}{"wall ms":>8}' + ''.join(f'{k:>9}' for k in KINDS) + f'{"chromium":>9}{"all":>7}'
    )
    lines.append(header)
    totals: dict[str, list[float]] = {}
    for path in paths:
        for mode in MODES:
            runs = results.get((path, mode), [])
            if not runs:
                continue
            row = {k: statistics.median(r[k] for r in runs) for k in (*KINDS, 'wall')}
            chromium_cpu = statistics.median(sum(r[k] for k in ('browser', 'renderer', 'gpu', 'utility')) for r in runs)
            everything = statistics.median(sum(r[k] for k in KINDS) for r in runs)
            totals.setdefault(mode, []).append(everything)
            totals.setdefault(f'{mode} chromium', []).append(chromium_cpu)
            totals.setdefault(f'{mode} wall', []).append(row['wall'])
            lines.append(
                f'{path:<18}{mode:<12}{row["wall"] * 1000:>8.0f}'
                + ''.join(f'{row[k]:>9.3f}' for k in KINDS)
                + f'{chromium_cpu:>9.3f}{everything:>7.3f}'
            )
    lines.append('')
    for mode in MODES:
        if mode in totals:
            everything, chromium_cpu = statistics.fmean(totals[mode]), statistics.fmean(totals[f'{mode} chromium'])
            wall = statistics.fmean(totals[f'{mode} wall']) * 1000
            lines.append(
                f'mean over screens, {mode:<11}: all {everything:.3f} s CPU, Chromium {chromium_cpu:.3f} s, '
                f'wall {wall:.0f} ms'
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--settle', type=float, default=1.0, help='seconds after the heading shows, counted too')
    parser.add_argument('--screens', nargs='+', default=list(SCREENS), help="{order}: the first order's number")
    parser.add_argument('--width', type=int, default=1440, help="the window's width (390: a phone's, drawer closed)")
    parser.add_argument(
        '--throttle',
        type=float,
        default=1,
        help="Chromium slows its renderer this many times (4: a phone's CPU); read the wall times only",
    )
    parser.add_argument('--json', type=Path, help="every navigation's figures, for a later look")
    parser.add_argument('--screenshots', type=Path, help='a folder: each screen as the last round showed it, each way')
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix='spa-bench-'))
    database = work / 'bo.db'
    url = f'sqlite:///{database}'
    env = {'BACKOFFICE_DEMO': '1', 'BACKOFFICE_ADMIN_EMAIL': EMAIL, 'BACKOFFICE_ADMIN_PASSWORD': PASSWORD}
    (work / 'a').mkdir()
    (work / 'b').mkdir()
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    loads: list[float] = []
    print(f'load average at start: {os.getloadavg()[0]:.2f}', flush=True)
    with app_server(url, work / 'a', env=env, log=work / 'a.log') as (base_a, server_a):
        with app_server(url, work / 'b', env=env, log=work / 'b.log', script='bench/_spa_server.py') as (
            base_b,
            server_b,
        ):
            order = first_order(database)
            paths = [p.replace('{order}', order) for p in args.screens]
            height = 844 if args.width < 600 else 900
            driver_a = chromium(work / 'profile-a', width=args.width, height=height)
            driver_b = chromium(work / 'profile-b', width=args.width, height=height)
            try:
                sign_in(driver_a, base_a)
                sign_in(driver_b, base_b)
                titles: dict[str, str] = {}
                for path in paths:  # warm-up: both ways once, and each screen's heading as A shows it
                    driver_a.get(base_a + path)
                    time.sleep(1.0)
                    titles[path] = driver_a.execute_script(
                        'return document.querySelector(\'[role=heading][aria-level="1"]\').textContent.trim()'
                    )
                    driver_b.execute_script(CLICK_JS, path)
                    wait_for(driver_b, titles[path])
                    time.sleep(0.5)
                print('screens:', ', '.join(f'{p} "{t}"' for p, t in titles.items()), flush=True)
                meter_a, meter_b = CpuMeter(server_a.pid, driver_a), CpuMeter(server_b.pid, driver_b)
                time.sleep(5)
                idle_a, idle_b = meter_a.read(), meter_b.read()
                print(
                    'idle, 5 s: A',
                    {k: round(v, 3) for k, v in idle_a.items() if v},
                    'B',
                    {k: round(v, 3) for k, v in idle_b.items() if v},
                    flush=True,
                )
                for number in range(args.rounds):
                    modes: list[tuple[str, Any, CpuMeter, Callable[[str], Callable[[], None]]]] = [
                        ('A get', driver_a, meter_a, lambda p: lambda: driver_a.get(base_a + p)),
                        ('A click', driver_a, meter_a, lambda p: lambda: driver_a.execute_script(CLICK_JS, p)),
                        ('B sub page', driver_b, meter_b, lambda p: lambda: driver_b.execute_script(CLICK_JS, p)),
                    ]
                    if number % 2:
                        modes.reverse()  # interleaved: neither way always first after the other
                    for mode, driver, meter, action in modes:
                        for path in paths:
                            spent = navigate(driver, meter, action(path), titles[path], args.settle, args.throttle)
                            results.setdefault((path, mode), []).append(spent)
                            if args.screenshots and number == args.rounds - 1:
                                args.screenshots.mkdir(parents=True, exist_ok=True)
                                name = f'{mode.replace(" ", "-")}{path.replace("/", "_") or "_"}.png'
                                driver.save_screenshot(str(args.screenshots / name))
                    loads.append(os.getloadavg()[0])
                    print(f'round {number + 1}/{args.rounds} done, load average {loads[-1]:.2f}', flush=True)
            finally:
                driver_a.quit()
                driver_b.quit()
    print()
    print(
        f'{args.rounds} rounds, medians per navigation (CPU seconds; "all" = Chromium + chromedriver + server), '
        f'settle {args.settle} s counted, {args.width} px, renderer throttled {args.throttle}x; load average during '
        f'the rounds: median {statistics.median(loads):.2f}, range {min(loads):.2f}-{max(loads):.2f}'
    )
    for line in median_table(results, paths):
        print(line)
    if args.json:
        args.json.write_text(json.dumps({f'{p} | {m}': runs for (p, m), runs in results.items()}, indent=1))


if __name__ == '__main__':
    main()
