"""Extensions: the example `loyalty_points` found through its entry point and served like the core's own parts — its
screen (adjust points by hand, audited), its API (the resource routes and its own balance route, scoped keys), its
KPI, its nightly job (run twice, awards once), its automation action (dry run and live), its migration and French; and
a broken extension stops the start with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from backoffice_loyalty import ledger
from backoffice_loyalty.models import LoyaltyEntry
from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlmodel import select

from backoffice import db, extension_hooks, extensions, i18n, permissions
from backoffice.api.routes import ROUTERS
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES
from backoffice.kpi import refresh
from backoffice.kpi.registry import BY_KEY
from backoffice.models import AuditEntry, AutomationRule, KpiDaily, utcnow
from backoffice.runtime import ratelimit
from backoffice.runtime.scheduler import JOBS
from backoffice.services import api_keys, automation_runner, automations, crud

from .support.api import api_client, bearer
from .support.automations import make_automation, runs_of
from .support.factories import make_customer, make_product, make_role, make_user, pay, place
from .support.instants import bound
from .support.signin import signed_in
from .support.waiting import eventually

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = 'Geste "commercial": <script>alert(1)</script> — déjà vu'


@pytest.fixture(autouse=True)
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(10**6, 60.0))


def entries() -> list[LoyaltyEntry]:
    with read_session() as session:
        return list(session.exec(select(LoyaltyEntry).order_by('id')))


def test_the_example_is_found_by_its_entry_point_and_registers_every_part() -> None:
    assert [e.name for e in extensions.discover()] == ['loyalty_points']
    assert [e.name for e in extension_hooks.installed()] == ['loyalty_points']
    assert 'loyalty-points' in RESOURCES
    assert 'loyalty_points_issued' in BY_KEY
    assert any(job.name == 'loyalty-award' for job in JOBS)
    assert 'loyalty_award' in automations.ACTIONS
    assert permissions.AREAS['Loyalty'] == ('loyalty.read', 'loyalty.write')
    assert 'loyalty.write' in permissions.permissions_of('manager')
    assert 'loyalty.write' not in permissions.permissions_of('agent')
    assert any(
        getattr(r, 'path', '') == '/api/v1/loyalty/balance/{customer_id}' for router in ROUTERS for r in router.routes
    )
    with i18n.use('fr'):
        assert i18n._('Loyalty points') == 'Points de fidélité'
    assert db.schema_is_current()
    with read_session() as session:  # its migration ran with the core's (upgrade heads)
        assert session.exec(select(LoyaltyEntry)).all() == []


def test_the_nightly_job_awards_each_paid_order_once_however_often_it_runs() -> None:
    admin = make_user('admin')
    make_product('SKU-1', '30.50', stock_on_hand=9, actor=admin)
    paid, unpaid = place(('SKU-1', 2), email='ana@example.com'), place(('SKU-1', 1), email='bo@example.com')
    pay(admin, paid)
    job = next(job for job in JOBS if job.name == 'loyalty-award')

    assert job.run(get_settings()) == 1
    assert job.run(get_settings()) == 0  # run twice: awarded once
    (entry,) = entries()
    assert (entry.customer_id, entry.points, entry.kind, entry.order_id) == (
        paid.customer_id,
        int(paid.total),
        'order',
        paid.id,
    )
    pay(admin, unpaid)
    assert job.run(get_settings()) == 1
    assert len(entries()) == 2
    with read_session() as session:
        assert ledger.balance(session=session, actor=admin, customer_id=paid.customer_id) == int(paid.total)
    refresh.recompute(keys=['loyalty_points_issued'])  # the nightly recompute, as for the core's KPIs
    with read_session() as session:
        values = session.exec(select(KpiDaily.value).where(KpiDaily.kpi == 'loyalty_points_issued')).all()
    assert sum(value or 0 for value in values) == sum(e.points for e in entries())


def test_an_adjustment_by_hand_needs_a_reason_and_the_permission_and_is_audited() -> None:
    manager, agent = make_user('manager'), make_user('agent')
    customer = make_customer('cleo@example.com', name='Cléo')
    resource = RESOURCES['loyalty-points']
    with session_scope() as session, pytest.raises(permissions.PermissionDenied):
        crud.create_record(
            session=session,
            actor=agent,
            resource=resource,
            data={'customer_id': customer.id, 'points': 5, 'reason': 'x'},
        )
    from backoffice.errors import ValidationFailed

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(
            session=session,
            actor=manager,
            resource=resource,
            data={'customer_id': customer.id, 'points': 0, 'reason': ''},
        )
    assert set(refused.value.errors) >= {'points', 'reason'}
    assert entries() == []  # nothing half-written
    with session_scope() as session:
        crud.create_record(
            session=session,
            actor=manager,
            resource=resource,
            data={'customer_id': customer.id, 'points': -7, 'reason': HOSTILE},
        )
    (entry,) = entries()
    assert (entry.points, entry.reason, entry.kind) == (-7, HOSTILE, 'manual')
    with read_session() as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.entity == 'loyalty-points')).one()
    assert audit.actor_id == manager.id


async def test_the_api_serves_the_ledger_and_a_balance_to_a_scoped_key_only() -> None:
    manager = make_user('manager', email='mgr@example.com')
    customer = make_customer('dana@example.com')
    with session_scope() as session:
        _key, reader = api_keys.create_key(
            session=session, actor=None, system=True, name='Shop', scopes=('read:loyalty-points',), acting_as=manager
        )
        _key, writer = api_keys.create_key(
            session=session, actor=None, system=True, name='Shop', scopes=('write:loyalty-points',), acting_as=manager
        )
        _key, other = api_keys.create_key(
            session=session, actor=None, system=True, name='Shop', scopes=('read:customers',), acting_as=manager
        )
    async with api_client(*ROUTERS) as client:
        made = await client.post(
            '/api/v1/loyalty-points',
            json={'customer_id': customer.id, 'points': 40, 'reason': HOSTILE},
            headers=bearer(writer),
        )
        assert made.status_code == 201, made.text
        balance = await client.get(f'/api/v1/loyalty/balance/{customer.id}', headers=bearer(reader))
        assert balance.json() == {'customer_id': customer.id, 'points': 40}
        listed = await client.get('/api/v1/loyalty-points', headers=bearer(reader))
        assert [item['reason'] for item in listed.json()['items']] == [HOSTILE]
        assert (await client.get(f'/api/v1/loyalty/balance/{customer.id}', headers=bearer(other))).status_code == 403
        assert (await client.get(f'/api/v1/loyalty/balance/{customer.id}')).status_code == 401
        assert (await client.get('/api/v1/loyalty/balance/999999', headers=bearer(reader))).status_code == 404
        assert (
            await client.post(
                '/api/v1/loyalty-points',
                json={'customer_id': customer.id, 'points': 0, 'reason': 'r'},
                headers=bearer(writer),
            )
        ).status_code == 422
    assert [e.points for e in entries()] == [40]


def test_the_award_action_is_dry_run_then_awards_once_per_run() -> None:
    automation_runner.wire()  # core events queue triggers (main.py wires this at start)
    admin = make_user('admin')
    make_product('SKU-1', '12.00', stock_on_hand=9, actor=admin)
    sample = place(('SKU-1', 1), email='eve@example.com')
    with session_scope() as session, pytest.raises(Exception) as refused:
        automations.create_rule(
            session=session,
            actor=admin,
            data={
                'name': 'Bonus',
                'event': 'order.paid',
                'conditions': [],
                'stop': False,
                'actions': [{'kind': 'loyalty_award', 'value': 'many'}],
            },
        )
    assert 'whole number' in str(getattr(refused.value, 'errors', refused.value))
    rule = make_automation(
        admin,
        name='Bonus',
        event='order.paid',
        actions=[{'kind': 'loyalty_award', 'value': '25', 'text': HOSTILE}],
        enable_on=sample.id,
    )
    (dry,) = runs_of(rule.id, dry=True)
    assert dry.actions[0]['detail'] == 'Award 25 loyalty points'
    assert entries() == []  # the dry run changed nothing
    pay(admin, sample)
    automation_runner.run_pending()
    automation_runner.run_pending()
    (entry,) = entries()
    assert (entry.points, entry.reason, entry.kind, entry.customer_id) == (
        25,
        HOSTILE,
        'automation',
        sample.customer_id,
    )
    assert runs_of(rule.id)[-1].actions[0]['done'] is True


async def test_the_screen_lists_the_ledger_and_adjusts_points_by_hand(user: SimulatedUser) -> None:
    manager = make_user('manager', email='m@example.com')
    customer = make_customer('fay@example.com', name='Fay')
    with session_scope() as session:
        ledger.award(session=session, actor=manager, customer_id=customer.id, points=12, reason='Welcome')
    await signed_in(user, manager.email, path='/loyalty')
    await user.should_see('Loyalty points')
    await user.should_see('Fay · 12')
    user.find('Adjust points').click()
    user.find(kind=ui.select, content='Customer *').elements.pop().set_value(customer.id)
    user.find('Points *').type('-5')
    user.find('Reason *').type(HOSTILE)
    user.find('Save the adjustment').click()
    await eventually(lambda: [e.points for e in entries()] == [12, -5])
    assert entries()[-1].reason == HOSTILE
    await user.should_see('Points adjusted')


async def test_an_agent_reads_the_screen_without_adjusting(user: SimulatedUser) -> None:
    agent = make_user('agent', email='a@example.com')
    await signed_in(user, agent.email, path='/loyalty')
    await user.should_see('Loyalty points')
    await user.should_not_see('Adjust points')


async def test_a_role_without_the_permission_is_refused_the_screen(user: SimulatedUser) -> None:
    desk = make_role('tickets.read', name='Desk only')
    person = make_user(desk.key, email='d@example.com')
    await signed_in(user, person.email, path='/loyalty')
    await user.should_see("You don't have access to this page")
    await user.should_not_see('Most points')


def test_a_broken_extension_stops_the_start_with_its_name(tmp_path: Path) -> None:
    broken = tmp_path / 'extensions' / 'broken_thing'
    broken.mkdir(parents=True)
    (broken / '__init__.py').write_text('import a_module_that_is_not_there\n')
    with pytest.raises(extensions.ExtensionError, match="Extension 'broken_thing' could not be loaded: ModuleNotFound"):
        extensions.find([], [tmp_path / 'extensions'])
    env = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
    env['BACKOFFICE_EXTENSIONS_PATH'] = str(tmp_path / 'extensions')
    started = subprocess.run(
        [sys.executable, '-m', 'backoffice', 'migrate'], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert started.returncode != 0
    assert "Extension 'broken_thing' could not be loaded" in started.stderr
    assert 'Traceback' not in started.stderr
    served = subprocess.run([sys.executable, 'main.py'], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert served.returncode == 1
    assert "Cannot start: Extension 'broken_thing' could not be loaded: ModuleNotFoundError" in served.stderr
    assert 'Traceback' not in served.stderr


def test_a_bad_declaration_names_its_extension() -> None:
    from backoffice.extensions import Extension

    def register(hooks) -> None:
        hooks.kpi(BY_KEY['orders'])  # a key the core uses already

    with pytest.raises(extensions.ExtensionError, match="Extension 'clash' could not register its parts: ValueError"):
        extension_hooks._installed.clear()
        try:
            extension_hooks.install((Extension(name='clash', register=register),))
        finally:
            extension_hooks._installed[:] = list(extensions.discover())


async def test_the_rule_form_offers_the_award_action_with_its_inputs(user: SimulatedUser) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/automations')
    await user.should_see('No automation rules yet.', retries=30)
    user.find(marker='new-automation').click()
    user.find(marker='automation-name').type(HOSTILE)
    user.find(marker='automation-event').elements.pop().set_value('order.paid')
    await user.should_see(marker='action-value-0')  # the form redrawn for orders: "Set status" and its Status
    user.find(marker='action-kind-0').elements.pop().set_value('loyalty_award')
    await user.should_see(marker='action-value-0', kind=ui.input)  # the action's own inputs replaced the status's
    user.find(marker='action-value-0', kind=ui.input).type('lots')
    user.find(marker='save-automation').click()
    await user.should_see('Enter a whole number of points', retries=30)
    user.find(marker='action-value-0', kind=ui.input).clear().type('25')
    user.find(marker='action-text-0').type(HOSTILE)
    user.find(marker='save-automation').click()
    await user.should_see('Then: Award 25 loyalty points', retries=30)
    with read_session() as session:
        (rule,) = session.exec(select(AutomationRule)).all()
    assert rule.actions == [{'kind': 'loyalty_award', 'value': '25', 'text': HOSTILE}]


def test_make_migration_writes_on_the_core_branch_beside_the_extensions() -> None:
    newest = max(path.name[:4] for path in (db.MIGRATIONS / 'versions').glob('[0-9][0-9][0-9][0-9]_*.py'))
    config = db.alembic_config()
    assert db.core_head(config) == newest  # the core's head, though the loyalty branch is a head too
    from alembic.script import ScriptDirectory

    assert set(ScriptDirectory.from_config(config).get_heads()) == {newest, 'loyalty_0001'}


async def test_the_job_runs_with_the_core_jobs_and_keeps_its_history() -> None:
    from backoffice.models import JobRun
    from backoffice.runtime.scheduler import Job, JobRunner

    loyalty = next(job for job in JOBS if job.name == 'loyalty-award')
    runner = JobRunner(get_settings(), jobs=[Job(loyalty.name, loyalty.run, 'date', {})])  # once, at once
    await runner.start()
    try:

        def recorded() -> list[tuple[str, str]]:
            with read_session() as session:
                return [(r.job, r.outcome) for r in session.exec(select(JobRun))]

        await eventually(lambda: recorded() == [('loyalty-award', 'ok')], message='its run recorded')
    finally:
        await runner.stop()


def test_the_demo_seed_gives_points_for_paid_orders_on_the_day_each_was_paid_once() -> None:
    """A fresh demo showed "Points issued" 0: the extension gives its demo data through the core's demo hook."""
    admin = make_user('admin')
    make_product('SKU-1', '30.50', stock_on_hand=9, actor=admin)
    order = place(('SKU-1', 2), email='ana@example.com')
    pay(admin, order)
    paid_on = (utcnow() - timedelta(days=5)).replace(hour=12, minute=0, second=0, microsecond=0)
    with session_scope() as session:
        session.execute(
            bound('UPDATE orders SET paid_at = :at, placed_at = :at WHERE id = :id', at=paid_on, id=order.id)
        )
        session.commit()
    with session_scope() as session:
        lines = extension_hooks.seed_demo(session, 1)
    assert lines[0].startswith('Loyalty points: 1 paid orders awarded, 24 adjustments by hand')
    awarded = [e for e in entries() if e.kind == 'order']
    assert [(e.order_id, e.points, e.created_at) for e in awarded] == [(order.id, int(order.total), paid_on)]
    assert len([e for e in entries() if e.kind == 'manual']) == 24
    with session_scope() as session:
        assert extension_hooks.seed_demo(session, 1) == []  # seeded again: nothing more
    refresh.recompute(keys=['loyalty_points_issued'])
    with read_session() as session:
        that_day = session.exec(
            select(KpiDaily.value).where(KpiDaily.kpi == 'loyalty_points_issued', KpiDaily.day == paid_on.date())
        ).all()
    assert that_day and that_day[0] >= int(order.total)  # the KPI's history, not all on the day of the seed
