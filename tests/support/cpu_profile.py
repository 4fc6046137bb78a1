"""Where the suite's CPU goes, test by test: `pytest -p tests.support.cpu_profile` writes, per worker, each test's CPU
seconds (user + sys) of this process and of every process below it (the browser server, Chromium, a subprocess the test
ran and waited for), to `.pytest_cache/cpu/<database>/<worker>.json`;
`python -m tests.support.cpu_profile [sqlite|postgresql]` sums them by file.

Not on by default: reading every descendant's times costs a few milliseconds a test. A process that ends during a test
(a second Chromium quit, the session's last teardown) takes its CPU out of the sum unless this process or a live
descendant waited for it (Chromium's renderers count: Chromium reaps them): such a test can read low or negative."""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import psutil
import pytest

OUT = Path(__file__).resolve().parents[2] / '.pytest_cache' / 'cpu'


def _database() -> str:
    return 'postgresql' if os.environ.get('BACKOFFICE_TEST_DATABASE_URL', '').startswith('postgresql') else 'sqlite'


def _tree_cpu() -> float:
    """CPU seconds of this process, every live descendant, and the children each of them reaped (Chromium's renderer
    processes come and go with the pages and are reaped by Chromium's own processes, not by this one). What ends with
    no live process of the tree to reap it is lost: the run's last test still reads negative (the session's Chromium
    and browser server end in its teardown); read that test's figure from another run."""
    total = 0.0
    me = psutil.Process()
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


_seen: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    start = _tree_cpu()
    yield
    _seen[item.nodeid] = _seen.get(item.nodeid, 0.0) + _tree_cpu() - start


def pytest_sessionfinish(session: pytest.Session) -> None:
    folder = OUT / _database()
    folder.mkdir(parents=True, exist_ok=True)
    name = os.environ.get('PYTEST_XDIST_WORKER', 'main')
    (folder / f'{name}.json').write_text(json.dumps(_seen, indent=0))


def main() -> None:
    """Print the CPU seconds by file (and the 15 largest tests) from every worker's record."""
    database = sys.argv[1] if len(sys.argv) > 1 else 'sqlite'
    by_test: dict[str, float] = {}
    for path in (OUT / database).glob('*.json'):
        by_test.update(json.loads(path.read_text()))
    by_file: dict[str, float] = defaultdict(float)
    for nodeid, seconds in by_test.items():
        by_file[nodeid.split('::')[0]] += seconds
    total = sum(by_file.values())
    print(f'{len(by_test)} tests, {total:.1f} s of CPU')
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    for file, seconds in sorted(by_file.items(), key=lambda kv: -kv[1])[:limit]:
        print(f'{seconds:8.1f}  {file}')
    print('largest tests:')
    for nodeid, seconds in sorted(by_test.items(), key=lambda kv: -kv[1])[:15]:
        print(f'{seconds:8.1f}  {nodeid}')


if __name__ == '__main__':
    main()
