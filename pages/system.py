"""System: health checks (database, schema, outbox, backups, disk), backups taken and downloaded, versions."""

from __future__ import annotations

from nicegui import Client, ui

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.models import User
from backoffice.services import backups, system_health
from components.forms import FAILED, call, call_now
from components.screens import screen
from components.session import acting_user


class SystemScreen:
    def __init__(self, user: User) -> None:
        self.settings = get_settings()
        ui.label('Health').classes('text-lg font-medium')
        self.checks = ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-3')
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('Backups').classes('text-lg font-medium')
            self.backup_button = ui.button('Back up now', icon='backup', on_click=self.back_up).mark('back-up')
        ui.label(
            'A copy of the whole database is taken every night at 02:30 UTC; the last 14 are kept in the data '
            'folder. Restore one with: python -m backoffice restore FILE (stop the app first).'
        ).classes('text-sm text-gray-600')
        self.backups = ui.column().classes('w-full gap-0')
        ui.label('About').classes('text-lg font-medium')
        self.about = ui.column().classes('w-full gap-1')
        self.show(user)

    def show(self, user: User) -> None:
        with read_session() as session:
            found = system_health.checks(session=session, actor=user, settings=self.settings)
        self.checks.clear()
        with self.checks:
            for check in found:
                with ui.card().props('flat bordered').classes('gap-1').mark(f'check-{check.name}'):
                    with ui.row().classes('items-center gap-2 no-wrap'):
                        status_icon(check.status)
                        ui.label(check.name).classes('font-medium')
                    ui.label(check.detail).classes('text-sm text-gray-700 break-words')
        self.backups.clear()
        with self.backups:
            kept = backups.list_backups(self.settings)
            if not kept:
                ui.label('No backup yet.').classes('text-gray-500')
            for backup in kept:
                with ui.row().classes('w-full items-center gap-2 py-1 border-b').mark('backup'):
                    ui.icon('inventory_2').classes('text-gray-500')
                    ui.label(backup.name).classes('font-mono text-sm grow break-all')
                    ui.label(f'{backup.size / 1024**2:,.1f} MB').classes('text-sm text-gray-600')
                    ui.button(icon='download', on_click=lambda b=backup.name: self.download(b)).props(
                        'flat round dense aria-label="Download"'
                    ).tooltip('Download')
        self.about.clear()
        with self.about:
            facts = {**system_health.about(self.settings), 'Open pages (this process)': str(len(Client.instances))}
            for name, value in facts.items():
                with ui.row().classes('w-full gap-2 text-sm'):
                    ui.label(name).classes('w-48 text-gray-600')
                    ui.label(value).classes('break-all')

    async def back_up(self) -> None:
        user = acting_user()
        if user is None:
            return

        def take() -> backups.Backup:
            with session_scope() as session:
                return backups.take_backup(session=session, actor=user, settings=self.settings)

        self.backup_button.props('loading')
        backup = await call(take)
        self.backup_button.props(remove='loading')
        if backup is FAILED:
            return
        ui.notify(f'Backup written: {backup.name}', type='positive')
        self.show(user)

    def download(self, name: str) -> None:
        user = acting_user()
        if user is None:
            return
        path = call_now(backups.backup_path, actor=user, settings=self.settings, name=name)
        if path is FAILED:
            return
        ui.download.file(path)


@screen(
    '/system',
    'System',
    permission='system.manage',
    icon='monitor_heart',
    section='Administration',
    order=930,
    description='Health, backups and versions',
)
def system_page(user: User) -> None:
    SystemScreen(user)


def status_icon(status: str) -> ui.icon:
    if status == 'ok':
        return ui.icon('check_circle').classes('text-green-700')
    if status == 'warning':
        return ui.icon('warning').classes('text-amber-700')
    return ui.icon('error').classes('text-red-700')
