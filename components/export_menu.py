"""Export the list as it is filtered and sorted, to CSV or Excel, with progress for large sets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.i18n import _, ngettext
from backoffice.listing import query
from backoffice.models import User
from backoffice.resources import Resource
from backoffice.transfer import export_files, exports

from .downloads import download_once
from .forms import FAILED, call
from .menu_on_open import MenuOnOpen
from .session import acting_user


def export_menu(resource: Resource, request: Callable[[], query.ListRequest]) -> None:
    progress = {'done': 0, 'total': 0}

    async def export(fmt: str, write: Callable[..., exports.ExportFile] = exports.export_rows) -> None:
        user = acting_user()
        if user is None:
            return
        records = _(resource.label).lower()
        bar = ui.notification(
            _('Exporting {records}…').format(records=records), spinner=True, timeout=None, group=False
        )  # updated as rows are written: not in the one group of notices (components/notices.py)
        timer = ui.timer(
            0.5,
            lambda: setattr(
                bar,
                'message',
                _('Exporting {records}: {done} of {total} rows').format(
                    records=records,
                    done=formatting.number(progress['done']),
                    total=formatting.number(progress['total']),
                ),
            ),
        )
        try:
            written = await call(_write, user, resource, request(), fmt, progress, write)
        finally:
            timer.cancel()
            bar.dismiss()
        if written is FAILED:
            return
        download_once(*written)
        done = progress['done']
        ui.notify(
            ngettext('Exported {n} row', 'Exported {n} rows', done).format(n=formatting.number(done)), type='positive'
        )

    def choices() -> None:
        ui.menu_item(_('Export to CSV'), on_click=lambda: export('csv')).mark('export-csv')
        ui.menu_item(_('Export to Excel (XLSX)'), on_click=lambda: export('xlsx')).mark('export-xlsx')
        for more in resource.more_exports:  # the same list, another file: its orders' lines
            ui.menu_item(_(more.label), on_click=lambda m=more: export('csv', m.write)).mark(f'export-{more.key}-csv')
            ui.menu_item(_(more.label_xlsx), on_click=lambda m=more: export('xlsx', m.write)).mark(
                f'export-{more.key}-xlsx'
            )

    button = ui.button(icon='download').props('flat round').mark('export')
    button.props['aria-label'] = _('Export')
    button.props['aria-haspopup'] = 'menu'
    button.tooltip(_('Export'))
    MenuOnOpen(button, choices)  # built on the first click, not with every list


def _write(
    user: User,
    resource: Resource,
    request: query.ListRequest,
    fmt: str,
    progress: dict,
    write: Callable[..., exports.ExportFile],
) -> tuple[Path, str, str]:
    def report(done: int, total: int | None) -> None:
        progress.update(done=done, total=total or done)

    # a CSV as the reader's spreadsheet opens it: semicolons where the decimal mark is a comma (Excel in French read a
    # comma-separated file as one column); the import reads either
    separated = {'separator': formatting.spreadsheet_separator()} if write is exports.export_rows else {}
    with read_session() as session:
        exported = write(
            session=session, actor=user, resource=resource, request=request, fmt=fmt, progress=report, **separated
        )
        path = export_files.export_path(exported.file_name)
        try:
            exported.save(path)
        except BaseException:
            export_files.remove(path)
            raise
    return path, exported.file_name, exported.media_type
