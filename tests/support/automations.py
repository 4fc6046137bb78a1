"""Automation rules made through the service, dry-run and switched on as a person would, and what their runs left."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.models import AutomationRule, AutomationRun, CannedReply, User
from backoffice.resources import resource
from backoffice.services import automations, crud


def make_automation(actor: User, *, enable_on: int | None = None, **data: Any) -> AutomationRule:
    """A rule (`event`, `conditions`, `actions`, `name`, `stop`); with `enable_on` (a record id) it is dry-run
    against that record and switched on."""
    values: dict[str, Any] = {'name': 'Rule', 'conditions': [], 'stop': False}
    values.update(data)
    with session_scope() as session:
        rule = automations.create_rule(session=session, actor=actor, data=values)
    if enable_on is not None:
        rule = switch_on(actor, rule.id, enable_on)
    return rule


def switch_on(actor: User, rule_id: int, record_id: int) -> AutomationRule:
    with session_scope() as session:
        automations.dry_run(session=session, actor=actor, rule_id=rule_id, record_id=record_id)
    with session_scope() as session:
        return automations.set_enabled(session=session, actor=actor, rule_id=rule_id, enabled=True)


def runs_of(rule_id: int | None = None, *, dry: bool = False) -> list[AutomationRun]:
    """The runs logged, oldest first (real runs, or dry runs)."""
    with read_session() as session:
        statement = select(AutomationRun).where(col(AutomationRun.dry_run).is_(dry)).order_by(col(AutomationRun.id))
        if rule_id is not None:
            statement = statement.where(AutomationRun.rule_id == rule_id)
        return list(session.exec(statement))


def make_template(title: str, body: str) -> CannedReply:
    with session_scope() as session:
        return crud.create_record(
            session=session,
            actor=None,
            system=True,
            resource=resource('canned-replies'),
            data={'title': title, 'body': body},
        )
