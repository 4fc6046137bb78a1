"""The order `make test` hands tests to its workers: the longest test files first (each test's duration in the last run
that ran it is kept in pytest's cache), so that a run does not end with one worker on a long file and the other idle."""

from __future__ import annotations

import pytest

CACHE_KEY = 'backoffice/test-seconds'
BROWSER = 'tests/browser/'

# Before any run has measured them (a fresh clone, CI): the files that took longest on the CI run of December 2026,
# in seconds of one worker. Measured figures from the cache replace these.
KNOWN_LONG = {
    'tests/test_crawler.py': 270.0,
    'tests/test_api_fuzz.py': 90.0,
    'tests/test_crash_recovery.py': 50.0,
    'tests/test_cli.py': 50.0,
    'tests/test_access_matrix.py': 45.0,
    'tests/test_deploy_smoke.py': 40.0,
    'tests/test_config.py': 25.0,
    'tests/test_contact_page.py': 20.0,
    'tests/test_backups.py': 15.0,
    'tests/test_modules_import_alone.py': 15.0,
}


def file_of(nodeid: str) -> str:
    return nodeid.split('::', 1)[0]


def longest_files_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Sort the collected tests, in place: the browser tests first (one worker runs them all, tests/conftest.py), then
    each other file by the last measured durations of its collected tests, longest first. A file's tests stay together
    and in their order (module-scoped fixtures are set up once); files never measured keep their order after the
    others."""
    seconds = measured(config)
    files: dict[str, float] = {}
    for item in items:
        name = file_of(item.nodeid)
        files[name] = files.get(name, 0.0) + seconds.get(item.nodeid, 0.0)
    for name, total in files.items():
        if not total:
            files[name] = KNOWN_LONG.get(name, 0.0)

    def weight(item: pytest.Item) -> float:
        name = file_of(item.nodeid)
        return float('inf') if name.startswith(BROWSER) else files[name]

    items.sort(key=weight, reverse=True)  # stable: equal weights keep the collection order


def measured(config: pytest.Config) -> dict[str, float]:
    """Each test's seconds (setup, call and teardown) in the last run that ran it."""
    cache = getattr(config, 'cache', None)
    found = cache.get(CACHE_KEY, {}) if cache is not None else {}
    return found if isinstance(found, dict) else {}


class DurationLog:
    """Adds up each test's setup, call and teardown times as the reports arrive (from every worker, under
    pytest-xdist), and stores them in pytest's cache at the end, beside the figures of tests this run did not run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(session.config, 'cache', None)
        if cache is None or not self.seconds:
            return
        kept = measured(session.config)
        kept.update({nodeid: round(value, 2) for nodeid, value in self.seconds.items()})
        cache.set(CACHE_KEY, kept)
