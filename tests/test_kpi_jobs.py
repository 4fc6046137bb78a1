"""The KPI jobs: scheduled with the app's other jobs on the one leading process, and runnable from the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.__main__ import main
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.models import EventType, KpiDaily, KpiJobRun, UsageEvent, utcnow
from backoffice.runtime.scheduler import JOBS, Job, JobRunner

from .support.waiting import eventually


async def test_only_the_leading_process_refreshes_the_kpis() -> None:
    refresh = next(job for job in JOBS if job.name == 'kpi-refresh')
    fast = [Job(refresh.name, refresh.run, 'interval', {'seconds': 0.2})]
    settings = get_settings()
    leader, standby = (
        JobRunner(settings, jobs=fast, standby_seconds=30),
        JobRunner(settings, jobs=fast, standby_seconds=30),
    )
    await leader.start()
    await standby.start()
    try:

        def finished_runs() -> list[KpiJobRun]:
            with read_session() as session:
                return session.exec(select(KpiJobRun).where(KpiJobRun.finished_at.is_not(None))).all()

        runs = await eventually(finished_runs, message='a finished KPI refresh run')
        assert all(run.job == 'kpi-refresh' and run.error is None for run in runs)
        assert standby.scheduler.get_job('kpi-refresh') is None
        assert {job.name for job in JOBS} >= {'kpi-refresh', 'kpi-nightly'}
    finally:
        await leader.stop()
        await standby.stop()


def test_kpi_refresh_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope() as session:  # the shop's first visit, a week ago: its KPIs have days to recompute
        week_ago = utcnow() - timedelta(days=7)
        session.add(UsageEvent(client_id='first', type=EventType.visit, ts=week_ago, anonymous_id='a'))
        session.commit()
    assert main(['kpi-refresh', '--full', '--days', '3']) == 0
    assert 'daily KPI values' in capsys.readouterr().out
    with read_session() as session:
        assert len({row.day for row in session.exec(select(KpiDaily))}) >= 3
        assert [run.job for run in session.exec(select(KpiJobRun))] == ['kpi-full']
    assert main(['kpi-refresh']) == 0
