"""Runs `main.py` with timing probes on the live list's path (for bench/requests_live.py --probe), changing nothing.

Each probe prints one line `PROBE <wall-clock ms> <step> <client>`: the tickets event fired on the loop (`emit`), a
list's debounce timer ran (`timer`), its query started and ended in the worker thread (`fetch0`, `fetch1`), its
rows were set (`loaded`), and socket.io took an `update` message for a client (`sent`).

With BENCH_SHARED_FETCH=1 it also tries the fix proposed in bench/README.md, as a patch in this process only: after a
change, the lists showing the same page (same search, filters, sort, page and cursor) share one query instead of
each running its own; each client still passes its own permission check. With BENCH_NO_TIMER_ELEMENT=1 a list
waits its 0.1 s debounce in a background task instead of a `ui.timer` (an element: created and deleted in every
open page, two extra websocket messages and two re-renders of the page's content per change). With
BENCH_READ_SESSION_USER=1 the sign-in check each list makes before loading (components/session.current_user, on the
event loop) reads in a read session instead of `session_scope`, which on SQLite begins IMMEDIATE (the write lock).
A `user` line gives that check's duration in ms.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)


_lock = threading.Lock()


def probe(step: str, client: object = '-') -> None:
    with _lock:  # one write per line: worker threads probe too
        sys.stdout.write(f'PROBE {time.time() * 1000:.1f} {step} {client}\n')
        sys.stdout.flush()


def install() -> None:
    from nicegui import context, core

    from components import live
    from components.resource_table import ResourceTable

    original_event = live.resource_changed

    def resource_changed(key: str):
        event = original_event(key)
        if key == 'tickets' and not getattr(event, '_probed', False):
            emit = event.emit

            def probed_emit(*args, **kwargs) -> None:
                probe('emit')
                emit(*args, **kwargs)
            event.emit = probed_emit
            event._probed = True
        return event
    live.resource_changed = resource_changed

    refresh, fetch, load = ResourceTable._refresh_after_change, ResourceTable._fetch, ResourceTable.load

    async def probed_refresh(self) -> None:
        probe('timer', context.client.id[:8])
        await refresh(self)

    def probed_fetch(self, *args):
        probe('fetch0', threading.get_ident())
        try:
            return fetch(self, *args)
        finally:
            probe('fetch1', threading.get_ident())

    async def probed_load(self, page=None) -> None:
        await load(self, page)
        probe('loaded', context.client.id[:8])

    ResourceTable._refresh_after_change, ResourceTable._fetch, ResourceTable.load = \
        probed_refresh, probed_fetch, probed_load

    import components.resource_table as resource_table
    import components.session as session

    if os.environ.get('BENCH_READ_SESSION_USER') == '1':  # the sign-in check reads without SQLite's write lock
        from backoffice.db import read_session
        session.session_scope = read_session
    acting_user = resource_table.acting_user

    def probed_acting_user():
        started = time.perf_counter()
        try:
            return acting_user()
        finally:
            probe('user', f'{(time.perf_counter() - started) * 1000:.2f}')
    resource_table.acting_user = probed_acting_user

    if os.environ.get('BENCH_SHARED_FETCH') == '1':
        share_fetches(probed_fetch)

    if os.environ.get('BENCH_NO_TIMER_ELEMENT') == '1':
        debounce_without_element(probed_refresh)

    from nicegui import app

    def wrap_sio() -> None:
        emit = core.sio.emit

        async def probed_sio_emit(event, data=None, *args, **kwargs):
            result = await emit(event, data, *args, **kwargs)
            if event == 'update':
                probe('sent', str(kwargs.get('room', '-'))[:8])
            return result
        core.sio.emit = probed_sio_emit
    app.on_startup(wrap_sio)


def share_fetches(fetch) -> None:
    """One query per distinct page per change; the other lists showing that page wait for its result."""
    from backoffice import events
    from backoffice.permissions import require
    from components.resource_table import ResourceTable

    shared: dict[tuple, Future] = {}
    generation = [0]
    lock = threading.Lock()

    def changed(_payload: dict) -> None:  # called in the publishing thread, before the UI's events fire
        with lock:
            generation[0] += 1
            shared.clear()

    def subscribe(key: str) -> None:
        events.subscribe(key, changed, key=f'bench.shared.{key}')

    subscribe('tickets')

    def shared_fetch(self, user, request, cursor):
        require(user, self.resource.read_permission)
        key = (self.resource.key, repr(request), repr(cursor))
        with lock:
            key = (generation[0], *key)
            future = shared.get(key)
            owner = future is None
            if owner:
                future = shared[key] = Future()
        if owner:
            try:
                future.set_result(fetch(self, user, request, cursor))
            except BaseException as error:
                future.set_exception(error)
                with lock:
                    shared.pop(key, None)
        result, rows = future.result()
        return result, [dict(row) for row in rows]

    ResourceTable._fetch = shared_fetch


def debounce_without_element(refresh) -> None:
    """ResourceTable._on_change with the same condition, but the 0.1 s wait is a task in the list's slot."""
    import asyncio

    from nicegui import background_tasks, context

    from components.resource_table import ResourceTable

    async def soon(self) -> None:
        await asyncio.sleep(0.1)
        if not self.table.is_deleted:
            await refresh(self)

    def on_change(self, payload: dict) -> None:
        shown = {row['id'] for row in self.table.rows}
        if payload.get('id') in shown or shown & set(payload.get('ids') or ()) or payload.get('action') in {
                'created', 'restored', 'deleted', 'purged', 'imported', 'import_reverted'}:
            if self._refresh_pending:
                return
            self._refresh_pending = True
            background_tasks.create(soon(self), name='list refresh', context=context.slot)

    ResourceTable._on_change = on_change


if __name__ == '__main__':
    import components.resource_table  # noqa: F401  (patch the class before main.py's pages use it)
    install()
    sys.argv = ['main.py']
    runpy.run_path(str(ROOT / 'main.py'), run_name='__main__')
