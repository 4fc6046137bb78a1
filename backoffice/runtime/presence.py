"""Who has which record open, across app processes ("Also looking at this request: Alex").

Each process keeps its own open pages and announces them as 'presence' events, on every change and every HEARTBEAT
seconds; with PostgreSQL the event relay carries them to the other processes. What another process announced is
forgotten when it has not been heard of for EXPIRES seconds (a process that died does not stay "here")."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from backoffice import events
from backoffice.events import Topic

TOPIC = Topic.presence
HEARTBEAT, EXPIRES = 20.0, 60.0
PROCESS = uuid.uuid4().hex

Person = tuple[int, str]  # (user id, name)
_lock = threading.Lock()
_local: dict[str, dict[str, Person]] = {}  # place → page id → person
_remote: dict[str, tuple[float, dict[str, list[Person]]]] = {}  # process → (heard at, place → people)
_beat: threading.Event | None = None


def join(place: str, page: str, user_id: int, name: str) -> None:
    with _lock:
        _local.setdefault(place, {})[page] = (user_id, name)
    _announce({place})


def leave(place: str, page: str) -> None:
    with _lock:
        pages = _local.get(place, {})
        pages.pop(page, None)
        if not pages:
            _local.pop(place, None)
    _announce({place})


def keep_only(pages: set[str]) -> None:
    """Drop this process's pages that no longer exist (deleted without their leave running, e.g. at a restart)."""
    with _lock:
        gone = {place for place, here in _local.items() if set(here) - pages}
        for place in gone:
            for page in set(_local[place]) - pages:
                del _local[place][page]
            if not _local[place]:
                del _local[place]
    if gone:
        _announce(gone)


def people(place: str) -> set[Person]:
    """Everyone with `place` open, in this process or in another one heard of lately."""
    fresh = time.monotonic() - EXPIRES
    with _lock:
        found = set(_local.get(place, {}).values())
        for heard, places in _remote.values():
            if heard >= fresh:
                found.update(tuple(person) for person in places.get(place, ()))
    return found


def receive(payload: dict[str, Any]) -> None:
    """Another process's announcement (its own come back through the relay too, and are skipped)."""
    process = payload.get('process')
    if not process or process == PROCESS:
        return
    with _lock:
        _, places = _remote.get(process, (0.0, {}))
        places = {} if payload.get('full') else dict(places)
        for place, persons in (payload.get('places') or {}).items():
            places[place] = [(int(user_id), str(name)) for user_id, name in persons]
        _remote[process] = (time.monotonic(), {place: persons for place, persons in places.items() if persons})


def wire() -> None:
    """Listen to other processes' announcements; main.py calls this on every start."""
    events.subscribe(TOPIC, receive, key='presence.remote')


def heartbeat() -> None:
    """Announce all of this process's pages, and tell this process's pages about processes gone silent."""
    with _lock:
        places = {place: list(here.values()) for place, here in _local.items()}
        stale = [process for process, (heard, _) in _remote.items() if heard < time.monotonic() - EXPIRES]
        vanished = {place for process in stale for place in _remote.pop(process)[1]}
    events.publish(TOPIC, {'process': PROCESS, 'places': places, 'full': True})
    if vanished:  # only here: the other processes notice on their own
        events.deliver(TOPIC, {'process': PROCESS, 'places': {place: [] for place in vanished}})


def start(interval: float = HEARTBEAT) -> None:
    """Announce every `interval` seconds in a background thread (only needed when several processes share events)."""
    global _beat
    stop()
    _beat = stopping = threading.Event()

    def beat() -> None:
        while not stopping.wait(interval):
            heartbeat()

    threading.Thread(target=beat, name='presence-heartbeat', daemon=True).start()


def stop() -> None:
    global _beat
    if _beat is not None:
        _beat.set()
        _beat = None


def clear() -> None:
    """Forget everyone (tests start each on an empty database, where record ids repeat)."""
    with _lock:
        _local.clear()
        _remote.clear()


def _announce(places: set[str]) -> None:
    with _lock:
        snapshot = {place: list(_local.get(place, {}).values()) for place in places}
    events.publish(TOPIC, {'process': PROCESS, 'places': snapshot})
