"""Exported files hold personal data: the file is gone from the disk once the browser has it, its address works once,
and exports left behind (a crash, a page closed before the download) are swept after an hour."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from nicegui.testing import User

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.resources import resource
from backoffice.runtime.scheduler import JOBS
from backoffice.services import users
from backoffice.transfer import export_files, import_map, import_plan, import_read

from .support.factories import make_customer, make_product, make_user
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


async def test_a_french_reader_exports_products_separated_by_semicolons_and_imports_them_back(
    user: User, scratch: Path
) -> None:
    """Excel in French reads a comma-separated file as one column: a French reader's CSV is separated by semicolons,
    its prices with a decimal comma, and the file imports back as no change (an English reader's keeps commas)."""
    manager = make_user('manager')
    with session_scope() as session:
        users.set_language(session=session, actor=manager, language='fr')
    make_product('FR-TIN', '1234.50', name='Boîte « l’Été »; "x": <script>', actor=manager)
    await signed_in(user, manager.email, path='/products')
    await rows_show(user, 'FR-TIN', column='sku')
    user.find(marker='export').click()
    user.find(marker='export-csv').click()
    response = await user.download.next(timeout=20)
    text = response.content.decode('utf-8-sig')
    assert text.splitlines()[0] == 'ID;SKU;Name;Category;Price;Currency;Active;Stocked;Description'
    assert ';FR-TIN;"Boîte « l’Été »; ""x"": <script>";;1234,50;EUR;Yes;Yes;' in text
    rows = import_read.read_table(response.content, 'products.csv')
    with read_session() as session:
        with i18n.use('fr'):
            plan = import_plan.preview(
                session=session,
                actor=manager,
                resource=resource('products'),
                rows=rows,
                mapping=import_map.map_columns(resource('products'), rows[0].keys()),
            )
    assert [(row.action, row.changes) for row in plan] == [('unchanged', {})], [row.reason for row in plan]
