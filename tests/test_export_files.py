"""Exported files hold personal data: the file is gone from the disk once the browser has it, its address works once,
and exports left behind (a crash, a page closed before the download) are swept after an hour."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from nicegui.testing import User

from backoffice.runtime.scheduler import JOBS
from backoffice.transfer import export_files

from .support.factories import make_customer, make_user
from .support.lists import rows_show
from .support.signin import signed_in
from .support.waiting import eventually


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder exports are written to, this test's own."""
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    return tmp_path


def exports_in(folder: Path) -> list[Path]:
    return list(folder.glob(f'{export_files.PREFIX}*'))


async def test_an_exported_file_is_removed_once_downloaded(user: User, scratch: Path) -> None:
    make_customer('quoted@example.com', name='Zoë "Q": <script>alert(1)</script>')
    await signed_in(user, make_user('manager').email, path='/customers')
    await rows_show(user, 'quoted@example.com')
    user.find(marker='export').click()  # the export menu, built on its opening
    user.find(marker='export-csv').click()
    response = await user.download.next(timeout=20)
    assert response.status_code == 200
    text = response.content.decode('utf-8-sig')
    assert 'Zoë ""Q"": <script>alert(1)</script>' in text
    assert response.headers['cache-control'] == 'no-store'
    await eventually(lambda: exports_in(scratch) == [], message='the exported file is removed')
    again = await user.http_client.get(response.request.url.path)
    assert again.status_code == 404  # the address worked once


def test_exports_left_behind_are_swept_after_an_hour(scratch: Path) -> None:
    old = export_files.export_path('customers.csv')
    old.write_text('email\nold@example.com\n')
    stale = time.time() - 2 * 3600
    os.utime(old.parent, (stale, stale))
    fresh = export_files.export_path('orders.xlsx')
    fresh.write_bytes(b'PK')
    assert export_files.sweep() == 1
    assert exports_in(scratch) == [fresh.parent] and fresh.exists()
    assert 'sweep-exports' in {job.name for job in JOBS}


def test_an_export_folder_is_for_the_apps_user_only(scratch: Path) -> None:
    path = export_files.export_path('../customers.csv')
    assert path.parent.parent == scratch and path.name == 'customers.csv'
    assert path.parent.stat().st_mode & 0o777 == 0o700
