"""Runs `main.py` with timing probes on the live list's path (for bench/requests_live.py --probe), changing nothing.

Each probe prints one line `PROBE <wall-clock ms> <step> <client>`: the tickets event fired on the loop (`emit`), a
list's debounce timer ran (`timer`), its query started and ended in the worker thread (`fetch0`, `fetch1`), its
rows were set (`loaded`), and socket.io took an `update` message for a client (`sent`).

A `user` line gives the duration in ms of the sign-in check each list makes before loading on the event loop; a `waited`
line, how long a list awaited the check of all sign-ins of one change (made together in a worker thread).
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time
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

    async def probed_load(self, *args, **kwargs) -> None:
        await load(self, *args, **kwargs)
        probe('loaded', context.client.id[:8])

    ResourceTable._refresh_after_change, ResourceTable._fetch, ResourceTable.load = (
        probed_refresh,
        probed_fetch,
        probed_load,
    )

    import components.resource_table as resource_table

    acting_user = resource_table.acting_user

    def probed_acting_user():
        started = time.perf_counter()
        try:
            return acting_user()
        finally:
            probe('user', f'{(time.perf_counter() - started) * 1000:.2f}')

    resource_table.acting_user = probed_acting_user

    together = getattr(resource_table, 'checked_together', None)
    if together is not None:  # the sign-ins of one change checked together, in a worker thread (branch live2)

        async def probed_checked_together():
            started = time.perf_counter()
            try:
                return await together()
            finally:
                probe('waited', f'{(time.perf_counter() - started) * 1000:.2f}')

        resource_table.checked_together = probed_checked_together

    from nicegui import app

    def wrap_sio() -> None:
        emit = core.sio.emit

        async def probed_sio_emit(event, data=None, *args, **kwargs):
            result = await emit(event, data, *args, **kwargs)
            if event in ('update', 'run_javascript'):  # a whole element, or a table's patch (patchRows)
                probe('sent', str(kwargs.get('room', '-'))[:8])
            return result

        core.sio.emit = probed_sio_emit

    app.on_startup(wrap_sio)


if __name__ == '__main__':
    import components.resource_table  # noqa: F401  (patch the class before main.py's pages use it)

    install()
    sys.argv = ['main.py']
    runpy.run_path(str(ROOT / 'main.py'), run_name='__main__')
