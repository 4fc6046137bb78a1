"""The multi-process deployment brought up on this machine: PostgreSQL (a fresh database), Redis, N app processes
and nginx with the repo's site file, on free loopback ports; used by deploy/smoke.py and bench/deploy_load.py."""

from __future__ import annotations

import collections
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.render_site import render  # noqa: E402

PG = os.environ.get('BACKOFFICE_DEPLOY_PG', 'postgresql+psycopg://postgres@127.0.0.1:5432')
REDIS = os.environ.get('BACKOFFICE_DEPLOY_REDIS', 'redis://127.0.0.1:6379')
# on a machine shared by several people: a database name prefix and a Redis database number of one's own
DB_PREFIX = os.environ.get('BACKOFFICE_DEPLOY_DB_PREFIX', 'backoffice_deploy')
REDIS_DB = os.environ.get('BACKOFFICE_DEPLOY_REDIS_DB')
ADMIN_EMAIL, ADMIN_PASSWORD = 'deploy.admin@example.com', 'Deploy-Admin-Pass-5813'
SCOPES = 'requests:write,events:write,orders:write,customers:seen'
NGINX_MAIN = """worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
daemon off;
{user}
events {{ worker_connections 4096; }}
http {{
    log_format upstream '$msec $status $upstream_addr $request_time "$request_method $backoffice_logged_uri '
                        '$server_protocol" route=$backoffice_route "$backoffice_logged_referer"';
    client_body_temp_path {work}/temp/body;
    proxy_temp_path {work}/temp/proxy;
    fastcgi_temp_path {work}/temp/fastcgi;
    uwsgi_temp_path {work}/temp/uwsgi;
    scgi_temp_path {work}/temp/scgi;
    include {work}/site.conf;
}}
"""


@dataclass
class App:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    @property
    def upstream(self) -> str:
        return f'127.0.0.1:{self.port}'


@dataclass
class Stack:
    url: str  # through nginx (https, a self-signed certificate: verify=False)
    apps: list[App]
    database_url: str
    api_key: str
    work: Path
    env: dict[str, str]
    nginx: subprocess.Popen | None = None
    killed: list[int] = field(default_factory=list)

    @property
    def access_log(self) -> Path:
        return self.work / 'nginx' / 'access.log'

    def access_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    def upstream_counts(self, pattern: str = '') -> collections.Counter[str]:
        """How many requests nginx passed to each app process (`pattern`: only lines containing it)."""
        counts: collections.Counter[str] = collections.Counter()
        for line in self.access_lines():
            if pattern in line:
                parts = line.split(' ')
                counts[parts[2]] += 1
        return counts

    def app_of_route(self, route: str) -> App:
        """The process that served the websocket of the browser holding this route cookie."""
        for line in reversed(self.access_lines()):
            if f'route={route}' in line and '/_nicegui_ws/' in line and line.split(' ')[1] == '101':
                upstream = line.split(' ')[2].split(',')[-1].strip()
                return next(app for app in self.apps if app.upstream == upstream)
        raise LookupError(f'no websocket of route {route} in the access log')

    def kill(self, app: App) -> None:
        """kill -9: the process dies with its pages, as in a crash."""
        app.process.send_signal(signal.SIGKILL)
        app.process.wait(timeout=10)
        self.killed.append(app.port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def nginx_binary() -> str | None:
    return shutil.which('nginx') or next((p for p in ('/usr/sbin/nginx',) if os.path.exists(p)), None)


def services_missing() -> str | None:
    """Why the stack cannot come up here (nginx, PostgreSQL or Redis missing), or None."""
    if not nginx_binary():
        return 'nginx is not installed (apt-get install nginx)'
    for name, url in (('PostgreSQL', PG), ('Redis', REDIS)):
        host, port = re.search(r'@?([\w.]+):(\d+)', url.split('://', 1)[1]).groups()  # type: ignore[union-attr]
        with socket.socket() as probe:
            probe.settimeout(2)
            if probe.connect_ex((host, int(port))) != 0:
                return f'{name} does not answer at {host}:{port}'
    return None


@contextmanager
def deployment(
    processes: int = 2,
    *,
    redis_db: int = 11,
    scheduler: bool = True,
    extra_env: dict[str, str] | None = None,
    keep: bool = False,
) -> Iterator[Stack]:
    """Bring up the stack on a fresh database; everything is stopped and dropped afterwards (`keep`: the logs).
    BACKOFFICE_DEPLOY_DB_PREFIX and BACKOFFICE_DEPLOY_REDIS_DB (instead of `redis_db`) keep two people apart."""
    missing = services_missing()
    if missing:
        raise SystemExit(missing)
    redis_db = int(REDIS_DB) if REDIS_DB else redis_db
    work = Path(tempfile.mkdtemp(prefix='backoffice-deploy-'))
    database = f'{DB_PREFIX}_{os.getpid()}_{secrets.token_hex(3)}'
    database_url = f'{PG}/{database}'
    _admin_sql(f'CREATE DATABASE {database}')
    nginx_port = free_port()
    url = f'https://127.0.0.1:{nginx_port}'
    env = {k: v for k, v in os.environ.items() if not k.startswith(('BACKOFFICE_', 'NICEGUI_', 'PYTEST'))}
    env.update(
        BACKOFFICE_DATABASE_URL=database_url,
        BACKOFFICE_HOST='127.0.0.1',
        BACKOFFICE_DATA_DIR=str(work / 'data'),
        BACKOFFICE_STORAGE_SECRET=secrets.token_urlsafe(32),  # the same in every process: one session cookie
        BACKOFFICE_REDIS_URL=f'{REDIS}/{redis_db}',
        NICEGUI_REDIS_URL=f'{REDIS}/{redis_db}',
        BACKOFFICE_PUBLIC_URL=url,
        BACKOFFICE_SCHEDULER='1' if scheduler else '0',
        PYTHONUNBUFFERED='1',
        **(extra_env or {}),
    )
    stack = Stack(url=url, apps=[], database_url=database_url, api_key='', work=work, env=env)
    try:
        _flush_redis(redis_db)
        _cli(env, 'migrate')  # once, before any app process starts (docs/DEPLOY.md: upgrades)
        # the first admin and the front office's key, side by side (each command imports the whole app)
        admin = _cli_start(env, 'create-user', '--email', ADMIN_EMAIL, '--role', 'admin', '--password-stdin')
        key = _cli_start(env, 'create-api-key', '--name', 'Deploy smoke', '--scopes', SCOPES)
        _cli_wait(admin, 'create-user', stdin=ADMIN_PASSWORD)
        out = _cli_wait(key, 'create-api-key')
        stack.api_key = out.split('Key (shown once): ', 1)[1].split()[0]
        for index in range(processes):
            stack.apps.append(start_app(env, work / f'app{index + 1}.log'))
        for app in stack.apps:
            wait_healthy(f'{app.url}/healthz', app)
        stack.nginx = _start_nginx(work / 'nginx', [app.port for app in stack.apps], nginx_port)
        wait_healthy(f'{url}/healthz')
        yield stack
    finally:
        if stack.nginx is not None:
            stop(stack.nginx)
        for app in stack.apps:
            app.process.terminate()  # all at once: each waits for its open pages to close
        for app in stack.apps:
            stop(app.process)
        with suppress(Exception):
            _admin_sql(f'DROP DATABASE IF EXISTS {database} WITH (FORCE)')
        with suppress(Exception):
            _flush_redis(redis_db)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def start_app(env: dict[str, str], log: Path, port: int | None = None) -> App:
    port = port or free_port()
    with log.open('ab') as out:
        process = subprocess.Popen(
            [sys.executable, 'main.py'],
            cwd=ROOT,
            env={**env, 'BACKOFFICE_PORT': str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return App(port=port, process=process, log=log)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_healthy(url: str, app: App | None = None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app is not None and app.process.poll() is not None:
            raise SystemExit(f'the app on port {app.port} stopped:\n{app.log.read_text()[-3000:]}')
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2, verify=False).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f'nothing answered at {url} within {timeout:.0f} s')


def _cli(env: dict[str, str], *args: str) -> str:
    return _cli_wait(_cli_start(env, *args), args[0])


def _cli_start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, '-m', 'backoffice', *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _cli_wait(process: subprocess.Popen, command: str, stdin: str | None = None) -> str:
    out, err = process.communicate(stdin, timeout=120)
    if process.returncode != 0:
        raise SystemExit(f'python -m backoffice {command} failed:\n{out}{err}')
    return out


def _start_nginx(folder: Path, ports: list[int], listen: int) -> subprocess.Popen:
    """nginx as a foreground process of its own (prefix `folder`), not the system service; a self-signed certificate
    so that the app sees HTTPS through X-Forwarded-Proto, as behind a real TLS terminator."""
    for temp in ('body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'):
        (folder / 'temp' / temp).mkdir(parents=True, exist_ok=True)
    certificate, key = folder / 'cert.pem', folder / 'key.pem'
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1']
        + ['-keyout', str(key), '-out', str(certificate)],
        check=True,
        capture_output=True,
    )
    (folder / 'site.conf').write_text(
        render(
            ports,
            listen=f'127.0.0.1:{listen}',
            server_name='127.0.0.1',
            certificate=str(certificate),
            certificate_key=str(key),
            fail_timeout=5,
            access_log=f'{folder}/access.log upstream',  # the site's redacted request line, with the route
        )
    )
    user = 'user root root;' if os.geteuid() == 0 else ''  # workers as root read the temp folder made by root
    (folder / 'nginx.conf').write_text(NGINX_MAIN.format(work=folder, user=user))
    binary = nginx_binary()
    assert binary is not None
    log = (folder / 'stderr.log').open('wb')
    process = subprocess.Popen([binary, '-p', str(folder), '-c', str(folder / 'nginx.conf')], stderr=log, stdout=log)
    time.sleep(0.3)
    if process.poll() is not None:
        raise SystemExit(f'nginx did not start:\n{(folder / "stderr.log").read_text()}')
    return process


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace('postgresql+psycopg', 'postgresql') + '/postgres', autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def _flush_redis(db: int) -> None:
    import redis

    redis.Redis.from_url(f'{REDIS}/{db}').flushdb()
