"""Where each KPI's history starts: the first local day its sources have rows (the first order, the first usage
event, the first request). Aggregates are kept for every day from there to today, never before it, so a period the
aggregates do not cover entirely is one the shop has no data for, not a run of zeros."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from backoffice.kpi import days
from backoffice.kpi import sources as src
from backoffice.kpi.registry import Kpi
from backoffice.models import EventType


def source_starts(session: Session, zone: str) -> dict[str, date | None]:
    """The first local day with rows, per source (None: no rows yet). Each is an index seek, not a scan, except the
    requests' (their table is small next to orders and events)."""
    starts: dict[str, date | None] = {'events': _first_event_day(session, zone), 'orders': None, 'tickets': None}
    if src.has_tables(session, 'orders'):
        starts['orders'] = _day(session.execute(select(func.min(src.orders.c.placed_at))).scalar_one(), zone)
    starts['tickets'] = _day(session.execute(select(func.min(src.tickets.c.created_at))).scalar_one(), zone)
    return starts


def kpi_start(kpi: Kpi, starts: dict[str, date | None], today: date) -> date:
    """The first day this KPI has data for: all of its sources must have begun (conversion needs orders and visits).
    A KPI of the current state only, or whose sources have no rows yet, starts today."""
    if kpi.snapshot:
        return today
    wanted = [starts.get(source) for source in kpi.sources if source != 'stock']
    begun = [day for day in wanted if day is not None]
    if not begun or len(begun) < len(wanted):
        return today
    return min(max(begun), today)


def _first_event_day(session: Session, zone: str) -> date | None:
    """min(ts) per event type through the (type, ts) index: a min over all types would read the whole table."""
    e = src.events.c
    firsts = [session.execute(select(func.min(e.ts)).where(e.type == int(kind))).scalar_one() for kind in EventType]
    return _day(min((first for first in firsts if first is not None), default=None), zone)


def _day(instant, zone: str) -> date | None:
    return None if instant is None else days.local_day(instant, zone)
