"""SQLite's writers in this process take their turn in arrival order, instead of polling the busy handler.

SQLite lets one writer in at a time; the others retry in sleeps that grow, so under a burst a writer can lose every
retry and give up after the busy timeout ("database is locked") while later ones get through. Here a write
transaction first waits in a first-come queue in this process (a thread never polls), and only then sends
`BEGIN IMMEDIATE`, where SQLite's busy timeout still covers writers of other processes (the CLI, a second app).
A wait longer than `WAIT_SECONDS` raises `DatabaseBusy`, which the API answers 503 with Retry-After.
"""

from __future__ import annotations

import collections
import threading

WAIT_SECONDS = 30.0
RETRY_AFTER_SECONDS = 2
_HOLDS = 'backoffice.writer_queue'  # key in a connection's info: this connection holds the turn


class DatabaseBusy(RuntimeError):
    """The database stayed busy with other writes for longer than a caller should wait: try again shortly."""


class FirstComeLock:
    """A lock handed to its waiters in the order they came (threading.Lock lets a newcomer barge in)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: collections.deque[threading.Event] = collections.deque()
        self._held = False
        self.owner: int | None = None

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held and not self._waiting:
                self._held = True
                self.owner = threading.get_ident()
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if not turn.wait(timeout):
            with self._guard:
                if not turn.is_set():  # still waiting: leave the queue
                    self._waiting.remove(turn)
                    return False
        self.owner = threading.get_ident()  # handed over by release()
        return True

    def release(self) -> None:
        with self._guard:
            self.owner = None
            if self._waiting:
                self._waiting.popleft().set()  # the turn passes straight to the first in line
            else:
                self._held = False


_turn = FirstComeLock()


def wait_turn(connection_info: dict) -> None:
    """Before a write transaction begins on this connection. A thread that already holds the turn (a write
    transaction inside another, which SQLite would refuse anyway) does not wait for itself."""
    if _turn.owner == threading.get_ident():
        return
    if not _turn.acquire(WAIT_SECONDS):
        raise DatabaseBusy('The database is busy with other writes.')
    connection_info[_HOLDS] = True


def end_turn(connection_info: dict) -> None:
    """After the transaction on this connection commits or rolls back (or failed to begin)."""
    if connection_info.pop(_HOLDS, False):
        _turn.release()
