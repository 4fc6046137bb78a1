"""The customer portal: my account (who I am signed in as), choosing a password, signing out."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import session_scope
from backoffice.i18n import N_, _
from backoffice.services import portal_access
from backoffice.services.portal_scope import PortalActor
from components.forms import FAILED, call, error_line
from components.portal_pages import portal_page
from components.portal_session import acting_actor, current_actor, session_id, session_key
from components.session_renewal import portal_renewal_url


@portal_page('/portal/account', N_('Your account'))
def portal_account_page(actor: PortalActor) -> None:
    with ui.card().classes('w-full p-4 gap-1'):
        ui.label(actor.name or actor.email).classes('font-medium').mark('portal-name')
        ui.label(actor.email).classes('text-sm text-gray-600 break-all')
    with ui.card().classes('w-full p-4 gap-3'):
        ui.label(_('Password')).classes('text-lg font-medium')
        ui.label(_('Choose a password to sign in without waiting for an email link.')).classes('text-sm text-gray-600')
        password = (
            ui.input(_('New password'), password=True, password_toggle_button=True)
            .props('outlined autocomplete=new-password')
            .classes('w-full')
            .mark('portal-new-password')
        )
        message = error_line()

        async def save() -> None:
            who = acting_actor()
            if who is None:
                return
            done = await call(
                _set_password,
                who.customer_id,
                password.value or '',
                session_id(),
                fields={'password': password},
                message=message,
            )
            if done is not FAILED:
                password.value = ''
                ui.notify(_('Your password is saved. Other browsers signed in as you were signed out.'))

        ui.button(_('Save password'), on_click=save).classes('self-end').mark('portal-save-password')

    def sign_out() -> None:
        who = current_actor()
        if who is not None:
            portal_access.sign_out(customer_id=who.customer_id, key=session_key())
        ui.navigate.to(portal_renewal_url(None))

    ui.button(_('Sign out'), icon='logout', on_click=sign_out).props('outline').classes('self-start').mark(
        'portal-sign-out'
    )


def _set_password(customer_id: int, password: str, keep: int | None) -> None:
    with session_scope() as session:
        portal_access.set_password(session=session, customer_id=customer_id, password=password, keep_session_id=keep)
