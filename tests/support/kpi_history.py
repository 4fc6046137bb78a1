"""KPI history for page tests: daily aggregates written straight into the test database, as the scheduler's refresh
would have left them."""

from __future__ import annotations

from datetime import timedelta

from backoffice.db import session_scope
from backoffice.kpi import days
from backoffice.models import KpiDaily


def seed_turnover(values_by_days_ago: dict[int, float], history_days: int = 14) -> None:
    """Turnover aggregates for every day of the last `history_days` (the shop's history: 0 unless given)."""
    today = days.today('UTC')
    with session_scope() as session:
        for ago in range(history_days):
            value = values_by_days_ago.get(ago, 0.0)
            session.add(KpiDaily(kpi='turnover', day=today - timedelta(days=ago), value=value))
        session.commit()
