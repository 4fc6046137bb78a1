"""Change events between app processes that share one PostgreSQL: LISTEN/NOTIFY carries each published event to the
other processes, which hand it to their own subscribers (live tables refresh whichever process made the change)."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from backoffice import events

if TYPE_CHECKING:  # psycopg is imported when a relay starts (PostgreSQL): a process on SQLite never needs it
    import psycopg

log = logging.getLogger(__name__)

CHANNEL = 'backoffice_events'
MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
POLL_SECONDS = 0.5  # how often the listener looks up from waiting, to notice that it should stop


class PgRelay:
    """One per process: `send` after the local fan-out, a listener thread delivering the others' events."""

    def __init__(self, database_url: str, *, deliver: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        url = make_url(database_url).set(drivername='postgresql')
        self.conninfo = url.render_as_string(hide_password=False)
        self.origin = uuid.uuid4().hex  # this process: its own events come back too and are skipped
        self.deliver = deliver or events.deliver
        self._send_lock = threading.Lock()
        self._sender: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping = False

    def start(self, timeout: float = 5) -> None:
        self._thread = threading.Thread(target=self._listen, name='event-relay', daemon=True)
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.join(timeout=2 * POLL_SECONDS)  # the listener wakes up at least this often
        with self._send_lock:
            if self._sender is not None:
                self._sender.close()

    def send(self, topic: str, payload: dict[str, Any]) -> None:
        import psycopg

        message = json.dumps({'origin': self.origin, 'topic': topic, 'payload': payload}, default=str)
        if len(message.encode()) > MAX_PAYLOAD:
            log.warning('event %s too large to relay (%d bytes)', topic, len(message))
            return
        with self._send_lock:
            try:
                if self._sender is None or self._sender.closed:
                    self._sender = psycopg.connect(self.conninfo, autocommit=True)
                self._sender.execute('SELECT pg_notify(%s, %s)', (CHANNEL, message))
            except psycopg.Error:
                log.exception('could not relay event %s to other processes', topic)
                self._sender = None

    def _listen(self) -> None:
        import psycopg

        while not self._stopping:
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f'LISTEN {CHANNEL}')
                    self._ready.set()
                    while not self._stopping:
                        for notice in connection.notifies(timeout=POLL_SECONDS):
                            self._receive(notice.payload)
            except psycopg.Error:
                if self._stopping:
                    return
                log.warning('event relay lost its connection; reconnecting', exc_info=True)
                threading.Event().wait(1)

    def _receive(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if message.get('origin') == self.origin:
            return
        self.deliver(str(message.get('topic')), dict(message.get('payload') or {}))


_relay: PgRelay | None = None


def start(database_url: str) -> PgRelay | None:
    """Relay events through PostgreSQL (no-op on SQLite, which one process serves)."""
    global _relay
    if not database_url.startswith('postgresql'):
        return None
    stop()
    _relay = PgRelay(database_url)
    _relay.start()
    events.set_relay(_relay.send)
    return _relay


def stop() -> None:
    global _relay
    events.set_relay(None)
    if _relay is not None:
        _relay.stop()
        _relay = None
