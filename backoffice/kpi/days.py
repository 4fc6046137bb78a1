"""Days in the shop's time zone (the `time_zone` setting) and the UTC instants where each one starts and ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of a local day as aware UTC datetimes (a DST day is 23 or 25 hours long)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_day(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


def today(zone: str, now: datetime | None = None) -> date:
    return local_day(now or datetime.now(UTC), zone)


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
