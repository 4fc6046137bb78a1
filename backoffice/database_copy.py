"""Copying a whole database into another (`python -m backoffice copy-database --to URL`): a shop's SQLite file onto
PostgreSQL when it outgrows one process, or a PostgreSQL database onto a laptop's SQLite file — the same code.

The source is only read (one snapshot: a deferred read on SQLite, REPEATABLE READ READ ONLY on PostgreSQL). The target
is migrated to the newest schema, then filled in one transaction: all or nothing. Rows are streamed in batches (the
memory used does not grow with the rows), tables in foreign-key order; a column that refers to its own table (a
ticket marked a duplicate of a later one) is filled in after its table, so the order of rows does not matter. Values
go through the models' types (instants are integers on SQLite and timestamptz on PostgreSQL), JSON as its stored text
(exactly what was written: JSON null stays apart from SQL NULL), enums as their stored text. Around the rows: SQLite's
search indexes (FTS5) are rebuilt once, PostgreSQL's plain indexes (the trigram search ones among them) built once
after the load; then PostgreSQL's id sequences are moved past the largest ids and its tables analysed.

Files (uploads, ticket attachments, supplier bills, the storage secret) live in the data folder, not in the database:
`FILES_NOTE` says what to do with them."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Enum,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    inspect,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import NullType, TypeDecorator

BATCH = 2000  # rows read and written at a time
PROGRESS_EVERY = 100_000  # a big table says how far it is every this many rows

FILES_NOTE = (
    'Files are not in the database: uploads, ticket attachments, supplier bills and the storage secret stay in the '
    'data folder ({data_dir}). Nothing to do if the app keeps that folder; on another machine, copy the folder too '
    '(without its storage_secret, or BACKOFFICE_SECRET_KEY, stored secrets cannot be read and everyone signs in again).'
)


class CopyRefused(Exception):
    """The copy did not start or did not finish; the message says why, and the target is as it was."""


@dataclass
class Copied:
    target: str  # the target's URL, password hidden
    rows: dict[str, int] = field(default_factory=dict)  # rows per table, in the order copied
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        return (
            f'Copied {len(self.rows)} tables, {self.total:,} rows in {self.seconds:.1f} s to {self.target}; '
            'row counts checked equal.'
        )


Progress = Callable[[str], None]


def copy_database(source: Engine, target_url: str, *, replace: bool = False, progress: Progress = print) -> Copied:
    """Copy every table of `source` (migrated to the newest schema) into the database at `target_url`; refuses a
    target that holds any row unless `replace` (its rows are then deleted in the same transaction)."""
    from backoffice import db
    from backoffice.config import usable_database_url

    target_url = usable_database_url(target_url)
    shown = safe_url(target_url)
    _refuse_the_source_itself(source, target_url)
    try:
        target = db.create_database_engine(target_url)
    except Exception as error:  # a URL SQLAlchemy cannot parse, a driver not installed
        raise CopyRefused(f'Cannot use {shown} as the target: {_first_line(error)}') from error
    try:
        return _copy(source, target, shown, replace=replace, progress=progress)
    except DBAPIError as error:  # the connection lost, the disk full…: a sentence, not a traceback
        raise CopyRefused(
            f'The copy to {shown} failed: {_first_line(error.orig)}. Nothing was copied: the target is as it was.'
        ) from error
    finally:
        target.dispose()


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return '(a URL that cannot be read)'


def _copy(source: Engine, target: Engine, shown: str, *, replace: bool, progress: Progress) -> Copied:
    from backoffice import db

    started = time.perf_counter()
    try:
        _refuse_an_unknown_schema(target, shown)
        db.migrate(target)
    except DBAPIError as error:
        raise CopyRefused(f'Cannot reach or migrate the target {shown}: {_first_line(error.orig)}') from error
    _refuse_the_same_postgresql_database(source, target)
    tables = copied_tables(target)
    copied = Copied(target=shown)
    with _snapshot(source) as reading, target.begin() as writing:
        holding = [table.name for table in tables if _holds_rows(writing, table)]
        if holding and not replace:
            raise CopyRefused(
                f'The target {shown} already holds data ({len(holding)} tables with rows, e.g. '
                f'{", ".join(holding[:3])}). Nothing was copied. Copy into an empty database, or add --replace to '
                'delete its rows first.'
            )
        with _search_indexes_suspended(writing, tables), _indexes_built_after(writing, tables, progress):
            if holding:
                _empty(writing, tables, holding)
                progress(f'Emptied {len(holding)} tables of the target.')
            for table in tables:
                copied.rows[table.name] = _copy_table(reading, writing, table, progress)
        _check_counts(reading, writing, tables, copied.rows)
        if writing.dialect.name == 'postgresql':
            _sequences_past_the_largest_ids(writing)
    if target.dialect.name == 'postgresql':  # fresh statistics for the planner (its estimates pick search plans)
        with target.connect() as connection:
            connection.execute(text('ANALYZE'))
            connection.commit()
    copied.seconds = time.perf_counter() - started
    return copied


def copied_tables(engine: Engine) -> list[Table]:
    """Every table to copy, parents before children: the models' tables (their types convert between dialects), then
    any table a migration made outside the models (copied with the values as the drivers give them). Not copied:
    alembic_version (the target's migrations wrote it) and SQLite's search index tables (rebuilt after the copy)."""
    from sqlmodel import SQLModel

    import backoffice.models  # noqa: F401  (every table on the metadata)
    from backoffice import extensions
    from backoffice.listing.search import include_name

    extensions.import_models()
    present = set(inspect(engine).get_table_names())
    missing = [table.name for table in SQLModel.metadata.sorted_tables if table.name not in present]
    if missing:  # cannot happen after db.migrate; a schema changed by hand
        raise CopyRefused(f'The target lacks tables the models define: {", ".join(missing)}.')
    tables = list(SQLModel.metadata.sorted_tables)
    known = {table.name for table in tables} | {'alembic_version'}
    others = sorted(name for name in present if name not in known and include_name(name, 'table', None))
    if others:
        reflected = MetaData()
        reflected.reflect(engine, only=others)
        tables += [  # their values as the drivers give them: NullType converts nothing
            Table(table.name, MetaData(), *(Column(c.name, NullType(), primary_key=c.primary_key) for c in table.c))
            for table in reflected.sorted_tables
        ]
    return tables


def _refuse_the_source_itself(source: Engine, target_url: str) -> None:
    try:
        url = make_url(target_url)
    except Exception as error:
        raise CopyRefused(f'{target_url!r} is not a database URL: {_first_line(error)}') from error
    same = url.render_as_string(hide_password=False) == source.url.render_as_string(hide_password=False)
    if url.get_backend_name() == 'sqlite' and source.dialect.name == 'sqlite' and url.database and source.url.database:
        same = same or Path(url.database).resolve() == Path(source.url.database).resolve()
    if same:
        raise CopyRefused('The target is the configured database itself: give another database to copy into.')


def _refuse_the_same_postgresql_database(source: Engine, target: Engine) -> None:
    """Two URLs may name one PostgreSQL database (localhost and 127.0.0.1, a socket): an advisory lock taken through
    the source cannot be taken through the target then (advisory locks belong to a database). Copying a database
    onto itself would wait for ever: the target's TRUNCATE for the source's snapshot."""
    if source.dialect.name != 'postgresql' or target.dialect.name != 'postgresql':
        return
    key = secrets.randbits(62)
    with source.connect() as held, target.connect() as other:
        held.execute(text('SELECT pg_advisory_lock(:key)'), {'key': key})
        try:
            taken = other.execute(text('SELECT pg_try_advisory_lock(:key)'), {'key': key}).scalar_one()
            if taken:
                other.execute(text('SELECT pg_advisory_unlock(:key)'), {'key': key})
        finally:
            held.execute(text('SELECT pg_advisory_unlock(:key)'), {'key': key})
        held.commit()
        other.commit()
    if not taken:
        raise CopyRefused('The target is the configured database itself: give another database to copy into.')


def _refuse_an_unknown_schema(target: Engine, shown: str) -> None:
    """A target at a migration this version does not know (a newer version's, or an extension's not installed here)."""
    from alembic.runtime.migration import MigrationContext

    from backoffice import db

    with target.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    unknown = db.unknown_revisions(current)
    if unknown:
        raise CopyRefused(
            f'The target {shown} has a newer schema than this version of Backoffice knows (migration '
            f'{", ".join(sorted(unknown))}). Nothing was copied.'
        )


@contextmanager
def _snapshot(source: Engine) -> Iterator[Connection]:
    """One consistent read of the source, which is never written to."""
    if source.dialect.name == 'sqlite':
        options: dict[str, Any] = {'sqlite_deferred': True}  # a plain BEGIN: SQLite's write lock is not taken
    else:
        options = {'isolation_level': 'REPEATABLE READ', 'postgresql_readonly': True}
    with source.connect().execution_options(**options) as connection, connection.begin():
        yield connection


def _holds_rows(connection: Connection, table: Table) -> bool:
    return connection.execute(select(select(1).select_from(table).limit(1).exists())).scalar_one()


def _empty(connection: Connection, tables: list[Table], holding: list[str]) -> None:
    if connection.dialect.name == 'postgresql':  # every copied table at once: none refers to a table left out
        names = ', '.join(connection.dialect.identifier_preparer.quote(table.name) for table in tables)
        connection.execute(text(f'TRUNCATE {names} RESTART IDENTITY'))
        return
    for table in reversed(tables):  # children first
        if table.name in holding:
            connection.execute(table.delete())


def _copy_table(reading: Connection, writing: Connection, table: Table, progress: Progress) -> int:
    """The table's rows, BATCH at a time, in the order of its primary key; columns referring to the table itself are
    set once all its rows are in (a row may refer to a later one)."""
    later = [column.name for column in table.columns if any(fk.column.table is table for fk in column.foreign_keys)]
    key = [column.name for column in table.primary_key.columns] or [column.name for column in table.columns]
    query = select(*(_read(column, reading.dialect.name) for column in table.columns)).order_by(
        *(table.c[name] for name in key)
    )
    write = _writer(writing, table)
    pending: list[dict[str, Any]] = []
    rows = 0
    started = time.perf_counter()
    result = reading.execution_options(yield_per=BATCH).execute(query)
    for batch in result.partitions():
        values = [dict(row._mapping) for row in batch]
        for row in values:
            if later and any(row[name] is not None for name in later):
                pending.append({**{f'key_{name}': row[name] for name in key}, **{name: row[name] for name in later}})
                for name in later:
                    row[name] = None
        _insert(write, table, values)
        rows += len(values)
        if rows % PROGRESS_EVERY < BATCH and rows >= PROGRESS_EVERY:
            progress(f'  {table.name}: {rows:,} rows…')
    if pending:
        update = (
            table.update()
            .where(*(table.c[name] == bindparam(f'key_{name}') for name in key))
            .values({name: bindparam(name) for name in later})
        )
        writing.execute(update, pending)
    if rows >= PROGRESS_EVERY:
        progress(f'  {table.name}: {rows:,} rows in {time.perf_counter() - started:.1f} s')
    return rows


def _read(column: Column, dialect: str) -> Any:
    """JSON as its stored text (kept exactly, SQL NULL apart from JSON null); an enum as its stored text (a value of
    a newer version or an extension copies too); anything else through the model's type."""
    if _is_json(column):
        return (cast(column, Text) if dialect == 'postgresql' else type_coerce(column, Text)).label(column.name)
    if isinstance(column.type, Enum):
        return type_coerce(column, String).label(column.name)
    return column


def _writer(writing: Connection, table: Table) -> Callable[[list[dict[str, Any]]], None]:
    """How a batch of rows goes in: COPY on PostgreSQL (several times faster than an INSERT per row), the values made
    ready for the driver by the models' types as an INSERT would; an INSERT per row on SQLite (its driver does that
    in C). Both inside the target's one transaction."""
    if writing.dialect.name != 'postgresql':
        insert = table.insert().values({column.name: _bound(column) for column in table.columns})

        def execute(values: list[dict[str, Any]]) -> None:
            writing.execute(insert, values)

        return execute
    ready = [_ready_for_postgresql(column, writing.dialect) for column in table.columns]
    quote = writing.dialect.identifier_preparer.quote
    statement = f'COPY {quote(table.name)} ({", ".join(quote(column.name) for column in table.columns)}) FROM STDIN'
    names = [column.name for column in table.columns]
    driver = writing.connection.dbapi_connection

    def copy(values: list[dict[str, Any]]) -> None:
        with driver.cursor() as cursor, cursor.copy(statement) as stream:  # type: ignore[union-attr]
            for row in values:
                stream.write_row([prepare(row[name]) for prepare, name in zip(ready, names, strict=True)])

    return copy


def _bound(column: Column) -> Any:
    if _is_json(column):
        return bindparam(column.name, type_=Text)  # the stored text; a CAST to JSON on SQLite would make '1' 1
    if isinstance(column.type, Enum):
        return bindparam(column.name, type_=String)
    return bindparam(column.name, type_=column.type)


def _ready_for_postgresql(column: Column, dialect: Any) -> Callable[[Any], Any]:
    """The column's value as the driver takes it: through the model's type (an instant, aware), NUL characters
    dropped from text as every statement's are (db._drop_nul_in_text; PostgreSQL refuses them)."""
    processor = None if _is_json(column) or isinstance(column.type, Enum) else column.type.dialect_impl(dialect)
    process = processor.bind_processor(dialect) if processor is not None else None

    def ready(value: Any) -> Any:
        if process is not None:
            value = process(value)
        return value.replace('\x00', '') if isinstance(value, str) else value

    return ready


def _is_json(column: Column) -> bool:
    kind = column.type
    return isinstance(kind, JSON) or (isinstance(kind, TypeDecorator) and isinstance(kind.impl_instance, JSON))


def _insert(write: Callable[[list[dict[str, Any]]], None], table: Table, values: list[dict[str, Any]]) -> None:
    import psycopg

    try:
        write(values)
    except (DBAPIError, psycopg.Error) as error:
        key = [column.name for column in table.primary_key.columns]
        first = ', '.join(f'{name} {values[0][name]}' for name in key)
        last = ', '.join(f'{name} {values[-1][name]}' for name in key)
        where = f' (rows {first} to {last})' if key else ''
        reason = _first_line(getattr(error, 'orig', error))
        raise CopyRefused(
            f'The target refused a row of {table.name}{where}: {reason}. Nothing was copied: the target is as it was.'
        ) from error


def _check_counts(reading: Connection, writing: Connection, tables: list[Table], rows: dict[str, int]) -> None:
    for table in tables:
        counted = select(func.count()).select_from(table)
        source, target = reading.execute(counted).scalar_one(), writing.execute(counted).scalar_one()
        if not source == target == rows[table.name]:
            raise CopyRefused(
                f'{table.name}: {source:,} rows in the source, {target:,} in the target after the copy. Nothing was '
                'copied: the target is as it was.'
            )


@contextmanager
def _search_indexes_suspended(connection: Connection, tables: list[Table]) -> Iterator[None]:
    """SQLite: the search indexes' triggers are dropped for the load and each index rebuilt once at the end, inside
    the copy's transaction (several times faster than a trigger per row). PostgreSQL's trigram indexes follow."""
    from backoffice.listing.search import SEARCH_INDEXES, search_index_suspended

    with ExitStack() as stack:
        for table in tables:
            if table.name in SEARCH_INDEXES:
                stack.enter_context(search_index_suspended(connection, table.name))
        yield


# PostgreSQL: the indexes of these tables that no constraint uses (not a primary key, unique constraint or a foreign
# key's referenced key): the trigram (GIN) search indexes, the lists' sort and filter indexes
_PLAIN_INDEXES = """
SELECT CAST(CAST(i.indexrelid AS regclass) AS text), pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace space ON space.oid = t.relnamespace
WHERE space.nspname = current_schema() AND t.relname = ANY(:tables)
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""


@contextmanager
def _indexes_built_after(connection: Connection, tables: list[Table], progress: Progress) -> Iterator[None]:
    """PostgreSQL: the plain indexes are dropped for the load and made again once the rows are in, inside the copy's
    transaction (building an index once is much cheaper than keeping it up to date row by row, for the trigram
    indexes above all); a failure rolls the drops back with the rest."""
    if connection.dialect.name != 'postgresql':
        yield
        return
    indexes = connection.execute(text(_PLAIN_INDEXES), {'tables': [table.name for table in tables]}).all()
    for name, _ in indexes:
        connection.execute(text(f'DROP INDEX {name}'))
    yield
    started = time.perf_counter()
    connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for _, definition in indexes:
        connection.execute(text(definition))
    progress(f'Built {len(indexes)} indexes in {time.perf_counter() - started:.1f} s.')


_OWNED_SEQUENCES = """
SELECT format('%I', owner.relname), format('%I', attribute.attname), format('%I.%I', space.nspname, sequence.relname),
    used.start_value
FROM pg_class sequence
JOIN pg_namespace space ON space.oid = sequence.relnamespace
JOIN pg_sequences used ON used.schemaname = space.nspname AND used.sequencename = sequence.relname
JOIN pg_depend owned ON owned.classid = 'pg_class'::regclass AND owned.objid = sequence.oid
    AND owned.refclassid = 'pg_class'::regclass AND owned.deptype IN ('a', 'i')
JOIN pg_class owner ON owner.oid = owned.refobjid
JOIN pg_attribute attribute ON attribute.attrelid = owner.oid AND attribute.attnum = owned.refobjsubid
WHERE sequence.relkind = 'S' AND space.nspname = current_schema()
"""


def _sequences_past_the_largest_ids(connection: Connection) -> None:
    """Each id sequence continues after its table's largest id (the rows came with theirs), or at its start."""
    for table, column, sequence, start in connection.execute(text(_OWNED_SEQUENCES)).all():
        connection.execute(
            text(
                'SELECT setval(CAST(:sequence AS regclass), '
                f'coalesce(max({column}), :start), max({column}) IS NOT NULL) FROM {table}'
            ),
            {'sequence': sequence, 'start': start},
        )


def _first_line(error: BaseException | None) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
