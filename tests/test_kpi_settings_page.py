"""The KPIs section of /settings as the owner uses it: a definition changed, its dated record, the history recomputed
in the background with visible progress, the KPI jobs' runs, and the snippet for the front office."""

from __future__ import annotations

from datetime import timedelta

from nicegui.testing import User
from sqlmodel import select

from backoffice.config import reload_settings
from backoffice.db import get_engine, read_session, session_scope
from backoffice.kpi import days, definitions, refresh
from backoffice.models import EventType, KpiDaily, KpiDefinition, KpiJobRun, UsageEvent, utcnow
from backoffice.runtime.scheduler import Job, JobRunner

from .support.factories import make_user
from .support.plans import let_the_page_run, reading, statements_during
from .support.signin import signed_in


async def test_the_owner_changes_what_an_active_user_is_and_the_history_follows(user: User) -> None:
    with session_scope() as session:  # the shop's first event two days ago, and a value to be recomputed
        at = days.bounds(days.today('UTC') - timedelta(days=2), 'UTC')[0] + timedelta(hours=1)
        session.add(UsageEvent(client_id='first', type=EventType.login, ts=at, customer_id=None, anonymous_id='a'))
        session.add(KpiDaily(kpi='active_users', day=days.today('UTC') - timedelta(days=2), value=99))
        session.commit()
    refresh.run_job('kpi-refresh', lambda: 3)
    owner = make_user('admin')
    with statements_during(get_engine()) as seen:
        await signed_in(user, owner.email, path='/settings')
        await let_the_page_run()
    # one read of the job runs for the page: the progress line and the runs' table (not again as the page connects)
    assert len(reading(seen, 'kpi_job_runs')) == 1
    await user.should_see('KPI definitions')
    await user.should_see('The defaults, never changed.')
    await user.should_see('PASTE-AN-EVENTS-ONLY-API-KEY')  # the snippet, ready to copy
    assert [row['job'] for row in user.find(marker='kpi-jobs').elements.pop().rows] == ['Refresh today’s KPIs']

    next(iter(user.find('Events needed to count as active').elements)).value = 3
    user.find('Save definitions').click()
    await user.should_see('Definitions saved; recomputing the history in the background')
    await user.should_see('History recomputed', retries=100)
    await user.should_see('Customers with at least 3 events')

    with read_session() as session:
        record = session.exec(select(KpiDefinition)).one()
        recomputed = session.exec(select(KpiDaily).where(KpiDaily.kpi == 'active_users')).all()
    assert (record.values['active_min_events'], record.changed_by) == (3, owner.email)
    assert {row.value for row in recomputed} == {0}  # no customer's events: nobody is active, the 99 is gone
    assert len(recomputed) == 3  # from the oldest recorded day to today


async def test_a_definition_out_of_range_is_refused_at_its_field(user: User) -> None:
    owner = make_user('admin')
    await signed_in(user, owner.email, path='/settings')
    await user.should_see('KPI definitions')
    next(iter(user.find('Which events count as activity').elements)).value = []
    user.find('Save definitions').click()
    await user.should_see('Choose at least one of the listed event types')


async def test_a_kpi_refresh_whose_process_died_reads_interrupted_once_another_process_leads(user: User) -> None:
    with session_scope() as session:
        session.add(KpiJobRun(job='kpi-refresh'))  # left unfinished by a leader killed during the refresh
        session.commit()
    runner = JobRunner(reload_settings(), jobs=[Job('kpi-refresh', lambda s: 0, 'cron', {'hour': 3})])
    await runner.start()
    await runner.stop()
    await signed_in(user, make_user('admin').email, path='/settings')
    await user.should_see(marker='kpi-jobs')
    (row,) = user.find(marker='kpi-jobs').elements.pop().rows
    assert (row['job'], row['ended'], row['error']) == ('Refresh today’s KPIs', 'interrupted', '')


def test_a_recompute_still_running_shows_however_many_jobs_ran_since() -> None:
    with session_scope() as session:  # a long recompute, then the every-minute refreshes of a quarter of an hour
        session.add(KpiJobRun(job='kpi-recompute', total=400, done=120))
        session.add(KpiJobRun(job='kpi-recompute', total=3, done=3, finished_at=utcnow()))  # an earlier one, done
        for _minute in range(15):
            session.add(KpiJobRun(job='kpi-refresh', rows=2, finished_at=utcnow()))
        session.commit()
    with read_session() as session:
        shown = refresh.runs_shown(session=session)
    assert shown.running is not None and (shown.running.done, shown.running.total) == (120, 400)
    assert shown.last_recompute is None  # the progress line says the running one
    assert [run.job for run in shown.latest] == ['kpi-refresh'] * 8

    with session_scope() as session:  # it ends: the line says when, if it is among the newest runs
        running = session.get(KpiJobRun, shown.running.id)
        running.finished_at = utcnow()
        session.add(running)
        session.add(KpiJobRun(job='kpi-recompute', total=5, done=5, finished_at=utcnow()))
        session.commit()
    with read_session() as session:
        shown = refresh.runs_shown(session=session)
    assert shown.running is None and shown.last_recompute is not None and shown.last_recompute.total == 5


async def test_two_admins_changing_the_definitions_keep_each_others_change(user: User) -> None:
    """Ana's page was open while Ben changed the days looked back: her save of another definition sent back the 30 she
    was shown and silently undid his 9 (and recomputed the history with it); the same definition is refused, naming
    him."""
    ana, ben = make_user('admin', email='ana@example.com'), make_user('admin', email='ben@example.com')
    await signed_in(user, ana.email, path='/settings')
    await user.should_see('KPI definitions')
    with session_scope() as session:
        definitions.change(session=session, actor=ben, values={'active_days': 9})

    next(iter(user.find('At risk after this many inactive days').elements)).value = 21
    user.find('Save definitions').click()
    await user.should_see('Definitions saved')
    with read_session() as session:
        now = definitions.current(session=session)
    assert (now.active_days, now.at_risk_days) == (9, 21)
    days_back = next(iter(user.find('Days looked back for activity').elements))
    assert days_back.value == '9'  # the page now shows Ben's change: a next save does not send 30 back
    user.find('Save definitions').click()
    await user.should_see('Nothing to save')
    with read_session() as session:
        assert definitions.current(session=session).active_days == 9
    with session_scope() as session:
        definitions.change(session=session, actor=ben, values={'active_days': 7})

    days_back.value = 45  # shown 9, since changed to 7 by Ben
    user.find('Save definitions').click()
    await user.should_see('ben@example.com')
    with read_session() as session:
        assert definitions.current(session=session).active_days == 7
