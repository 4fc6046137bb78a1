"""Several app processes on one PostgreSQL: an event published in one reaches the subscribers of the others."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from backoffice import events
from backoffice.runtime import event_relay

URL = os.environ.get('BACKOFFICE_TEST_DATABASE_URL', '')
MARKER = uuid.uuid4().hex  # this run's events, told apart from those of tests running beside it
pytestmark = pytest.mark.skipif(not URL.startswith('postgresql'), reason='LISTEN/NOTIFY is PostgreSQL only')


class Inbox:
    """What one process hears of this test's own events: other tests' app processes share the PostgreSQL channel."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []
        self.arrived = threading.Event()

    def __call__(self, topic: str, payload: dict) -> None:
        if payload.get('marker') != MARKER:
            return
        self.items.append((topic, payload))
        self.arrived.set()


def test_an_event_published_in_one_process_reaches_the_other_once() -> None:
    here, there = Inbox(), Inbox()
    first, second = event_relay.PgRelay(URL, deliver=here), event_relay.PgRelay(URL, deliver=there)
    first.start()
    second.start()
    try:
        first.send('tickets', {'id': 42, 'action': 'created', 'marker': MARKER})
        assert there.arrived.wait(5), 'the other process did not hear of the change'
        assert there.items == [('tickets', {'id': 42, 'action': 'created', 'marker': MARKER})]
        assert not here.arrived.wait(0.5)  # its own event is not delivered twice
    finally:
        first.stop()
        second.stop()


def test_publish_relays_after_the_local_fan_out() -> None:
    heard: list[dict] = []
    events.subscribe('content', heard.append, key='test.relay')
    there = Inbox()
    other = event_relay.PgRelay(URL, deliver=there)
    other.start()
    relay = event_relay.start(URL)
    try:
        events.publish('content', {'id': 7, 'marker': MARKER})
        assert heard == [{'id': 7, 'marker': MARKER}]  # this process, at once
        assert there.arrived.wait(5) and there.items == [('content', {'id': 7, 'marker': MARKER})]
    finally:
        event_relay.stop()
        other.stop()
    assert relay is not None and event_relay.start('sqlite:///x.db') is None
