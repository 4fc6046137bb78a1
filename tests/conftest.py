"""Test fixtures: a real database per worker (temporary SQLite, or PostgreSQL from BACKOFFICE_TEST_DATABASE_URL),
emptied between tests, a cheap argon2 profile, and signed-in simulated users for page tests. Helpers live in
tests/support/."""

from __future__ import annotations

import asyncio
import gc
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from nicegui import Client, background_tasks
from nicegui.testing import User as SimulatedUser
from nicegui.testing.general_fixtures import get_path_to_main_file
from nicegui.testing.user_simulation import user_simulation

import pages  # noqa: F401  (every screen and what it imports: loaded once here so that gc.freeze() below covers it)
from backoffice import auth, db, events
from backoffice.config import reload_settings
from backoffice.models import Role
from backoffice.runtime import presence
from backoffice.services import app_settings

from .support.databases import worker_database
from .support.emptying import empty_written_tables
from .support.factories import make_user
from .support.ordering import BROWSER, DurationLog, file_of, longest_files_first
from .support.server_errors import MARKER, expected_errors, fail_unless_expected, logged_errors
from .support.signin import signed_in
from .support.smtp import FakeSmtp
from .support.startup import (
    collect_only_what_is_new,
    keep_page_modules,
    remove_app_routes,
    reuse_included_routers,
    reuse_page_routes,
)
from .support.strict_user import make_strict
from .support.waiting import patient_should_see

auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))  # tests only: fast hashing
# NiceGUI's `user` fixture runs two full garbage collections per test; with the libraries above moved out of the
# collector's sight they take microseconds instead of tenths of a second (0.65 s each measured on a busy machine)
gc.freeze()
patient_should_see()
reuse_included_routers()
reuse_page_routes()
collect_only_what_is_new()

_TMP = Path(tempfile.mkdtemp(prefix='backoffice-tests-'))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With pytest-xdist (`make test`), tests go to whichever worker is free, one at a time, except that a browser test
    file goes whole to one worker: its module fixtures are set up once, and its tests run in their order. Every worker
    may get browser files: the first one it gets starts its own server (its own port, data folder and database,
    `<db>_browser_gwN` on PostgreSQL) and its own Chromium, kept for its later files (tests/browser/conftest.py).
    The queue is handed out in the collection's order, which puts the longest files first (support/ordering.py), not
    in xdist's default order for scopes (the most tests first). (A scheduler rather than `xdist_group` marks:
    pytest-xdist 3.8 renames the node ids for those, which pytest 9 no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class BrowserFilesWhole(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return file_of(nodeid) if nodeid.startswith(BROWSER) else nodeid

    config.option.loadscopereorder = False  # keep the longest-first order of pytest_collection_modifyitems
    return BrowserFilesWhole(config, log)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line('markers', f'{MARKER}(text): the server is expected to log this error during the test')
    if not hasattr(config, 'workerinput'):  # the main process: it sees every worker's reports
        config.pluginmanager.register(DurationLog(), 'backoffice-test-durations')


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the longest test files are handed out first (support/ordering.py); a single process keeps
    the files' order."""
    if hasattr(config, 'workerinput'):
        longest_files_first(config, items)


@pytest.fixture
async def user(request: pytest.FixtureRequest) -> AsyncIterator[SimulatedUser]:
    """NiceGUI's simulated browser (replaces the plugin's fixture): the test fails when the server logs an exception or
    an ERROR line while it runs, start-up and shut-down included, unless the test declares it (`expect_error`); and its
    messages, navigation and downloads need a live element, as in a real browser (support/strict_user.py)."""
    expected = expected_errors(request.node)
    remove_app_routes()
    with logged_errors() as errors:
        async with user_simulation(main_file=get_path_to_main_file(request)) as simulated:
            yield make_strict(simulated)
            await _stop_outboxes()
            keep_page_modules()
    fail_unless_expected(errors, expected)


async def _stop_outboxes() -> None:
    """Let every page's outbox loop end before the app stops. Cancelled by the shutdown instead, a loop whose wake-up
    came at that moment swallowed the cancellation (Python 3.11's asyncio.wait_for) and the shutdown waited its full
    2 s for it: one test in five paid that. Told to stop, a loop waiting for updates ends at once; one whose page has
    no connection (a page left by a navigation) sleeps 0.1 s between looks, so nearly every page test waited that
    long (the wall time, not CPU): such a loop is cancelled in its sleep. Its stop flag is set first, so even a
    cancellation swallowed at a wake-up ends it on its next look."""
    for client in list(Client.instances.values()):
        client.outbox.stop()
    loops = [task for task in background_tasks.running_tasks if task.get_name().startswith('outbox loop')]
    if not loops:
        return
    for _ in range(3):  # the loops woken by stop() end within a turn or two of the event loop
        await asyncio.sleep(0)
    for task in loops:
        if not task.done():
            task.cancel()
    await asyncio.wait(loops, timeout=2.0)


@pytest.fixture
def create_user(create_user: Callable[[], SimulatedUser]) -> Callable[[], SimulatedUser]:
    """Another simulated browser (NiceGUI's fixture), as strict as `user`."""
    return lambda: make_strict(create_user())


@pytest.fixture(scope='session')
def database_url() -> Iterator[str]:
    """This worker's database (see tests/support/databases.py), migrated once."""
    url, drop = worker_database(_TMP)
    db.migrate(db.configure(url))
    yield url
    db.configure(url).dispose()  # let go of the connections before dropping
    drop()


@pytest.fixture(autouse=True)
def clean_database(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Every test starts on an empty, fully migrated database; main.py reads the same URL from the environment."""
    monkeypatch.setenv('BACKOFFICE_DATABASE_URL', database_url)
    monkeypatch.setenv('BACKOFFICE_STORAGE_SECRET', 'test-storage-secret-0123456789')
    monkeypatch.setenv('BACKOFFICE_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setenv('BACKOFFICE_SCHEDULER', '0')  # jobs are tested on their own (tests/test_scheduler.py)
    monkeypatch.delenv('BACKOFFICE_DEMO', raising=False)
    monkeypatch.delenv('BACKOFFICE_ADMIN_EMAIL', raising=False)
    monkeypatch.delenv('BACKOFFICE_ADMIN_PASSWORD', raising=False)
    reload_settings()
    engine = db.configure(database_url)
    empty_written_tables(engine)  # the tables the last test (or a subprocess) wrote to: support/emptying.py
    app_settings.forget_cached()  # the default language and time zone cached from the previous test's settings
    yield
    events.clear()
    presence.clear()


@pytest.fixture
def as_role(user: SimulatedUser) -> Callable:
    """`await as_role('agent')`: a simulated browser signed in as a new user of that role (returns the account)."""

    async def sign_in_as(role: str | Role, **fields):
        account = make_user(role=role, **fields)
        await signed_in(user, account.email)
        await user.should_see('Welcome')
        return account

    return sign_in_as


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtp]:
    """A mail server on 127.0.0.1 that keeps the emails it receives (`.received`, `.url` for BACKOFFICE_SMTP_URL)."""
    server = FakeSmtp()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
