"""Listing engine: search, filters, sort, keyset pages, counts and streaming over any declared resource."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute, undefer
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel

from backoffice.engine.declaration import Resource
from backoffice.errors import ValidationFailed
from backoffice.formatting import shop_currency
from backoffice.i18n import _
from backoffice.listing.counts import OutOfTime, count_rows, time_limit
from backoffice.listing.filters import NONE, filter_conditions, normalized, trash_conditions
from backoffice.listing.search import (
    SEARCH_INDEXES,
    SearchIndex,
    include_name,
    register_search_index,
    search_conditions,
    search_index_suspended,
    searched_through,
)
from backoffice.models import User
from backoffice.permissions import require

MAX_PAGE_SIZE = 500
SUM_BUDGET = 0.05  # seconds the caption's sum may take; a list too large to add up that fast says its count alone


@dataclass(frozen=True)
class ListRequest:
    """What a list shows. `filters` by Filter.name: 'choice' → str or list[str]; 'bool' → bool; 'date_range' →
    (date|None, date|None), whole days in UTC, both included (ISO strings work too); 'related' → int id, or NONE
    for "empty"; 'present' → bool (the column is filled in or not); 'number_range' → (low|None, high|None), both
    included. None or an empty value filters nothing."""

    search: str = ''  # case-insensitive 'contains' over resource.search
    filters: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None  # a column name in resource.sortable(); None → resource.default_sort
    descending: bool | None = None  # None → resource.default_descending
    page: int = 1  # 1-based
    page_size: int = 25  # clamped to 1..500
    trash: bool = False  # True: only soft-deleted rows (deleted_at IS NOT NULL); False: only live ones


@dataclass(frozen=True)
class Cursor:
    """Where a page began and ended, so that its neighbours and the last page are read by keyset; opaque to callers.

    It also carries the total: handing it back for another page of the same search and filters (any sort) skips the
    count. Hand back None instead after the data changed, to count afresh."""

    query: str  # the request it belongs to, page aside; any other request reads by OFFSET
    counted: str  # the rows its total counts: search, filters and trash
    page: int
    first: tuple[Any, int] | None  # (sort value, id) of the page's first row
    last: tuple[Any, int] | None  # ... and of its last row
    total: int
    exact: bool


@dataclass(frozen=True)
class Page:
    rows: list[SQLModel]
    page: int
    page_size: int
    total: int
    exact: bool  # False: `total` is an estimate ("about N")
    cursor: Cursor
    sums: tuple[tuple[str | None, Decimal], ...] | None = None  # see sums(): set by the caller that asks for them

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def list_page(
    *, session: Session, actor: User | None, resource: Resource, request: ListRequest, cursor: Cursor | None = None
) -> Page:
    """One page of the list. The first and the last page are read by keyset, and so are the next and the previous
    page given the cursor of the page before; any other page by OFFSET. The same rows come out whichever way."""
    require(actor, resource.read_permission)
    plan = _Plan.of(session, resource, request, actor)
    known = (cursor.total, cursor.exact) if cursor is not None and cursor.counted == plan.counted else None
    if cursor is not None and cursor.query != plan.fingerprint:
        cursor = None
    size = plan.page_size
    page = max(1, int(request.page or 1))
    offset: int | None  # where the rows start, when the read knows it
    if page == 1:  # read first: a short first page is its own exact count
        rows, offset = plan.forward(session, after=None, limit=size), 0
        total, exact = (len(rows), True) if len(rows) < size else known or count_rows(session, plan)
    else:
        total, exact = known or count_rows(session, plan)
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
    return Page(
        rows=rows,
        page=page,
        page_size=size,
        total=total,
        exact=exact,
        cursor=Cursor(
            query=plan.fingerprint, counted=plan.counted, page=page, first=first, last=last, total=total, exact=exact
        ),
    )


def count(*, session: Session, actor: User | None, resource: Resource, request: ListRequest) -> tuple[int, bool]:
    """(total, exact): exact when counting takes less than COUNT_BUDGET, else an estimate."""
    require(actor, resource.read_permission)
    return count_rows(session, _Plan.of(session, resource, request, actor))


def sums(
    *, session: Session, actor: User | None, resource: Resource, request: ListRequest
) -> tuple[tuple[str | None, Decimal], ...] | None:
    """The resource's summed money column added up over every row the request matches (all pages), per currency:
    ((currency, total), ...) in currency order, the shop's currency for a column in it, None for an amount alone;
    None when the resource declares no such column or adding up would take over SUM_BUDGET. Added up in cents, so
    SQLite's floating sums give the exact amount."""
    if not resource.summed:
        return None
    require(actor, resource.read_permission)
    plan = _Plan.of(session, resource, request, actor)
    column = resource.column(resource.summed)
    cents = func.sum(func.round(getattr(plan.model, column.name) * 100))
    currency = getattr(plan.model, column.currency) if column.currency else None
    try:
        with time_limit(session, SUM_BUDGET):
            if currency is None:
                total = session.execute(select(cents).select_from(plan.model).where(*plan.conditions)).scalar_one()
                shop = shop_currency() if column.currency == '' else None
                found = [] if total is None else [(shop, total)]
            else:
                found = session.execute(
                    select(currency, cents)
                    .select_from(plan.model)
                    .where(*plan.conditions)
                    .group_by(currency)
                    .order_by(currency)
                ).all()
    except OutOfTime:
        return None
    return tuple(
        (str(getattr(code, 'value', code)) if code is not None else None, Decimal(int(total or 0)) / 100)
        for code, total in found
    )


def iterate(
    *, session: Session, actor: User | None, resource: Resource, request: ListRequest, batch_size: int = 1000
) -> Iterator[list[SQLModel]]:
    """Every matching row once, in list order, batch by batch (keyset reads: memory stays flat at a million rows).
    The permission and the request are checked at the call, not at the first batch.

    On SQLite read through `read_session()`, which does not hold the write lock for the length of an export."""
    require(actor, resource.read_permission)
    plan = _Plan.of(session, resource, request, actor)

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


def matching_ids(
    *, session: Session, actor: User | None, resource: Resource, request: ListRequest, batch_size: int = 5000
) -> Iterator[int]:
    """The id of every matching row, ascending (for 'all N matching' bulk actions), read in keyset batches."""
    require(actor, resource.read_permission)
    plan = _Plan.of(session, resource, request, actor)
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


def matching_among(
    *, session: Session, actor: User | None, resource: Resource, request: ListRequest, ids: set[int]
) -> set[int]:
    """Which of these records the request's search and filters match now: a live list asks it about records that
    changed out of its sight (one that now belongs on screen is shown without a reload)."""
    require(actor, resource.read_permission)
    if not ids:
        return set()
    plan = _Plan.of(session, resource, request, actor)
    identity = plan.model.id
    statement = select(identity).where(*plan.sample_conditions, identity.in_(sorted(ids)))
    return set(session.execute(statement).scalars())


# --- turning a request into SQL ---------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """A request checked against its resource: the WHERE conditions, the sort, and the reads in that order."""

    model: type[SQLModel]
    conditions: list[ColumnElement[bool]]
    sample_conditions: list[ColumnElement[bool]]  # the same rows, with a search any single row can be tested against
    sort_name: str
    sort: InstrumentedAttribute | ColumnElement[Any]  # the field, or the column's `sorted_by` expression
    nullable: bool
    descending: bool
    page_size: int
    fingerprint: str
    counted: str
    null_segment: ColumnElement[bool] | None  # where the NULLs of a nullable sort column are read
    ranks: tuple[str, ...] | None  # a ranked column's values in ascending list order (its declared choices)
    loaded: tuple[Any, ...] = ()  # loader options: the resource's deferred values its rows show (`undeferred`)
    computed: bool = False  # sorted by an expression: each row's sort value is read with it, kept in `sort_values`
    sort_values: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, resource: Resource, request: ListRequest, actor: User | None) -> _Plan:
        model = resource.model
        sort_name = request.sort or resource.default_sort
        if sort_name not in resource.sortable() or not hasattr(model, sort_name):
            raise ValidationFailed({'sort': _('This list cannot be sorted by “{name}”').format(name=sort_name)})
        descending = resource.default_descending if request.descending is None else bool(request.descending)
        dialect = session.get_bind().dialect.name
        term = (request.search or '').replace('\x00', '').strip()  # SQLite ends a string at a NUL: never send one
        conditions = trash_conditions(resource, bool(request.trash), dialect)
        if resource.row_filter is not None:
            conditions += resource.row_filter(actor)
        filters = filter_conditions(resource, request.filters or {})
        conditions += filters
        search, like = search_conditions(session, resource, term, dialect, actor)
        column = next((c for c in resource.columns if c.name == sort_name), None)
        computed = column is not None and column.sorted_by is not None
        sort = column.sorted_by() if column is not None and column.sorted_by is not None else getattr(model, sort_name)
        nullable = computed or bool(sort.property.columns[0].nullable)
        null_segment = sort.is_(None) if nullable else None
        if nullable and not computed and dialect == 'sqlite' and (filters or search):
            # SQLite's statistics average the rows per value, so `column IS NULL` always looks selective; with a
            # filter or a search to go by, keep it off the sort column's index (unary +) and let those lead
            null_segment = literal_column(f'+{model.__tablename__}.{sort.property.columns[0].name}').is_(None)
        ranks = tuple(column.choices or ()) if column is not None and column.ranked else None
        size = min(MAX_PAGE_SIZE, max(1, int(25 if request.page_size is None else request.page_size)))
        counted = repr(
            (
                resource.key,
                term,
                normalized(request.filters or {}),
                bool(request.trash),
                getattr(actor, 'role', None) if resource.row_filter else None,
                searched_through(resource, actor) if term else (),  # a term finds more for some readers
            )
        )
        return cls(
            model=model,
            conditions=conditions + search,
            sample_conditions=conditions + like,
            sort_name=sort_name,
            sort=sort,
            nullable=nullable,
            descending=descending,
            page_size=size,
            fingerprint=repr((counted, sort_name, descending, size)),
            counted=counted,
            null_segment=null_segment,
            ranks=ranks,
            loaded=tuple(undefer(getattr(model, name)) for name in resource.undeferred),
            computed=computed,
        )

    def key(self, row: SQLModel) -> tuple[Any, int]:
        if self.computed:
            return self.sort_values.get(row.id), row.id  # type: ignore[attr-defined]
        return getattr(row, self.sort_name), row.id  # type: ignore[attr-defined]

    def _rows(self, session: Session, statement: Any) -> list[SQLModel]:
        """The statement's rows; sorted by an expression, its value is read beside each row, for the row's key."""
        if not self.computed:
            return list(session.scalars(statement).all())
        found = session.execute(statement.add_columns(self.sort)).all()
        for row, value in found:
            self.sort_values[row.id] = value
        return [row for row, _value in found]

    # Rows are ordered by (sort column, id), both ascending or both descending, NULLs last either way. A nullable
    # column is read in two segments — its values, then its NULLs by id — so that each read is a plain index range.

    # A ranked column is read value by value in its rank order, each value's rows by id: plain ranges of its
    # (column, id) index, as many reads as values at most.

    def forward(self, session: Session, *, after: tuple[Any, int] | None, limit: int) -> list[SQLModel]:
        """Up to `limit` rows in list order, starting after the key (from the start when None)."""
        self.sort_values.clear()  # the keys of this read's rows only: an export's memory stays flat
        if self.ranks is not None:
            return self._by_rank(session, after, forward=True, limit=limit)
        if not self.nullable:
            return self._read(session, self._past(after, forward=True), forward=True, limit=limit)
        rows: list[SQLModel] = []
        if after is None or after[0] is not None:
            rows = self._read(
                session, [self.sort.is_not(None), *self._past(after, forward=True)], forward=True, limit=limit
            )
        if len(rows) < limit:
            past_id = [] if after is None or after[0] is not None else [self._id_past(after[1], forward=True)]
            rows += self._read(
                session, [self.null_segment, *past_id], forward=True, limit=limit - len(rows), nulls=True
            )
        return rows

    def backward(self, session: Session, *, before: tuple[Any, int] | None, limit: int) -> list[SQLModel]:
        """Up to `limit` rows just before the key (the last rows when None), returned in list order."""
        self.sort_values.clear()  # the keys of this read's rows only: an export's memory stays flat
        if self.ranks is not None:
            return self._by_rank(session, before, forward=False, limit=limit)[::-1]
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
        self.sort_values.clear()  # the keys of this read's rows only: an export's memory stays flat
        if self.ranks is not None:
            return self._by_rank_at(session, offset=offset, limit=limit)
        order = self.sort.desc() if self.descending else self.sort.asc()
        identity = self.model.id.desc() if self.descending else self.model.id.asc()
        statement = (
            select(self.model)
            .options(*self.loaded)
            .where(*self.conditions)
            .order_by(order.nulls_last() if self.nullable else order, identity)
            .offset(offset)
            .limit(limit)
        )
        return self._rows(session, statement)

    def _read(
        self,
        session: Session,
        extra: list[ColumnElement[bool]],
        *,
        forward: bool,
        limit: int,
        nulls: bool = False,
        offset: int = 0,
    ) -> list[SQLModel]:
        if limit <= 0:
            return []
        descending = self.descending == forward  # reading backward flips the direction
        identity = self.model.id.desc() if descending else self.model.id.asc()
        order = [identity] if nulls else [self.sort.desc() if descending else self.sort.asc(), identity]
        statement = (
            select(self.model)
            .options(*self.loaded)
            .where(*self.conditions, *extra)
            .order_by(*order)
            .offset(offset)
            .limit(limit)
        )
        return self._rows(session, statement)

    def _by_rank_at(self, session: Session, *, offset: int, limit: int) -> list[SQLModel]:
        """A page by OFFSET of a ranked list: the matching rows counted per value (one GROUP BY, on the column's
        index), then read from the value the page starts in — not a sort of every matching row by its rank."""
        assert self.ranks is not None
        statement = select(self.sort, func.count()).where(*self.conditions).group_by(self.sort)
        counted = {str(getattr(value, 'value', value)): number for value, number in session.execute(statement).all()}
        rows: list[SQLModel] = []
        for value in self.ranks[::-1] if self.descending else self.ranks:
            if offset >= counted.get(value, 0):
                offset -= counted.get(value, 0)
                continue
            rows += self._read(
                session, [self.sort == value], forward=True, limit=limit - len(rows), nulls=True, offset=offset
            )
            offset = 0
            if len(rows) >= limit:
                break
        return rows

    def _by_rank(self, session: Session, key: tuple[Any, int] | None, *, forward: bool, limit: int) -> list[SQLModel]:
        """Up to `limit` rows past the key in the reading direction (in that direction), value after value."""
        assert self.ranks is not None
        values = list(self.ranks[::-1] if self.descending == forward else self.ranks)
        start = values.index(key[0]) if key is not None else 0
        rows: list[SQLModel] = []
        for value in values[start:]:
            past = [self._id_past(key[1], forward=forward)] if key is not None and value == key[0] else []
            rows += self._read(
                session, [self.sort == value, *past], forward=forward, limit=limit - len(rows), nulls=True
            )
            if len(rows) >= limit:
                break
        return rows

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


__all__ = [
    'NONE',
    'Cursor',
    'ListRequest',
    'Page',
    'SEARCH_INDEXES',
    'SearchIndex',
    'count',
    'include_name',
    'iterate',
    'list_page',
    'matching_ids',
    'register_search_index',
    'search_index_suspended',
]
