"""`copy-database` at the benchmark size: a seeded SQLite file onto a scratch PostgreSQL database and back onto a new
SQLite file, each as the command line runs it (a subprocess), with rows/s and the peak memory of each copy."""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--source', type=Path, help='an existing SQLite file (else one is seeded)')
    parser.add_argument('--customers', type=int, default=100_000)
    parser.add_argument('--orders', type=int, default=100_000)
    parser.add_argument('--server', default='postgresql+psycopg://postgres@127.0.0.1:5432', help='PostgreSQL server')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        source = args.source or Path(scratch) / 'shop.db'
        if args.source is None:
            command(
                'seed', '--customers', str(args.customers), '--orders', str(args.orders), database=source, data=scratch
            )
        name = f'bo_copy_bench_{os.getpid()}'
        server = args.server.rstrip('/')
        psql(server, f'CREATE DATABASE {name}')
        try:
            target = f'{server}/{name}'
            copy(f'sqlite:///{source}', target, scratch)
            copy(target, f'sqlite:///{Path(scratch) / "back.db"}', scratch)
        finally:
            psql(server, f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def copy(source: str, target: str, data: str) -> None:
    started = time.perf_counter()
    output, usage = command('copy-database', '--to', target, database=source, data=data)
    seconds = time.perf_counter() - started
    rows = int(re.search(r'Copied \d+ tables, ([\d,]+) rows', output).group(1).replace(',', ''))  # type: ignore[union-attr]
    print(
        f'{source.split(":")[0]} -> {target.split(":")[0]}: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} '
        f'rows/s), {usage.ru_utime + usage.ru_stime:.1f} s CPU in the command, peak memory '
        f'{usage.ru_maxrss / 1024:.0f} MiB, load average {os.getloadavg()[0]:.1f}'
    )


def command(*arguments: str, database: Path | str, data: str) -> tuple[str, resource.struct_rusage]:
    """The command's output and its own resource usage (not the seed's before it)."""
    url = database if isinstance(database, str) else f'sqlite:///{database}'
    environment = {**os.environ, 'BACKOFFICE_DATABASE_URL': url, 'BACKOFFICE_DATA_DIR': data}
    with tempfile.TemporaryFile('w+') as output:
        process = subprocess.Popen(
            [sys.executable, '-m', 'backoffice', *arguments], cwd=ROOT, env=environment, stdout=output, stderr=output
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        printed = output.read()
    if process.returncode:
        raise SystemExit(printed)
    return printed, usage


def psql(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(server.replace('+psycopg', '') + '/postgres', autocommit=True) as connection:
        connection.execute(statement)


if __name__ == '__main__':
    main()
