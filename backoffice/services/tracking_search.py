"""An order found by its parcel: the orders whose shipment's tracking number is the term or starts with it, read by
the index on lower(tracking_number) (migration 0055); the Orders list's search and the header's search ask it."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from backoffice.models import Shipment
from backoffice.models.base import ASCII_LOWER, starts_with

MIN_PREFIX = 4  # a shorter term finds no parcel
MAX_ORDERS = 100  # a prefix more parcels share than this finds only the exact number


def orders_by_tracking(session: Session, term: str) -> list[int]:
    """The ids of the orders a tracking number (or its first MIN_PREFIX or more characters) was shipped under.

    The number is stored without spaces (`services/orders.ship`), so a number read out in groups is found too. Only a
    term that could be one is looked up: ASCII, with a digit (a name or an email never reads the index)."""
    wanted = ''.join((term or '').split()).translate(ASCII_LOWER)
    if not MIN_PREFIX <= len(wanted) <= 80 or not wanted.isascii() or not any(c.isdigit() for c in wanted):
        return []
    lowered = func.lower(Shipment.tracking_number)
    found = _order_ids(session, starts_with(session.get_bind().dialect.name, lowered, wanted), MAX_ORDERS + 1)
    if len(found) > MAX_ORDERS:
        return _order_ids(session, lowered == wanted, MAX_ORDERS)
    return found


def _order_ids(session: Session, condition: ColumnElement[bool], limit: int) -> list[int]:
    statement = select(col(Shipment.order_id)).where(condition).distinct().limit(limit)
    return list(session.exec(statement).all())
