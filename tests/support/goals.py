"""Goals and alerts in tests: daily KPI values written by hand (so progress and firings can be computed by hand),
objectives with key results, and alert rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from backoffice.db import session_scope
from backoffice.kpi import days
from backoffice.models import KpiDaily
from backoffice.services import alerts, goals


def today() -> date:
    return days.today('UTC')


def put_daily(key: str, values: dict[int, float], **ratio: dict[int, tuple[float, float]]) -> None:
    """KPI values by days ago (0 = today), replacing what was there."""
    with session_scope() as session:
        for ago, value in values.items():
            session.merge(KpiDaily(kpi=key, day=today() - timedelta(days=ago), value=value))
        session.commit()


def make_objective(actor, title: str, first: date, last: date, *results: dict[str, Any], owner_id: int | None = None):
    with session_scope() as session:
        objective = goals.create_objective(
            session=session,
            actor=actor,
            data={'title': title, 'owner_id': owner_id or actor.id, 'first_day': first, 'last_day': last},
        )
    ids = []
    for data in results:
        with session_scope() as session:
            ids.append(goals.add_key_result(session=session, actor=actor, objective_id=objective.id, data=data).id)
    return objective, ids


def make_rule(actor, **data: Any):
    values = {'name': 'Rule', 'kpi': 'turnover', 'kind': 'above', 'threshold': 100, 'window_days': 1}
    values.update(data)
    with session_scope() as session:
        return alerts.create_rule(session=session, actor=actor, data=values)
