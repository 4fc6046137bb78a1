"""Backups of the whole database: taken online (SQLite's backup API, or pg_dump), verified, kept for a number of days,
restored from the command line while the app is stopped."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import Session

from backoffice.config import Settings
from backoffice.errors import ServiceError
from backoffice.models import User, utcnow
from backoffice.permissions import require
from backoffice.private_files import private_file, private_folder
from backoffice.services import audit

KEEP = 14  # backups kept (one a night: two weeks); older ones are removed after each new one
_NAME = re.compile(r'^backoffice-(\d{8}-\d{6})\.(db|dump)$')


class BackupFailed(ServiceError):
    """The backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path
    size: int
    taken_at: datetime


def folder(settings: Settings) -> Path:
    return settings.data_dir / 'backups'


def list_backups(settings: Settings) -> list[Backup]:
    """Newest first."""
    found = []
    if folder(settings).is_dir():
        for path in folder(settings).iterdir():
            match = _NAME.match(path.name)
            if match:
                taken = datetime.strptime(match.group(1), '%Y%m%d-%H%M%S').replace(tzinfo=UTC)
                found.append(Backup(path.name, path, path.stat().st_size, taken))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def take_backup(*, session: Session | None, actor: User | None, settings: Settings, keep: int = KEEP) -> Backup:
    """A consistent copy of the database while the app runs; audited when a person asked for it. `actor` None: the
    nightly job or the command line."""
    if actor is not None:
        require(actor, 'system.manage')
    target_folder = private_folder(folder(settings))
    stamp = utcnow().strftime('%Y%m%d-%H%M%S')
    target = target_folder / f'backoffice-{stamp}.{"db" if settings.is_sqlite else "dump"}'
    partial = target.with_suffix(target.suffix + '.part')  # never listed: a crash leaves no half backup behind
    try:
        private_file(partial)  # 0600 before a byte is written: a backup holds the password hashes
        if settings.is_sqlite:
            _sqlite_backup(settings.database_url, partial)
        else:
            _pg_dump(settings.database_url, partial)
        os.replace(partial, target)
    except (OSError, sqlite3.Error, subprocess.CalledProcessError) as error:
        partial.unlink(missing_ok=True)
        raise BackupFailed(f'The backup failed: {_reason(error)}') from error
    backup = Backup(
        target.name, target, target.stat().st_size, datetime.strptime(stamp, '%Y%m%d-%H%M%S').replace(tzinfo=UTC)
    )
    for old in list_backups(settings)[keep:]:
        old.path.unlink(missing_ok=True)
    if session is not None:
        audit.record(
            session, actor, 'system.backup', 'system', None, summary=f'Backup {backup.name} ({backup.size:,} bytes)'
        )
        session.commit()
    return backup


def backup_path(*, actor: User, settings: Settings, name: str) -> Path:
    """A backup's file, for a download by someone allowed to manage the system (never a path outside the folder)."""
    require(actor, 'system.manage')
    found = next((b for b in list_backups(settings) if b.name == name), None)
    if found is None:
        raise BackupFailed(f'There is no backup named {name}.')
    return found.path


def verify(path: Path) -> str:
    """'ok', or what is wrong with the file: SQLite's integrity check, or pg_restore reading the dump's table of
    contents."""
    if path.suffix == '.db':
        try:
            connection = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
            try:
                result = connection.execute('PRAGMA integrity_check').fetchone()[0]
                tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'users'").fetchone()[0]
            finally:
                connection.close()
        except sqlite3.Error as error:
            return f'not a readable SQLite database ({error})'
        return (
            'ok'
            if result == 'ok' and tables == 1
            else f'damaged: {result}'
            if result != 'ok'
            else 'not a Backoffice database (no users table)'
        )
    done = subprocess.run(['pg_restore', '--list', str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        return f'not a readable dump ({done.stderr.strip()[:200]})'
    return (
        'ok'
        if ' TABLE public users ' in done.stdout or 'TABLE public users' in done.stdout
        else 'not a Backoffice database (no users table)'
    )


def restore(path: Path, settings: Settings) -> None:
    """Replace the database with a backup (the command line's `restore`; stop the app first). The file is verified
    before anything is touched."""
    problem = verify(path)
    if problem != 'ok':
        raise BackupFailed(f'{path.name} cannot be restored: {problem}')
    if settings.is_sqlite:
        database = Path(make_url(settings.database_url).database or '')
        if path.suffix != '.db':
            raise BackupFailed('This is a PostgreSQL dump; the app runs on SQLite.')
        database.parent.mkdir(parents=True, exist_ok=True)
        copy = private_file(database.with_name(database.name + '.restoring'))
        shutil.copyfile(path, copy)  # into the 0600 file: copyfile keeps the mode of an existing target
        for leftover in (Path(f'{database}-wal'), Path(f'{database}-shm')):
            leftover.unlink(missing_ok=True)
        os.replace(copy, database)
        return
    if path.suffix != '.dump':
        raise BackupFailed('This is a SQLite backup; the app runs on PostgreSQL.')
    done = subprocess.run(
        [
            'pg_restore',
            '--clean',
            '--if-exists',
            '--no-owner',
            '--single-transaction',
            '--dbname',
            _libpq_url(settings.database_url),
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupFailed(f'pg_restore failed: {done.stderr.strip()[:500]}')


# --- helpers ----------------------------------------------------------------------------------------------------------


def _sqlite_backup(url: str, target: Path) -> None:
    source = sqlite3.connect(make_url(url).database or '')
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)  # online: writers wait only for the pages being copied
    finally:
        destination.close()
        source.close()


def _pg_dump(url: str, target: Path) -> None:
    subprocess.run(
        ['pg_dump', '--format=custom', '--no-owner', '--file', str(target), _libpq_url(url)],
        check=True,
        capture_output=True,
        text=True,
    )


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername='postgresql').render_as_string(hide_password=False)


def _reason(error: Exception) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        return (error.stderr or '').strip()[:300] or f'exit code {error.returncode}'
    return str(error)
