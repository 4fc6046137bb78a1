"""Smoke test of the multi-process deployment: 2 app processes on PostgreSQL and Redis behind nginx (the repo's site
file), checked through the proxy as a front office and a person would, then a short run of the load test
(bench/locustfile.py, LOAD_SECONDS s at LOAD_USERS users: agents replying on a request's page, a manager on the lists
and their CSV export, the front office posting requests, orders and events) that must fail no call, lose or double
nothing in the database and run no scheduled job twice; everything is torn down afterwards.

    .venv/bin/python deploy/smoke.py      (or: make deploy-smoke; deploy/smoke.sh)

Prints one line per check and exits 1 at the first that fails. Needs nginx, PostgreSQL on 127.0.0.1:5432 (user
postgres, trust) and Redis on 127.0.0.1:6379 (BACKOFFICE_DEPLOY_PG / BACKOFFICE_DEPLOY_REDIS to change them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, deployment  # noqa: E402

TIMEOUT = 30.0
LOAD_SECONDS = 15
LOAD_USERS = 6  # by the locustfile's weights: 4 agents, 1 manager, 1 front office
started = time.monotonic()


def check(message: str) -> None:
    print(f'  ok  {time.monotonic() - started:5.1f} s  {message}', flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--keep', action='store_true', help='keep the logs folder (its path is printed)')
    parser.add_argument('--screenshots', type=Path, help='save the live requests page here at 1440 and 390 px')
    parser.add_argument('--no-load', action='store_true', help='skip the short load test at the end')
    args = parser.parse_args()
    with deployment(2, keep=args.keep) as stack:
        check(f'2 app processes (ports {", ".join(str(app.port) for app in stack.apps)}) behind nginx at {stack.url}')
        try:
            cookie = run_checks(stack, args.screenshots)
            if not args.no_load:
                load_checks(stack, cookie)
        except (AssertionError, Exception) as failure:
            print(f'FAILED {time.monotonic() - started:5.1f} s  {type(failure).__name__}: {failure}', flush=True)
            for app in stack.apps:
                print(f'--- {app.log.name} (last lines)\n{app.log.read_text()[-2000:]}')
            print('--- nginx access log (last lines)\n' + '\n'.join(stack.access_lines()[-20:]))
            return 1
        finally:
            if args.keep:
                print(f'logs kept in {stack.work}')
    print(f'deploy smoke passed in {time.monotonic() - started:.1f} s')
    return 0


def run_checks(stack: Stack, screenshots: Path | None = None) -> str:
    """The stack's checks; the signed-in admin's session cookie."""
    with httpx.Client(base_url=stack.url, verify=False, timeout=TIMEOUT) as http:
        health = http.get('/healthz')
        assert health.status_code == 200 and health.json()['database'] == 'ok', health.text
        check('GET /healthz through nginx: 200, database ok')

    with httpx.Client(base_url=stack.url, verify=False, timeout=TIMEOUT) as http:  # a new browser: no cookie yet
        page = http.get('/login')
        assert page.status_code == 200 and '<title>' in page.text, page.status_code
        assert 'max-age' in page.headers.get('strict-transport-security', ''), 'no HSTS: X-Forwarded-Proto not believed'
        cookies = page.headers.get_list('set-cookie')
        session = next(c for c in cookies if c.startswith('session='))
        assert 'secure' in session.lower(), session
        assert any(c.startswith('backoffice_route=') for c in cookies), cookies
        check('sign-in page through nginx: 200, HSTS, Secure session cookie, the sticky route cookie')

    numbers = []
    while len(numbers) < 6 or len(stack.upstream_counts('"POST /api/requests')) < 2:
        assert len(numbers) < 30, 'nginx sent every request to one process'
        with httpx.Client(base_url=stack.url, verify=False, timeout=TIMEOUT) as client:  # no route cookie: spread
            index = len(numbers)
            answer = client.post(
                '/api/requests',
                json={'email': f'smoke{index}@example.com', 'subject': f'Smoke "{index}": <script>', 'body': 'Hi'},
                headers={'Authorization': f'Bearer {stack.api_key}', 'Idempotency-Key': uuid.uuid4().hex},
            )
            assert answer.status_code == 201, (answer.status_code, answer.text)
            numbers.append(answer.json()['number'])
    spread = stack.upstream_counts('"POST /api/requests')
    assert_in_database(stack, numbers)
    check(f'{len(numbers)} API requests through nginx answered 201 and are in the database; by port: {dict(spread)}')

    secrets_not_logged(stack)
    return browser_checks(stack, screenshots)


def secrets_not_logged(stack: Stack) -> None:
    """A feed's token and a sign-in link's ?token= reach the app but not nginx's access log (nor as a Referer)."""
    feed_token, link_token = 'smokeFeedT0ken' + uuid.uuid4().hex, 'smokeLinkT0ken' + uuid.uuid4().hex
    with httpx.Client(base_url=stack.url, verify=False, timeout=TIMEOUT) as http:
        assert http.get(f'/feeds/{feed_token}.csv').status_code == 404  # no such feed: the app answered
        page = http.get(f'/portal/link?token={link_token}', headers={'Referer': f'{stack.url}/feeds/{feed_token}.xlsx'})
        assert page.status_code == 200, page.status_code
    # nginx writes a request's line once it has sent the answer (its log phase): the last one may come a moment after
    lines = stack.access_lines()
    deadline = time.monotonic() + 10
    while not any('/portal/link?' in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.1)
        lines = stack.access_lines()
    assert any('/feeds/[redacted].csv' in line for line in lines), lines[-5:]
    assert any('/portal/link?[redacted]' in line for line in lines), lines[-5:]
    leaked = [line for line in lines if feed_token in line or link_token in line]
    assert not leaked, leaked
    check("a feed's token and a link's ?token= reached the app, not nginx's access log: [redacted] there")


def load_checks(stack: Stack, session_cookie: str) -> None:
    """The load test, short: locust through nginx, then the database (deploy/load.py)."""
    import os

    from bench.api_load import SKU, prepare
    from deploy.load import Files, check_database, read_stats, start_locust

    os.environ['BACKOFFICE_DATA_DIR'] = stack.env['BACKOFFICE_DATA_DIR']
    keys = prepare(stack.database_url, 2)  # a product with stock for the orders, the front office's keys
    files = Files.under(stack.work)
    env = {
        'LOAD_AGENT_COOKIE': session_cookie,  # the admin replies and exports as agents and managers do
        'LOAD_MANAGER_COOKIE': session_cookie,
        'LOAD_API_KEYS': ','.join(keys),
        'LOAD_SKU': SKU,
    }
    begun = time.monotonic()
    locust = start_locust(stack, files, users=LOAD_USERS, seconds=LOAD_SECONDS, env=env, fast=True)
    locust.wait(timeout=LOAD_SECONDS + 60)
    stats = read_stats(files)
    for line in stats.lines(time.monotonic() - begun):
        print(f'      {line}')
    assert stats.calls > 0, (stack.work / 'locust.out').read_text()[-3000:]
    assert stats.failed == 0, f'{stats.failed} of {stats.calls} calls failed'
    check(
        f'load test, {LOAD_SECONDS} s at {LOAD_USERS} users through nginx: {stats.calls} calls, 0 failed '
        f'({stats.count("Send reply")} replies sent and {stats.count("export CSV")} lists exported from pages)'
    )
    found = check_database(stack, files)
    for line in found.lines():
        print(f'      {line}')
    assert found.requests and found.orders and found.replies, 'the load stored no request, order or reply'
    assert found.ok, 'lost, doubled or ran twice: ' + '; '.join(found.lines())
    check(
        f'database after the load: {found.requests} requests, {found.orders} orders and {found.replies} page '
        'replies each stored once; no scheduled job ran twice'
    )


def assert_in_database(stack: Stack, numbers: list[str]) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        found = connection.execute(text('SELECT number FROM tickets WHERE number = ANY(:n)'), {'n': numbers}).all()
    engine.dispose()
    assert sorted(row[0] for row in found) == sorted(numbers), (found, numbers)


def browser_checks(stack: Stack, screenshots: Path | None) -> str:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--ignore-certificate-errors'):
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={tempfile.mkdtemp(prefix="deploy-smoke-chromium-")}')
    options.add_argument('--window-size=1440,900')
    driver = webdriver.Chrome(options=options, service=Service('/usr/bin/chromedriver'))
    wait = WebDriverWait(driver, TIMEOUT)
    try:
        driver.get(f'{stack.url}/login')
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[type=email]')).send_keys(ADMIN_EMAIL)
        driver.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(ADMIN_PASSWORD)
        driver.find_element(By.XPATH, '//button[normalize-space(.)="Log in"]').click()
        wait.until(lambda d: d.current_url.rstrip('/') == stack.url, 'signing in did not reach the dashboard')
        check('signed in through nginx in Chromium (the sign-in form works over the websocket)')

        driver.get(f'{stack.url}/requests')
        wait.until(lambda d: 'Smoke' in d.find_element(By.TAG_NAME, 'body').text, 'the requests list shows no row')
        route = driver.get_cookie('backoffice_route')
        assert route, 'no route cookie in the browser'
        serving = wait.until(lambda _d: _find_app(stack, route['value']), 'no websocket upgrade in the access log')
        check(f'/requests page loaded and its websocket connected through nginx (101) to port {serving.port}')

        other = next(app for app in stack.apps if app is not serving)
        session = driver.get_cookie('session')
        assert session, 'no session cookie in the browser'
        direct = httpx.get(
            f'{other.url}/requests',
            headers={'Cookie': f'session={session["value"]}', 'X-Forwarded-Proto': 'https'},
            timeout=TIMEOUT,
        )
        assert direct.status_code == 200 and '/login' not in str(direct.url), (direct.status_code, direct.url)
        check(f'the same browser session is signed in on port {other.port} too (sessions in Redis)')

        subject = f'Live across processes {uuid.uuid4().hex[:6]}'
        answer = httpx.post(
            f'{other.url}/api/requests',
            json={'email': 'live@example.com', 'subject': subject, 'body': 'Posted to the other process'},
            headers={'Authorization': f'Bearer {stack.api_key}', 'Idempotency-Key': uuid.uuid4().hex},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 201, answer.text
        posted = time.monotonic()
        wait.until(lambda d: subject in d.find_element(By.TAG_NAME, 'body').text, 'the new request did not arrive')
        check(
            f'a request posted on port {other.port} appeared on the page served by port {serving.port} '
            f'in {(time.monotonic() - posted) * 1000:.0f} ms (LISTEN/NOTIFY relay)'
        )
        if screenshots:
            screenshots.mkdir(parents=True, exist_ok=True)
            for width, height in ((1440, 900), (390, 844)):
                driver.set_window_size(width, height)
                time.sleep(1)
                driver.save_screenshot(str(screenshots / f'deploy-smoke-requests-{width}.png'))
        return session['value']
    finally:
        driver.quit()


def _find_app(stack: Stack, route: str):
    try:
        return stack.app_of_route(route)
    except LookupError:
        return None


if __name__ == '__main__':
    sys.exit(main())
