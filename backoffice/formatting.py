"""How values read for a person, in one place: dates, times, durations, money and field values, for lists, forms,
PDFs, messages and the dashboard alike (the place to make them follow the reader's language later)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from backoffice.i18n import _

NOTHING = '—'


def day(value: date | datetime | None) -> str:
    """A calendar day: 2026-12-03 (a datetime is taken in UTC)."""
    if value is None:
        return NOTHING
    if isinstance(value, datetime):
        value = _utc(value).date()
    return f'{value.year:04d}-{value.month:02d}-{value.day:02d}'


def days(first: date, last: date) -> str:
    """A span of days: 2026-11-04 – 2026-12-03."""
    return f'{day(first)} – {day(last)}'


def when(value: datetime | None) -> str:
    """An instant: 2026-12-03 14:05 UTC."""
    if value is None:
        return NOTHING
    value = _utc(value)
    return f'{day(value)} {value.hour:02d}:{value.minute:02d} UTC'


def clock(value: datetime | None, zone: str = 'UTC') -> str:
    """The time of day in a time zone, for rows of one day: 14:05."""
    if value is None:
        return ''
    value = _utc(value).astimezone(ZoneInfo(zone))
    return f'{value.hour:02d}:{value.minute:02d}'


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
    days_, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    span = f'{days_} d {hours} h' if days_ else f'{hours} h {minutes:02d} min' if hours else f'{minutes} min'
    return f'in {span}' if seconds >= 0 else f'overdue {span}'


CURRENCY_SIGNS = {'EUR': '€', 'USD': '$', 'GBP': '£'}


def money(value: Any, currency: str | None = None) -> str:
    """An amount with two decimals and thousands separators: 1,234.50; with its currency as people write it:
    '€42.00', '$1,250.50', or '42.00 CHF' for a currency without a sign here."""
    text = f'{Decimal(value):,.2f}'
    if currency is None:
        return text
    sign = CURRENCY_SIGNS.get(currency)
    return f'{sign}{text}' if sign else f'{text} {currency}'


def label(value: Any, choices: dict[str, str] | None) -> str:
    """A stored choice (a status, a type) by its label, never its raw value."""
    if value is None or value == '':
        return ''
    key = value.value if isinstance(value, Enum) else value
    text = (choices or {}).get(key)
    return _(text) if text else str(key).replace('_', ' ').capitalize()  # labels are declared with N_


def display_value(value: Any, kind: str = 'text', choices: dict[str, str] | None = None) -> str:
    """A field's value as a person reads it in a list, a form or a message."""
    if value is None or value == '':
        return ''
    if kind == 'bool':
        return 'Yes' if value else 'No'
    if kind == 'choice' and choices:
        return label(value, choices)
    if kind == 'money':
        return money(value)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ', '.join(str(item) for item in value)
    return str(value)


def _utc(value: datetime) -> datetime:
    """Stored instants are UTC; a naive one (SQLite hands some back so) is taken as UTC, not as the machine's time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
