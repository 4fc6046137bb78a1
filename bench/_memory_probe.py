"""Runs `main.py` for bench/memory_soak.py, changing nothing in the app: under tracemalloc (--tracemalloc:
BENCH_MEMORY_TRACEMALLOC=1), and answering how many NiceGUI clients and elements are alive (--count-clients).

On SIGUSR1 it writes a snapshot (25 frames deep) to the path found in the file named by
BENCH_MEMORY_SNAPSHOT_TARGET, then deletes that file: the bench waits for the deletion. On SIGUSR2 it writes
"clients elements" (after a garbage collection) to the file named by BENCH_MEMORY_COUNTS.
"""

from __future__ import annotations

import gc
import os
import runpy
import signal
import sys
import threading
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)


def _write_snapshot() -> None:
    order = Path(os.environ['BENCH_MEMORY_SNAPSHOT_TARGET'])
    target = order.read_text().strip()
    gc.collect()
    tracemalloc.take_snapshot().dump(target)
    order.unlink()


def _on_signal(_signum, _frame) -> None:
    threading.Thread(target=_write_snapshot, daemon=True).start()


def _write_counts() -> None:
    from nicegui import Client
    from nicegui.element import Element

    gc.collect()
    elements = sum(1 for thing in gc.get_objects() if isinstance(thing, Element))
    Path(os.environ['BENCH_MEMORY_COUNTS']).write_text(f'{len(Client.instances)} {elements}')


def _on_count(_signum, _frame) -> None:
    threading.Thread(target=_write_counts, daemon=True).start()


if __name__ == '__main__':
    if os.environ.get('BENCH_MEMORY_TRACEMALLOC') == '1':
        tracemalloc.start(25)
        signal.signal(signal.SIGUSR1, _on_signal)
    signal.signal(signal.SIGUSR2, _on_count)
    sys.argv = ['main.py']
    runpy.run_path(str(ROOT / 'main.py'), run_name='__main__')
