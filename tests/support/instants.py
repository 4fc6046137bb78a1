"""Raw SQL in tests with instants among its parameters: each datetime is bound as the columns store it (models.base.
UTCTimestamp: microseconds on SQLite, timestamptz on PostgreSQL), never as text, which SQLite would sort before every
stored instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, text

from backoffice.models.base import UTCTimestamp


def bound(sql: str, values: dict[str, Any] | None = None, /, **params: Any) -> TextClause:
    """`text(sql)` with its parameters bound (a dict, or keywords): a datetime as an instant, anything else as it is."""
    params = {**(values or {}), **params}
    return text(sql).bindparams(
        *(
            bindparam(name, value, type_=UTCTimestamp()) if isinstance(value, datetime) else bindparam(name, value)
            for name, value in params.items()
        )
    )
