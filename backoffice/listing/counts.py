"""Counting a list's rows: exact within a time budget, else a quick estimate (the planner's, or a sample of ids)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any, Protocol

from sqlalchemy import (
    Integer,
    Select,
    cast,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlmodel import Session, SQLModel

COUNT_BUDGET = 0.02  # seconds an exact count may take; a count that would take longer is estimated instead
ESTIMATE_SAMPLE = 3000  # rows probed, evenly spread over the ids, to estimate a count (±5% at 1 row in 10)
# PostgreSQL: fewer matching probes than this and the sample says too little ("1 row in 1,000"): the planner's figure,
# capped by what the sample allows, is taken instead (a plain column's statistics know rare values better)
RARE_HITS = 30


class Countable(Protocol):
    """What counting needs of a planned list: its table and conditions (and the same rows for a single-row probe)."""

    model: type[SQLModel]
    conditions: list[ColumnElement[bool]]
    sample_conditions: list[ColumnElement[bool]]


def count_rows(session: Session, plan: Countable) -> tuple[int, bool]:
    """The exact number of matching rows, or an estimate (and False) when counting would take over COUNT_BUDGET."""
    try:
        with time_limit(session, COUNT_BUDGET):
            statement = select(func.count()).select_from(plan.model).where(*plan.conditions)
            return session.execute(statement).scalar_one(), True
    except OutOfTime:
        sampled = _sampled(session, plan)
        if sampled is None or sampled[1] == sampled[2]:
            # no row at all, or the sample probed every id: what it found is the count itself, said exactly (a busy
            # machine ran the count out of time on a table of a few hundred rows: "about 130 movements" for 127)
            return (sampled[0] if sampled else 0), True
        return rounded(_estimated(session, plan, sampled)), False


def rounded(estimate: int) -> int:
    """Two significant digits ("about 990,000", not "about 989,250"): an estimate should not look precise."""
    return estimate if estimate < 100 else round(estimate, 2 - len(str(estimate)))


class OutOfTime(Exception):
    pass


@contextmanager
def time_limit(session: Session, seconds: float) -> Iterator[None]:
    """Stop the statements run inside after `seconds` with OutOfTime; the session stays usable."""
    connection = session.connection()
    if connection.dialect.name == 'sqlite':
        raw = connection.connection.dbapi_connection
        deadline = perf_counter() + seconds
        raw.set_progress_handler(lambda: perf_counter() > deadline, 2000)  # true ends the statement: 'interrupted'
        try:
            yield
        except OperationalError as error:
            if 'interrupted' in str(error.orig):
                raise OutOfTime from None
            raise
        finally:
            raw.set_progress_handler(None, 0)
    elif connection.dialect.name == 'postgresql':
        previous = session.execute(text("SELECT current_setting('statement_timeout')")).scalar_one()
        try:
            with session.begin_nested():  # a cancelled statement fails the transaction: only this savepoint
                session.execute(
                    text("SELECT set_config('statement_timeout', :limit, true)"),
                    {'limit': f'{max(1, round(seconds * 1000))}ms'},
                )
                yield
                # put back before RELEASE: a cancel that arrives late must not hit the RELEASE (a failed savepoint
                # rolls the setting back by itself)
                session.execute(text("SELECT set_config('statement_timeout', :limit, true)"), {'limit': previous})
        except OperationalError as error:
            if getattr(error.orig, 'sqlstate', None) == '57014':  # query_canceled
                raise OutOfTime from None
            raise
    else:
        yield


def estimate(session: Session, plan: Countable) -> int:
    """The share of matching rows among ESTIMATE_SAMPLE rows picked at even steps over the id range (ids not in use
    count as non-matching), scaled up to the range. On PostgreSQL, when the sample finds few (RARE_HITS), the planner's
    estimate, capped by the sample: the planner knows a plain column's rare values, but guesses blindly at a computed
    condition (28,131 paid invoices estimated at 141)."""
    return _estimated(session, plan, _sampled(session, plan))


def _estimated(session: Session, plan: Countable, sampled: tuple[int, int, int] | None) -> int:
    """The estimate from a sample already read (see estimate)."""
    if sampled is None:
        return 0
    hits, span, probes = sampled
    scaled = round(hits * span / probes)
    if session.get_bind().dialect.name != 'postgresql' or hits >= RARE_HITS or probes == span:
        return scaled
    planned = planned_rows(session, select(literal(1)).select_from(plan.model).where(*plan.conditions))
    return min(planned, round(RARE_HITS * span / probes))


def _sampled(session: Session, plan: Countable) -> tuple[int, int, int] | None:
    """(matching probes, id span, probes), None for an empty table."""
    identity = plan.model.id
    # two statements: SQLite answers a lone min() or max() from the index, but both together with a full scan
    low = session.execute(select(func.min(identity))).scalar_one()
    high = session.execute(select(func.max(identity))).scalar_one()
    if low is None:
        return None
    span = high - low + 1
    probes = min(span, ESTIMATE_SAMPLE)
    step = span / probes
    probe = select(literal(0).label('k')).cte('probe', recursive=True)
    probe = probe.union_all(select(probe.c.k + 1).where(probe.c.k + 1 < probes))
    at = low + cast(probe.c.k * step, Integer)
    hits = session.execute(
        select(func.count()).select_from(probe).join(plan.model, identity == at).where(*plan.sample_conditions)
    ).scalar_one()
    return hits, span, probes


def planned_rows(session: Session, statement: Select) -> int:
    return int(session.execute(_Explain(statement)).scalar_one()[0]['Plan']['Plan Rows'])


class _Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <select>` with the select's parameters bound as usual (PostgreSQL)."""

    inherit_cache = False

    def __init__(self, statement: Select) -> None:
        self.statement = statement


@compiles(_Explain, 'postgresql')
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return 'EXPLAIN (FORMAT JSON) ' + compiler.process(element.statement, **kw)
