"""What every ready report shares: the filters it takes (`Params`), the table it answers (`Table`: columns, rows,
totals, a chart's description), how a value of each kind reads for a person, and the shop's days and months."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Integer, func, type_coerce
from sqlmodel import Session

from backoffice import formatting
from backoffice.errors import ValidationFailed
from backoffice.i18n import _
from backoffice.kpi.days import bounds

if TYPE_CHECKING:  # pandas (with numpy, ~0.3 s of CPU) is imported by the first report computed, not at start
    import pandas as pd

Kind = Literal['text', 'number', 'money', 'percent', 'rate', 'hours', 'decimal', 'day', 'month']
Grain = Literal['day', 'week', 'month']
MAX_DAYS = 3 * 366  # a report reads at most three years of rows at once


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # an English msgid (N_), translated where shown
    kind: Kind = 'text'
    n: int | None = None  # fills the label's {n} ('Month {n}')
    phone: bool = False  # shown on a phone too (the first column always is)


def heading(column: Column) -> str:
    """A column's label in the reader's language."""
    return _(column.label).format(n=column.n) if column.n is not None else _(column.label)


@dataclass(frozen=True)
class Chart:
    """What to draw: `kind` bar (one bar per row), hbar (horizontal, long labels), line (rows in time order) or
    curves (one line per row over the `series` columns: cohorts); `x` the label column, `series` the value columns."""

    kind: Literal['bar', 'hbar', 'line', 'curves']
    x: str
    series: tuple[str, ...]
    unit: str = ''  # N_: what the values axis counts when the series do not say it ('Hours')


@dataclass
class Table:
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    chart: Chart
    currency: str
    totals: dict[str, Any] | None = None  # the "Total" row, when adding up means something
    notes: list[str] = field(default_factory=list)  # in the reader's language, already translated
    chart_rows: list[dict[str, Any]] | None = None  # what the chart draws when it is not the table's rows


@dataclass(frozen=True)
class Params:
    """A report's filters; each report reads the ones it declares."""

    first: date
    last: date
    group: str = 'product'  # sales: product, category or period
    grain: Grain = 'month'  # sales by period: day, week or month
    category_id: int | None = None
    agent_id: int | None = None
    at: date | None = None  # stock valuation: at the end of this day (None: now)


def frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    """Rows of a query as a DataFrame: plain tuples first (pandas inspects a Row object cell by cell, 5x slower)."""
    import pandas as pd

    return pd.DataFrame.from_records([tuple(row) for row in rows], columns=columns)


def checked(params: Params) -> Params:
    """The filters as a person typed them, refused at their field when they make no sense."""
    errors: dict[str, str] = {}
    if params.first > params.last:
        errors['first'] = _('The first day must be on or before the last day.')
    elif (params.last - params.first).days >= MAX_DAYS:
        errors['first'] = _('Choose a period of at most three years.')
    if params.group not in ('product', 'category', 'period'):
        errors['group'] = _('Choose product, category or period.')
    if params.grain not in ('day', 'week', 'month'):
        errors['grain'] = _('Choose day, week or month.')
    if errors:
        raise ValidationFailed(errors)
    return params


def span(params: Params, zone: str) -> tuple[datetime, datetime]:
    """[start of the first day, end of the last day) as aware UTC instants."""
    return bounds(params.first, zone)[0], bounds(params.last, zone)[1]


def local_times(values: pd.Series, zone: str) -> pd.Series:
    """Stored instants (aware UTC, or naive UTC as SQLite may give them back) in the shop's time zone."""
    import pandas as pd

    return pd.to_datetime(values, utc=True).dt.tz_convert(zone)


def period_start(local: pd.Series, grain: Grain) -> pd.Series:
    """Each local instant's day, the Monday of its week, or the first of its month (as dates)."""
    import pandas as pd

    days = local.dt.tz_localize(None).dt.normalize()
    if grain == 'week':
        days = days - pd.to_timedelta(days.dt.day_of_week, unit='D')
    elif grain == 'month':
        days = days - pd.to_timedelta(days.dt.day - 1, unit='D')
    return days.dt.date


def period_label(start: date, grain: Grain) -> str:
    if grain == 'month':
        return formatting.month(start)
    if grain == 'week':
        return _('Week of {day}').format(day=formatting.day(start))
    return formatting.day(start)


def periods_between(first: date, last: date, grain: Grain) -> list[date]:
    """Every period start from the one holding `first` to the one holding `last` (a quiet week still shows)."""
    if grain == 'month':
        start, out = first.replace(day=1), []
        while start <= last:
            out.append(start)
            start = (start + timedelta(days=32)).replace(day=1)
        return out
    step = 7 if grain == 'week' else 1
    start = first - timedelta(days=first.weekday()) if grain == 'week' else first
    return [start + timedelta(days=n) for n in range(0, (last - start).days + 1, step)]


def hours_between(session: Session, later: Any, earlier: Any) -> Any:
    """SQL for the hours from one instant to another (NULL when either is): on SQLite instants are microseconds
    since the epoch (UTCTimestamp), on PostgreSQL the epoch of the interval."""
    if session.get_bind().dialect.name == 'postgresql':
        return func.extract('epoch', later - earlier) / 3600.0
    return (type_coerce(later, Integer) - type_coerce(earlier, Integer)) / 3_600_000_000.0


def cell(row: dict[str, Any], column: Column, currency: str) -> str:
    """A table cell as a person reads it; a totals row leaves blank what it does not add up."""
    if column.key not in row:
        return ''
    return show(row[column.key], column.kind, currency)


def show(value: Any, kind: Kind, currency: str) -> str:
    """A cell as a person reads it, in their language; a missing value is a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):  # NaN: pandas's missing number
        return formatting.NOTHING
    if isinstance(value, str):  # a label, or the totals row's "Total"
        return value
    if kind == 'money':
        return formatting.money(value, currency)
    if kind == 'day':
        return formatting.day(value)
    if kind == 'month':
        return formatting.month(value)
    if kind == 'number':
        return formatting.number(value, 0)
    if kind == 'decimal':
        return formatting.number(value, 2)
    if kind == 'percent':
        return formatting.percent(value, 1)
    if kind == 'rate':
        return formatting.percent(value, 1 if Decimal(str(value)) * 1000 % 10 else 0)
    if kind == 'hours':
        return _('{hours} h').format(hours=formatting.number(value, 1))
    return str(value)


def cents(value: Any) -> Decimal:
    """A sum of money rounded to the cent, as a Decimal (pandas adds floats)."""
    return Decimal(str(round(float(value), 2))).quantize(Decimal('0.01')) + Decimal('0.00')
