"""The systemd units of docs/DEPLOY.md, checked by systemd itself (`systemd-analyze verify`): this sandbox runs no
systemd, so the smoke test starts the processes by hand; here the unit files' syntax, directives and commands are
checked as systemd would load them, with /opt/backoffice standing for this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice.runtime.scheduler import JOBS

ROOT = Path(__file__).resolve().parents[1]
UNITS = ('backoffice@.service', 'backoffice.target')


@pytest.fixture
def units(tmp_path: Path) -> Path:
    """The unit files as installed, their paths pointing at this checkout (its .venv, its main.py)."""
    if shutil.which('systemd-analyze') is None:
        if os.environ.get('CI'):
            pytest.fail('systemd-analyze is missing (Debian package systemd)')
        pytest.skip('systemd-analyze is missing (Debian package systemd)')
    python = Path(sys.executable)
    for name in UNITS:
        text = (ROOT / 'deploy' / name).read_text(encoding='utf-8')
        text = text.replace('/opt/backoffice/.venv/bin/python', str(python)).replace('/opt/backoffice', str(ROOT))
        (tmp_path / name).write_text(text, encoding='utf-8')
    return tmp_path


def test_systemd_loads_every_unit_without_a_complaint(units: Path) -> None:
    for name in UNITS:
        unit = units / ('backoffice@8081.service' if name == 'backoffice@.service' else name)
        if name == 'backoffice@.service':  # an instance, as backoffice.target wants it
            unit.write_text((units / name).read_text(encoding='utf-8'), encoding='utf-8')
        done = subprocess.run(
            ['systemd-analyze', 'verify', '--man=no', str(unit)], capture_output=True, text=True, timeout=60
        )
        complaints = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        assert done.returncode == 0 and not complaints, f'{name}: {complaints}'


def test_the_documented_deployment_takes_one_backup_a_night() -> None:
    """The processes' scheduler runs the nightly `backup` job (its leader only, shown at /system with its failures);
    a systemd timer running `python -m backoffice backup` as well took a second one each night, so the 14 kept were a
    week, not two."""
    environment = (ROOT / 'deploy' / 'backoffice.env.example').read_text(encoding='utf-8')
    assert 'BACKOFFICE_SCHEDULER=1' in environment.splitlines()
    assert any(job.name == 'backup' and job.trigger == 'cron' for job in JOBS)
    backing_up = [
        unit.name
        for unit in (ROOT / 'deploy').iterdir()
        if unit.is_file() and 'backoffice backup' in unit.read_text(encoding='utf-8', errors='replace')
    ]
    assert backing_up == []


def test_what_the_units_run_exists_in_the_checkout() -> None:
    """ExecStart: `python main.py` in the working directory."""
    assert (ROOT / 'main.py').is_file()
