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

ROOT = Path(__file__).resolve().parents[1]
UNITS = ('backoffice@.service', 'backoffice.target', 'backoffice-backup.service', 'backoffice-backup.timer')


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


def test_the_backup_timer_fires_every_night_at_ten_past_three() -> None:
    text = (ROOT / 'deploy' / 'backoffice-backup.timer').read_text(encoding='utf-8')
    calendar = next(line.split('=', 1)[1] for line in text.splitlines() if line.startswith('OnCalendar='))
    if shutil.which('systemd-analyze') is None:
        pytest.skip('systemd-analyze is missing')
    done = subprocess.run(['systemd-analyze', 'calendar', calendar], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'Normalized form: *-*-* 03:10:00' in done.stdout


def test_what_the_units_run_exists_in_the_checkout() -> None:
    """ExecStart: `python main.py` in the working directory, and `python -m backoffice backup` (its command)."""
    assert (ROOT / 'main.py').is_file()
    done = subprocess.run(
        [sys.executable, '-m', 'backoffice', 'backup', '--help'], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
