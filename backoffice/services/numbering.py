"""Gapless numbers per named sequence (orders, returns, invoices per year): one atomic upsert on a counter row that
stays locked until the caller's transaction ends, so concurrent callers never share or skip a number, and a rolled
back transaction gives its number back."""

from __future__ import annotations

from sqlalchemy import ColumnElement, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from backoffice.models import TicketCounter


def next_number(session: Session, name: str, start: int | ColumnElement = 1) -> int:
    """The next number of sequence `name`; `start` (a value or a scalar subquery) when the sequence is new."""
    table = TicketCounter.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == 'postgresql' else sqlite.insert
    first = start if isinstance(start, ColumnElement) else literal(start)
    statement = (
        insert(table)
        .values(name=name, value=first)
        .on_conflict_do_update(index_elements=['name'], set_={'value': table.c.value + 1})
        .returning(table.c.value)
    )
    return session.execute(statement).scalar_one()


def current(session: Session, name: str) -> int:
    """The last number sequence `name` gave out (0 for a new one)."""
    counter = session.get(TicketCounter, name)
    return counter.value if counter is not None else 0


def set_counter(session: Session, name: str, value: int) -> None:
    """Make the next number value + 1 (bulk seeding hands out numbers itself)."""
    counter = session.get(TicketCounter, name) or TicketCounter(name=name, value=value)
    counter.value = max(counter.value, value)
    session.add(counter)
