"""How values read on screen: dates, times and durations."""

from __future__ import annotations

from datetime import UTC, datetime


def when(value: datetime | None) -> str:
    if value is None:
        return '—'
    return value.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return 'never'
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    for unit, size in (('day', 86400), ('hour', 3600), ('minute', 60)):
        if seconds >= size:
            count = seconds // size
            return f'{count} {unit}{"s" if count > 1 else ""} ago'
    return 'just now'
