"""Load test of the multi-process deployment with locust: nginx in front of 1, then 2, then 3 app processes on
PostgreSQL and Redis (deploy/stack.py brings them up as deploy/smoke.sh does), bounded in time, loopback only.

For each process count: a fresh database, a product with stock, an agent and a manager signed in once in Chromium
(their session cookies are shared by the locust users: sessions live in Redis, so any process accepts them), then
`locust --headless` with bench/locustfile.py (20 agents, 5 managers, 5 front office users by default) for
`--seconds`. With 2 processes or more, `--kill` kills (-9) the process serving a watching agent's page half-way: the
page must reconnect to the other process and still receive live updates. Afterwards the database is checked
(deploy/load.py): every acknowledged request and order is there once, every reply sent from a request's page is
stored once, and no scheduled job ran twice (kpi-refresh once a minute; no run of a job started while another run
of it still ran). Prints throughput, p50/p95/p99 and max per action and the failures. Not a test: nothing is
asserted (deploy/smoke.py asserts a short run of the same load).

    .venv/bin/python bench/deploy_load.py --processes 1,2,3 --seconds 90 --kill
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_load import SKU, prepare  # noqa: E402
from deploy.load import Files, check_database, read_stats, start_locust  # noqa: E402
from deploy.stack import Stack, deployment  # noqa: E402

AGENT = ('load.agent@example.com', 'Load-Agent-Pass-8462')
MANAGER = ('load.manager@example.com', 'Load-Manager-Pass-4711')  # made by api_load.prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--processes', default='1,2,3', help='app process counts to run, comma-separated')
    parser.add_argument('--seconds', type=int, default=60)
    parser.add_argument('--users', type=int, default=30, help='locust users: 2/3 agents, 1/6 managers, 1/6 front')
    parser.add_argument('--kill', action='store_true', help='kill -9 one app process half-way (2 processes or more)')
    parser.add_argument('--fast', action='store_true', help='people wait 1–3 s between two page actions, not 5–15 s')
    args = parser.parse_args()
    for count in (int(n) for n in args.processes.split(',')):
        run(count, args.seconds, args.users, kill=args.kill and count > 1, fast=args.fast)


def run(processes: int, seconds: int, users: int, *, kill: bool, fast: bool = False) -> None:
    print(
        f'\n=== {processes} app process(es) behind nginx, {users} users, {seconds} s'
        + (', kill -9 half-way' if kill else '')
        + (', people wait 1–3 s' if fast else '')
    )
    with deployment(processes, redis_db=12, keep=True) as stack:
        os.environ['BACKOFFICE_DATA_DIR'] = stack.env['BACKOFFICE_DATA_DIR']
        keys = prepare(stack.database_url, 5)
        _add_agent(stack.database_url)
        agent_driver, agent_cookie = _signed_in(stack, *AGENT)
        manager_driver, manager_cookie = _signed_in(stack, *MANAGER)
        manager_driver.quit()
        files = Files.under(stack.work)
        env = {
            'LOAD_AGENT_COOKIE': agent_cookie,
            'LOAD_MANAGER_COOKIE': manager_cookie,
            'LOAD_API_KEYS': ','.join(keys),
            'LOAD_SKU': SKU,
        }
        started = time.monotonic()
        print(f'load average at the start: {" / ".join(f"{n:.1f}" for n in os.getloadavg())} (1/5/15 min)')
        locust = start_locust(stack, files, users=users, seconds=seconds, env=env, fast=fast)
        watcher = None
        if kill:
            watcher = threading.Thread(target=_kill_half_way, args=(stack, agent_driver, seconds / 2, started))
            watcher.start()
        locust.wait(timeout=seconds + 120)
        elapsed = time.monotonic() - started
        if watcher:
            watcher.join(timeout=120)
        agent_driver.quit()
        print(f'load average at the end: {" / ".join(f"{n:.1f}" for n in os.getloadavg())} (1/5/15 min)')
        print('\n'.join(read_stats(files).lines(elapsed)))
        print('\n'.join(check_database(stack, files).lines()))
        for app in stack.apps:
            log = app.log.read_text(errors='replace')
            print(f'{app.log.name} (port {app.port}): {log.count("Traceback")} tracebacks')
        print(f'logs: {stack.work}')


def _add_agent(url: str) -> None:
    from backoffice import db
    from backoffice.services import users

    engine = db.configure(url)
    with db.session_scope() as session:
        data = {'email': AGENT[0], 'name': 'Load Agent', 'role': 'agent', 'password': AGENT[1]}
        users.create_user(session=session, actor=None, system=True, data=data)
    engine.dispose()


def _signed_in(stack: Stack, email: str, password: str):
    """Chromium signed in through nginx, left on /requests; its driver and the session cookie's value."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--ignore-certificate-errors'):
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={tempfile.mkdtemp(prefix="deploy-load-chromium-")}')
    driver = webdriver.Chrome(options=options, service=Service('/usr/bin/chromedriver'))
    wait = WebDriverWait(driver, 60)
    driver.get(f'{stack.url}/login')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[type=email]')).send_keys(email)
    driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(password)
    driver.find_element(By.XPATH, '//button[normalize-space(.)="Log in"]').click()
    wait.until(lambda d: '/login' not in d.current_url)
    driver.get(f'{stack.url}/requests')
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, 'table, .q-table'))
    return driver, driver.get_cookie('session')['value']


def _kill_half_way(stack: Stack, driver, delay: float, started: float) -> None:
    """Kill the process serving the watching agent's page; time its reconnection and a live update after it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    route = driver.get_cookie('backoffice_route')['value']
    victim = stack.app_of_route(route)
    survivor = next(app for app in stack.apps if app is not victim)
    time.sleep(max(0.0, delay - (time.monotonic() - started)))
    before = len(stack.access_lines())
    stack.kill(victim)
    killed = time.monotonic()
    print(f'[{killed - started:4.0f} s] kill -9 of the app on port {victim.port} (serving the watching agent)')

    def reconnected(_d) -> bool:
        fresh = stack.access_lines()[before:]
        return any(f'route={route}' in line and ' 101 ' in line and survivor.upstream in line for line in fresh)

    WebDriverWait(driver, 90, poll_frequency=0.2).until(reconnected)
    print(
        f'[{time.monotonic() - started:4.0f} s] its page reconnected to port {survivor.port} '
        f'after {time.monotonic() - killed:.1f} s'
    )
    subject = f'After the kill {uuid.uuid4().hex[:6]}'
    httpx.post(
        f'{stack.url}/api/requests',
        json={'email': 'after.kill@example.com', 'subject': subject, 'body': 'Still there?'},
        headers={'Authorization': f'Bearer {stack.api_key}', 'Idempotency-Key': uuid.uuid4().hex},
        verify=False,
        timeout=60,
    ).raise_for_status()
    posted = time.monotonic()
    WebDriverWait(driver, 60, poll_frequency=0.2).until(lambda d: subject in d.find_element(By.TAG_NAME, 'body').text)
    print(
        f'[{time.monotonic() - started:4.0f} s] a request posted after the kill appeared live on that page '
        f'in {(time.monotonic() - posted) * 1000:.0f} ms'
    )


if __name__ == '__main__':
    main()
