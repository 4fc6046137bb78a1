"""Editing what was only created or deleted before: a key result (title, measure, baseline, target, direction) and an
alert rule (name, KPI, condition, value, days, who is told), on their pages and through the services — a stale form is
refused with a conflict message, bad input is refused at its field with nothing written, hostile text stays text, a
role without the permission is refused by the service; money KPIs read as money."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import AlertRule, AuditEntry, KeyResult
from backoffice.services import alerts, goals

from .support.factories import make_user
from .support.goals import make_objective, make_rule, put_daily, today
from .support.signin import signed_in

HOSTILE = 'Grow "fast": <script>alert(1)</script> Zoë'
TURNOVER = {'title': 'Turnover', 'kpi': 'turnover', 'baseline': 0, 'target': 1000, 'direction': 'increase'}


def a_key_result(manager):
    _objective, (result_id,) = make_objective(
        manager, 'Q', today() - timedelta(days=10), today() + timedelta(days=20), TURNOVER
    )
    return result_id


def stored_result(result_id: int) -> KeyResult:
    with read_session() as session:
        return session.get(KeyResult, result_id)


def test_a_key_result_is_edited_once_and_a_stale_form_is_refused() -> None:
    manager = make_user('manager')
    result_id = a_key_result(manager)
    changed = {**TURNOVER, 'title': HOSTILE, 'baseline': '100', 'target': '2500.5'}
    with session_scope() as session:
        goals.update_key_result(session=session, actor=manager, key_result_id=result_id, data=changed, version=1)
    saved = stored_result(result_id)
    assert (saved.title, saved.baseline, saved.target, saved.version) == (HOSTILE, 100, 2500.5, 2)
    with session_scope() as session, pytest.raises(StaleRecord):
        goals.update_key_result(session=session, actor=manager, key_result_id=result_id, data=TURNOVER, version=1)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        goals.update_key_result(
            session=session,
            actor=manager,
            key_result_id=result_id,
            data={**TURNOVER, 'direction': 'decrease'},
            version=2,
        )
    assert 'target' in refused.value.errors
    with session_scope() as session, pytest.raises(PermissionDenied):
        goals.update_key_result(
            session=session, actor=make_user('agent'), key_result_id=result_id, data=TURNOVER, version=2
        )
    assert stored_result(result_id).title == HOSTILE  # nothing half-written
    with read_session() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'key_result.updated')).one()


def test_an_alert_rule_is_edited_and_a_stale_form_is_refused() -> None:
    manager = make_user('manager')
    rule = make_rule(manager, name='Low sales', kind='below', threshold=50)
    data = {'name': HOSTILE, 'kpi': 'orders', 'kind': 'above', 'threshold': '12,5', 'window_days': 7}
    with session_scope() as session:
        alerts.update_rule(session=session, actor=manager, rule_id=rule.id, data=data, version=rule.version)
    with read_session() as session:
        saved = session.get(AlertRule, rule.id)
    assert (saved.name, saved.kpi, saved.kind, saved.threshold, saved.window_days) == (
        HOSTILE,
        'orders',
        'above',
        12.5,
        7,
    )
    with session_scope() as session, pytest.raises(StaleRecord):
        alerts.update_rule(session=session, actor=manager, rule_id=rule.id, data=data, version=rule.version)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        alerts.update_rule(
            session=session, actor=manager, rule_id=rule.id, data={**data, 'threshold': 'lots'}, version=saved.version
        )
    assert 'threshold' in refused.value.errors
    with session_scope() as session, pytest.raises(PermissionDenied):
        alerts.update_rule(
            session=session, actor=make_user('viewer'), rule_id=rule.id, data=data, version=saved.version
        )


async def test_a_manager_edits_a_key_result_on_the_goals_page_and_money_reads_as_money(user: User) -> None:
    manager = make_user('manager')
    put_daily('turnover', {1: 1250.0})
    result_id = a_key_result(manager)
    await signed_in(user, manager.email, path='/goals')
    await user.should_see('€1,250.00')  # the current value of a money KPI, as money
    user.find(marker=f'edit-key-result-{result_id}').click()
    await user.should_see('Edit the key result "Turnover"')
    user.find(marker='key-result-title').clear().type(HOSTILE)
    user.find(marker='key-result-target').clear().type('5000')
    user.find(marker='save-key-result').click()
    await user.should_see('Key result saved.')
    await user.should_see(HOSTILE)
    saved = stored_result(result_id)
    assert (saved.title, saved.target) == (HOSTILE, 5000)


async def test_a_manager_edits_an_alert_rule_on_the_alerts_page(user: User) -> None:
    manager = make_user('manager')
    rule = make_rule(manager, name='Low sales', kind='below', threshold=1500)
    await signed_in(user, manager.email, path='/alerts')
    user.find(marker=f'edit-rule-{rule.id}').click()
    await user.should_see('Edit rule')
    assert user.find(marker='rule-threshold').elements.pop().value == '1500'
    user.find(marker='rule-name').clear().type(HOSTILE)
    user.find(marker='save-rule').click()
    await user.should_see('Rule saved.')
    await user.should_see(HOSTILE)
    with read_session() as session:
        assert session.get(AlertRule, rule.id).name == HOSTILE
