"""Everything the loyalty extension adds, registered through the core's hooks (backoffice/extension_hooks.py)."""

from __future__ import annotations

from typing import Any

from backoffice.automation_actions import ActionInput, ExtensionAction
from backoffice.config import Settings
from backoffice.db import session_scope
from backoffice.i18n import N_, _
from backoffice.kpi.registry import Kpi
from backoffice_loyalty import HERE, demo, ledger
from backoffice_loyalty.declaration import LOYALTY

AREA = N_('Loyalty')


def register(hooks: Any) -> None:
    hooks.permission('loyalty.read', N_('See loyalty points'), area=AREA, roles=('admin', 'manager', 'agent', 'viewer'))
    hooks.permission('loyalty.write', N_('Adjust loyalty points by hand'), area=AREA, roles=('admin', 'manager'))
    hooks.resource(LOYALTY)
    hooks.kpi(
        Kpi(
            'loyalty_points_issued',
            N_('Points issued'),
            'count',
            N_('Loyalty points given that day: for paid orders, by automations and by hand (not those taken back).'),
            ledger.points_issued,
            ('orders',),  # awarded for orders; the nightly recompute catches adjustments made by hand
            lookback_days=lambda definitions: 2,
        )
    )
    hooks.job('loyalty-award', award_job, 'cron', title=N_('Award loyalty points for paid orders'), hour=1, minute=37)
    hooks.automation_action(
        ExtensionAction(
            key='loyalty_award',
            label=N_('Award loyalty points'),
            record_types=frozenset({'order', 'customer'}),
            inputs=(ActionInput('value', N_('Points'), 'number'), ActionInput('text', N_('Reason'))),
            check=_check_award,
            describe=lambda session, action: _('Award {points} loyalty points').format(points=action.get('value')),
            perform=_perform_award,
        )
    )
    hooks.router('backoffice_loyalty.api:router')  # imported once every resource is declared
    hooks.pages('backoffice_loyalty.pages')
    hooks.translations(HERE / 'locale')
    hooks.demo_data(demo.seed_demo)  # points for the demo shop's paid orders: its KPI is not 0 on a fresh demo


def award_job(settings: Settings) -> int:
    """Nightly: points for the orders paid since (each order once, however often it runs)."""
    with session_scope() as session:
        return ledger.award_for_paid_orders(session=session)


def _check_award(session: Any, action: dict[str, Any], record_type: str) -> dict[str, str]:
    try:
        points = int(str(action.get('value') or '').strip())
    except ValueError:
        return {'value': _('Enter a whole number of points')}
    if not 1 <= points <= 100_000:
        return {'value': _('Between 1 and 100,000 points')}
    if len(str(action.get('text') or '').strip()) > 200:
        return {'text': _('Keep it under 200 characters')}
    return {}


def _perform_award(session, actor, rule, action, record, trigger, index) -> None:
    customer_id = record.id if record.type == 'customer' else int(record.values['customer_id'])
    reason = str(action.get('text') or '').strip() or _('Automation: {rule}').format(rule=rule.name)
    ledger.award(
        session=session,
        actor=actor,
        customer_id=customer_id,
        points=int(action['value']),
        reason=reason,
        award_key=f'automation:{trigger.id}:{rule.id}:{index}',
    )
