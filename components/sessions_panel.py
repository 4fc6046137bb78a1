"""The sessions of one user (their own under "Security and sessions", anyone's on a user's page for admins): each
browser signed in, with "Sign out"; for one's own, "Sign out all other sessions"."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.formatting import ago, when
from backoffice.i18n import _, ngettext
from backoffice.models import StaffSession, User
from backoffice.services import staff_sessions

from . import live
from .forms import FAILED, call, call_now, confirm
from .session import acting_user, current_session_id


class SessionsPanel:
    def __init__(self, viewer: User, owner_id: int) -> None:
        self.viewer_id, self.owner_id = viewer.id, owner_id
        self.own = viewer.id == owner_id
        self.this_session = current_session_id() if self.own else None
        self.box = ui.column().classes('w-full gap-2').mark('sessions')
        self.render()
        live.sessions_ended.subscribe(self._on_ended)

    def render(self) -> None:
        if self.box.is_deleted:
            return
        with self.box:  # the element that asked (a "Sign out" button) may be gone: work in the list's own context
            viewer = acting_user()
        if viewer is None:
            return
        self.box.clear()
        with self.box:
            refused = ui.label().classes('text-sm text-gray-500').mark('sessions-refused')
            refused.set_visibility(False)
            # their role holds more than the viewer's: not theirs to see, and the panel says so in its place
            rows = call_now(self._read, viewer, message=refused)
            if rows is FAILED:
                return
            refused.delete()
            ui.label(ngettext('{n} active session', '{n} active sessions', len(rows)).format(n=len(rows))).classes(
                'text-sm text-gray-500'
            )
            for row in rows:
                self._row(row)
            if self.own and len(rows) > 1:
                ui.button(_('Sign out all other sessions'), icon='logout', on_click=self._end_others).props(
                    'outline color=negative'
                ).mark('end-other-sessions')

    def _read(self, viewer: User) -> list[StaffSession]:
        with read_session() as session:
            return staff_sessions.list_for(session=session, actor=viewer, user_id=self.owner_id)

    def _row(self, row: StaffSession) -> None:
        this = row.id == self.this_session
        with ui.card().classes('w-full p-3').props('flat bordered').mark(f'session-{row.id}'):
            with ui.row().classes('w-full items-center no-wrap gap-3'):
                ui.icon('smartphone' if _is_phone(row.device) else 'computer', size='1.5rem').classes('text-gray-500')
                with ui.column().classes('gap-0 grow min-w-0'):
                    with ui.row().classes('items-center gap-2'):
                        # at spaces ('Headless Chrome on Lin / ux' with break-all), anywhere only for one long word
                        ui.label(row.device or _('Unknown browser')).classes('font-medium wrap-anywhere')
                        if this:
                            ui.badge(_('This browser'), color='positive').mark('this-session')
                    ui.label(_('Address {address}').format(address=row.address or '?')).classes(
                        'text-sm text-gray-500 break-all'
                    )
                    ui.label(
                        _('Signed in {signed_in} · last seen {seen}').format(
                            signed_in=when(row.signed_in_at), seen=ago(row.last_seen_at)
                        )
                    ).classes('text-sm text-gray-500')
                if not this:
                    ui.button(_('Sign out'), on_click=lambda row=row: self._end(row)).props(
                        'flat dense color=negative no-caps no-wrap'  # 'Sign / out' on two lines on a phone
                    ).mark(f'end-session-{row.id}')

    async def _end(self, row: StaffSession) -> None:
        viewer = acting_user()
        if viewer is None:
            return
        ended = await call(_end, viewer, row.id)
        if ended is FAILED or self.box.is_deleted:
            return
        with self.box:  # its button may be gone already: the list re-drew when the session ended
            ui.notify(_('That session was signed out.'), type='positive')
        self.render()

    async def _end_others(self) -> None:
        viewer = acting_user()
        if viewer is None or self.this_session is None:
            return
        if not await confirm(_('Sign out every other browser signed in as you?'), _('Sign out the others')):
            return
        count = await call(_end_others, viewer, self.this_session)
        if count is FAILED or self.box.is_deleted:
            return
        with self.box:
            ui.notify(
                ngettext('{n} other session was signed out.', '{n} other sessions were signed out.', count).format(
                    n=count
                ),
                type='positive',
            )
        self.render()

    def _on_ended(self, payload: dict) -> None:
        if payload.get('user_id') == self.owner_id and not self.box.is_deleted:
            self.render()


def _end(viewer: User, session_id: int) -> StaffSession:
    with session_scope() as session:
        return staff_sessions.end(session=session, actor=viewer, session_id=session_id)


def _end_others(viewer: User, keep: int) -> int:
    with session_scope() as session:
        return staff_sessions.end_others(session=session, actor=viewer, keep_session_id=keep)


def _is_phone(device: str) -> bool:
    return any(name in device for name in ('iPhone', 'Android'))
