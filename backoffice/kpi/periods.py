"""A KPI's value over any span of days from the daily aggregates, in plain Python (no pandas): what goals and alert
rules read, many at once, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from backoffice import formatting
from backoffice.kpi.registry import BY_KEY
from backoffice.models import KpiDaily
from backoffice.services import app_settings

Row = tuple[float | None, float | None, float | None]  # value, numerator, denominator


def daily(*, session: Session, keys: Iterable[str], first: date, last: date) -> dict[str, dict[date, Row]]:
    """The aggregates of these KPIs over [first, last], by KPI then day: one indexed read."""
    wanted = sorted(set(keys))
    result: dict[str, dict[date, Row]] = {key: {} for key in wanted}
    if not wanted:
        return result
    rows = session.execute(
        select(
            col(KpiDaily.kpi),
            col(KpiDaily.day),
            col(KpiDaily.value),
            col(KpiDaily.numerator),
            col(KpiDaily.denominator),
        ).where(col(KpiDaily.kpi).in_(wanted), col(KpiDaily.day) >= first, col(KpiDaily.day) <= last)
    )
    for key, day, value, numerator, denominator in rows:
        result[key][day] = (value, numerator, denominator)
    return result


def value_over(key: str, by_day: dict[date, Row], first: date, last: date) -> float | None:
    """The KPI over [first, last] as the dashboard's cards add days up: a sum, the last known level, or
    Σnumerator / Σdenominator for a ratio; None when no day of the span has a value."""
    kpi = BY_KEY[key]
    span = [(day, row) for day, row in by_day.items() if first <= day <= last]
    if kpi.period == 'ratio':
        numerator = sum(row[1] or 0 for _day, row in span)
        denominator = sum(row[2] or 0 for _day, row in span)
        if not denominator:
            return None
        scale = 1 if kpi.unit == 'money' else 100
        return round(scale * numerator / denominator, 2)
    known = [(day, row[0]) for day, row in span if row[0] is not None]
    if not known:
        return None
    if kpi.period == 'last':
        return float(max(known)[1])
    return round(sum(value for _day, value in known), 2)


def shown(key: str, value: float | None) -> str:
    """A value of this KPI as a person reads it: money, a percentage or a count."""
    unit = BY_KEY[key].unit
    if value is None:
        return '—'
    if unit == 'money':
        return formatting.money(value, app_settings.cached('currency'))
    if unit == 'percent':
        return formatting.kpi_percent(value)
    return formatting.number(value)
