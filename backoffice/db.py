"""Database engine, sessions and migrations: SQLite in WAL with BEGIN IMMEDIATE by default, PostgreSQL to scale out."""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CursorResult, Engine, create_engine, event, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from backoffice import writer_queue
from backoffice.listing.folding import register_sqlite_fold
from backoffice.private_files import private_file, private_folder, sqlite_files, tighten

MIGRATIONS = Path(__file__).parent / 'migrations'
BUSY_TIMEOUT_MS = 5000  # SQLite: how long a writer waits for another process's write to end

_engine: Engine | None = None


def configure(url: str) -> Engine:
    """Point the process at a database; reuses the engine when the URL is unchanged."""
    global _engine
    if _engine is not None and _engine.url.render_as_string(hide_password=False) == url:
        return _engine
    if _engine is not None:
        _engine.dispose()
    _engine = create_database_engine(url)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        from backoffice.config import get_settings

        return configure(get_settings().database_url)
    return _engine


def create_database_engine(url: str) -> Engine:
    from backoffice.config import get_settings

    parsed = make_url(url)
    pool = get_settings().db_pool_size  # kept open, and as many more in a burst (BACKOFFICE_DB_POOL_SIZE)
    if parsed.get_backend_name() == 'sqlite':
        if parsed.database and parsed.database != ':memory:':
            _private_database_file(Path(parsed.database))
        engine = create_engine(
            url,
            connect_args={'check_same_thread': False, 'timeout': 5},
            pool_size=pool,
            max_overflow=pool,
            json_serializer=compact_json,
        )
        _make_sqlite_safe(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=pool, max_overflow=pool, json_serializer=compact_json)
    _drop_nul_in_text(engine)
    return engine


def compact_json(value: object) -> str:
    """JSON columns as written: no spaces after separators, letters as they are (not \\u escapes) — a third less
    for an invoice's lines than json.dumps' default; read the same."""
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False)


def _private_database_file(database: Path) -> None:
    """The SQLite file is created 0600 before SQLite opens it (its -wal and -shm then get the same mode), in a folder
    made 0700 when it is made here; files left by an older version are tightened."""
    if not database.parent.exists():
        private_folder(database.parent)
    private_file(database)
    tighten(*sqlite_files(database))


def _drop_nul_in_text(engine: Engine) -> None:
    # PostgreSQL refuses a NUL character in text (a DataError: a 500 for whoever sent it); no text here means one, so
    # every statement's text parameters lose theirs, whichever form, API or import they came from
    @event.listens_for(engine, 'before_cursor_execute', retval=True)
    def _before(_connection, _cursor, statement, parameters, _context, _executemany):
        if isinstance(parameters, list) and parameters and isinstance(parameters[0], dict | list | tuple):
            return statement, [_without_nul(row) for row in parameters]  # rows of an executemany
        return statement, _without_nul(parameters)  # one row (also a batch of 'insertmanyvalues', flattened)


def _without_nul(parameters):
    if isinstance(parameters, dict):
        if any(isinstance(v, str) and '\x00' in v for v in parameters.values()):
            return {k: v.replace('\x00', '') if isinstance(v, str) else v for k, v in parameters.items()}
    elif isinstance(parameters, list | tuple):
        if any(isinstance(v, str) and '\x00' in v for v in parameters):
            return type(parameters)(v.replace('\x00', '') if isinstance(v, str) else v for v in parameters)
    return parameters


def _make_sqlite_safe(engine: Engine) -> None:
    # Python's sqlite3 sends no BEGIN before a SELECT, so a read-modify-write across processes loses updates even in
    # WAL. Taking the write lock at BEGIN (IMMEDIATE) makes every transaction serialisable; readers that never write
    # use `read_session()`, which begins DEFERRED and so runs beside writers.
    @event.listens_for(engine, 'connect')
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA journal_mode=WAL')
        cursor.execute(f'PRAGMA busy_timeout={BUSY_TIMEOUT_MS}')  # writers of other processes (the CLI, a 2nd app)
        cursor.execute('PRAGMA synchronous=NORMAL')
        cursor.execute('PRAGMA foreign_keys=ON')
        cursor.close()
        register_sqlite_fold(dbapi_connection)  # the search indexes' triggers and views call bo_fold

    @event.listens_for(engine, 'begin')
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get('sqlite_deferred', False):
            connection.exec_driver_sql('BEGIN')
            return
        writer_queue.wait_turn(connection.info)  # this process's writers go in arrival order (writer_queue.py)
        try:
            connection.exec_driver_sql('BEGIN IMMEDIATE')
        except BaseException:
            writer_queue.end_turn(connection.info)
            raise

    @event.listens_for(engine, 'commit')
    @event.listens_for(engine, 'rollback')
    def _on_end(connection) -> None:
        writer_queue.end_turn(connection.info)

    @event.listens_for(engine.pool, 'checkin')
    def _on_checkin(_dbapi_connection, record) -> None:  # however a connection comes back, its turn ends
        if record is not None:
            writer_queue.end_turn(record.info)


class UnitSession(Session):
    """A session whose commits a caller can hold (`held_commits`): a service's commit() then only flushes, and the
    caller commits the service's work together with its own (the API's idempotency record)."""

    def commit(self) -> None:
        if self.info.get(_HELD):
            self.flush()
            return
        super().commit()


_HELD = 'backoffice.held_commits'
SERIALIZED = 0x7365  # 'se': the first key of the PostgreSQL advisory locks `one_at_a_time` takes


def one_at_a_time(session: Session, name: str) -> None:
    """Until this transaction ends, no other transaction passes `one_at_a_time` with the same name: a check of what
    is stored and the write it allows (nothing changed since the editor read it? then save) become one step when there
    is no row to lock (a new row appended each time). PostgreSQL: a transaction-scoped advisory lock, taken before
    anything is read (READ COMMITTED: what is read next sees the previous holder's commit); SQLite: its BEGIN
    IMMEDIATE holds the database's write lock from the transaction's first statement, which this issues."""
    connection = session.connection()
    if connection.dialect.name == 'postgresql':
        key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        connection.execute(text('SELECT pg_advisory_xact_lock(:space, :key)'), {'space': SERIALIZED, 'key': key})


def use_up(session: Session, model: type[SQLModel], row_id: int | None, now: datetime) -> bool:
    """Mark a one-time row (a link) used, if nobody used it meanwhile: True for the one use that did. A conditional
    UPDATE, so of two uses at once exactly one wins on both databases (PostgreSQL: the second waits on the row's lock
    and then finds `used_at` set; SQLite: BEGIN IMMEDIATE already serialises the two), where a read then a write let
    both through on PostgreSQL."""
    table: Any = model
    claimed = session.execute(update(table).where(table.id == row_id, table.used_at.is_(None)).values(used_at=now))
    return cast(CursorResult[Any], claimed).rowcount == 1


@contextmanager
def held_commits(session: Session) -> Iterator[None]:
    """Inside this block, the session's commits only flush: the caller commits once, after it. Blocks nest (a service
    holding its own helpers' commits inside a caller that holds its commits): only the outermost one lets go."""
    outermost = not session.info.get(_HELD)
    session.info[_HELD] = True
    try:
        yield
    finally:
        if outermost:
            session.info.pop(_HELD, None)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One short unit of work; services commit, anything left uncommitted is rolled back on exit."""
    with UnitSession(get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads only: on SQLite it does not take the write lock."""
    engine = get_engine()
    if engine.dialect.name == 'sqlite':
        engine = engine.execution_options(sqlite_deferred=True)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def database_is_reachable() -> bool:
    try:
        with get_engine().connect() as connection:
            connection.execute(text('SELECT 1'))
        return True
    except Exception:
        return False


def alembic_config() -> Config:
    """The core's migrations and every installed extension's (each a branch of its own: `upgrade heads` runs all)."""
    from backoffice import extensions

    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS))
    locations = [MIGRATIONS / 'versions', *extensions.migration_locations()]
    config.set_main_option('path_separator', 'os')
    config.set_main_option('version_locations', os.pathsep.join(str(path) for path in locations))
    return config


def unknown_revisions(revisions: list[str] | tuple[str, ...]) -> list[str]:
    """Those of `revisions` (a database's alembic_version rows) that no migration here knows: a newer version's, or an
    installed-nowhere extension's. Sorted."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config())
    unknown = []
    for revision in revisions:
        try:
            known = script.get_revision(revision)
        except (CommandError, RevisionError):
            known = None
        if known is None:
            unknown.append(revision)
    return sorted(unknown)


def core_head(config: Config) -> str:
    """The newest core migration (the one head whose file is in backoffice/migrations/versions)."""
    script = ScriptDirectory.from_config(config)
    core = (MIGRATIONS / 'versions').resolve()
    heads = [script.get_revision(head) for head in script.get_heads()]  # 'heads' would fold 0030 into a dependant
    heads = [rev for rev in heads if rev is not None and Path(rev.path).resolve().parent == core]
    if len(heads) != 1:
        raise RuntimeError(f'the core migrations have {len(heads)} heads')
    return heads[0].revision


def migrate(engine: Engine | None = None) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there); processes started together take
    turns, so the second finds the schema made instead of making it again."""
    engine = engine or get_engine()
    if schema_is_current(engine):  # a read first: no write lock taken while others write (the nightly backup's CLI)
        return
    config = alembic_config()
    with one_process_at_a_time(engine), engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, 'heads')


FIRST_START_LOCK_KEY = 0x626F6F74  # 'boot': the PostgreSQL advisory lock first-start work is done under


@contextmanager
def one_process_at_a_time(engine: Engine | None = None) -> Iterator[None]:
    """First-start work (migrations, the first admin, demo data) by one process at a time; the others wait their
    turn and then find it done. PostgreSQL: a session advisory lock; SQLite: an exclusive flock on a file beside the
    database (an in-memory database has only this process). Not re-entrant: never nest two."""
    engine = engine or get_engine()
    if engine.dialect.name == 'sqlite':
        database = engine.url.database
        if not database or database == ':memory:':
            yield
            return
        import fcntl

        lock_file = private_file(Path(f'{database}.lock'))
        descriptor = os.open(lock_file, os.O_RDWR)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock
        return
    with engine.connect() as connection:
        connection.execute(text('SELECT pg_advisory_lock(:key)'), {'key': FIRST_START_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text('SELECT pg_advisory_unlock(:key)'), {'key': FIRST_START_LOCK_KEY})
            connection.commit()


_migrated: set[str] = set()


def ensure_schema() -> None:
    """Migrate once per database and process (start-up calls this; the test fixture starts the app per test)."""
    engine = get_engine()
    key = engine.url.render_as_string(hide_password=False)
    if key not in _migrated:
        migrate(engine)
        _migrated.add(key)


def new_migration(message: str) -> Path:
    """Write the next numbered migration (NNNN_<slug>.py) with what the models add to the newest schema, as compared
    on a scratch SQLite database migrated to head; review it (and its PostgreSQL side) before committing."""
    import tempfile
    import warnings

    versions = MIGRATIONS / 'versions'
    numbers = [int(f.name[:4]) for f in versions.glob('[0-9][0-9][0-9][0-9]_*.py')]
    number = f'{max(numbers, default=0) + 1:04d}'
    with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings():
        warnings.simplefilter('ignore')  # SQLite cannot reflect expression indexes: noise, not a difference
        engine = create_database_engine(f'sqlite:///{scratch}/scratch.db')
        try:
            migrate(engine)
            config = alembic_config()
            with engine.begin() as connection:
                config.attributes['connection'] = connection
                script = command.revision(
                    config,
                    message=message,
                    autogenerate=True,
                    rev_id=number,
                    head=core_head(config),  # the core's branch, never an extension's
                    version_path=str(versions),
                )
        finally:
            engine.dispose()
    return Path(script.path)


def schema_is_current(engine: Engine | None = None) -> bool:
    engine = engine or get_engine()
    script = ScriptDirectory.from_config(alembic_config())
    if engine.dialect.name == 'sqlite':
        engine = engine.execution_options(sqlite_deferred=True)  # a read: SQLite's write lock is not taken
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    # an extension's branch depends on a core revision, so the database's heads may name the core's only through it
    applied = {revision.revision for revision in script.iterate_revisions(current, 'base')} if current else set()
    return set(script.get_heads()) <= applied
