"""Backups of the whole database: taken online (SQLite's backup API, or pg_dump), verified as soon as they are taken
(readable, intact, the same rows per table as the database had), kept for a number of days, and restored from /system
by an admin (after an automatic backup of the current state) or from the command line."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from backoffice import stored_text
from backoffice.config import Settings
from backoffice.errors import ServiceError
from backoffice.i18n import N_, _
from backoffice.listing.folding import register_sqlite_fold
from backoffice.models import User, utcnow
from backoffice.permissions import require
from backoffice.private_files import private_file, private_folder
from backoffice.services import audit
from backoffice.stored_text import Sentence, count, joined, sentence, word

if TYPE_CHECKING:  # psycopg is imported on PostgreSQL only (SQLAlchemy's driver there): on SQLite no process needs it
    import psycopg

KEEP = 14  # backups kept (one a night: two weeks); older ones are removed after each new one
_NAME = re.compile(r'^backoffice-(\d{8}-\d{6})(?:-\d+)?\.(db|dump)$')  # -2, -3…: more than one in a second


class BackupFailed(ServiceError):
    """The backup or restore could not be made; the message says why."""


class BackupUnverified(BackupFailed):
    """The backup was written but failed its check: the nightly job fails, the command line exits 1, Back up now says
    so. The file stays (listed with what the check found, for someone to look at) and no older backup was removed."""

    def __init__(self, backup: Backup) -> None:
        super().__init__(
            _('The backup {name} was written but failed its check: {check} Older backups were all kept.').format(
                name=backup.name, check=backup.check_text()
            )
        )
        self.backup = backup


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path
    size: int
    taken_at: datetime
    verified: bool | None = None  # None: taken before backups were verified when taken
    check: str = ''  # what the check found, in English words: 'Verified: 42 tables, 1,234 rows' or what is wrong
    check_said: dict[str, Any] | None = None  # the same as a msgid and its values (stored_text); None: older files

    def fits(self, settings: Settings) -> bool:
        """Whether it is a backup of this kind of database: after a move to PostgreSQL (copy-database) the SQLite
        backups taken before stay in the folder, but restore onto SQLite only."""
        return _fits(self.path, settings)

    def check_text(self) -> str:
        """What the check found, in the reader's language (a check file written before: as it was written)."""
        return stored_text.show_json(self.check, self.check_said)


# a backup taken while clients write (the nightly one): its audit entry tries this many times the busy timeout (5 s
# each) before the command fails, the backup itself written and verified (a CI run under load once waited over 5 s)
AUDIT_TRIES = 4
NOT_CHECKED = N_('Not verified: taken before backups were checked when taken.')
VERIFIED = N_('Verified: {tables} tables, {rows} rows, the same as the database.')
NO_USERS_TABLE = N_('not a Backoffice database (no users table)')


def _sqlite(*args, **kwargs) -> sqlite3.Connection:
    """A raw connection, with the functions the app's schema calls (the search indexes read through views using
    bo_fold: counting or copying them needs it)."""
    connection = sqlite3.connect(*args, **kwargs)
    register_sqlite_fold(connection)
    return connection


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
                verified, check, check_said = _read_check(path)
                found.append(Backup(path.name, path, path.stat().st_size, taken, verified, check, check_said))
    return sorted(found, key=lambda b: (b.taken_at, len(b.name), b.name), reverse=True)


def take_backup(
    *, session: Session | None, actor: User | None, settings: Settings, keep: int = KEEP, spare: Path | None = None
) -> Backup:
    """A consistent copy of the database while the app runs, verified at once against the rows the database held at
    that moment; audited when a person asked for it. `actor` None: the nightly job or the command line. `spare`: a
    backup that pruning must leave alone (the one about to be restored)."""
    if actor is not None:
        require(actor, 'system.manage')
    target_folder = private_folder(folder(settings))
    stamp = utcnow().strftime('%Y%m%d-%H%M%S')
    suffix = 'db' if settings.is_sqlite else 'dump'
    target = target_folder / f'backoffice-{stamp}.{suffix}'
    taken_before = 1
    while target.exists() or target.with_suffix(f'.{suffix}.part').exists():  # never over another backup of that second
        taken_before += 1  # (a restore's safety backup can follow the backup it restores within a second)
        target = target_folder / f'backoffice-{stamp}-{taken_before}.{suffix}'
    partial = target.with_suffix(target.suffix + '.part')  # never listed: a crash leaves no half backup behind
    failures: tuple[type[Exception], ...] = (OSError, sqlite3.Error, subprocess.CalledProcessError)
    if not settings.is_sqlite:
        import psycopg

        failures += (psycopg.Error,)
    try:
        private_file(partial)  # 0600 before a byte is written: a backup holds the password hashes
        if settings.is_sqlite:
            live_counts = _sqlite_backup(settings.database_url, partial)
        else:
            live_counts = _pg_dump(settings.database_url, partial)
        verified, found = compare(partial, live_counts)
        _write_check(target, verified, found)
        check = found.english
        os.replace(partial, target)
    except failures as error:
        partial.unlink(missing_ok=True)
        _check_file(target).unlink(missing_ok=True)
        raise BackupFailed(_('The backup failed: {reason}').format(reason=_reason(error))) from error
    backup = Backup(
        target.name,
        target,
        target.stat().st_size,
        datetime.strptime(stamp, '%Y%m%d-%H%M%S').replace(tzinfo=UTC),
        verified,
        check,
        found.as_json(),
    )
    if verified:  # a backup that failed its check replaces none: two weeks of failing nights would leave no good one
        for old in [b for b in list_backups(settings) if spare is None or b.path.resolve() != spare.resolve()][keep:]:
            old.path.unlink(missing_ok=True)
            _check_file(old.path).unlink(missing_ok=True)
    if session is not None:
        for attempt in range(AUDIT_TRIES):  # the file is written and checked: its audit entry waits for busy writers
            record_taken(session, actor, backup, found)
            try:
                session.commit()
                break
            except OperationalError as error:  # SQLite: writers held the lock past the busy timeout
                session.rollback()
                if 'database is locked' not in str(error) or attempt == AUDIT_TRIES - 1:
                    raise
    if not verified:  # written, listed with what its check found, audited: and a failure for whoever asked for it
        raise BackupUnverified(backup)
    return backup


def record_taken(session: Session, actor: User | None, backup: Backup, found: Any) -> None:
    """The audit entry of a backup taken (`found`: its check, as `compare` gave it)."""
    audit.record(
        session,
        actor,
        'system.backup',
        'system',
        None,
        summary=sentence(
            N_('Backup {name} ({size} bytes), verified')
            if backup.verified
            else N_('Backup {name} ({size} bytes), NOT verified: {check}'),
            name=backup.name,
            size=count(backup.size),
            check=found,
        ),
    )


def restore_backup(*, actor: User, settings: Settings, name: str) -> Backup:
    """Replace the database with a listed backup while the app runs (an admin at /system): the file is checked, a
    backup of the current state is taken first (returned, so the user can go back), then the backup is restored, the
    schema brought up to date and the engine's connections renewed. Audited in the restored database."""
    from backoffice import db

    require(actor, 'system.manage')
    chosen = next((b for b in list_backups(settings) if b.name == name), None)
    if chosen is None:
        raise BackupFailed(_('There is no backup named {name}.').format(name=name))
    _refuse_another_kind(chosen.path, settings)  # before the safety backup, which would prune a kept one for nothing
    problem = verify(chosen.path)
    if problem != 'ok':
        raise BackupFailed(_('{name} cannot be restored: {problem}').format(name=chosen.name, problem=problem))
    _refuse_a_newer_schema(chosen.path)
    try:
        safety = take_backup(session=None, actor=actor, settings=settings, spare=chosen.path)
    except BackupUnverified as unverified:
        raise BackupFailed(
            _('Nothing was restored: the backup of the current state failed its check ({check})').format(
                check=unverified.backup.check_text()
            )
        ) from None
    engine = db.get_engine()
    engine.dispose()  # no pooled connection keeps plans or pages of the database being replaced
    try:
        restore(chosen.path, settings)
    finally:
        engine.dispose()
    db.migrate(engine)  # a backup from an older version gets the current schema
    with Session(engine) as session:
        audit.record(
            session,
            actor,
            'system.restore',
            'system',
            None,
            summary=sentence(
                N_('Restored backup {name}; the state before was kept as {safety}'),
                name=chosen.name,
                safety=safety.name,
            ),
        )
        session.commit()
    return safety


def keep_current_state(settings: Settings, *, restoring: Path) -> Backup | None:
    """Before the command line's restore replaces the database: a backup of it, as a restore from /system takes first
    (the way back from restoring the wrong file). None when no Backoffice database is there to keep (a new machine, an
    empty database); BackupFailed when it cannot be kept (a damaged database: the caller restores all the same)."""
    if not _holds_a_database(settings.database_url):
        return None
    return take_backup(session=None, actor=None, settings=settings, spare=restoring)


def record_restored_by_command(session: Session, name: str) -> None:
    """The audit entry of the command line's restore, in the restored database (as a restore from /system leaves one):
    whoever reads the audit log afterwards sees why the data went back in time."""
    audit.record(
        session,
        None,
        'system.restore',
        'system',
        None,
        summary=sentence(N_('Restored backup {name} with the command line'), name=name),
    )
    session.commit()


def backup_path(*, actor: User, settings: Settings, name: str) -> Path:
    """A backup's file, for a download by someone allowed to manage the system (never a path outside the folder)."""
    require(actor, 'system.manage')
    found = next((b for b in list_backups(settings) if b.name == name), None)
    if found is None:
        raise BackupFailed(_('There is no backup named {name}.').format(name=name))
    return found.path


def verify(path: Path) -> str:
    """'ok', or what is wrong with the file: SQLite's integrity check, or pg_restore reading the dump's table of
    contents."""
    if '.db' in path.suffixes:
        try:
            connection = _sqlite(f'file:{path}?mode=ro', uri=True)
            try:
                result = connection.execute('PRAGMA integrity_check').fetchone()[0]
                tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'users'").fetchone()[0]
            finally:
                connection.close()
        except sqlite3.Error as error:
            return f'not a readable SQLite database ({error})'
        return 'ok' if result == 'ok' and tables == 1 else f'damaged: {result}' if result != 'ok' else NO_USERS_TABLE
    done = subprocess.run(['pg_restore', '--list', str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        return f'not a readable dump ({done.stderr.strip()[:200]})'
    return 'ok' if ' TABLE public users ' in done.stdout or 'TABLE public users' in done.stdout else NO_USERS_TABLE


def check_restorable(path: Path, settings: Settings) -> None:
    """BackupFailed, saying why, for a file that cannot be restored here: damaged, not a Backoffice database, of the
    other kind of database, or of a schema this version does not know."""
    problem = verify(path)
    if problem != 'ok':
        raise BackupFailed(_('{name} cannot be restored: {problem}').format(name=path.name, problem=problem))
    _refuse_another_kind(path, settings)
    _refuse_a_newer_schema(path)


def restore(path: Path, settings: Settings) -> None:
    """Replace the database with a backup (the command line's `restore`; stop the app first). The file is verified
    before anything is touched."""
    check_restorable(path, settings)
    if settings.is_sqlite:
        database = Path(make_url(settings.database_url).database or '')
        database.parent.mkdir(parents=True, exist_ok=True)
        private_file(database)
        # SQLite's backup API copies into the database through its own locks: processes and connections that have it
        # open see the restored content at their next transaction (a file swapped underneath them would not be seen)
        source = _sqlite(f'file:{path}?mode=ro', uri=True)
        destination = _sqlite(database, timeout=30)
        try:
            source.backup(destination)
            destination.execute('PRAGMA journal_mode=WAL')  # as the app runs it (the backup itself is not in WAL)
        except sqlite3.Error as error:
            raise BackupFailed(_('The restore failed: {error}').format(error=error)) from error
        finally:
            destination.close()
            source.close()
        return
    done = subprocess.run(
        [
            'pg_restore',
            '--clean',
            '--if-exists',
            '--no-owner',
            '--single-transaction',
            '--dbname',
            _libpq_url(settings.database_url, password=False),
            str(path),
        ],
        capture_output=True,
        text=True,
        env=_password_env(settings.database_url),
    )
    if done.returncode != 0:
        raise BackupFailed(_('pg_restore failed: {error}').format(error=done.stderr.strip()[:500]))


# --- helpers ----------------------------------------------------------------------------------------------------------


def _holds_a_database(url: str) -> bool:
    """Whether the configured database exists and has the app's users table."""
    if make_url(url).get_backend_name() == 'sqlite':
        database = Path(make_url(url).database or '')
        if not database.is_file():
            return False
        try:
            connection = _sqlite(f'file:{database}?mode=ro', uri=True)
            try:
                return connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'users'").fetchone()[0] > 0
            finally:
                connection.close()
        except sqlite3.Error:
            return True  # there, but unreadable: the backup says why
    import psycopg

    try:
        with psycopg.connect(_libpq_url(url)) as server:
            return bool(_scalar(server.execute("SELECT to_regclass('public.users') IS NOT NULL")))
    except psycopg.Error:
        return True  # the backup says why


def _fits(path: Path, settings: Settings) -> bool:
    return path.suffix == ('.db' if settings.is_sqlite else '.dump')


def _refuse_another_kind(path: Path, settings: Settings) -> None:
    if not _fits(path, settings):
        raise BackupFailed(
            _('This is a PostgreSQL dump; the app runs on SQLite.')
            if settings.is_sqlite
            else _('This is a SQLite backup; the app runs on PostgreSQL.')
        )


def _refuse_a_newer_schema(path: Path) -> None:
    """Refuse, before anything is touched, a backup whose schema this version does not know (taken by a newer version,
    or with an extension that is not installed here): restored, it could not be migrated, and the database replaced
    would be one this version cannot run (the restore used to fail there, after the swap, with a traceback)."""
    from backoffice import db

    unknown = db.unknown_revisions(_schema_revisions(path))
    if unknown:
        raise BackupFailed(
            _(
                '{name} cannot be restored: it was taken by a newer version of Backoffice or with an extension not '
                'installed here (its schema {revisions} is unknown to this version). Nothing was changed.'
            ).format(name=path.name, revisions=', '.join(sorted(unknown)))
        )


def _schema_revisions(path: Path) -> list[str]:
    """The migrations a backup's database was at (its alembic_version rows)."""
    if '.db' in path.suffixes:
        connection = _sqlite(f'file:{path}?mode=ro', uri=True)
        try:
            return [row[0] for row in connection.execute('SELECT version_num FROM alembic_version')]
        except sqlite3.Error:
            return []  # no migrations table: older than migrations, migrated from scratch
        finally:
            connection.close()
    done = subprocess.run(
        ['pg_restore', '--data-only', '--table=alembic_version', '--file', '-', str(path)],
        capture_output=True,
        text=True,
    )
    revisions, copying = [], False
    for line in done.stdout.splitlines():
        if line.startswith('COPY '):
            copying = True
        elif line == '\\.':
            copying = False
        elif copying and line:
            revisions.append(line.split('\t', 1)[0])
    return revisions


def compare(path: Path, live_counts: dict[str, int]) -> tuple[bool, Sentence]:
    """Open the backup, check it, count its rows per table and compare them with the database's at the moment it was
    taken: (verified, what was found in words, to be read in each reader's language)."""
    problem = verify(path)
    if problem != 'ok':
        return False, sentence(
            N_('Not verified: {problem}.'), problem=word(problem) if problem == NO_USERS_TABLE else problem
        )
    try:
        counts = _sqlite_counts(path) if '.db' in path.suffixes else _dump_counts(path)
    except (sqlite3.Error, OSError) as error:
        return False, sentence(N_('Not verified: its rows could not be counted ({error}).'), error=str(error))
    differences = [
        sentence(
            N_('{table}: {backup} in the backup, {database} in the database'),
            table=table,
            backup=count(counts.get(table, 0)),
            database=count(rows),
        )
        for table, rows in sorted(live_counts.items())
        if counts.get(table, 0) != rows
    ]
    if differences:
        return False, sentence(
            N_('Not verified: rows differ ({differences}).'), differences=joined(differences[:3], '; ')
        )
    return True, sentence(VERIFIED, tables=count(len(live_counts)), rows=count(sum(live_counts.values())))


def _sqlite_backup(url: str, target: Path) -> dict[str, int]:
    """Copy the database and count its rows per table within one read transaction: the counts are of what was
    copied."""
    source = _sqlite(make_url(url).database or '', isolation_level=None)
    destination = _sqlite(target)
    try:
        source.execute('BEGIN')
        counts = _table_counts(source)
        source.backup(destination)  # online: writers wait only for the pages being copied
        source.execute('COMMIT')
        destination.execute('PRAGMA journal_mode=DELETE')  # one self-contained file: opening it leaves no -wal/-shm
    finally:
        destination.close()
        source.close()
    return counts


def _sqlite_counts(path: Path) -> dict[str, int]:
    connection = _sqlite(f'file:{path}?mode=ro', uri=True)
    try:
        return _table_counts(connection)
    finally:
        connection.close()


def _table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _pg_dump(url: str, target: Path) -> dict[str, int]:
    """pg_dump from a snapshot this function also counts the rows in: the counts are of what was dumped."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(_libpq_url(url)) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        snapshot = _scalar(connection.execute('SELECT pg_export_snapshot()'))
        names = [
            row[0]
            for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ]
        counts = {
            name: _scalar(connection.execute(sql.SQL('SELECT count(*) FROM {}').format(sql.Identifier(name))))
            for name in names
        }
        subprocess.run(
            ['pg_dump', '--format=custom', '--no-owner', f'--snapshot={snapshot}', '--file', str(target)]
            + [_libpq_url(url, password=False)],
            check=True,
            capture_output=True,
            text=True,
            env=_password_env(url),
        )
        connection.rollback()
    return counts


def _scalar(cursor: psycopg.Cursor) -> Any:
    row = cursor.fetchone()
    if row is None:
        import psycopg

        raise psycopg.DataError('the query returned no row')
    return row[0]


def _dump_counts(path: Path) -> dict[str, int]:
    """Rows per table in a custom-format dump: its data read back as COPY blocks (which also proves it readable)."""
    counts: dict[str, int] = {}
    table = None
    with subprocess.Popen(
        ['pg_restore', '--data-only', '--file', '-', str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as reading:
        assert reading.stdout is not None  # stdout=PIPE
        for line in reading.stdout:
            if table is None:
                if line.startswith(b'COPY '):
                    table = line.split(b' ', 2)[1].decode().removeprefix('public.').strip('"')
                    counts[table] = 0
            elif line == b'\\.\n':
                table = None
            else:
                counts[table] += 1
    if reading.returncode != 0:
        raise OSError(f'pg_restore could not read its data (exit code {reading.returncode})')
    return counts


def _check_file(path: Path) -> Path:
    return path.with_name(path.name + '.check.json')


def _write_check(target: Path, verified: bool, check: Sentence) -> None:
    """The check's outcome beside the backup: in English ('check'), and as a msgid with its values ('said') for the
    /system page to show in its reader's language."""
    record = private_file(_check_file(target))
    record.write_text(json.dumps({'verified': verified, 'check': check.english, 'said': check.as_json()}))


def _read_check(path: Path) -> tuple[bool | None, str, dict[str, Any] | None]:
    try:
        stored = json.loads(_check_file(path).read_text())
        said = stored.get('said')
        return bool(stored['verified']), str(stored['check']), said if isinstance(said, dict) else None
    except (OSError, ValueError, KeyError, AttributeError):
        return None, NOT_CHECKED, None


def _libpq_url(url: str, *, password: bool = True) -> str:
    """The address libpq reads; for a command line without its password (any local user reads a process's
    arguments in `ps`): `_password_env` hands the password over in the child's environment instead."""
    address = make_url(url).set(drivername='postgresql')
    return (address if password else address._replace(password=None)).render_as_string(hide_password=False)


def _password_env(url: str) -> dict[str, str]:
    password = make_url(url).password
    return {**os.environ, 'PGPASSWORD': str(password)} if password else dict(os.environ)


def _reason(error: Exception) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        return (error.stderr or '').strip()[:300] or f'exit code {error.returncode}'
    return str(error)
