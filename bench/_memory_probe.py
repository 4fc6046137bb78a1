"""Runs `main.py` under tracemalloc (for bench/memory_soak.py --tracemalloc), changing nothing in the app.

On SIGUSR1 it writes a snapshot (25 frames deep) to the path found in the file named by
BENCH_MEMORY_SNAPSHOT_TARGET, then deletes that file: the bench waits for the deletion.
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


if __name__ == '__main__':
    tracemalloc.start(25)
    signal.signal(signal.SIGUSR1, _on_signal)
    sys.argv = ['main.py']
    runpy.run_path(str(ROOT / 'main.py'), run_name='__main__')
