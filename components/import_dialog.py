"""Import a CSV or Excel file into a resource: columns matched by header, a dry-run preview of every row, apply in one
transaction, and any earlier import reverted in one click."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.formatting import when
from backoffice.i18n import N_, _, ngettext
from backoffice.resources import Resource
from backoffice.runtime.upload_limit import max_upload_bytes, too_large_message
from backoffice.transfer import import_apply, import_map, import_plan, import_read, import_revert

from .forms import BOUNDED_CARD, FAILED, SCROLLING_BODY, call, page_dialog
from .import_preview import PreviewTable, Progress
from .session import acting_user

CLEAR_HINT = N_(
    'On a row that updates a record, an empty cell keeps the field as it is, unless you choose its field here.'
)


class ImportDialog:
    def __init__(self, resource: Resource, *, done: Callable[[], Awaitable[Any]]) -> None:
        self.resource, self.done = resource, done
        self.rows: list[dict[str, str]] = []
        self.file_name = ''
        self.plan: list[import_plan.RowPlan] = []
        self.clear: list[str] = []
        self.previews = 0  # the latest preview asked for: an older one finishing later is not shown
        self.applying = False
        # the file, matching and preview scroll; Close and Apply stay at the card's foot (a 3,000-row preview pushed
        # Apply below the fold of a 1440 × 900 screen)
        with page_dialog() as self.dialog, ui.card().classes('w-full max-w-4xl').style(BOUNDED_CARD):
            ui.label(_('Import {records}').format(records=_(resource.label).lower())).classes('text-lg font-medium')
            body = ui.column().classes('w-full').style(SCROLLING_BODY).mark('import-body')
            with ui.row().classes('w-full justify-end items-center gap-2 no-wrap'):
                ui.button(_('Close'), on_click=self.dialog.close).props('flat')
                self.apply_slot = ui.element('div')  # the preview's Apply, once there is something to apply
        with body:
            importable = import_map.importable_fields(resource)
            fields, records = ', '.join(_(f.label) for f in importable), _(resource.label).lower()
            # the match key by its label in the reader's language ('Réf.'), not its field's name ('sku')
            key = next((_(f.label) for f in importable if resource.unique and f.name == resource.unique[0]), None)
            said = (
                _(
                    'A CSV or Excel file with a header row. Columns: {fields}. Rows are matched to existing '
                    '{records} by ID or {key}.'
                ).format(fields=fields, records=records, key=key)
                if key
                else _(
                    'A CSV or Excel file with a header row. Columns: {fields}. Rows are matched to existing '
                    '{records} by ID.'
                ).format(fields=fields, records=records)
            )
            ui.label(said).classes('text-sm text-gray-600')
            self.upload = (
                ui.upload(
                    label=_('Choose a file'),
                    auto_upload=True,
                    max_file_size=max_upload_bytes(),
                    on_upload=self._uploaded,
                    on_rejected=self._rejected,
                )
                .props('accept=".csv,.xlsx" flat bordered')
                .classes('w-full')
            )
            # the server refuses a body over the limit while it streams (413): say why here, not just a red file
            self.upload.on('failed', self._failed, js_handler='(info) => emit(info && info.xhr ? info.xhr.status : 0)')
            self.problem = ui.label().classes('text-sm text-negative').mark('import-problem')
            self.problem.visible = False
            self.mapping_box = ui.column().classes('w-full')
            self.preview_box = ui.column().classes('w-full')
            with ui.expansion(_('Earlier imports'), icon='history').classes('w-full'):
                self.batches_box = ui.column().classes('w-full gap-1')
        self._show_batches()
        self.dialog.open()

    async def _uploaded(self, event) -> None:
        self._say('')
        self.file_name = event.file.name
        self.rows, self.plan, self.clear = [], [], []
        self.mapping_box.clear()
        self.preview_box.clear()
        self.apply_slot.clear()
        if event.file.size() > max_upload_bytes():
            self._say(too_large_message())
            return
        try:
            # parsed in a worker thread from a file on disk: the other users' pages keep answering meanwhile
            with tempfile.TemporaryDirectory(prefix='backoffice-import-') as folder:
                path = Path(folder) / 'upload'
                await event.file.save(path)
                rows = await call(import_read.read_table_file, path, self.file_name, message=self.problem)
        finally:
            self.upload.reset()
        if rows is FAILED:
            return
        self.rows = rows
        self.mapping = import_map.map_columns(self.resource, self.rows[0].keys())
        self._show_mapping()
        await self._preview()

    def _rejected(self) -> None:
        self._say(_('{problem} (only .csv and .xlsx files are read)').format(problem=too_large_message()))

    def _failed(self, event) -> None:
        status = event.args
        self._say(too_large_message() if status == 413 else _('The upload failed; try again'))

    def _say(self, text: str) -> None:
        self.problem.text = text
        self.problem.visible = bool(text)

    def _show_mapping(self) -> None:
        options = {f.name: _(f.label) for f in import_map.importable_fields(self.resource)} | {'id': 'ID'}
        self.mapping_box.clear()
        with self.mapping_box:
            ui.label(
                ngettext(
                    '{file}: {n} row. Column matching:', '{file}: {n} rows. Column matching:', len(self.rows)
                ).format(file=self.file_name, n=formatting.number(len(self.rows)))
            ).classes('text-sm font-medium')
            with ui.row().classes('w-full gap-2'):
                for header, field in self.mapping.items():
                    ui.select(
                        options,
                        label=header,
                        value=field,
                        clearable=True,
                        on_change=lambda e, h=header: self._remap(h, e.value),
                    ).props('dense outlined').classes('min-w-40')
            self.clear_select = (
                ui.select(
                    self._clearable(),
                    label=_('Empty cells clear these fields'),
                    value=[],
                    multiple=True,
                    clearable=True,
                    on_change=lambda e: self._set_clear(e.value),
                )
                .props('dense outlined use-chips')
                .classes('w-full')
                .mark('import-clear')
            )
            ui.label(_(CLEAR_HINT)).classes('text-xs text-gray-600')

    def _clearable(self) -> dict[str, str]:
        """The mapped fields an empty cell may clear, by label."""
        labels = {f.name: _(f.label) for f in import_map.importable_fields(self.resource)}
        return {name: labels[name] for name in self.mapping.values() if name in labels}

    async def _remap(self, header: str, field: str | None) -> None:
        self.mapping[header] = field
        clearable = self._clearable()
        self.clear = [name for name in self.clear if name in clearable]
        self.clear_select.set_options(clearable, value=self.clear)  # the newest preview is the one shown
        await self._preview()

    async def _set_clear(self, names: list[str] | None) -> None:
        self.clear = list(names or [])
        await self._preview()

    async def _preview(self) -> None:
        user = acting_user()
        if user is None:
            return
        self.previews += 1
        asked = self.previews
        self.plan = []
        self.preview_box.clear()
        self.apply_slot.clear()
        with self.preview_box:
            progress = Progress(_('Previewing'))
        try:
            plan = await call(self._plan, user, dict(self.mapping), list(self.clear), progress.report)
        finally:
            progress.close()
        if plan is FAILED or plan is None or asked != self.previews:  # None: the app is stopping
            return
        self.plan = plan
        counts = import_plan.count_actions(self.plan)
        with self.preview_box:
            ui.label(
                _(
                    'Preview (nothing is saved yet): {new} new, {update} to update, {unchanged} unchanged, '
                    '{errors} with errors'
                ).format(
                    new=formatting.number(counts['create']),
                    update=formatting.number(counts['update']),
                    unchanged=formatting.number(counts['unchanged']),
                    errors=formatting.number(counts['error']),
                )
            ).classes('text-sm font-medium')
            PreviewTable(self.resource, self.plan)
        writable = counts['create'] + counts['update']
        if writable:
            with self.apply_slot:
                self.apply_button = ui.button(
                    ngettext('Apply {n} change', 'Apply {n} changes', writable).format(n=formatting.number(writable)),
                    icon='upload',
                    on_click=self._apply,
                )

    def _plan(self, user, mapping: dict, clear: list[str], report) -> list[import_plan.RowPlan]:
        with read_session() as session:
            return import_plan.preview(
                session=session,
                actor=user,
                resource=self.resource,
                rows=self.rows,
                mapping=mapping,
                clear=clear,
                progress=report,
            )

    async def _apply(self) -> None:
        user = acting_user()
        if user is None or self.applying or not self.plan:  # a second click while it runs does nothing
            return
        self.applying = True
        self.apply_button.disable()
        with self.preview_box:
            progress = Progress(_('Applying'))
        try:
            batch = await call(self._write, user, self.plan, progress.report)
        finally:
            self.applying = False
            progress.close()
        if batch is FAILED or batch is None:  # None: the app is stopping
            self.apply_button.enable()
            return
        self.plan = []
        c = batch.counts
        ui.notify(
            _('Imported: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped').format(
                created=c.get('created', 0),
                updated=c.get('updated', 0),
                unchanged=c.get('unchanged', 0),
                skipped=c.get('skipped', 0),
            ),
            type='positive',
        )
        await self.done()
        self.preview_box.clear()
        self.mapping_box.clear()
        self._show_batches()
        self.apply_slot.clear()  # last: it deletes the button whose handler this is

    def _write(self, user, plan: list[import_plan.RowPlan], report):
        with session_scope() as session:
            return import_apply.apply(
                session=session,
                actor=user,
                resource=self.resource,
                plan=plan,
                file_name=self.file_name,
                progress=report,
            )

    def _show_batches(self) -> None:
        user = acting_user()
        if user is None:
            return
        with read_session() as session:
            batches = import_revert.recent_batches(session=session, actor=user, resource=self.resource, limit=10)
        self.batches_box.clear()
        with self.batches_box:
            if not batches:
                ui.label(_('None yet.')).classes('text-sm text-gray-500')
            for batch in batches:
                with ui.row().classes('w-full items-center justify-between text-sm no-wrap'):
                    ui.label(
                        _('{when} · {file} · {created} created, {updated} updated').format(
                            when=when(batch.created_at),
                            file=batch.file_name,
                            created=batch.counts.get('created', 0),
                            updated=batch.counts.get('updated', 0),
                        )
                    ).classes('truncate')
                    if batch.reverted_at:
                        ui.label(_('reverted {when}').format(when=when(batch.reverted_at))).classes(
                            'text-gray-500 shrink-0'
                        )
                    else:
                        ui.button(_('Revert'), on_click=lambda b=batch.id: self._revert(b)).props('flat dense')

    async def _revert(self, batch_id: int) -> None:
        user = acting_user()
        if user is None:
            return
        summary = await call(_revert, user, batch_id)
        if summary is FAILED:
            return
        skipped = summary['skipped']
        message = ngettext(
            'Import reverted: {n} record put back', 'Import reverted: {n} records put back', summary['done']
        ).format(n=formatting.number(summary['done']))
        if skipped:
            message += ngettext('; {n} left as it is: {which}', '; {n} left as they are: {which}', len(skipped)).format(
                n=len(skipped), which='; '.join(f'{s["title"]}: {s["reason"]}' for s in skipped[:5])
            )
        ui.notify(message, type='positive' if not skipped else 'warning', multi_line=True, timeout=10000)
        await self.done()
        self._show_batches()  # last: it deletes the button whose handler this is


def _revert(user, batch_id: int) -> dict:
    with session_scope() as session:
        return import_revert.revert(session=session, actor=user, batch_id=batch_id)
