"""In a real browser: a planted session cookie never becomes signed in, a copied one dies at sign-out, another
origin cannot frame the app, and a proxy's X-Forwarded-Proto: https turns on HSTS and the Secure cookie."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ROOT,
    RunningServer,
    WebDriverWait,
    free_port,
    heading,
    sign_in,
    visible,
    wait_for_path,
    wait_until_healthy,
)

pytestmark = pytest.mark.browser
COOKIE = 'session'

SLOW = 30  # seconds: a page's first build on a loaded machine (CI with browsers) can pass httpx's 5 s default


def signed_in_with(base_url: str, cookie: str | None) -> bool:
    """Raw HTTP from someone else's machine holding this cookie."""
    response = httpx.get(
        f'{base_url}/users', cookies={COOKIE: cookie} if cookie else {}, follow_redirects=False, timeout=SLOW
    )
    assert response.status_code in {200, 307}, response.status_code
    return response.status_code == 200


def browser_cookie(driver: WebDriver) -> str | None:
    cookie = driver.get_cookie(COOKIE)
    return cookie['value'] if cookie else None


def test_a_planted_cookie_is_not_signed_in_and_a_copied_one_dies_at_sign_out(driver: WebDriver, base_url: str) -> None:
    planted = httpx.get(f'{base_url}/login', timeout=SLOW).cookies[
        COOKIE
    ]  # an attacker's own, valid, signed session cookie
    driver.get(f'{base_url}/healthz')
    driver.add_cookie({'name': COOKIE, 'value': planted, 'path': '/'})  # set in the victim's browser
    driver.get(f'{base_url}/login')
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')
    assert heading(driver).text
    copied = browser_cookie(driver)
    assert copied != planted
    assert not signed_in_with(base_url, planted)
    assert signed_in_with(base_url, copied)

    driver.find_element(By.CSS_SELECTOR, 'button[aria-label="Account"]').click()
    visible(driver, '.q-menu').find_element(By.XPATH, './/*[normalize-space(text())="Log out"]').click()
    wait_for_path(driver, '/login')
    assert not signed_in_with(base_url, copied)
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)  # the same browser signs in again: the copy stays dead
    wait_for_path(driver, '/')
    assert not signed_in_with(base_url, copied)


@pytest.fixture
def other_origin(base_url: str) -> Iterator[str]:
    """A page on another port of the same host that tries to show the app in an iframe."""
    page = (
        f'<!doctype html><title>"framer" <b>:</b></title>'
        f'<iframe id="app" src="{base_url}/" width="800" height="600"></iframe>'
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header('Content-Type', 'text/html')
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args) -> None:
            pass

    # a thread per connection: Chromium opens spare connections it may never send a request on, and a one-thread
    # server stuck reading one of them held `shutdown()` for a minute (until Chromium closed it)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}/'
    finally:
        server.shutdown()
        server.server_close()


def test_another_origin_cannot_frame_the_signed_in_app(driver: WebDriver, base_url: str, other_origin: str) -> None:
    driver.get(f'{base_url}/login')
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')

    driver.get(other_origin)
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, 'app'))
    refused = []
    deadline = time.monotonic() + 10
    while not refused and time.monotonic() < deadline:
        refused = [entry['message'] for entry in driver.get_log('browser') if 'frame-ancestors' in entry['message']]
        time.sleep(0.1)  # polling the console, not a correctness wait
    assert refused, 'the browser did not refuse to frame the app'
    driver.switch_to.frame(driver.find_element(By.ID, 'app'))
    try:
        assert not driver.find_elements(By.CSS_SELECTOR, '[role=heading]')  # nothing of the app is shown
    finally:
        driver.switch_to.default_content()
    assert urlparse(driver.current_url).port != urlparse(base_url).port


def test_behind_a_trusted_proxy_https_gets_hsts_and_a_secure_cookie(server: RunningServer) -> None:
    # the browser server listens on 127.0.0.1, the default trusted proxy address (BACKOFFICE_FORWARDED_ALLOW_IPS)
    proxied = httpx.get(f'{server.url}/login', headers={'X-Forwarded-Proto': 'https'}, timeout=SLOW)
    assert proxied.headers['strict-transport-security'].startswith('max-age=')
    assert 'secure' in proxied.headers['set-cookie'].lower()
    direct = httpx.get(f'{server.url}/login', timeout=SLOW)
    assert 'strict-transport-security' not in direct.headers
    assert 'secure' not in direct.headers['set-cookie'].lower()


def test_an_untrusted_proxys_forwarded_proto_is_ignored(server: RunningServer, tmp_path) -> None:
    """A second server that trusts only 10.9.8.7: a request from 127.0.0.1 claiming HTTPS is plain HTTP."""
    port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith('BACKOFFICE_') and name not in {'PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION'}
    }
    env.update(
        BACKOFFICE_PORT=str(port),
        BACKOFFICE_DATABASE_URL=server.database_url,
        BACKOFFICE_SCHEDULER='0',
        BACKOFFICE_DATA_DIR=str(tmp_path / 'data'),
        BACKOFFICE_FORWARDED_ALLOW_IPS='10.9.8.7',
        BACKOFFICE_STORAGE_SECRET='untrusted-proxy-test-secret-0123',
        NICEGUI_STORAGE_PATH=str(tmp_path / 'ng'),
    )
    log = tmp_path / 'server.log'
    with log.open('wb') as out:
        process = subprocess.Popen([sys.executable, 'main.py'], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f'http://127.0.0.1:{port}'
        wait_until_healthy(url, process, log)
        response = httpx.get(f'{url}/login', headers={'X-Forwarded-Proto': 'https'}, timeout=SLOW)
        assert 'strict-transport-security' not in response.headers
        assert 'secure' not in response.headers['set-cookie'].lower()
    finally:
        process.terminate()
        process.wait(timeout=10)
