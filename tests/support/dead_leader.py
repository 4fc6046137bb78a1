"""A job runner in a process of its own, killed (SIGKILL) while it runs a job: what a crashed or `kill -9`ed leader
leaves behind in the database (its run still "running", its leader lock freed by the OS or by PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from backoffice.db import read_session
from backoffice.models import JobRun

from .waiting import eventually

ROOT = Path(__file__).resolve().parents[2]

RUNNER = """
import asyncio, sys, time
from backoffice.config import get_settings
from backoffice.runtime.scheduler import Job, JobRunner

async def main():
    job = Job(sys.argv[1], lambda settings: time.sleep(120), 'date', {})  # runs at once, never ends
    runner = JobRunner(get_settings(), jobs=[job], standby_seconds=0.2)
    await runner.start()
    await asyncio.sleep(120)

asyncio.run(main())
"""


async def leader_killed_while_running(job: str) -> int:
    """Start a runner process that leads and runs `job`; once its run is recorded as running, kill it with SIGKILL.
    Returns the id of the run it left behind. (Nothing else may lead meanwhile.)"""
    process = subprocess.Popen([sys.executable, '-c', RUNNER, job], cwd=ROOT, env=os.environ.copy())
    try:
        run_id = await eventually(lambda: _running(job), timeout=60, message='the runner process records its run')
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    return run_id


def _running(job: str) -> int | None:
    with read_session() as session:
        return session.exec(select(JobRun.id).where(JobRun.job == job, JobRun.outcome == 'running')).first()
