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
    # the browser test files go to every worker too (tests/conftest.py), the longest first like the others
    'tests/browser/test_every_screen_with_hostile_text_in_chromium.py': 100.0,
    'tests/browser/test_phone_cards_in_chromium.py': 30.0,
    'tests/browser/test_api_key_scopes_in_chromium.py': 25.0,
    'tests/browser/test_menus_on_open_in_chromium.py': 20.0,
}


def file_of(nodeid: str) -> str:
    return nodeid.split('::', 1)[0]


def longest_files_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Sort the collected tests, in place: each file by the last measured durations of its collected tests, longest
    first, browser test files among the others (each goes whole to one worker, tests/conftest.py). A file's tests stay
    together and in their order (module-scoped fixtures are set up once); files never measured keep their order after
    the others."""
    seconds = measured(config)
    files: dict[str, float] = {}
    for item in items:
        name = file_of(item.nodeid)
        files[name] = files.get(name, 0.0) + seconds.get(item.nodeid, 0.0)
    for name, total in files.items():
        if not total:
            files[name] = KNOWN_LONG.get(name, 0.0)
    items.sort(key=lambda item: files[file_of(item.nodeid)], reverse=True)  # stable: equal weights keep their order


def measured(config: pytest.Config) -> dict[str, float]:
    """Each test's seconds (setup, call and teardown) in the last run that ran it."""
    cache = getattr(config, 'cache', None)
    found = cache.get(CACHE_KEY, {}) if cache is not None else {}
    return found if isinstance(found, dict) else {}


class DurationLog:
    """Adds up each test's setup, call and teardown times as the reports arrive (from every worker, under
    pytest-xdist), and stores them in pytest's cache at the end, beside the figures of tests this run did not run.
    Under pytest-xdist it also prints each worker's sum (browser tests apart): the largest is the run's critical path
    when the machine is quiet."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.workers: dict[str, list[float]] = {}  # worker → [all its seconds, its browser tests' seconds]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        node = getattr(report, 'node', None)  # pytest-xdist's controller marks each report with its worker
        if node is not None:
            sums = self.workers.setdefault(node.gateway.id, [0.0, 0.0])
            sums[0] += report.duration
            if report.nodeid.startswith(BROWSER):
                sums[1] += report.duration

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.workers:
            each = ', '.join(
                f'{worker} {total:.0f} s ({browser:.0f} s browser)'
                for worker, (total, browser) in sorted(self.workers.items())
            )
            terminalreporter.write_line(f'test durations by worker: {each}')

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(session.config, 'cache', None)
        if cache is None or not self.seconds:
            return
        kept = measured(session.config)
        kept.update({nodeid: round(value, 2) for nodeid, value in self.seconds.items()})
        cache.set(CACHE_KEY, kept)
