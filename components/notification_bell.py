"""The bell in the header: the signed-in person's unread notifications (an SLA missed, stock running low), live."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.formatting import ago
from backoffice.i18n import _
from backoffice.models import User
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
        once_connected(self._connected)  # its first read: after the page's first paint, not before it
        live.resource_changed(Topic.notifications).subscribe(self._on_change)

    def _connected(self, user: User) -> None:
        if not self.button.is_deleted:
            self.show(user)

    def _build_menu(self) -> None:
        # no minimum width: on a phone Quasar gives the menu only the room left of the bell (~280 px), and a wider
        # column scrolled sideways, cutting "Mark all read" and every line's end
        self.items = ui.column().classes('gap-0 w-full max-w-sm')
        self.show()

    def show(self, user: User | None = None) -> None:
        user = user or acting_user()  # checked afresh: once the page is served, a live update, the bell's click
        if user is None:
            return
        with read_session() as session:
            unread = notifications.unread_for(session=session, user=user, limit=20)
        self.badge.text = str(len(unread)) if len(unread) < 20 else '20+'
        self.badge.set_visibility(bool(unread))
        if self.items is None:  # the menu is not built yet: its first opening reads them
            return
        self.items.clear()
        with self.items:
            if not unread:
                ui.label(_('Nothing new.')).classes('p-4 text-gray-500')
                return
            with ui.row().classes('w-full items-center justify-between px-3 py-1'):
                ui.label(_('Notifications')).classes('font-medium')
                ui.button(_('Mark all read'), on_click=self.mark_all_read).props('flat dense no-caps size=sm').mark(
                    'mark-all-read'
                )
            for notice in unread:
                with (
                    ui.item(on_click=lambda n=notice: self.open(n.id, n.link))
                    .props('clickable')
                    .classes('w-full')
                    .mark('notification')
                ):
                    with ui.item_section():
                        # in the reader's language; a customer's subject inside is text only
                        ui.item_label(notifications.shown(notice)).classes('break-words')
                        ui.item_label(ago(notice.created_at)).props('caption')

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
