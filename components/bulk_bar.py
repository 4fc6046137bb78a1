"""What to do with the selected rows (or all rows matching): edit a field, delete, restore — with progress and a
summary of what was done and what was skipped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.engine.declaration import Action
from backoffice.i18n import _, ngettext
from backoffice.listing import query
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import Resource
from backoffice.services import bulk

from .forms import FAILED, call, page_dialog
from .resource_form import ask_before_trashing, field_input
from .session import acting_user

CHUNK = 50


@dataclass(frozen=True)
class Selection:
    """What a bulk tool acts on: the ticked rows' ids, or every row matching the list's `request` (`count` of them)."""

    ids: list[int]
    request: query.ListRequest | None
    count: int


@dataclass(frozen=True)
class BulkTool:
    """A button of the bar for something other than editing (a document for the selection, even on a read-only
    list): `run` gets the Selection."""

    label: str
    icon: str
    run: Callable[[Selection], Awaitable[Any]]
    marker: str = ''


class BulkBar:
    def __init__(
        self,
        resource: Resource,
        *,
        table: ui.table,
        request: Callable[[], query.ListRequest],
        total: Callable[[], int],
        trash: Callable[[], bool],
        done: Callable[[], Awaitable[Any]],
        tools: Sequence[BulkTool] = (),
    ) -> None:
        self.resource, self.table, self.request, self.total, self.trash, self.done = (
            resource,
            table,
            request,
            total,
            trash,
            done,
        )
        self.tools = tuple(tools)
        self.all_matching = False
        # built on the first selection, where the list was built (issue 20, first rows: a hidden bar of a dozen
        # elements in every list page, nobody sees before ticking a row)
        self._place = ui.context.slot
        self.bar: ui.row | None = None
        table.on_select(lambda _: self.update())
        self.update()

    def _build(self) -> None:
        with self._place:
            with ui.row().classes('w-full items-center gap-2 p-2 rounded bg-blue-50 dark:bg-neutral-800') as self.bar:
                self.label = ui.label()
                self.everything = ui.button('', on_click=self._select_everything).props('flat dense no-caps')
                ui.space()
                for tool in self.tools:
                    button = ui.button(
                        tool.label, icon=tool.icon, on_click=lambda t=tool: t.run(self.selection())
                    ).props('flat dense')
                    if tool.marker:
                        button.mark(tool.marker)
                self.edit_button = ui.button(_('Edit a field'), icon='edit', on_click=self._edit).props('flat dense')
                self.delete_button = ui.button(_('Delete'), icon='delete', on_click=self._delete).props(
                    'flat dense color=negative'
                )
                self.restore_button = ui.button(_('Restore'), icon='restore_from_trash', on_click=self._restore).props(
                    'flat dense'
                )
            self.progress = ui.linear_progress(value=0, show_value=False).classes('w-full')
            self.progress.set_visibility(False)

    @property
    def built(self) -> bool:
        return self.bar is not None

    def update(self) -> None:
        selected = len(self.table.selected)
        if not selected:
            self.all_matching = False
            if self.bar is None:
                return
        user = acting_user()
        writable = user is not None and not self.resource.read_only and can(user, self.resource.write_permission)
        shown = bool(selected) and (writable or bool(self.tools))
        if self.bar is None:
            if not shown:
                return
            self._build()
        assert self.bar is not None
        self.bar.set_visibility(shown)
        count = self.total() if self.all_matching else selected
        self.label.text = (
            ngettext('{n} selected (all matching)', '{n} selected (all matching)', count)
            if self.all_matching
            else ngettext('{n} selected', '{n} selected', count)
        ).format(n=formatting.number(count))
        self.everything.text = ngettext('Select the {n} matching', 'Select all {n} matching', self.total()).format(
            n=formatting.number(self.total())
        )
        self.everything.set_visibility(not self.all_matching and self.total() > selected)
        self.edit_button.set_visibility(writable and not self.trash())
        self.delete_button.set_visibility(writable and not self.trash() and self.resource.soft_delete)
        self.restore_button.set_visibility(writable and self.trash())

    def _select_everything(self) -> None:
        self.all_matching = True
        self.update()

    def selection(self) -> Selection:
        if self.all_matching:
            return Selection([], self.request(), self.total())
        ids = [row['id'] for row in self.table.selected]
        return Selection(ids, None, len(ids))

    def _ids(self, user) -> list[int]:
        if not self.all_matching:
            return [row['id'] for row in self.table.selected]
        with read_session() as session:
            return list(query.matching_ids(session=session, actor=user, resource=self.resource, request=self.request()))

    async def _edit(self) -> None:
        editable = {
            f.name: f
            for f in self.resource.fields
            if f.on_edit and f.name not in self.resource.unique and f.kind != 'image'
        }
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(_('Edit a field on every selected record')).classes('text-lg font-medium')
            chooser = (
                ui.select({n: _(f.label) for n, f in editable.items()}, label=_('Field'))
                .classes('w-full')
                .mark('bulk-field')
            )
            holder = ui.column().classes('w-full')
            box: dict[str, Any] = {}

            def chosen(e) -> None:
                chooser.error = None
                holder.clear()
                with holder:
                    box['input'] = field_input(
                        editable[e.value], None, self.resource.most_characters(editable[e.value])
                    )

            def apply() -> None:
                if not chooser.value or 'input' not in box:  # Apply closed the dialog and nothing happened, unsaid
                    chooser.error = _('Choose the field to change')
                    return
                dialog.submit({chooser.value: box['input'].value})

            chooser.on_value_change(chosen)
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=lambda: dialog.submit(None)).props('flat')
                ui.button(_('Apply'), on_click=apply).mark('bulk-apply')
        changes = await dialog
        if changes:
            await self._run(
                'update',
                lambda user, ids: bulk.bulk_update(actor=user, resource=self.resource, ids=ids, changes=changes),
            )

    async def run_action(self, action: Action, *, done: Callable[[int], str] | None = None) -> None:
        """One of the resource's actions that asks nothing, on the selected records (a bar's tool: Assign to me).
        `done(n)`: what was done in words ('{n} assigned to you'), instead of '{n} updated'."""
        await self._run(
            'update',
            lambda user, ids: bulk.bulk_action(actor=user, resource=self.resource, ids=ids, action=action),
            done=done,
        )

    async def run_each(self, work: Callable[[User, list[int]], bulk.Summary], *, done: Callable[[int], str]) -> None:
        """A service's own change on the selected records, in chunks (`work(user, ids)`: a request's Snooze), its
        result said in the caller's words."""
        await self._run('update', work, done=done)

    async def _delete(self) -> None:
        await self._run(
            'delete',
            lambda user, ids: bulk.bulk_delete(actor=user, resource=self.resource, ids=ids),
            ask=lambda ids: ask_before_trashing(self.resource, ids),
        )

    async def _restore(self) -> None:
        await self._run('restore', lambda user, ids: bulk.bulk_restore(actor=user, resource=self.resource, ids=ids))

    async def _run(
        self,
        action: str,
        work: Callable,
        ask: Callable[[list[int]], Awaitable[bool]] | None = None,
        *,
        done: Callable[[int], str] | None = None,
    ) -> None:
        user = acting_user()
        if user is None:
            return
        ids = await call(self._ids, user)  # (call: a refusal is shown; a shut-down ends the handler as cancelled)
        if ids is FAILED or (ask is not None and not await ask(ids)):
            return
        summary = bulk.Summary()
        self.progress.set_visibility(True)
        for start in range(0, len(ids), CHUNK):
            chunk = await call(work, user, ids[start : start + CHUNK])
            if chunk is FAILED:
                break
            summary.merge(chunk)
            self.progress.value = min(1.0, (start + CHUNK) / max(len(ids), 1))
        self.progress.set_visibility(False)
        self.table.selected = []
        self.all_matching = False
        self.update()
        ui.notify(
            summary_text(summary, action, done=done),
            type='positive' if not summary.skipped else 'warning',
            multi_line=True,
            timeout=10000 if summary.skipped else 5000,
        )
        await self.done()


def summary_text(summary: bulk.Summary, action: str, *, done: Callable[[int], str] | None = None) -> str:
    """What a bulk action did, in words: '3 updated; 1 skipped: <the reason>' (action: update, delete or restore;
    `done(n)`: the caller's own words for it, '3 assigned to you')."""
    n = summary.done
    if done is not None:
        done_text = done(n)
    elif action == 'update':
        done_text = ngettext('{n} updated', '{n} updated', n)
    elif action == 'delete':
        done_text = ngettext('{n} moved to the trash', '{n} moved to the trash', n)
    else:
        done_text = ngettext('{n} restored', '{n} restored', n)
    reasons: dict[str, int] = {}
    for _id, reason in summary.skipped:
        reasons[reason] = reasons.get(reason, 0) + 1
    skipped = [
        ngettext('{n} skipped: {reason}', '{n} skipped: {reason}', count).format(
            n=formatting.number(count), reason=reason
        )
        for reason, count in reasons.items()
    ]
    return '; '.join([done_text.format(n=formatting.number(n)), *skipped])
