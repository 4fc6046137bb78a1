"""The Views menu of a list: apply a saved filter + sort + columns, save the current ones (for me or the team), rename
the chosen one (its owner), delete it (its owner, or an admin), or publish the chosen view as a spreadsheet feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.i18n import _, pgettext
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import Resource
from backoffice.services import feeds, views
from backoffice.validation import NAME_MAX

from .feed_dialog import publish_dialog
from .forms import FAILED, call_now, confirm, counted, page_dialog
from .session import acting_user, once_connected


class SavedViews:
    def __init__(self, resource: Resource, *, current: Callable[[], dict], apply: Callable[[dict], Any]) -> None:
        self.resource, self.current, self.apply = resource, current, apply
        self.states: dict[int, dict] = {}
        self.names: dict[int, str] = {}
        self.deletable: set[int] = set()  # the views this person may delete: their own (every one, for an admin)
        self.renamable: set[int] = set()  # their own
        self._just_saved: int | None = None
        self.select = (
            ui.select({}, label=pgettext('saved view', 'View'), clearable=True, on_change=self._chosen)
            .props('outlined dense')
            # on a phone it takes what the row leaves beside its buttons: at 160 px the last one wrapped to a row of
            # its own (the list's download button, alone under the others)
            .classes('min-w-40 max-sm:min-w-0 max-sm:flex-1')
            .mark('views')
        )
        save = ui.button(icon='bookmark_add', on_click=self._save_dialog).props('flat round')
        save.props['aria-label'] = _('Save view')
        save.tooltip(_('Save this view')).mark('save-view')
        # at the foot of the views' menu once a view this person may delete is chosen (a view saved by mistake, or under
        # a typo, stayed forever): in the menu, as a button beside the others it left the select no room on a phone
        with self.select.add_slot('after-options'):
            self.rename = (
                ui.button(_('Rename the chosen view'), icon='edit', on_click=self._rename_dialog)
                .props('flat dense no-caps align=left')
                .classes('w-full')
                .mark('rename-view')
            )
            self.delete = (
                ui.button(_('Delete the chosen view'), icon='bookmark_remove', on_click=self._delete)
                .props('flat dense no-caps align=left')
                .classes('w-full text-negative')
                .mark('delete-view')
            )
        self.delete.set_visibility(False)
        self.rename.set_visibility(False)
        user = acting_user()
        self.feed: ui.button | None = None
        if user is not None and can(user, feeds.PUBLISH):
            self.feed = ui.button(icon='rss_feed', on_click=self._publish).props('flat round')
            self.feed.props['aria-label'] = _('Publish as a spreadsheet feed')
            self.feed.tooltip(_('Publish the chosen view as a spreadsheet feed')).mark('publish-view')
            self.feed.bind_enabled_from(self.select, 'value', backward=lambda value: value is not None)
        once_connected(self._connected)  # the views are read once the page is served: its first paint does not wait

    def _connected(self, user: User) -> None:
        if not self.select.is_deleted:
            self.refresh(user)

    def refresh(self, user: User | None = None) -> None:
        user = user or acting_user()
        if user is None:
            return
        with read_session() as session:
            saved = views.list_views(session=session, actor=user, resource=self.resource)
        self.states = {view.id: view.state for view in saved}
        self.names = {view.id: view.name for view in saved}
        self.deletable = {view.id for view in saved if view.owner_id == user.id or can(user, views.DELETE_ANY)}
        self.renamable = {view.id for view in saved if view.owner_id == user.id}
        self._show_delete()
        self.select.set_options(
            {view.id: _('{name} (team)').format(name=view.name) if view.shared else view.name for view in saved}
        )

    def _publish(self) -> None:
        view_id = self.select.value
        if view_id is None:
            return
        publish_dialog(view_id, self.names.get(view_id, ''))

    def forget_choice(self) -> None:
        """The user changed the search, a filter or the sort: the list no longer shows the chosen view."""
        if self.select.value is not None:
            self.select.set_value(None)

    def _show_delete(self) -> None:
        self.delete.set_visibility(self.select.value in self.deletable)
        self.rename.set_visibility(self.select.value in self.renamable)

    def _rename_dialog(self) -> None:
        view_id = self.select.value
        if view_id not in self.renamable:
            return
        self.select.run_method('hidePopup')  # the menu the button is in: not left open behind the dialog
        with page_dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            ui.label(_('Rename view')).classes('text-lg font-medium')
            fields = {
                'name': counted(ui.input(_('Name'), value=self.names.get(view_id, '')), NAME_MAX).classes('w-full')
            }

            def rename() -> None:
                user = acting_user()
                if user is None:
                    return
                view = call_now(_rename_view, user, view_id, fields['name'].value, fields=fields)
                if view is FAILED:
                    return
                dialog.close()
                self.refresh(user)  # the chosen view stays chosen, under its new name
                ui.notify(_('View renamed “{name}”').format(name=view.name), type='positive')

            fields['name'].on('keydown.enter', rename)
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Rename'), on_click=rename).mark('rename-view-submit')
        dialog.open()

    async def _delete(self) -> None:
        view_id = self.select.value
        if view_id not in self.deletable:
            return
        self.select.run_method('hidePopup')  # the menu the button is in: not left open behind the question, nor after
        name = self.names.get(view_id, '')
        question = _('Delete the view “{name}”? The list stays as it shows now.').format(name=name)
        if not await confirm(question, _('Delete view'), title=_('Delete view')):
            return
        user = acting_user()
        if user is None or call_now(_delete_view, user, view_id) is FAILED:
            return
        self._just_saved = None
        self.select.set_value(None)  # the list goes on showing what it shows: only the view's name goes
        self.refresh(user)
        ui.notify(_('View “{name}” deleted').format(name=name), type='positive')

    async def _chosen(self, event) -> None:
        self._show_delete()
        if event.value == self._just_saved:  # the list already shows what the view holds
            self._just_saved = None
            return
        if event.value in self.states:
            await self.apply(self.states[event.value])

    def _save_dialog(self) -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            ui.label(_('Save this view')).classes('text-lg font-medium')
            ui.label(_('Keeps the search, filters, sort and columns.')).classes('text-sm text-gray-500')
            fields = {'name': counted(ui.input(_('Name')), NAME_MAX).classes('w-full')}
            shared = ui.switch(_('Share with the team'))

            def save() -> None:
                user = acting_user()
                if user is None:
                    return
                view = call_now(
                    _save_view, user, self.resource, fields['name'].value, self.current(), shared.value, fields=fields
                )
                if view is FAILED:
                    return
                dialog.close()
                self.refresh()
                self._just_saved = view.id  # selected to show its name; the list already shows what it holds
                self.select.set_value(view.id)
                ui.notify(_('View “{name}” saved').format(name=view.name), type='positive')

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save view'), on_click=save)
        dialog.open()


def _rename_view(user, view_id: int, name: str):
    with session_scope() as session:
        return views.rename_view(session=session, actor=user, view_id=view_id, name=name)


def _delete_view(user, view_id: int) -> None:
    with session_scope() as session:
        views.delete_view(session=session, actor=user, view_id=view_id)


def _save_view(user, resource, name: str, state: dict, shared: bool):
    with session_scope() as session:
        return views.save_view(session=session, actor=user, resource=resource, name=name, state=state, shared=shared)
