"""Who has a record open, across app processes: this process's pages, what other processes announce (through the
PostgreSQL relay), and forgetting a process that went silent."""

from __future__ import annotations

import pytest

from backoffice import events
from backoffice.runtime import presence


@pytest.fixture(autouse=True)
def wired() -> None:
    presence.wire()


def announced() -> list[dict]:
    heard: list[dict] = []
    events.subscribe(presence.TOPIC, heard.append, key='test.presence')
    return heard


def test_pages_of_this_process_join_and_leave() -> None:
    heard = announced()
    presence.join('tickets/7', 'page-a', 1, 'Alex')
    presence.join('tickets/7', 'page-b', 2, 'Blair')
    assert presence.people('tickets/7') == {(1, 'Alex'), (2, 'Blair')}

    presence.leave('tickets/7', 'page-a')
    assert presence.people('tickets/7') == {(2, 'Blair')}
    # each change is announced with everyone of this process at that place (what the relay sends to the others)
    assert heard[-1] == {'process': presence.PROCESS, 'places': {'tickets/7': [(2, 'Blair')]}}

    presence.keep_only({'page-x'})  # page-b's client is gone without its leave having run
    assert presence.people('tickets/7') == set()


def test_people_in_another_process_count_until_it_goes_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    presence.join('tickets/9', 'page-a', 1, 'Alex')
    # what the relay delivers from another process (JSON turns the tuples into lists)
    events.deliver(presence.TOPIC, {'process': 'other', 'places': {'tickets/9': [[3, 'Casey']]}})
    assert presence.people('tickets/9') == {(1, 'Alex'), (3, 'Casey')}

    events.deliver(presence.TOPIC, {'process': 'other', 'places': {'tickets/9': []}})  # Casey closed the page
    assert presence.people('tickets/9') == {(1, 'Alex')}

    events.deliver(presence.TOPIC, {'process': 'other', 'places': {'tickets/9': [[3, 'Casey']]}, 'full': True})
    heard = announced()
    now = presence.time.monotonic()
    monkeypatch.setattr(presence.time, 'monotonic', lambda: now + presence.EXPIRES + 1)
    assert presence.people('tickets/9') == {(1, 'Alex')}  # the other process has not been heard of for too long
    presence.heartbeat()
    # the heartbeat announces this process in full, and tells this process's pages that Casey's place changed
    assert heard[0] == {'process': presence.PROCESS, 'places': {'tickets/9': [(1, 'Alex')]}, 'full': True}
    assert heard[1] == {'process': presence.PROCESS, 'places': {'tickets/9': []}}


def test_an_announcement_of_this_process_coming_back_through_the_relay_changes_nothing() -> None:
    presence.join('tickets/11', 'page-a', 1, 'Alex')
    events.deliver(presence.TOPIC, {'process': presence.PROCESS, 'places': {'tickets/11': [[1, 'Alex'], [9, 'Ghost']]}})
    assert presence.people('tickets/11') == {(1, 'Alex')}
