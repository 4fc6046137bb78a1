"""Listing engine: search, filters, sort, keyset pages, counts and streaming over any declared resource."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from time import perf_counter
from typing import Any

from sqlalchemy import (
    Date,
    Enum,
    Integer,
    Select,
    String,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    tuple_,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlmodel import Session, SQLModel

from backoffice.engine.declaration import Filter, Resource
from backoffice.errors import ValidationFailed
from backoffice.models import User
from backoffice.permissions import require

MAX_PAGE_SIZE = 500
NONE = 'none'           # a 'related' filter's value for "no record" (assignee: nobody)
COUNT_BUDGET = 0.02     # seconds an exact count may take; a count that would take longer is estimated instead
ESTIMATE_SAMPLE = 3000  # SQLite: rows probed, evenly spread over the ids, to estimate a count (±5% at 1 row in 10)
COMMON_TERM = 2000      # SQLite: a search term with this many hits in the FTS index is read by LIKE, in list order
COMMON_TERM_POSTGRESQL = 20_000  # ... and on PostgreSQL, with this many hits by the planner's estimate


@dataclass(frozen=True)
class ListRequest:
    """What a list shows. `filters` by Filter.name: 'choice' → str or list[str]; 'bool' → bool; 'date_range' →
    (date|None, date|None), whole days in UTC, both included (ISO strings work too); 'related' → int id, or NONE
    for "empty"; 'present' → bool (the column is filled in or not); 'number_range' → (low|None, high|None), both
    included. None or an empty value filters nothing."""

    search: str = ''               # case-insensitive 'contains' over resource.search
    filters: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None        # a column name in resource.sortable(); None → resource.default_sort
    descending: bool | None = None  # None → resource.default_descending
    page: int = 1                  # 1-based
    page_size: int = 25            # clamped to 1..500
    trash: bool = False            # True: only soft-deleted rows (deleted_at IS NOT NULL); False: only live ones


@dataclass(frozen=True)
class Cursor:
    """Where a page began and ended, so that its neighbours and the last page are read by keyset; opaque to callers.

    It also carries the total: handing it back for another page of the same search and filters (any sort) skips the
    count. Hand back None instead after the data changed, to count afresh."""

    query: str                        # the request it belongs to, page aside; any other request reads by OFFSET
    counted: str                      # the rows its total counts: search, filters and trash
    page: int
    first: tuple[Any, int] | None     # (sort value, id) of the page's first row
    last: tuple[Any, int] | None      # ... and of its last row
    total: int
    exact: bool


@dataclass(frozen=True)
class Page:
    rows: list[SQLModel]
    page: int
    page_size: int
    total: int
    exact: bool                       # False: `total` is an estimate ("about N")
    cursor: Cursor

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def list_page(*, session: Session, actor: User | None, resource: Resource, request: ListRequest,
              cursor: Cursor | None = None) -> Page:
    """One page of the list. The first and the last page are read by keyset, and so are the next and the previous
    page given the cursor of the page before; any other page by OFFSET. The same rows come out whichever way."""
    require(actor, resource.read_permission)
    plan = _Plan.of(session, resource, request)
    known = (cursor.total, cursor.exact) if cursor is not None and cursor.counted == plan.counted else None
    if cursor is not None and cursor.query != plan.fingerprint:
        cursor = None
    size = plan.page_size
    page = max(1, int(request.page or 1))
    offset: int | None  # where the rows start, when the read knows it
    if page == 1:  # read first: a short first page is its own exact count
        rows, offset = plan.forward(session, after=None, limit=size), 0
        total, exact = (len(rows), True) if len(rows) < size else known or _count(session, plan)
    else:
        total, exact = known or _count(session, plan)
        last_page = max(1, math.ceil(total / size))
        if exact:
            page = min(page, last_page)
        if cursor and page == cursor.page + 1 and cursor.last:
            rows, offset = plan.forward(session, after=cursor.last, limit=size), cursor.page * size
        elif cursor and page == cursor.page - 1 and cursor.first:
            rows, offset = plan.backward(session, before=cursor.first, limit=size), None
        elif page >= last_page:
            page = last_page
            on_last_page = total - (last_page - 1) * size if exact else size
            rows, offset = plan.backward(session, before=None, limit=on_last_page), None
        else:
            rows, offset = plan.at_offset(session, offset=(page - 1) * size, limit=size), (page - 1) * size
    if offset is not None:  # what the rows tell about the total: a short page is the end...
        if len(rows) < size and (rows or page == 1):
            total, exact = offset + len(rows), True
        else:  # ...and after a full one, an estimate must leave room for one more page
            total = max(total, offset + len(rows) + (0 if exact else 1))
    first, last = (plan.key(rows[0]), plan.key(rows[-1])) if rows else (None, None)
    return Page(rows=rows, page=page, page_size=size, total=total, exact=exact,
                cursor=Cursor(query=plan.fingerprint, counted=plan.counted, page=page, first=first, last=last,
                              total=total, exact=exact))


def count(*, session: Session, actor: User | None, resource: Resource, request: ListRequest) -> tuple[int, bool]:
    """(total, exact): exact when counting takes less than COUNT_BUDGET, else an estimate."""
    require(actor, resource.read_permission)
    return _count(session, _Plan.of(session, resource, request))


def iterate(*, session: Session, actor: User | None, resource: Resource, request: ListRequest,
            batch_size: int = 1000) -> Iterator[list[SQLModel]]:
    """Every matching row once, in list order, batch by batch (keyset reads: memory stays flat at a million rows).
    The permission and the request are checked at the call, not at the first batch.

    On SQLite read through `read_session()`, which does not hold the write lock for the length of an export."""
    require(actor, resource.read_permission)
    plan = _Plan.of(session, resource, request)

    def batches() -> Iterator[list[SQLModel]]:
        after = None
        while True:
            rows = plan.forward(session, after=after, limit=batch_size)
            if rows:
                yield rows
            if len(rows) < batch_size:
                return
            after = plan.key(rows[-1])

    return batches()


def matching_ids(*, session: Session, actor: User | None, resource: Resource, request: ListRequest,
                 batch_size: int = 5000) -> Iterator[int]:
    """The id of every matching row, ascending (for 'all N matching' bulk actions), read in keyset batches."""
    require(actor, resource.read_permission)
    plan = _Plan.of(session, resource, request)
    identity = plan.model.id

    def ids() -> Iterator[int]:
        last = None
        while True:
            statement = select(identity).where(*plan.conditions).order_by(identity).limit(batch_size)
            if last is not None:
                statement = statement.where(identity > last)
            batch = list(session.execute(statement).scalars())
            yield from batch
            if len(batch) < batch_size:
                return
            last = batch[-1]

    return ids()


# --- search indexes ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchIndex:
    """Trigram search over some text columns of a table, made by a migration (see 0003_search_indexes.py).

    SQLite: an FTS5 table `<table>_fts` (tokenize='trigram', external content on the table, kept in sync by triggers).
    PostgreSQL: GIN trigram indexes on lower(<column>), which `lower(column) LIKE '%…%'` uses by itself."""

    table: str
    columns: tuple[str, ...]

    @property
    def fts_table(self) -> str:
        return f'{self.table}_fts'


SEARCH_INDEXES: dict[str, SearchIndex] = {}
_FTS_TABLES = ('', '_data', '_idx', '_docsize', '_config', '_content')  # an FTS5 table and its shadow tables


def register_search_index(table_name: str, *columns: str) -> SearchIndex:
    """Declare that a migration made a search index for these columns (a resource's other search fields use LIKE)."""
    SEARCH_INDEXES[table_name] = SearchIndex(table_name, columns)
    return SEARCH_INDEXES[table_name]


register_search_index('customers', 'email', 'name')
register_search_index('orders', 'number', 'email')


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic filter: SQLite's FTS5 tables are made by migrations by hand, not from the models; leave them out."""
    if type_ != 'table' or not name:
        return True
    return not any(name == index.fts_table + suffix for index in SEARCH_INDEXES.values() for suffix in _FTS_TABLES)


@contextmanager
def search_index_suspended(session: Session, table_name: str) -> Iterator[None]:
    """For bulk loads on SQLite: the search index's triggers are dropped for the load and the index is rebuilt once
    at the end (several times faster than a trigger per row), all inside the caller's transaction — which must roll
    back if the load fails (DDL is transactional in SQLite: the triggers come back with the rollback)."""
    index = SEARCH_INDEXES.get(table_name)
    connection = session.connection()
    if index is None or connection.dialect.name != 'sqlite':
        yield
        return
    triggers = [(name, sql) for name, sql in connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"), {'table': table_name})
        if name.startswith(f'{index.fts_table}_')]
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER {name}')
    yield
    connection.exec_driver_sql(f"INSERT INTO {index.fts_table}({index.fts_table}) VALUES ('rebuild')")
    for _, sql in triggers:
        connection.exec_driver_sql(sql)


# --- turning a request into SQL ---------------------------------------------------------------------------------------

@dataclass
class _Plan:
    """A request checked against its resource: the WHERE conditions, the sort, and the reads in that order."""

    model: type[SQLModel]
    conditions: list[ColumnElement[bool]]
    sample_conditions: list[ColumnElement[bool]]  # the same rows, with a search any single row can be tested against
    sort_name: str
    sort: InstrumentedAttribute
    nullable: bool
    descending: bool
    page_size: int
    fingerprint: str
    counted: str
    null_segment: ColumnElement[bool] | None  # where the NULLs of a nullable sort column are read

    @classmethod
    def of(cls, session: Session, resource: Resource, request: ListRequest) -> _Plan:
        model = resource.model
        sort_name = request.sort or resource.default_sort
        if sort_name not in resource.sortable() or not hasattr(model, sort_name):
            raise ValidationFailed({'sort': f'This list cannot be sorted by “{sort_name}”'})
        descending = resource.default_descending if request.descending is None else bool(request.descending)
        dialect = session.get_bind().dialect.name
        term = (request.search or '').replace('\x00', '').strip()  # SQLite ends a string at a NUL: never send one
        conditions = _trash_conditions(resource, bool(request.trash), dialect)
        filters = _filter_conditions(resource, request.filters or {})
        conditions += filters
        search, like = _search_conditions(session, resource, term, dialect)
        sort = getattr(model, sort_name)
        nullable = bool(sort.property.columns[0].nullable)
        null_segment = sort.is_(None) if nullable else None
        if nullable and dialect == 'sqlite' and (filters or search):
            # SQLite's statistics average the rows per value, so `column IS NULL` always looks selective; with a
            # filter or a search to go by, keep it off the sort column's index (unary +) and let those lead
            null_segment = literal_column(f'+{model.__tablename__}.{sort.property.columns[0].name}').is_(None)
        size = min(MAX_PAGE_SIZE, max(1, int(25 if request.page_size is None else request.page_size)))
        counted = repr((resource.key, term, _normalized(request.filters or {}), bool(request.trash)))
        return cls(model=model, conditions=conditions + search, sample_conditions=conditions + like,
                   sort_name=sort_name, sort=sort, nullable=nullable, descending=descending, page_size=size,
                   fingerprint=repr((counted, sort_name, descending, size)), counted=counted,
                   null_segment=null_segment)

    def key(self, row: SQLModel) -> tuple[Any, int]:
        return getattr(row, self.sort_name), row.id

    # Rows are ordered by (sort column, id), both ascending or both descending, NULLs last either way. A nullable
    # column is read in two segments — its values, then its NULLs by id — so that each read is a plain index range.

    def forward(self, session: Session, *, after: tuple[Any, int] | None, limit: int) -> list[SQLModel]:
        """Up to `limit` rows in list order, starting after the key (from the start when None)."""
        if not self.nullable:
            return self._read(session, self._past(after, forward=True), forward=True, limit=limit)
        rows: list[SQLModel] = []
        if after is None or after[0] is not None:
            rows = self._read(session, [self.sort.is_not(None), *self._past(after, forward=True)], forward=True,
                              limit=limit)
        if len(rows) < limit:
            past_id = [] if after is None or after[0] is not None else [self._id_past(after[1], forward=True)]
            rows += self._read(session, [self.null_segment, *past_id], forward=True, limit=limit - len(rows),
                               nulls=True)
        return rows

    def backward(self, session: Session, *, before: tuple[Any, int] | None, limit: int) -> list[SQLModel]:
        """Up to `limit` rows just before the key (the last rows when None), returned in list order."""
        if not self.nullable:
            rows = self._read(session, self._past(before, forward=False), forward=False, limit=limit)
            return rows[::-1]
        rows = []
        if before is None or before[0] is None:
            past_id = [] if before is None else [self._id_past(before[1], forward=False)]
            rows = self._read(session, [self.null_segment, *past_id], forward=False, limit=limit, nulls=True)
        if len(rows) < limit:  # every value comes before the NULLs
            past = self._past(before, forward=False) if before is not None and before[0] is not None else []
            rows += self._read(session, [self.sort.is_not(None), *past], forward=False, limit=limit - len(rows))
        return rows[::-1]

    def at_offset(self, session: Session, *, offset: int, limit: int) -> list[SQLModel]:
        order = self.sort.desc() if self.descending else self.sort.asc()
        identity = self.model.id.desc() if self.descending else self.model.id.asc()
        statement = (select(self.model).where(*self.conditions)
                     .order_by(order.nulls_last() if self.nullable else order, identity).offset(offset).limit(limit))
        return list(session.scalars(statement).all())

    def _read(self, session: Session, extra: list[ColumnElement[bool]], *, forward: bool, limit: int,
              nulls: bool = False) -> list[SQLModel]:
        if limit <= 0:
            return []
        descending = self.descending == forward  # reading backward flips the direction
        identity = self.model.id.desc() if descending else self.model.id.asc()
        order = [identity] if nulls else [self.sort.desc() if descending else self.sort.asc(), identity]
        statement = select(self.model).where(*self.conditions, *extra).order_by(*order).limit(limit)
        return list(session.scalars(statement).all())

    def _past(self, key: tuple[Any, int] | None, *, forward: bool) -> list[ColumnElement[bool]]:
        """Rows beyond a key (not NULL) in the reading direction."""
        if key is None:
            return []
        if self.sort_name == 'id':
            return [self._id_past(key[1], forward=forward)]
        pair = tuple_(self.sort, self.model.id)
        bound = tuple_(literal(key[0], self.sort.type), literal(key[1], self.model.id.type))
        greater = self.descending != forward
        return [pair > bound if greater else pair < bound]

    def _id_past(self, identity: int, *, forward: bool) -> ColumnElement[bool]:
        return self.model.id > identity if self.descending != forward else self.model.id < identity


# --- conditions -------------------------------------------------------------------------------------------------------

def _trash_conditions(resource: Resource, trash: bool, dialect: str) -> list[ColumnElement[bool]]:
    deleted_at = getattr(resource.model, 'deleted_at', None)
    if not resource.soft_delete or deleted_at is None:
        if trash:
            raise ValidationFailed({'trash': f'{resource.label} have no trash'})
        return []
    if trash:
        return [deleted_at.is_not(None)]
    if dialect == 'sqlite':
        # Nearly every row is live, but SQLite's planner (even after ANALYZE, whose average hides how common NULL is)
        # takes `deleted_at IS NULL` for a selective index lookup and sorts the whole table. The unary + keeps it off
        # that index, so the sort index is used and LIMIT stops early.
        return [literal_column(f'+{resource.model.__tablename__}.deleted_at').is_(None)]
    return [deleted_at.is_(None)]


def _filter_conditions(resource: Resource, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    declared = {f.name: f for f in resource.filters}
    conditions = []
    for name, value in filters.items():
        spec = declared.get(name)
        if spec is None:
            raise ValidationFailed({name: 'This list has no such filter'})
        if value is None or value == '' or (isinstance(value, list | tuple | set) and not any(
                v not in (None, '') for v in value)):
            continue  # not set
        conditions += _FILTERS[spec.kind](getattr(resource.model, name), spec, value)
    return conditions


def _choice(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    values = [value] if isinstance(value, str) else list(value)
    column_type = attribute.property.columns[0].type
    allowed = set(spec.choices or ()) or (set(column_type.enums) if isinstance(column_type, Enum) else None)
    for item in values:
        if not isinstance(item, str) or (allowed is not None and item not in allowed):
            raise ValidationFailed({spec.name: f'Choose among: {", ".join(sorted(allowed or ()))}'})
    return [attribute == values[0]] if len(values) == 1 else [attribute.in_(values)]


def _yes_no(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if isinstance(value, str) and value.lower() in _WORDS:
        value = _WORDS[value.lower()]
    if not isinstance(value, bool):
        raise ValidationFailed({spec.name: 'Choose yes or no'})
    return [attribute.is_(true()) if value else attribute.is_(false())]


_WORDS = {'true': True, 'yes': True, '1': True, 'false': False, 'no': False, '0': False}


def _date_range(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if isinstance(value, str | date) or len(value) != 2:
        raise ValidationFailed({spec.name: 'Give a start and an end date (either may be empty)'})
    start, end = (_day(spec, item) for item in value)
    if start and end and start > end:
        raise ValidationFailed({spec.name: 'The start date is after the end date'})
    whole_days = not isinstance(attribute.property.columns[0].type, Date)
    conditions = []
    if start:
        conditions.append(attribute >= (datetime.combine(start, time(), UTC) if whole_days else start))
    if end:
        conditions.append(attribute < datetime.combine(end + timedelta(days=1), time(), UTC) if whole_days
                          else attribute <= end)
    return conditions


def _day(spec: Filter, value: Any) -> date | None:
    if value in (None, ''):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValidationFailed({spec.name: f'“{value}” is not a date (YYYY-MM-DD)'}) from None


def _related(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if value == NONE:  # "assignee: nobody"
        return [attribute.is_(None)]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed({spec.name: 'Choose a record'})
    return [attribute == value]


def _present(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    """Whether a (usually date) column is filled in: "SLA breached: yes" is `sla_breached_at IS NOT NULL`."""
    if isinstance(value, str) and value.lower() in _WORDS:
        value = _WORDS[value.lower()]
    if not isinstance(value, bool):
        raise ValidationFailed({spec.name: 'Choose yes or no'})
    return [attribute.is_not(None) if value else attribute.is_(None)]

def _number_range(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if isinstance(value, str | int | float | Decimal) or len(value) != 2:
        raise ValidationFailed({spec.name: 'Give a lowest and a highest value (either may be empty)'})
    low, high = (_number(spec, item) for item in value)
    if low is not None and high is not None and low > high:
        raise ValidationFailed({spec.name: 'The lowest value is above the highest'})
    return ([attribute >= low] if low is not None else []) + ([attribute <= high] if high is not None else [])


def _number(spec: Filter, value: Any) -> Decimal | None:
    if value in (None, ''):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed({spec.name: f'“{value}” is not a number'}) from None
    if not number.is_finite():
        raise ValidationFailed({spec.name: f'“{value}” is not a number'})
    return number


_FILTERS = {'choice': _choice, 'bool': _yes_no, 'present': _present, 'date_range': _date_range, 'related': _related,
            'number_range': _number_range}


def _search_conditions(session: Session, resource: Resource, term: str,
                       dialect: str) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """Case-insensitive 'contains' over the resource's search fields: (the condition to read with, its LIKE twin).

    Which way is fastest depends on how common the term is. A rare term is best looked up in the search index and
    its hits sorted; a common one by reading the list in order and testing each row with LIKE, which finds a page
    within a few thousand rows — while looking it up would fetch and sort a large part of the table. So:
    SQLite counts the term's hits in the FTS5 trigram table, up to COMMON_TERM; PostgreSQL asks its planner, whose
    own choice goes wrong when the hits cluster (it expects them spread evenly and scans the sort index)."""
    if not term or not resource.search:
        return [], []
    model = resource.model
    lower = dialect != 'sqlite'  # SQLite's LIKE ignores (ASCII) case by itself; PostgreSQL's index holds lower()
    escaped = (term.lower() if lower else term).replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    likes = {name: _text(getattr(model, name), lower).like(f'%{escaped}%', escape='\\') for name in resource.search}
    like = or_(*likes.values())
    index = SEARCH_INDEXES.get(model.__tablename__)
    indexed = [name for name in resource.search if index and name in index.columns]
    if len(term) < 3 or not indexed:  # trigram indexes need three characters
        return [like], [like]
    if dialect == 'postgresql':
        if len(indexed) < len(resource.search) or _planned_rows(
                session, select(literal(1)).select_from(model).where(like)) >= COMMON_TERM_POSTGRESQL:
            return [like], [like]
        hits = select(model.id).where(like).cte(f'{model.__tablename__}_hits').prefix_with('MATERIALIZED')
        return [model.id.in_(select(hits.c.id))], [like]
    if dialect != 'sqlite':
        return [like], [like]
    fts = table(index.fts_table, column('rowid'), column(index.fts_table))
    columns = '' if set(indexed) == set(index.columns) else '{' + ' '.join(indexed) + '} : '
    match = fts.c[index.fts_table].op('MATCH')(columns + '"' + term.replace('"', '""') + '"')  # one FTS5 string
    hits = session.execute(select(func.count()).select_from(
        select(fts.c.rowid).where(match).limit(COMMON_TERM).subquery())).scalar_one()
    if hits >= COMMON_TERM:
        return [like], [like]
    found = model.id.in_(select(fts.c.rowid).where(match))
    rest = [likes[name] for name in resource.search if name not in indexed]
    return [or_(found, *rest) if rest else found], [like]


def _text(attribute: InstrumentedAttribute, lower: bool) -> ColumnElement[str]:
    value = attribute if isinstance(attribute.type, String) else cast(attribute, String)
    return func.lower(value) if lower else value


def _normalized(filters: dict[str, Any]) -> tuple:
    return tuple(sorted((name, tuple(value) if isinstance(value, list | tuple | set) else value)
                        for name, value in filters.items()))


# --- counting ---------------------------------------------------------------------------------------------------------

def _count(session: Session, plan: _Plan) -> tuple[int, bool]:
    try:
        with _time_limit(session, COUNT_BUDGET):
            statement = select(func.count()).select_from(plan.model).where(*plan.conditions)
            return session.execute(statement).scalar_one(), True
    except _OutOfTime:
        return _rounded(_estimate(session, plan)), False


def _rounded(estimate: int) -> int:
    """Two significant digits ("about 990,000", not "about 989,250"): an estimate should not look precise."""
    return estimate if estimate < 100 else round(estimate, 2 - len(str(estimate)))


class _OutOfTime(Exception):
    pass


@contextmanager
def _time_limit(session: Session, seconds: float) -> Iterator[None]:
    """Stop the statements run inside after `seconds` with _OutOfTime; the session stays usable."""
    connection = session.connection()
    if connection.dialect.name == 'sqlite':
        raw = connection.connection.dbapi_connection
        deadline = perf_counter() + seconds
        raw.set_progress_handler(lambda: perf_counter() > deadline, 2000)  # true ends the statement: 'interrupted'
        try:
            yield
        except OperationalError as error:
            if 'interrupted' in str(error.orig):
                raise _OutOfTime from None
            raise
        finally:
            raw.set_progress_handler(None, 0)
    elif connection.dialect.name == 'postgresql':
        previous = session.execute(text("SELECT current_setting('statement_timeout')")).scalar_one()
        try:
            with session.begin_nested():  # a cancelled statement fails the transaction: only this savepoint
                session.execute(text("SELECT set_config('statement_timeout', :limit, true)"),
                                {'limit': f'{max(1, round(seconds * 1000))}ms'})
                yield
                # put back before RELEASE: a cancel that arrives late must not hit the RELEASE (a failed savepoint
                # rolls the setting back by itself)
                session.execute(text("SELECT set_config('statement_timeout', :limit, true)"), {'limit': previous})
        except OperationalError as error:
            if getattr(error.orig, 'sqlstate', None) == '57014':  # query_canceled
                raise _OutOfTime from None
            raise
    else:
        yield


def _estimate(session: Session, plan: _Plan) -> int:
    """PostgreSQL: the planner's estimate. SQLite: the share of matching rows among ESTIMATE_SAMPLE rows picked at
    even steps over the id range (ids not in use count as non-matching), scaled up to the range."""
    if session.get_bind().dialect.name == 'postgresql':
        return _planned_rows(session, select(literal(1)).select_from(plan.model).where(*plan.conditions))
    identity = plan.model.id
    # two statements: SQLite answers a lone min() or max() from the index, but both together with a full scan
    low = session.execute(select(func.min(identity))).scalar_one()
    high = session.execute(select(func.max(identity))).scalar_one()
    if low is None:
        return 0
    span = high - low + 1
    probes = min(span, ESTIMATE_SAMPLE)
    step = span / probes
    probe = select(literal(0).label('k')).cte('probe', recursive=True)
    probe = probe.union_all(select(probe.c.k + 1).where(probe.c.k + 1 < probes))
    at = low + cast(probe.c.k * step, Integer)
    hits = session.execute(select(func.count()).select_from(probe).join(plan.model, identity == at)
                           .where(*plan.sample_conditions)).scalar_one()
    return round(hits * span / probes)


def _planned_rows(session: Session, statement: Select) -> int:
    return int(session.execute(_Explain(statement)).scalar_one()[0]['Plan']['Plan Rows'])


class _Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <select>` with the select's parameters bound as usual (PostgreSQL)."""

    inherit_cache = False

    def __init__(self, statement: Select) -> None:
        self.statement = statement


@compiles(_Explain, 'postgresql')
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return 'EXPLAIN (FORMAT JSON) ' + compiler.process(element.statement, **kw)


__all__ = ['Cursor', 'ListRequest', 'Page', 'SEARCH_INDEXES', 'SearchIndex', 'count', 'include_name', 'iterate',
           'list_page', 'matching_ids', 'register_search_index', 'search_index_suspended']
