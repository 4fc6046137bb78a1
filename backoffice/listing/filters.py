"""A list's filters as SQL conditions: one function per filter kind (choice, yes/no, present, date and number ranges,
related record), plus the trash."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Enum,
    String,
    cast,
    false,
    literal_column,
    or_,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from backoffice import formatting
from backoffice.engine.declaration import Filter, Resource, shown
from backoffice.errors import ValidationFailed
from backoffice.i18n import _
from backoffice.kpi import days
from backoffice.validation import typed_decimal

NONE = 'none'  # a 'related' filter's value for "no record" (assignee: nobody)


def trash_conditions(resource: Resource, trash: bool, dialect: str) -> list[ColumnElement[bool]]:
    deleted_at = getattr(resource.model, 'deleted_at', None)
    if not resource.soft_delete or deleted_at is None:
        if trash:
            raise ValidationFailed({'trash': _('{list} have no trash').format(list=shown(resource.label))})
        return []
    if trash:
        return [deleted_at.is_not(None)]
    if dialect == 'sqlite':
        # Nearly every row is live, but SQLite's planner (even after ANALYZE, whose average hides how common NULL is)
        # takes `deleted_at IS NULL` for a selective index lookup and sorts the whole table. The unary + keeps it off
        # that index, so the sort index is used and LIMIT stops early.
        return [literal_column(f'+{resource.model.__tablename__}.deleted_at').is_(None)]
    return [deleted_at.is_(None)]


def filter_conditions(resource: Resource, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    declared = {f.name: f for f in resource.filters}
    conditions = []
    for name, value in filters.items():
        spec = declared.get(name)
        if spec is None:
            raise ValidationFailed({name: _('This list has no such filter')})
        if (
            value is None
            or value == ''
            or (isinstance(value, list | tuple | set) and not any(v not in (None, '') for v in value))
        ):
            continue  # not set
        if spec.condition is not None:  # a date range on what is no column (a date filter's kind, checked at register)
            conditions += _date_range(None, spec, value)
        else:
            conditions += _FILTERS[spec.kind](getattr(resource.model, spec.column or name), spec, value)
    return conditions


def _choice(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    values = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple | set) else [None]
    column_type = attribute.property.columns[0].type
    offered = set(spec.choices or ()) if spec.closed else set()
    allowed = offered or (set(column_type.enums) if isinstance(column_type, Enum) else None)
    for item in values:
        if not isinstance(item, str) or (allowed is not None and item not in allowed):
            among = ', '.join(sorted(allowed or ()))
            raise ValidationFailed({spec.name: _('Choose among: {values}').format(values=among)})
    meanings = spec.meanings or {}
    given = [meanings[item]() for item in values if isinstance(item, str) and item in meanings]  # more than the value
    plain = [item for item in values if item not in meanings]
    if given:
        stored = [attribute == plain[0]] if len(plain) == 1 else [attribute.in_(plain)] if plain else []
        return [or_(*given, *stored)]
    return [attribute == values[0]] if len(values) == 1 else [attribute.in_(values)]


def _yes_no(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if isinstance(value, str) and value.lower() in _WORDS:
        value = _WORDS[value.lower()]
    if not isinstance(value, bool):
        raise ValidationFailed({spec.name: _('Choose yes or no')})
    meaning = (spec.meanings or {}).get('yes' if value else 'no')
    if meaning is not None:  # more than the column's value (a product in the trash is not low in stock)
        return [meaning()]
    return [attribute.is_(true()) if value else attribute.is_(false())]


_WORDS = {'true': True, 'yes': True, '1': True, 'false': False, 'no': False, '0': False}


def _date_range(attribute: InstrumentedAttribute | None, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValidationFailed({spec.name: _('Give a start and an end date (either may be empty)')})
    start, end = (_day(spec, item) for item in value)
    if start and end and start > end:
        raise ValidationFailed({spec.name: _('The start date is after the end date')})
    conditions: list[ColumnElement[bool]] = []
    if attribute is not None and isinstance(attribute.property.columns[0].type, Date):  # days, not instants
        if start:
            conditions.append(attribute >= start)
        if end:
            conditions.append(attribute <= end)
        return conditions
    # an instant's day is the shop's, as the list shows it and the KPIs count it: in Paris an order placed at 23:30
    # on the 4th is the 4th's (the UTC day said the 5th, so a day's orders never added up to that day's turnover)
    zone = formatting.time_zone()
    # from the first day there is: no bound (nor an overflow east of UTC); up to the last day there is: the same
    low = days.bounds(start, zone)[0] if start and start != date.min else None
    high = days.bounds(end, zone)[1] if end and end != date.max else None
    if attribute is None:
        assert spec.condition is not None  # filter_conditions passes no attribute only then
        return [spec.condition(low, high)]
    if low is not None:
        conditions.append(attribute >= low)
    if high is not None:
        conditions.append(attribute < high)
    return conditions


def _day(spec: Filter, value: Any) -> date | None:
    if value in (None, ''):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValidationFailed({spec.name: _('“{value}” is not a date (YYYY-MM-DD)').format(value=value)}) from None


RANGE_SEPARATOR = '..'  # a date filter in a list's address: /orders?placed_at=2026-12-01..2026-12-06


def day_range_from_address(text: str | None) -> tuple[date | None, date | None] | None:
    """A list's date filter as its address gives it: 'FIRST..LAST' (either side may be empty: '2026-12-01..' from the
    1st on) or one day ('2026-12-06', that day only), days in the shop's time zone as the date inputs take them. None
    for anything else (a mistyped or made-up day, '..', a start after the end): the list is then not filtered by it."""
    if not text or len(text) > 2 * 10 + len(RANGE_SEPARATOR):
        return None
    first, separator, last = text.partition(RANGE_SEPARATOR)
    if not separator:
        last = first
    try:
        start = date.fromisoformat(first) if first else None
        end = date.fromisoformat(last) if last else None
    except ValueError:
        return None
    if (start is None and end is None) or (start and end and start > end):
        return None
    return start, end


def day_range_address(first: date | None, last: date | None) -> str:
    """The value `day_range_from_address` reads: '2026-12-06..2026-12-06'."""
    return f'{first.isoformat() if first else ""}{RANGE_SEPARATOR}{last.isoformat() if last else ""}'


def _related(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if value == NONE:  # "assignee: nobody"
        return [spec.related_condition(None) if spec.related_condition else attribute.is_(None)]
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed({spec.name: _('Choose a record')})
    return [spec.related_condition(value) if spec.related_condition else attribute == value]


def _present(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    """Whether a (usually date) column is filled in: "SLA breached: yes" is `sla_breached_at IS NOT NULL`."""
    if isinstance(value, str) and value.lower() in _WORDS:
        value = _WORDS[value.lower()]
    if not isinstance(value, bool):
        raise ValidationFailed({spec.name: _('Choose yes or no')})
    return [attribute.is_not(None) if value else attribute.is_(None)]


def _number_range(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValidationFailed({spec.name: _('Give a lowest and a highest value (either may be empty)')})
    low, high = (_number(spec, item) for item in value)
    if low is not None and high is not None and low > high:
        raise ValidationFailed({spec.name: _('The lowest value is above the highest')})
    return ([attribute >= low] if low is not None else []) + ([attribute <= high] if high is not None else [])


def _number(spec: Filter, value: Any) -> Decimal | None:
    try:
        return typed_number(value)
    except ValueError:
        raise ValidationFailed({spec.name: _('“{value}” is not a number').format(value=value)}) from None


def typed_number(value: Any) -> Decimal | None:
    """A range filter's bound as typed: 12,50 or 12.50 (read as money fields read them), None when empty; else
    ValueError('Enter a number')."""
    if isinstance(value, bool):
        raise ValueError(_('Enter a number'))
    return typed_decimal('' if value is None else str(value))


def _tags(attribute: InstrumentedAttribute, spec: Filter, value: Any) -> list[ColumnElement[bool]]:
    """Records tagged with any of the words: each word as a whole element of the JSON list ('"refund"' within its
    text, quotes included, so 'refund' does not find 'refunds'), written as now (letters as they are) or as before
    (\\u escapes, spaces after commas: backoffice/db.compact_json); tags are stored in lower case."""
    given = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple | set) else [None]
    words = [word for word in given if isinstance(word, str)]
    if len(words) != len(given):
        raise ValidationFailed({spec.name: _('Give one or more tags')})
    wanted = {' '.join(word.split()).lower() for word in words} - {''}
    if not wanted:
        return []
    text = cast(attribute, String)
    return [
        or_(
            *(
                text.like('%' + _escaped(json.dumps(word, ensure_ascii=escapes)) + '%', escape='\\')
                for word in sorted(wanted)
                for escapes in {False, not word.isascii()}
            )
        )
    ]


def _escaped(text: str) -> str:
    return text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


_FILTERS = {
    'choice': _choice,
    'bool': _yes_no,
    'present': _present,
    'date_range': _date_range,
    'related': _related,
    'number_range': _number_range,
    'tags': _tags,
}


def normalized(filters: dict[str, Any]) -> tuple:
    return tuple(
        sorted(
            (name, tuple(value) if isinstance(value, list | tuple | set) else value) for name, value in filters.items()
        )
    )
