"""The bell in the header: the signed-in person's unread notifications (an SLA missed, stock running low), live."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.formatting import ago
from backoffice.i18n import _
from backoffice.models import Notification, User
from backoffice.services import notifications

from . import live
from .menu_on_open import MenuOnOpen
from .session import acting_user, once_connected


class NotificationBell:
    """The badge's number is read once the page is served (its browser connected), and again on every change; the
    menu of notifications is built on the bell's first click, then kept up to date with the badge."""

    def __init__(self, user: User) -> None:
        self.user_id = user.id
        with ui.button(icon='notifications').props('flat round dense color=white').mark('bell') as self.button:
            self.badge = ui.badge('', color='red').props('floating rounded').mark('bell-count')
        self.badge.set_visibility(False)
        self.button.props['aria-label'] = _('Notifications')
        self.button.props['aria-haspopup'] = 'menu'
        self.button.tooltip(_('Notifications'))
        self.menu = MenuOnOpen(
            self.button, self._build_menu, menu=lambda: ui.menu().props('anchor="bottom right" self="top right"')
        )
        self.items: ui.column | None = None
        self.lines: dict[int, tuple[ui.item, ui.item_label, ui.item_label]] = {}  # the open menu's, by notification
        once_connected(self._connected)  # its first read: after the page's first paint, not before it
        live.resource_changed(Topic.notifications).subscribe(self._on_change)

    def _connected(self, user: User) -> None:
        if not self.button.is_deleted:
            self.show(user)

    def _build_menu(self) -> None:
        # no minimum width: on a phone Quasar gives the menu only the room left of the bell (~280 px), and a wider
        # column scrolled sideways, cutting "Mark all read" and every line's end
        with ui.column().classes('gap-0 w-full max-w-sm') as self.items:
            self.nothing_new = ui.label(_('Nothing new.')).classes('p-4 text-gray-500')
            with ui.row().classes('w-full items-center justify-between px-3 py-1') as self.heading:
                ui.label(_('Notifications')).classes('font-medium')
                ui.button(_('Mark all read'), on_click=self.mark_all_read).props('flat dense no-caps size=sm').mark(
                    'mark-all-read'
                )
            self.notices = ui.column().classes('gap-0 w-full')
        self.show()

    def show(self, user: User | None = None) -> None:
        user = user or acting_user()  # checked afresh: once the page is served, a live update, the bell's click
        if user is None:
            return
        with read_session() as session:
            unread = notifications.unread_for(session=session, user=user, limit=20)
        self.badge.text = str(len(unread)) if len(unread) < 20 else '20+'
        self.badge.set_visibility(bool(unread))
        if self.items is None or self.items.is_deleted:  # the menu is not built yet: its first opening reads them
            return
        self.nothing_new.set_visibility(not unread)
        self.heading.set_visibility(bool(unread))
        self.show_notices(unread)

    def show_notices(self, unread: list[Notification]) -> None:
        """A notification already in the open menu keeps its line (its texts updated in place): a new notification
        for this person, or one read in another tab, redraws the menu while a click on a line may be on its way, and
        the browser's click on a line the server no longer has does nothing (the request did not open)."""
        wanted = {notice.id: notice for notice in unread if notice.id is not None}
        for notice_id in [n for n in self.lines if n not in wanted]:
            item = self.lines.pop(notice_id)[0]
            if not item.is_deleted:
                item.delete()
        for index, (notice_id, notice) in enumerate(wanted.items()):
            line = self.lines.get(notice_id)
            if line is None or line[0].is_deleted:
                with self.notices:
                    line = self.lines[notice_id] = self.notice_line(notice)
            item, text, when = line
            # in the reader's language; a customer's subject inside is text only
            text.text = notifications.shown(notice)
            when.text = ago(notice.created_at)
            if self.notices.default_slot.children.index(item) != index:
                item.move(self.notices, target_index=index)

    def notice_line(self, notice: Notification) -> tuple[ui.item, ui.item_label, ui.item_label]:
        with (
            ui.item(on_click=lambda n=notice: self.open(n.id, n.link))
            .props('clickable')
            .classes('w-full')
            .mark('notification') as item
        ):
            with ui.item_section():
                text = ui.item_label().classes('break-words')
                when = ui.item_label().props('caption')
        return item, text, when

    def _on_change(self, payload: dict) -> None:
        if payload.get('user_id') == self.user_id:
            self.show()

    def open(self, notice_id: int, link: str) -> None:
        user = acting_user()
        if user is None:
            return
        with session_scope() as session:
            notifications.mark_read(session=session, user=user, notification_ids=[notice_id])
        self.menu.close()
        if link.startswith('/') and not link.startswith('//'):
            ui.navigate.to(link)

    def mark_all_read(self) -> None:
        user = acting_user()
        if user is None:
            return
        with session_scope() as session:
            notifications.mark_read(session=session, user=user)
