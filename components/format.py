"""How values read on screen: dates, times, durations and amounts of money."""

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


def due(value: datetime | None, now: datetime | None = None) -> str:
    """A deadline counting down: 'in 2 h 05 min', or 'overdue 35 min' once it has passed."""
    if value is None:
        return ''
    seconds = int((value - (now or datetime.now(UTC))).total_seconds())
    minutes = abs(seconds) // 60
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    span = f'{days} d {hours} h' if days else f'{hours} h {minutes:02d} min' if hours else f'{minutes} min'
    return f'in {span}' if seconds >= 0 else f'overdue {span}'


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
    if isinstance(value, list | tuple):
        return ', '.join(str(item) for item in value)
    return str(value)


CURRENCY_SIGNS = {'EUR': '€', 'USD': '$', 'GBP': '£'}


def money(amount: Decimal | int | str, currency: str) -> str:
    """An amount as people write it: '€42.00', '$1,250.50', or '42.00 CHF' for a currency without a sign here."""
    text = f'{Decimal(amount):,.2f}'
    sign = CURRENCY_SIGNS.get(currency)
    return f'{sign}{text}' if sign else f'{text} {currency}'
