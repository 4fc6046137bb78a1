"""How values read on screen: dates, times and durations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


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


def display_value(value: Any, kind: str = 'text', choices: dict[str, str] | None = None) -> str:
    """A field's value as a person reads it in a list or an export."""
    if value is None or value == '':
        return ''
    if kind == 'bool':
        return 'Yes' if value else 'No'
    if kind == 'choice' and choices:
        key = value.value if isinstance(value, Enum) else value
        return choices.get(key, str(key))
    if kind == 'money':
        return f'{Decimal(value):,.2f}'
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime('%Y-%m-%d %H:%M')
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)
