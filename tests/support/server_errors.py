"""A UI test fails when the server logs an exception or an ERROR line meanwhile, unless the test declares that exact
error with `@pytest.mark.expect_error('words of the message')` (an expected error that never comes fails too)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest

MARKER = 'expect_error'

# Lines no test may be blamed for. NiceGUI logs this at shutdown when tasks it cancelled have not ended within 2 s;
# seen only on a loaded machine, always with an empty list of names (every task had ended by the time the line was
# written: worker threads finishing a read that cancelling cannot stop). Nothing is lost, and the page is gone by then.
TOLERATED_AT_SHUTDOWN = (re.compile(r'Could not cancel \d+ tasks within timeout: ?$'),)


def expected_errors(item: pytest.Item) -> list[str]:
    """The texts a test declared with `@pytest.mark.expect_error('…')` (several marks or several args allowed)."""
    return [text for mark in item.iter_markers(MARKER) for text in mark.args]


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


def _text(record: logging.LogRecord) -> str:
    text = f'{record.levelname} {record.name}: {record.getMessage()}'
    if record.exc_info:
        text += '\n' + logging.Formatter().formatException(record.exc_info)
    return text


@contextmanager
def logged_errors() -> Iterator[list[str]]:
    """Collect, as text, every record at ERROR or above, and any record carrying an exception, from every logger."""
    collector = _Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    found: list[str] = []
    try:
        yield found
    finally:
        root.removeHandler(collector)
        found.extend(
            _text(r) for r in collector.records if not any(p.search(r.getMessage()) for p in TOLERATED_AT_SHUTDOWN)
        )


def error_blocks(log: str) -> list[str]:
    """The errors in a server's console output: each line with ERROR, or a traceback with the lines that follow it."""
    blocks: list[str] = []
    lines = log.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith('Traceback') or 'Traceback (most recent call last)' in line:
            end = index + 1
            while end < len(lines) and (lines[end].startswith((' ', '\t')) or not lines[end].strip()):
                end += 1
            blocks.append('\n'.join(lines[index : end + 1]))  # with the exception's own line
            index = end + 1
            continue
        if 'ERROR' in line and not any(p.search(line) for p in TOLERATED_AT_SHUTDOWN):
            blocks.append(line)
        index += 1
    return blocks


def fail_unless_expected(errors: Iterable[str], expected: list[str]) -> None:
    """Fail the test on an error it did not declare, and on a declared error that never came."""
    errors = list(errors)
    unexpected = [e for e in errors if not any(text in e for text in expected)]
    missing = [text for text in expected if not any(text in e for e in errors)]
    if unexpected:
        shown = '\n\n'.join(unexpected)
        pytest.fail(
            f'The server logged an error during this test (declare it with @pytest.mark.expect_error(...) if the '
            f'test expects it):\n{shown}',
            pytrace=False,
        )
    if missing:
        pytest.fail(f'The test expected the server to log {missing}, which it did not', pytrace=False)
