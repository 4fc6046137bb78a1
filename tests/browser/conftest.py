"""Browser tests: one real `python main.py` per session on a fresh database, driven by Debian's headless Chromium.

Nothing is ever downloaded: the driver and the browser are the system's (`apt-get install chromium chromium-driver`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice.models import AppSetting

from ..support.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CHROMEDRIVER,
    CHROMIUM,
    DESKTOP,
    ROOT,
    STORAGE_SECRET,
    RunningServer,
    free_port,
    launch_chromium,
    set_viewport,
    wait_until_healthy,
)
from ..support.databases import fresh_database, worker
from ..support.process_database import database_put_back
from ..support.server_errors import error_blocks, expected_errors, fail_unless_expected


@pytest.fixture(autouse=True)
def clean_database():
    """Overrides tests/conftest.py: the browser server has its own database, so the per-test emptying of the page
    tests' database (and migrating it at all) is not needed here."""
    yield


@pytest.fixture(scope='module', autouse=True)
def process_database_put_back() -> Iterator[None]:
    """A browser test module points this process's engine at the server's database to make records through the
    services (`db.configure(server.database_url)`, in its tests or module fixtures); after the module the process has
    its own engine back, so the page tests that follow on this worker never read or write the server's rows."""
    with database_put_back():
        yield


@pytest.fixture(scope='session')
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`python main.py` on a free port with a fresh database, a temporary data folder and a known first admin: one per
    pytest-xdist worker that runs browser files (the folders are under the worker's own temporary folder, the
    PostgreSQL database is `<db>_browser_gwN`), started by the first browser test the worker gets."""
    work = tmp_path_factory.mktemp('browser-server')
    database_url, drop_database = fresh_database(work, f'browser_{worker()}' if worker() else 'browser')
    port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith('BACKOFFICE_') and name not in {'PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION'}
    }
    env.update(
        BACKOFFICE_HOST='127.0.0.1',
        BACKOFFICE_PORT=str(port),
        BACKOFFICE_DATABASE_URL=database_url,
        BACKOFFICE_DATA_DIR=str(work / 'data'),
        BACKOFFICE_STORAGE_SECRET=STORAGE_SECRET,
        BACKOFFICE_ADMIN_EMAIL=ADMIN_EMAIL,
        BACKOFFICE_ADMIN_PASSWORD=ADMIN_PASSWORD,
        NICEGUI_STORAGE_PATH=str(work / 'nicegui'),
        PYTHONUNBUFFERED='1',
    )
    log = work / 'server.log'
    with log.open('wb') as out:
        process = subprocess.Popen([sys.executable, 'main.py'], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    try:
        wait_until_healthy(url, process, log)
        yield RunningServer(url=url, log=log, database_url=database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drop_database()


@pytest.fixture(scope='session')
def base_url(server: RunningServer) -> str:
    return server.url


@pytest.fixture(autouse=True)
def server_logs_no_error(chromium: WebDriver, server: RunningServer, request: pytest.FixtureRequest) -> Iterator[None]:
    """Like the simulated user's fixture: a test fails when the server (its console: stdout and stderr) logged an
    ERROR line or a traceback meanwhile, unless the test declares it with `@pytest.mark.expect_error('…')`.
    (It asks for `chromium` first so that no server is started when the browser tests are skipped.)"""
    start = server.log.stat().st_size
    yield
    with server.log.open('rb') as log:
        log.seek(start)
        new = log.read().decode(errors='replace')
    fail_unless_expected(error_blocks(new), expected_errors(request.node))


@pytest.fixture(autouse=True)
def settings_put_back(chromium: WebDriver, server: RunningServer) -> Iterator[None]:
    """The browser server's database is shared by the tests of a worker: settings a test changes (no VAT for round
    prices, Stripe keys stored encrypted) are put back after it, so the next test prices and reads as the defaults
    say (an order at 20 % VAT failed after a test that set 0 %)."""
    engine = sa.create_engine(server.database_url)
    table = AppSetting.__table__  # the model's types: a reflected DATETIME would read SQLite's integers as text
    try:
        with engine.connect() as connection:
            before = [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(table.c.key))]
        yield
        with engine.begin() as connection:
            after = [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(table.c.key))]
            if after != before:
                connection.execute(sa.delete(table))
                if before:
                    connection.execute(sa.insert(table), before)
    finally:
        engine.dispose()


@pytest.fixture(scope='session')
def chromium() -> Iterator[WebDriver]:
    """One headless Chromium for the whole session (a fresh profile); `driver` resets it for each test."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        message = 'no Chromium: apt-get install chromium chromium-driver'
        if os.environ.get('CI') == 'true':
            pytest.fail(f'{message} (missing {", ".join(missing)}; CI must run the browser tests)', pytrace=False)
        pytest.skip(message)
    driver, profile = launch_chromium()
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def second_browser(chromium: WebDriver) -> Iterator[WebDriver]:
    """Another person's (or device's) browser: its own profile, so its own cookies and session."""
    driver, profile = launch_chromium()
    set_viewport(driver, *DESKTOP)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def driver(chromium: WebDriver, base_url: str) -> Iterator[WebDriver]:
    """The session's browser, signed out (no cookies) and at desktop size; fails the test on JavaScript errors.
    Reset from about:blank in one navigation: every site's cookies cleared through DevTools (WebDriver's delete needs a
    page of the site open: a load of /healthz first), the window resized only when the last test left it at another
    size (the new headless reports its inner size below the window's, so `set_viewport` resizes twice). 0.30 → 0.09 s
    of CPU a test (Chromium, server and driver; tests/README.md, "The browser tests' reset")."""
    chromium.get('about:blank')
    chromium.execute_cdp_cmd('Network.clearBrowserCookies', {})
    if chromium.execute_script('return [window.innerWidth, window.innerHeight]') != list(DESKTOP):
        set_viewport(chromium, *DESKTOP)
    chromium.get_log('browser')  # drop what earlier tests left
    yield chromium
    errors = [entry['message'] for entry in chromium.get_log('browser') if entry['level'] == 'SEVERE']
    if errors:
        pytest.fail('The browser console showed errors:\n' + '\n'.join(errors), pytrace=False)
