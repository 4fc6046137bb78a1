"""A PostgreSQL cluster and a Redis server of a test's own, on free ports, that the test may stop and restart (the
machine's shared ones must never be: other test runs use them). Debian's binaries: postgresql-NN (initdb, pg_ctl under
/usr/lib/postgresql/NN/bin) and redis-server; `missing_*()` says which is absent, for a skip with the reason."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_SECONDS = 30  # how long a server may take to come up (the machine may be loaded)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL's binaries folder, or None."""
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def missing_postgres() -> str | None:
    if postgres_bin() is None:
        return 'no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb: apt-get install postgresql)'
    if os.geteuid() == 0 and not _has_user('postgres'):
        return 'running as root and there is no postgres user to run initdb as'
    return None


def missing_redis() -> str | None:
    return None if shutil.which('redis-server') else 'no redis-server binary (apt-get install redis-server)'


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PrivatePostgres:
    """initdb in a temporary folder, trust authentication, 127.0.0.1 on a free port; `restart()`, `stop()`, `start()`
    as an operator would (pg_ctl, fast shutdown: open connections are cut)."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None, missing_postgres()
        self.bin = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix='bo-private-pg-'))
        self.data = self.folder / 'data'
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
            postgres = pwd.getpwnam('postgres')
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
            self._as = ['runuser', '-u', 'postgres', '--']
        self._run('initdb', '-D', str(self.data), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8')
        self.start()

    @property
    def url(self) -> str:
        return f'postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres'

    def start(self) -> None:
        options = (
            f'-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} -c fsync=off'
        )
        self._run('pg_ctl', '-D', str(self.data), '-o', options, '-l', str(self.folder / 'log'), '-w', '-t',
                  str(START_SECONDS), 'start')  # fmt: skip

    def stop(self) -> None:
        self._run('pg_ctl', '-D', str(self.data), '-m', 'fast', '-w', 'stop')

    def restart(self) -> None:
        self._run('pg_ctl', '-D', str(self.data), '-l', str(self.folder / 'log'), '-m', 'fast', '-w', '-t',
                  str(START_SECONDS), 'restart')  # fmt: skip

    def close(self) -> None:
        if (self.data / 'postmaster.pid').exists():
            subprocess.run([*self._as, str(self.bin / 'pg_ctl'), '-D', str(self.data), '-m', 'immediate', 'stop'],
                           capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        path = self.folder / 'log'
        return path.read_text(errors='replace')[-3000:] if path.exists() else ''

    def _run(self, program: str, *args: str) -> None:
        # the server's output goes to its log (-l): a pipe left open by it would keep this call waiting for ever
        done = subprocess.run(
            [*self._as, str(self.bin / program), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=2 * START_SECONDS,
        )
        if done.returncode != 0:
            raise RuntimeError(f'{program} {" ".join(args)} failed: {done.stdout}{done.stderr}{self.log()}')


class PrivateRedis:
    """redis-server on 127.0.0.1 and a free port, no persistence; `kill()` it (as a crash would), `start()` it again
    on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    def start(self) -> None:
        self.process = subprocess.Popen(
            ['redis-server', '--bind', '127.0.0.1', '--port', str(self.port), '--save', '', '--appendonly', 'no'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f'redis-server did not start on port {self.port}')
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    close = kill


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.2) as connection:
            connection.sendall(b'PING\r\n')
            return connection.recv(16).startswith(b'+PONG')
    except OSError:
        return False
