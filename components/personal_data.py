"""A person's record page, GDPR part: "Export personal data" (made in the background with progress, then a link that
works once and expires) and "Erase personal data" (a preview of what changes by kind, the email typed to confirm)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import PersonalData, shown
from backoffice.i18n import _, ngettext
from backoffice.models import User
from backoffice.permissions import can
from backoffice.transfer import export_files

from .downloads import LINK_LIFETIME, private_link
from .forms import FAILED, call, error_line, page_dialog
from .links import site_link
from .session import acting_user


def personal_data_buttons(
    declared: PersonalData | None, record: Any, user: User, on_erased: Callable[[], Awaitable[None]]
) -> None:
    """The two buttons, for those allowed (each service checks the permission again)."""
    if declared is None or not can(user, declared.permission):
        return
    ui.button(_('Export personal data'), icon='download', on_click=lambda: _export(declared, record)).props(
        'outline'
    ).mark('export-personal-data')
    if not declared.erased(record):
        ui.button(
            _('Erase personal data'),
            icon='person_remove',
            color='negative',
            on_click=lambda: _erase(declared, record, on_erased),
        ).props('outline').mark('erase-personal-data')


async def _export(declared: PersonalData, record: Any) -> None:
    user = acting_user()
    if user is None:
        return
    progress = {'done': 0, 'total': 0}
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('export-dialog'):
        ui.label(_('Export personal data')).classes('text-lg font-medium')
        status = ui.label(_('Preparing the export…')).mark('export-status')
        bar = ui.linear_progress(value=0, show_value=False).classes('w-full')
        box = ui.column().classes('w-full gap-2')
        with ui.row().classes('w-full justify-end'):
            ui.button(_('Close'), on_click=dialog.close).props('flat').mark('close-export')
    dialog.open()

    def show_progress() -> None:
        if progress['total']:
            bar.value = progress['done'] / progress['total']
            status.text = _('Preparing the export: {done} of {total} files').format(
                done=formatting.number(progress['done']), total=formatting.number(progress['total'])
            )

    timer = ui.timer(0.3, show_progress)
    try:
        made = await call(_write, declared, user, record.id, progress)
    finally:
        timer.cancel()
    if made is FAILED:
        return
    path, file_name = made
    if dialog.is_deleted:  # closed meanwhile: nobody will fetch it
        export_files.remove(path)
        return
    bar.value = 1
    status.text = _('The export is ready.')
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    with box:
        link = site_link(_('Download {file}').format(file=file_name), private_link(path, file_name, 'application/zip'))
        link.props['download'] = file_name
        link.classes('break-all').mark('export-link')
        ui.label(
            ngettext(
                'The link works once and expires in {n} minute.',
                'The link works once and expires in {n} minutes.',
                minutes,
            ).format(n=minutes)
        ).classes('text-xs text-gray-500')


def _write(declared: PersonalData, user: User, record_id: int, progress: dict) -> tuple[Any, str]:
    def report(done: int, total: int) -> None:
        progress.update(done=done, total=total)

    with read_session() as session:
        return declared.export(session=session, actor=user, record_id=record_id, progress=report)


async def _erase(declared: PersonalData, record: Any, on_erased: Callable[[], Awaitable[None]]) -> None:
    user = acting_user()
    if user is None:
        return
    counts = await call(_preview, declared, user, record.id)
    if counts is FAILED:
        return
    expected = str(getattr(record, declared.confirm_with))
    with page_dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('erase-dialog'):
        ui.label(_('Erase the personal data of {who}?').format(who=expected)).classes('text-lg font-medium break-all')
        ui.label(
            _(
                'Their name, email, phone and addresses, and what they wrote, are replaced everywhere. '
                'This cannot be undone.'
            )
        ).classes('text-sm')
        with ui.column().classes('w-full gap-1').mark('erase-preview'):
            for kind, label in declared.kinds.items():
                with ui.row().classes('w-full items-start justify-between no-wrap gap-3').mark(f'erase-count-{kind}'):
                    ui.label(shown(label)).classes('text-sm min-w-0')
                    ui.badge(formatting.number(counts.get(kind, 0))).props('outline').classes('shrink-0')
        typed = (
            ui.input(_('Type {value} to confirm').format(value=expected))
            .props('outlined stack-label')
            .classes('w-full')
            .mark('erase-confirmation')
        )
        message = error_line()

        async def confirm() -> None:
            actor = acting_user()
            if actor is None:
                return
            done = await call(
                _apply,
                declared,
                actor,
                record.id,
                record.version,
                typed.value or '',
                fields={'confirmation': typed},
                message=message,
            )
            if done is FAILED:
                return
            ui.notify(_('Personal data erased.'), type='positive')
            dialog.close()
            await on_erased()

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(_('Erase'), color='negative', on_click=confirm).mark('confirm-erase')
    dialog.open()


def _preview(declared: PersonalData, user: User, record_id: int) -> dict[str, int]:
    with read_session() as session:
        return declared.preview(session=session, actor=user, record_id=record_id)


def _apply(declared: PersonalData, user: User, record_id: int, version: int, confirmation: str) -> dict[str, int]:
    with session_scope() as session:
        return declared.erase(
            session=session, actor=user, record_id=record_id, version=version, confirmation=confirmation
        )
