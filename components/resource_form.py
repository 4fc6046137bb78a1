"""The form of any declared resource: fields generated from the declaration, errors at the field, no lost edit,
actions, delete with Undo, and a History tab that can revert to an earlier version."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from nicegui import run, ui
from nicegui.elements.mixins.value_element import ValueElement

from backoffice import formatting, stored_text
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import LedgerRow, most_characters, shown, shown_choices, withheld
from backoffice.formatting import display_value, when
from backoffice.i18n import _
from backoffice.listing import query
from backoffice.models import User
from backoffice.permissions import PERMISSIONS, can
from backoffice.resources import RESOURCES, Action, FormField, Outcome, RelatedList, Resource
from backoffice.services import audit, audit_story, crud

from .date_input import DateInput
from .flag_switch import FlagSwitch
from .forms import (
    BOUNDED_CARD,
    FAILED,
    SCROLLING_BODY,
    call,
    call_now,
    clear_errors,
    confirm,
    counted,
    error_line,
    not_counted,
    page_dialog,
    show_secret_once,
)
from .image_field import ImageInput, image_input
from .links import site_link
from .preview_images import without_remote_images
from .reading_text import reading_markdown
from .related_select import related_select
from .session import acting_user
from .undo import offer_undo
from .whole_number import WholeNumberInput


def open_record(
    resource: Resource,
    record_id: int | None,
    *,
    on_saved: Callable[[], Any] = lambda: None,
    on_created: Callable[[Any], Any] | None = None,
) -> None:
    """Open a record (or a blank form for a new one) in a dialog. `on_created`: called with the new record once the
    form created it (after `on_saved`), e.g. to open its page."""
    user = acting_user()
    if user is None:
        return
    record = None
    if record_id is not None:
        record = call_now(_get_record, user, resource, record_id)
        if record is FAILED:
            return
    RecordDialog(resource, user, record, on_saved, on_created)


# the sign before a compared line: read by a screen reader and in black and white, not only its colour
CHANGE_SIGNS = {'added': '+', 'removed': '−', 'same': ' '}  # an unchanged line indented as much as the others


def _load_changes(user: User, comparison: Any, record_id: int) -> Any:
    with read_session() as session:
        return comparison.load(session=session, actor=user, record_id=record_id)


def _load_ledger(user: User, ledger: Any, record_id: int, page: int) -> Any:
    with read_session() as session:
        return ledger.load(session=session, actor=user, record_id=record_id, page=page)


def _ledger_row(row: LedgerRow) -> None:
    """One change: why, when, what from and who on the left; the change and what it left on the right."""
    with ui.item().classes('px-1').mark('ledger-row'):
        with ui.item_section().classes('min-w-0'):
            ui.item_label(row.reason or '—').classes('text-sm').style('overflow-wrap: anywhere').mark('ledger-reason')
            with ui.row().classes('items-center gap-x-2 gap-y-0 text-xs text-gray-500 flex-wrap'):
                ui.label(formatting.when(row.at)).mark('ledger-when')
                if row.reference:
                    if row.href:
                        site_link(row.reference, row.href).style('overflow-wrap: anywhere').mark('ledger-reference')
                    else:
                        ui.label(row.reference).style('overflow-wrap: anywhere').mark('ledger-reference')
                ui.label(row.by or _('System')).style('overflow-wrap: anywhere').mark('ledger-by')
        with ui.item_section().props('side').classes('items-end'):
            change = ui.label(f'{row.change:+d}' if row.change else '0').classes('text-sm font-medium')
            change.style('font-variant-numeric: tabular-nums')
            change.classes('text-green-700' if row.change > 0 else 'text-red-700' if row.change < 0 else '')
            change.mark('ledger-change')
            ui.label(_('On hand after: {n}').format(n=formatting.number(row.after))).classes(
                'text-xs text-gray-500 whitespace-nowrap'
            ).mark('ledger-after')


def _get_record(user: User, resource: Resource, record_id: int) -> Any:
    with read_session() as session:
        return crud.get_record(session=session, actor=user, resource=resource, record_id=record_id)


class RecordDialog:
    def __init__(
        self,
        resource: Resource,
        user: User,
        record,
        on_saved: Callable[[], Any],
        on_created: Callable[[Any], Any] | None = None,
    ) -> None:
        self.resource, self.record, self.on_saved, self.user = resource, record, on_saved, user
        self.on_created = on_created
        self.writable = (
            not resource.read_only and can(user, resource.write_permission) and resource.changeable(record, user)
        )
        self.is_new = record is None
        # fields carrying what this reader may not read (a webhook delivery's payload): never loaded into the form
        self.withheld = withheld(resource, user, record) if record is not None else {}
        self.loaded = self._values_of(record)  # what the user saw: the base of "what did they change"
        self.declared = {declared.name: declared for declared in resource.fields}
        self.saving_offer: ui.row | None = None  # "Save your changes first … Save and continue", when shown
        self.saving_asked = ''  # the action the person chose to save their edits with
        self.version = getattr(record, 'version', None) if record else None  # (a log's record has none)
        # a long form scrolls inside the card while the action bar stays at its foot, in reach on a laptop and a phone
        # (the card is as tall as Quasar lets a dialog be: the viewport less its margins)
        with page_dialog() as self.dialog, ui.card().classes('w-full max-w-2xl').style(BOUNDED_CARD) as card:
            self._header()
            self.conflict = ui.row().classes('w-full items-center gap-2 p-2 rounded bg-amber-50 text-amber-900')
            self.conflict.set_visibility(False)
            note = resource.note(record) if resource.note is not None and record is not None else ''
            if note:  # something to act on, above the fields (a product not stocked with units left on its shelf)
                ui.label(note).classes('w-full p-2 rounded bg-amber-50 text-amber-900 text-sm').mark('record-note')
            if self.is_new:
                with ui.column().classes('w-full').style(SCROLLING_BODY).mark('record-body'):
                    self._form()
                self._follow_kind()
            else:
                related = [
                    r
                    for r in resource.related_lists
                    if can(user, RESOURCES[r.resource].read_permission) and (r.applies is None or r.applies(record))
                ]
                with ui.tabs().classes('w-full bo-record-tabs').mark('record-tabs') as tabs:  # a phone: shell.py
                    details = ui.tab(_('Details'))
                    related_tabs = [ui.tab(shown(r.label)) for r in related]
                    ledger = resource.ledger
                    ledger_tab = (
                        ui.tab(shown(ledger.label)).mark('record-ledger-tab')
                        if ledger and (ledger.applies is None or ledger.applies(record))
                        else None
                    )
                    comparison = resource.comparison
                    compares = comparison is not None and (comparison.applies is None or comparison.applies(record))
                    compared = ui.tab(shown(comparison.label)) if comparison and compares else None
                    history = ui.tab(_('History'))
                panels = ui.tab_panels(tabs, value=details).classes('w-full').style(SCROLLING_BODY)
                with panels.mark('record-body'):
                    with ui.tab_panel(details).classes('p-0'):
                        self._form()
                    for declared, tab in zip(related, related_tabs, strict=True):
                        with ui.tab_panel(tab).classes('p-0'):
                            self._related_list(declared)
                    if ledger_tab is not None:
                        with ui.tab_panel(ledger_tab).classes('p-0 gap-1').mark('record-ledger'):
                            self._ledger()
                    if compared is not None:
                        with ui.tab_panel(compared).classes('p-0 gap-0').mark('record-changes'):
                            self._changes()
                    with ui.tab_panel(history).classes('p-0'):
                        self._history()
                # the form's actions belong to its tab: hidden while another tab shows
                tabs.on_value_change(lambda e: self.actions.set_visibility(e.value == details.props['name']))
            self.actions.move(card)  # built with the form, shown below the scrolling body
        if self.writable:
            for element in self.inputs.values():
                if isinstance(element, ValueElement | ImageInput):  # a picture's input tells its own changes
                    element.on_value_change(self._hold_while_edited)
        self.dialog.open()

    def _hold_while_edited(self) -> None:
        """With unsaved edits, Escape or a click beside the dialog no longer closes it (Quasar shakes it instead):
        they closed it without a word and the edits were gone. Cancel still closes it, as asked; saving closes it."""
        edited = bool(self._edited())
        if bool(self.dialog.props.get('persistent')) != edited:
            self.dialog.props['persistent'] = edited
            self.dialog.update()

    # --- layout -----------------------------------------------------------------------------------------------------

    def _header(self) -> None:
        with ui.row().classes('w-full items-center justify-between no-wrap'):
            title = (
                self.resource.said('new')
                if self.is_new
                else str(
                    getattr(self.record, self.resource.title, '')
                    or _('{singular} #{id}').format(singular=shown(self.resource.singular), id=self.record.id)
                )
            )
            self.title_label = ui.label(title).classes('text-lg font-medium truncate').mark('record-title')
            if self.record is not None and getattr(self.record, 'deleted_at', None):
                ui.badge(_('in the trash'), color='negative')
            elif self.record is not None and self.resource.page:  # its whole picture: orders, requests…
                site_link(_('Open page'), self.resource.page_of(self.record)).classes('text-sm shrink-0').mark(
                    'record-page'
                )

    def _form(self) -> None:
        self.inputs: dict[str, ui.element] = {}
        in_trash = self.record is not None and getattr(self.record, 'deleted_at', None) is not None
        for declared in self.resource.fields:
            if self.is_new and not declared.on_create:
                continue
            if not self.is_new and declared.kind == 'password' and not declared.on_edit:
                continue  # a password is never shown: an edit would offer an empty, read-only box
            if self.record is not None and declared.applies is not None and not declared.applies(self.record):
                continue
            if declared.name in self.withheld:
                withheld_note(declared, self.withheld[declared.name])
                continue
            element = field_input(
                declared,
                self._shown_value(declared.name, editable=declared.on_edit or self.is_new),
                self.resource.most_characters(declared),
            )
            if self.record is not None and declared.note is not None and (note := declared.note(self.record)):
                element.props['hint'] = note  # a value, never parsed as props
            if not self.writable or in_trash or (not self.is_new and not declared.on_edit):
                show_read_only(element)
            self.inputs[declared.name] = element
        if self.record is not None and hasattr(self.record, 'created_at') and hasattr(self.record, 'version'):
            ui.label(
                _('Added {added} · changed {changed} · version {version}').format(
                    added=when(self.record.created_at),
                    changed=when(self.record.updated_at),
                    version=self.record.version,
                )
            ).classes('text-xs text-gray-500')
        with (
            ui.row().classes('w-full justify-end gap-2 wrap').style('flex: none').mark('record-actions') as self.actions
        ):
            if in_trash and self.writable:
                ui.button(_('Restore'), icon='restore_from_trash', on_click=self._restore)
            elif self.writable:
                if not self.is_new:
                    self._action_buttons()
                    if self.resource.soft_delete and (
                        self.resource.deletable is None or self.resource.deletable(self.record)
                    ):  # a legal document with published versions is refused: no button that always fails
                        ui.button(_('Delete'), icon='delete', on_click=self._delete).props('flat color=negative')
                ui.button(_('Cancel'), on_click=self.dialog.close).props('flat')
                self.save_button = ui.button(
                    self.resource.said('create') if self.is_new else _('Save changes'), on_click=self._save
                )
            else:
                if self.resource.read_only and not self.is_new:
                    self._action_buttons()  # a log's own actions (a delivery's Resend), each with its permission
                ui.button(_('Close'), on_click=self.dialog.close).props('flat')

    def _follow_kind(self) -> None:
        """A new record's title and button name what is being made as its kind is chosen ('New legal document',
        'Create legal document'; it said 'Create page' for any content)."""
        if self.resource.kind_words is None or self.resource.kind_words[0] not in self.inputs:
            return
        name = self.resource.kind_words[0]
        kind = self.inputs[name]

        def named() -> None:
            chosen = {name: _value(kind)}
            self.title_label.text = self.resource.said('new', chosen)
            if hasattr(self, 'save_button'):
                self.save_button.text = self.resource.said('create', chosen)

        kind.on_value_change(named)
        named()

    def _shown_value(self, name: str, *, editable: bool = True) -> Any:
        """A field's value as the form shows it: a text the app stored with its msgid (`<name>_key`) in the reader's
        language where it cannot be edited (a log's record, a mailbox's last error), else as loaded."""
        value = self.loaded.get(name)
        if (self.writable and editable) or self.record is None or not hasattr(self.record, f'{name}_key'):
            return value
        key, params = getattr(self.record, f'{name}_key'), getattr(self.record, f'{name}_params', None)
        return stored_text.show(value or '', key, params) if isinstance(value, str | None) else value

    def _action_buttons(self) -> None:
        for action in self.resource.actions:
            if action.offered(self.record, self.user) and can(self.user, action.permission):
                ui.button(shown(action.label), icon=action.icon, on_click=lambda a=action: self._action(a)).props(
                    'flat'
                )

    def _related_list(self, declared: RelatedList) -> None:
        """The first records of another resource that point at this one, each opening its own dialog."""
        target = RESOURCES[declared.resource]
        request = query.ListRequest(filters={declared.filter: self.record.id}, page_size=50)
        with read_session() as session:
            page = query.list_page(session=session, actor=self.user, resource=target, request=request)
        count = target.counted(page.total)
        ui.label(count if page.exact else _('about {count}').format(count=count)).classes('text-sm text-gray-500')
        shown = [c for c in target.columns if c.kind != 'related'][:3]
        with ui.list().props('dense separator').classes('w-full max-h-96 overflow-auto'):
            for record in page.rows:
                with (
                    ui.item(on_click=lambda r=record.id: open_record(target, r))
                    .props('clickable')
                    .mark(f'related-{record.id}')
                ):
                    with ui.item_section():
                        ui.item_label(str(getattr(record, target.title, '') or f'#{record.id}'))
                        ui.item_label(' · '.join(c.text(record) for c in shown if c.name != target.title)).props(
                            'caption'
                        )
        if page.total > len(page.rows):
            ui.label(
                _('Showing the first {n}; filter the {list} list for all.').format(
                    n=len(page.rows), list=shown(target.label)
                )
            ).classes('text-xs text-gray-500')

    def _ledger(self) -> None:
        """Each change of the quantity the record holds (a product's stock), newest first, a page at a time: when, by
        how much (its sign written, never colour alone), what it left, why, what it came from and who. A list rather
        than a table: it reads the same at a phone's width and a desktop's."""
        ledger = self.resource.ledger
        assert ledger is not None
        body = ui.column().classes('w-full gap-1')

        def show(page: int) -> None:
            reader = acting_user()  # a page asked for later: the rights of whoever is signed in now
            if reader is None:
                return
            loaded = call_now(_load_ledger, reader, ledger, self.record.id, page)
            if loaded is FAILED:
                return
            body.clear()
            with body:
                if not loaded.rows:
                    ui.label(shown(ledger.empty)).classes('text-sm text-gray-500').mark('ledger-empty')
                    return
                with ui.list().props('dense separator').classes('w-full'):
                    for row in loaded.rows:
                        _ledger_row(row)
                if loaded.pages > 1:
                    with ui.row().classes('w-full items-center justify-between gap-2').mark('ledger-pager'):
                        ui.button(_('Newer'), icon='chevron_left', on_click=lambda: show(loaded.page - 1)).props(
                            'flat dense'
                        ).mark('ledger-newer').set_enabled(loaded.page > 1)
                        ui.label(
                            _('Page {page} of {pages}').format(
                                page=formatting.number(loaded.page), pages=formatting.number(loaded.pages)
                            )
                        ).classes('text-xs text-gray-500').mark('ledger-page')
                        ui.button(_('Older'), icon='chevron_right', on_click=lambda: show(loaded.page + 1)).props(
                            'flat dense icon-right=chevron_right'
                        ).mark('ledger-older').set_enabled(loaded.page < loaded.pages)

        show(1)

    def _changes(self) -> None:
        """What this record changed from the one it replaced: added lines marked +, removed ones − and struck through
        (never colour alone), long unchanged stretches folded."""
        comparison = self.resource.comparison
        assert comparison is not None
        changes = call_now(_load_changes, self.user, comparison, self.record.id)
        if changes is FAILED:
            return
        ui.label(changes.against or _('The first version: all of its text is new.')).classes(
            'text-sm text-gray-500 pb-2'
        )
        for line in changes.lines:
            shown_line = ui.label(line.text if line.kind == 'skipped' else f'{CHANGE_SIGNS[line.kind]} {line.text}')
            shown_line.classes('w-full font-mono text-sm whitespace-pre-wrap break-words px-3').mark(
                f'change-{line.kind}'
            )
            if line.kind == 'added':
                shown_line.classes('bg-green-50 text-green-700')
            elif line.kind == 'removed':
                shown_line.classes('bg-red-50 text-red-800 line-through')
            elif line.kind == 'skipped':
                shown_line.classes('text-gray-500 italic py-1')
            else:
                shown_line.classes('text-gray-700')

    def _history(self) -> None:
        user = acting_user()
        with read_session() as session:
            entries = crud.history(session=session, actor=user, resource=self.resource, record_id=self.record.id)
            # people by name and a change through an API key by the key's name, as the stale-save warnings name them
            who = audit.names_of(session, entries)
        if not entries:
            ui.label(_('No recorded changes.')).classes('text-gray-500')
        declared = {f.name: f for f in self.resource.fields}
        with ui.column().classes('w-full gap-3 max-h-96 overflow-auto'):
            for position, entry in enumerate(entries):
                with ui.column().classes('w-full gap-1 border-b pb-2'):
                    with ui.row().classes('w-full justify-between items-center no-wrap'):
                        ui.label(audit_story.summary_text(entry) or entry.action).classes('font-medium text-sm')
                        ui.label(f'{when(entry.at)} · {who[entry.actor_email]}').classes('text-xs text-gray-500')
                    for name, (before, after) in entry.changes.items():
                        if name in declared or name == 'deleted_at':
                            field = declared.get(name)
                            ui.label(
                                _('{field}: {before} → {after}').format(
                                    field=shown(field.label) if field else _('In the trash'),
                                    before=_shown(before, field),
                                    after=_shown(after, field),
                                )
                            ).classes('text-xs')
                    if position > 0 and self.writable and entry.version:
                        ui.button(
                            _('Revert to version {version}').format(version=entry.version),
                            icon='history',
                            on_click=lambda e=entry: self._revert(e.id),
                        ).props('flat dense size=sm')

    # --- actions ----------------------------------------------------------------------------------------------------

    def _edited(self) -> dict[str, Any]:
        return {
            name: _value(element)
            for name, element in self.inputs.items()
            if _value(element) != _normal(self.declared[name], self.loaded.get(name))
        }

    async def _save(self) -> None:
        user = acting_user()
        if user is None:
            return
        clear_errors(self.inputs)
        changes = self._edited()
        if self.is_new:
            work = lambda s: crud.create_record(  # noqa: E731
                session=s,
                actor=user,
                resource=self.resource,
                data={n: _value(e) for n, e in self.inputs.items() if _value(e) is not None},
            )
        elif not changes:
            ui.notify(_('Nothing to save'))
            return
        else:
            work = lambda s: crud.update_record(  # noqa: E731
                session=s,
                actor=user,
                resource=self.resource,
                record_id=self.record.id,
                version=self.version,
                changes=changes,
            )

        def said(result: Any) -> None:
            note = self.resource.saved_note(result) if self.resource.saved_note and not self.is_new else ''
            ui.notify(
                getattr(result, 'message', '')
                or note
                or (
                    self.resource.said_about('created', getattr(result, 'record', result))
                    if self.is_new
                    else _('Changes saved')
                ),
                type='positive',
                multi_line=bool(note),
            )
            _reveal(result)

        result = await self._run(work, then=said)
        if self.is_new and result not in (None, True) and self.on_created is not None:
            await _maybe_await(self.on_created(getattr(result, 'record', result)))

    async def _delete(self) -> None:
        user = acting_user()
        record_id = self.record.id
        if not await ask_before_trashing(self.resource, [record_id], crud.title_of(self.resource, self.record)):
            return
        await self._run(
            lambda s: crud.delete_record(
                session=s, actor=user, resource=self.resource, record_id=record_id, version=self.version
            ),
            then=lambda _result: offer_undo(
                self.resource.said_about('trashed', self.record), lambda: self._undo_delete(record_id)
            ),
        )

    async def _undo_delete(self, record_id: int) -> None:
        user = acting_user()
        if user is None:
            return
        await run.io_bound(
            _in_session,
            lambda s: crud.restore_record(session=s, actor=user, resource=self.resource, record_id=record_id),
        )
        ui.notify(self.resource.said_about('restored', self.record), type='positive')
        await _maybe_await(self.on_saved())

    async def _restore(self) -> None:
        user = acting_user()
        await self._run(
            lambda s: crud.restore_record(session=s, actor=user, resource=self.resource, record_id=self.record.id),
            then=lambda _result: ui.notify(self.resource.said_about('restored', self.record), type='positive'),
        )

    async def _revert(self, entry_id: int) -> None:
        user = acting_user()
        await self._run(
            lambda s: crud.revert_to(
                session=s,
                actor=user,
                resource=self.resource,
                record_id=self.record.id,
                entry_id=entry_id,
                version=self.version,
            ),
            then=lambda _result: ui.notify(_('Reverted; the revert is in the history too'), type='positive'),
        )

    async def _action(self, action: Action) -> None:
        # an action works on the saved record: it would drop (or publish without) what was typed, so either it saves
        # the edits first, in the same transaction (Publish version), or the form offers that in place, by the buttons
        if self._edited() and not action.saves_edits and self.saving_asked != action.key:
            self._offer_saving_first(action)
            return
        self._hide_saving_offer()
        if action.inputs or action.confirm:
            self._ask(action)
            return
        user = acting_user()
        inputs = await self._heeded(action, user, {})
        if inputs is None:
            return

        def said(result: Any) -> None:
            ui.notify(getattr(result, 'message', '') or done(action), type='positive')
            _reveal(result)

        edited = self._edited()
        await self._run(lambda s: self._run_action(s, user, action, inputs, edited), then=said)

    def _offer_saving_first(self, action: Action) -> None:
        """'Save your changes first: Adjust stock works on the saved record.' with the button that does both, above
        the form's buttons (a notice said it and left the person to find Save, then the action again)."""
        self._hide_saving_offer()
        with self.actions:
            # the sentence and the button side by side where both fit; on a phone the button goes under the sentence,
            # whole (beside it, it was squeezed to one word a line: "Save / and / continue")
            with (
                ui.row()
                .classes('w-full items-center gap-2 p-2 rounded bg-amber-50 text-amber-900')
                .mark('save-first') as self.saving_offer
            ):
                with ui.row().classes('items-center gap-2 no-wrap').style('flex: 1 1 16rem'):
                    ui.icon('edit_note')
                    ui.label(
                        _('Save your changes first: {action} works on the saved record.').format(
                            action=shown(action.label)
                        )
                    ).classes('grow text-sm')

                async def save_and_continue() -> None:
                    self.saving_asked = action.key
                    await self._action(action)

                ui.button(_('Save and continue'), on_click=save_and_continue).props('dense no-caps no-wrap').classes(
                    'ml-auto'
                ).mark('save-and-continue')
        self.saving_offer.move(self.actions, target_index=0)

    def _hide_saving_offer(self) -> None:
        if self.saving_offer is not None:
            self.saving_offer.delete()
            self.saving_offer = None

    def _run_action(
        self, session: Any, user: User, action: Action, inputs: dict[str, Any], edited: dict[str, Any]
    ) -> Any:
        """The action on the saved record; with unsaved edits (an action that `saves_edits`, or one the person asked to
        save and continue with), the edits saved first in the same transaction, checked against the version this form
        loaded."""
        if edited:
            return crud.save_then_run(
                session=session,
                actor=user,
                resource=self.resource,
                record_id=self.record.id,
                version=self.version,
                changes=edited,
                action=action,
                asked=self.saving_asked == action.key,
                **inputs,
            )
        return action.run(session=session, actor=user, record_id=self.record.id, version=self.version, **inputs)

    async def _heeded(self, action: Action, user: Any, values: dict, **shown_at: Any) -> dict | None:
        return await heeded(action, user, self.record.id, values, **shown_at)

    def _ask(self, action: Action) -> None:
        """A small dialog for an action's inputs (or its confirmation). It stays open until the service accepts:
        what it refuses shows at the input (an empty ban reason), or in the dialog's message line."""
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(shown(action.confirm or action.label)).classes('text-lg font-medium')
            foreseen(action, self.record.id)
            if self._edited():  # only an action that saves edits, or one asked to, gets here with some (see _action)
                ui.label(_('Your unsaved changes are saved first, as part of it.')).classes('text-sm').mark(
                    'saves-edits-first'
                )
            inputs = {f.name: field_input(f, None) for f in action.inputs}
            for element in inputs.values():
                element.props('outlined stack-label')  # the label sits above the text, never over it
            message = error_line()

            def stale(said: str) -> None:  # a colleague saved meanwhile: back to the form, which says who and reloads
                dialog.close()
                self._show_conflict(said)

            async def confirm() -> None:
                user = acting_user()
                if user is None:
                    return
                values = await self._heeded(
                    action,
                    user,
                    {name: _value(element) for name, element in inputs.items()},
                    fields=inputs,
                    message=message,
                )
                if values is None:
                    return
                edited = self._edited()
                result = await call(
                    _in_session,
                    lambda s: self._run_action(s, user, action, values, edited),
                    fields=inputs,
                    message=message,
                    on_stale=lambda error: stale(str(error)),
                )
                if result is FAILED:
                    return
                # the message first, while this button still exists: its page is found through it
                ui.notify(
                    getattr(result, 'message', '') or done(action),
                    type='positive',
                )
                dialog.close()
                self.dialog.close()
                _reveal(result)
                await _maybe_await(self.on_saved())

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                # the action's own name ("Ban", "Publish version"), not "Confirm": the button says what it does
                ui.button(shown(action.label), on_click=confirm).mark('confirm-action')
        dialog.open()

    async def _run(self, work: Callable, then: Callable[[Any], Any] | None = None):
        """Run one service call off the event loop; show its errors where they belong; on success say so (`then`,
        while this dialog's elements still exist: a notice finds its page through them), close and refresh."""
        if acting_user() is None:
            return None
        result = await call(
            _in_session, work, fields=self.inputs, on_stale=lambda error: self._show_conflict(str(error))
        )
        if result is FAILED:
            return None
        if then is not None:
            then(result)
        self.dialog.close()
        await _maybe_await(self.on_saved())
        return result if result is not None else True

    def _show_conflict(self, message: str) -> None:
        self.conflict.clear()
        with self.conflict:
            ui.icon('warning')
            ui.label(message).classes('grow text-sm')
            ui.button(_('Reload'), on_click=self._reload).props('flat dense')
        self.conflict.set_visibility(True)

    def _reload(self) -> None:
        """Take the newest version: untouched fields show the new values, what the user typed stays."""
        user = acting_user()
        with read_session() as session:
            fresh = crud.get_record(session=session, actor=user, resource=self.resource, record_id=self.record.id)
        edited = self._edited()
        self.record, self.version, self.loaded = fresh, fresh.version, self._values_of(fresh)
        for name, element in self.inputs.items():
            if name in edited:
                continue
            if isinstance(element, ui.select) and self.declared[name].kind == 'choice':
                show_choice(element, self.declared[name], typed(self.declared[name], self.loaded.get(name)))
            else:
                element.value = typed(self.declared[name], self.loaded.get(name))
        self.conflict.set_visibility(False)
        ui.notify(_('Reloaded the newest version; what you typed is kept. Save again to apply it.'))

    def _values_of(self, record) -> dict[str, Any]:
        if record is None:  # a new record starts from the defaults its create model declares
            defaults = {
                name: spec.get_default(call_default_factory=True)
                for name, spec in (self.resource.create.model_fields.items() if self.resource.create else ())
                if not spec.is_required()
            }
            return {
                f.name: f.default
                if f.default is not None
                else defaults.get(f.name, False if f.kind == 'bool' else None)
                for f in self.resource.fields
            }
        return {
            f.name: f.shown(record) if f.shown is not None else getattr(record, f.name, None)
            for f in self.resource.fields
            if f.name not in self.withheld
        }


def withheld_note(declared: FormField, missing: list[str]) -> None:
    """In place of a value the reader may not see: that it is hidden, and the right it needs (in words)."""
    ui.label(
        _('{field} hidden: needs {rights}').format(
            field=shown(declared.label), rights=', '.join(f'"{_(PERMISSIONS[name])}"' for name in missing)
        )
    ).classes('w-full text-sm text-gray-600 italic break-words').mark(f'withheld-{declared.name}')


def field_input(declared: FormField, value: Any, most: int | None = None) -> ui.element:
    """The input for one declared field, showing `value`; a text field takes at most `most` characters (the
    resource's limit, Resource.most_characters; else its declaration's) and counts them under it."""
    label = shown(declared.label) + (' *' if declared.required else '')
    current = typed(declared, value)
    if declared.kind == 'bool':  # its help under it, and the reason a save was refused (QToggle shows neither)
        return FlagSwitch(
            shown(declared.label), value=bool(value), help_text=shown(declared.help) if declared.help else ''
        ).classes('w-full')
    elif declared.kind == 'image':
        element = image_input(declared, value)
    elif declared.kind == 'password':
        element = ui.input(label, password=True, password_toggle_button=True)
    elif declared.kind == 'choice':
        element = ui.select(shown_choices(declared.choices), label=label)
        show_choice(element, declared, current)
    elif declared.kind == 'related':
        element = related_select(declared.related, label, value=value)
    elif declared.kind in ('long_text', 'markdown'):
        element = ui.textarea(label, value=current or '').props('autogrow')
        if declared.kind == 'markdown':
            markdown_preview(element)
    elif declared.kind == 'money':  # text: a number input drops a decimal comma (12,50 became 1250); the model
        # reads 12,50 and 12.50 alike and refuses what is not an amount, at the field
        element = ui.input(label, value=current or '').props('inputmode=decimal')
    elif declared.kind == 'number':  # text: Chromium's number input read '1,5' as 15 (components/whole_number.py)
        element = WholeNumberInput(label, value=value)
    elif declared.kind in ('date', 'datetime'):  # the reader's format (03/12/2026), not the browser's
        element = DateInput(label, value=current or '', with_time=declared.kind == 'datetime')
    else:
        element = ui.input(label, value=current or '').props('type=email' if declared.kind == 'email' else '')
    element.classes('w-full')
    most = most if most is not None else most_characters((), declared)
    if most is not None and isinstance(element, ui.input):  # a textarea is one too
        counted(element, most)
    if declared.help and hasattr(element, 'props'):
        element.props['hint'] = shown(declared.help)  # a value, never parsed as props
    if isinstance(element, ui.input | ui.select):
        # its help and its error in the flow, not over a 20 px strip: a help or an error wrapped to two lines ran over
        # the next field, and under the last one put a scrollbar in a dialog with room to spare (New user at 1440×900)
        element.props['hide-bottom-space'] = True
    return element


def show_choice(element: ui.select, declared: FormField, current: Any) -> None:
    """A choice field showing `current`. A held value (set by an action: a banned customer) shows among the
    options, not as an empty box, and read-only: only its action changes it back (Unban); an edit keeps it."""
    held = current is not None and current in (declared.held or {})
    element.set_options(
        {**shown_choices(declared.choices), **({current: shown((declared.held or {})[current])} if held else {})},
        value=current if held or current in (declared.choices or {}) else None,
    )
    element.props['clearable'] = not declared.required and not held and not element.props.get('readonly')
    if held:  # never lifted here: the form makes a field read-only for other reasons too (a viewer, the trash)
        show_read_only(element)


def show_read_only(element: ui.element) -> None:
    """A field shown but not editable looks it: a day without its calendar icon, a choice or a related record without
    its dropdown arrow and clear button, a switch that does not move (QToggle has no read-only state: it flipped under
    the click and nothing saved it). Each invited a click that did nothing."""
    if isinstance(element, DateInput):
        element.read_only()
    elif isinstance(element, FlagSwitch):
        element.disable()
    else:
        element.props('readonly')
        not_counted(element)  # a count is for typing: on a value that cannot change, it is noise
    if isinstance(element, ui.select):
        element.props('hide-dropdown-icon')
        element.props['clearable'] = False


def markdown_preview(text: ui.textarea) -> None:
    """A Markdown field's preview, rendered only while it is open (sanitized in the browser, NiceGUI 3's default):
    rendered on every keystroke while closed, a 3,000-character text typed into a page's body took the server seconds
    of Markdown conversions before the form's "Create page" was answered."""
    with ui.expansion(_('Preview'), icon='visibility').classes('w-full text-sm') as box:
        # remote images taken out on the server (a tracking pixel), then sanitized in the browser as before; set as the
        # customer reads it (its headings were NiceGUI's, twice the portal's); a long word wraps (it was cut off)
        shown_text = reading_markdown(sanitize=without_remote_images).props('sanitize')

    def render() -> None:
        if box.value and shown_text.content != (text.value or ''):
            shown_text.set_content(text.value or '')

    box.on_value_change(render)
    text.on_value_change(render)


async def heeded(action: Action, user: Any, record_id: int, values: dict, **shown_at: Any) -> dict | None:
    """The action's warning, if it has one for these values, asked first ("the original comes from another
    customer"): the values to run it with (confirmed), or None when the person did not go ahead."""
    if action.warn is None:
        return values
    warning = await call(
        _in_session,
        lambda s: action.warn(session=s, actor=user, record_id=record_id, **values),
        **shown_at,
    )
    if warning is FAILED:
        return None
    if not warning:
        return values
    if not await confirm(warning, _('Go ahead')):
        return None
    return {**values, 'confirmed': True}


def action_buttons(resource: Resource, record: Any, user: User, on_done: Callable[[], Any]) -> None:
    """A record's declared actions as buttons of its own (a record page's header): those that apply to it now and the
    reader may run, each asking its inputs or confirmation in a small dialog, as the record dialog does. Ban, Reset
    password… were reachable only inside the record's edit dialog."""
    if getattr(record, 'deleted_at', None) is not None:
        return  # a record in the trash is read-only until restored
    for action in resource.actions:
        if action.offered(record, user) and can(user, action.permission):
            ui.button(
                shown(action.label),
                icon=action.icon,
                on_click=lambda a=action: run_on_record(resource, record, a, on_done),
            ).props('outline').mark(f'action-{action.key}')


async def run_on_record(resource: Resource, record: Any, action: Action, on_done: Callable[[], Any]) -> None:
    """Run one action on a record as shown (its version: a colleague's change meanwhile is refused and said)."""
    version = getattr(record, 'version', None)

    async def go(values: dict, **shown_at: Any) -> bool:
        user = acting_user()
        if user is None:
            return False
        values = await heeded(action, user, record.id, values, **shown_at)
        if values is None:
            return False
        result = await call(
            _in_session,
            lambda s: action.run(session=s, actor=user, record_id=record.id, version=version, **values),
            **shown_at,
        )
        if result is FAILED:
            return False
        ui.notify(getattr(result, 'message', '') or done(action), type='positive')
        _reveal(result)
        await _maybe_await(on_done())
        return True

    if not (action.inputs or action.confirm):
        await go({})
        return
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(shown(action.confirm or action.label)).classes('text-lg font-medium')
        foreseen(action, record.id)
        inputs = {f.name: field_input(f, None) for f in action.inputs}
        for element in inputs.values():
            element.props('outlined stack-label')
        message = error_line()

        async def confirmed() -> None:
            values = {name: _value(element) for name, element in inputs.items()}
            if await go(values, fields=inputs, message=message):
                dialog.close()

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(shown(action.label), on_click=confirmed).mark('confirm-action')
    dialog.open()


def foreseen(action: Action, record_id: int) -> None:
    """In an action's dialog: what it will do beyond the record, when its declaration says (Action.foresee)."""
    user = acting_user()
    if action.foresee is None or user is None:
        return
    foresee = action.foresee
    said = call_now(_in_session, lambda s: foresee(session=s, actor=user, record_id=record_id))
    if not said or said is FAILED:
        return
    if isinstance(said, str):
        ui.label(said).classes('text-sm break-words').mark('action-foreseen')
        return
    with ui.column().classes('w-full gap-2').mark('action-foreseen'):  # a part under each heading, a line a bullet
        for part in said:
            with ui.column().classes('w-full gap-0'):
                ui.label(part.heading).classes('text-sm font-medium').props('role=heading aria-level=3')
                with ui.element('ul').style('list-style: disc; padding-left: 1.25rem; margin: 0'):
                    for line in part.lines:
                        with ui.element('li'):
                            ui.label(line).classes('text-sm break-words')


def done(action: Action) -> str:
    """What an action says when its service has nothing more to say: 'Publish: done'."""
    return _('{action}: done').format(action=shown(action.label))


def _reveal(result: Any) -> None:
    if isinstance(result, Outcome) and result.secret:
        show_secret_once(result.secret_label or _('Shown once'), result.secret, note=result.secret_note)


async def ask_before_trashing(resource: Resource, ids: list[int], name: str = '') -> bool:
    """When live records point at these (products in a category), say what becomes of them and ask; True: go on (also
    when nothing points at them: the trash and Undo are the safety then). `name`: the one record's title."""
    user = acting_user()
    if user is None:
        return False
    said = await call(_in_session, lambda s: crud.trash_consequences(session=s, actor=user, resource=resource, ids=ids))
    if said is FAILED:
        return False
    if not said:
        return True
    title = (
        _('Move “{name}” to the trash?').format(name=name)
        if name and len(ids) == 1
        else _('Move {records} to the trash?').format(records=resource.counted(len(ids)))
    )
    return await confirm(' '.join(said), _('Move to the trash'), title=title)


def _in_session(work: Callable):
    with session_scope() as session:
        return work(session)


def _value(element: ui.element) -> Any:
    if isinstance(element, WholeNumberInput):
        return element.number
    value = element.value
    return None if value == '' else value


def typed(declared: FormField, value: Any) -> Any:
    """A stored value as its field shows it: an amount as the reader types one (1234,50 in French, 1234.50 in
    English: no grouping, no currency), which the models read back in either way."""
    if declared.kind == 'money' and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return formatting.typed_amount(value)
    return _input_value(value)


def _input_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, indent=1, ensure_ascii=False, default=str)
    if isinstance(value, datetime):
        return value.strftime('%Y-%m-%dT%H:%M')
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # a decimal that is not money (a money field's: `typed`)
        return str(value)
    if hasattr(value, 'value') and not isinstance(value, (int, float, str, bool)):
        return value.value  # an enum member
    return value


def _normal(declared: FormField, value: Any) -> Any:
    value = typed(declared, value)
    return None if value == '' else value


def _shown(value: Any, field: FormField | None = None) -> str:
    """A value of the history (as the log stores it) as the field shows it: a status by its label, a flag Yes/No."""
    if field is not None and field.kind in ('choice', 'bool'):
        return display_value(value, field.kind, field.choices) or '—'
    return display_value(value) or '—'


async def _maybe_await(result: Any) -> None:
    if hasattr(result, '__await__'):
        await result
