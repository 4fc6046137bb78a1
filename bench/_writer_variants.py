"""Runs `main.py` for bench/api_load.py with SQLite's writers handled another way than the app's, to measure which
keeps writes waiting their turn best; the app's code is unchanged (this only patches it in this process):

- BENCH_WRITER_QUEUE=0: no writer queue (backoffice/writer_queue.py); threads race SQLite's busy handler at
  `BEGIN IMMEDIATE`, as before the queue.
- BENCH_BUSY_TIMEOUT_MS=N: SQLite's busy timeout (backoffice/db.py BUSY_TIMEOUT_MS, 5,000 by default), e.g. 30,000 for
  "a busy timeout that covers the wait".
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)


def _no_turn(_connection_info: dict) -> None:
    """Stands for writer_queue.wait_turn and end_turn: every writer goes straight to BEGIN IMMEDIATE."""


if __name__ == '__main__':
    from backoffice import db, writer_queue

    if os.environ.get('BENCH_WRITER_QUEUE') == '0':
        writer_queue.wait_turn = _no_turn
        writer_queue.end_turn = _no_turn
    if os.environ.get('BENCH_BUSY_TIMEOUT_MS'):
        db.BUSY_TIMEOUT_MS = int(os.environ['BENCH_BUSY_TIMEOUT_MS'])  # read by each new connection's PRAGMA
    print(
        f'writers: queue {"off" if os.environ.get("BENCH_WRITER_QUEUE") == "0" else "on"}, '
        f'busy timeout {db.BUSY_TIMEOUT_MS} ms',
        flush=True,
    )
    sys.argv = ['main.py']
    runpy.run_path(str(ROOT / 'main.py'), run_name='__main__')
