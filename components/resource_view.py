"""A resource's whole screen from its declaration: the list, a New button, the trash, and the record dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.engine.declaration import shown
from backoffice.i18n import _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import Resource

from .import_dialog import ImportDialog
from .resource_form import open_record
from .resource_table import ResourceTable


class ResourceView:
    def __init__(self, resource: Resource, user: User, *, on_open: Callable[[int], Any] | None = None) -> None:
        """`on_open`: what a row's click does instead of the record dialog (the audit log's own view of an entry)."""
        self.resource = resource
        self.on_open = on_open
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(shown(resource.description)).classes('text-gray-600')
            with ui.row().classes('gap-2'):
                if resource.soft_delete:
                    ui.switch(_('Trash'), on_change=lambda e: self.table._set(trash=bool(e.value))).mark('trash')
                if not resource.read_only and can(user, resource.write_permission):
                    if resource.create_with is None and resource.update_with is None:
                        ui.button(
                            _('Import'),
                            icon='upload_file',
                            on_click=lambda: ImportDialog(resource, done=self.table.reload),
                        ).props('flat')
                    ui.button(
                        resource.said('new'),
                        icon='add',
                        on_click=lambda: open_record(resource, None, on_saved=self.table.reload),
                    )
        may_create = not resource.read_only and can(user, resource.write_permission)
        self.table = ResourceTable(
            resource,
            on_open=self.open,
            create=(lambda: open_record(resource, None, on_saved=self.table.reload)) if may_create else None,
        )

    def open(self, record_id: int) -> None:
        if self.on_open is not None:
            self.on_open(record_id)
            return
        open_record(self.resource, record_id, on_saved=lambda: self.table.load())
