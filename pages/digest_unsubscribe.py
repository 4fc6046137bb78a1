"""Public page (no sign-in) of the digest's unsubscribe link: one click stops that person's digest and says so; a
forged or damaged link changes nothing and says that."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from backoffice.db import session_scope
from backoffice.i18n import N_, _
from backoffice.services import digest
from components.screens import screen
from components.shell import theme

TITLE = N_('Unsubscribe from the digest')


@screen(digest.UNSUBSCRIBE_PATH, TITLE, permission=None, public=True, in_menu=False)
def unsubscribe_page(request: Request) -> None:
    token = request.query_params.get('token', '')[:80]
    with session_scope() as session:
        user = digest.unsubscribe(session=session, token=token)
    theme()
    with ui.column().classes('w-full max-w-xl mx-auto p-4 gap-4'):
        ui.label(_(TITLE)).classes('text-2xl font-semibold')
        with ui.card().classes('w-full p-6 gap-2'):
            if user is None:
                ui.label(_('This unsubscribe link is not valid: nothing was changed.')).mark('unsubscribe-message')
                ui.label(_('Sign in and change your digest on your account page.')).classes('text-sm text-gray-600')
                return
            ui.label(_('You will not receive the digest any more.')).classes('text-lg font-medium').mark(
                'unsubscribe-message'
            )
            ui.label(_('To receive it again, sign in and choose it on your account page.')).classes(
                'text-sm text-gray-600'
            )
            ui.link(_('Your account'), '/account/security').classes('text-sm')
