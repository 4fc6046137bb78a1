"""The customer page's portal line: whether the customer was invited and last signed in, and the button that invites
them (or sends the invitation again) by email."""

from __future__ import annotations

from nicegui import ui

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.formatting import when
from backoffice.i18n import _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.services import portal_access

from . import live
from .forms import FAILED, call, error_line
from .session import acting_user


def portal_invite(user: User, *, customer_id: int) -> None:
    """Shown to those who may change customers (the service checks again). A customer who cannot be invited (banned)
    is said so in place of the button, and the line follows a ban or its lifting made meanwhile."""
    if not can(user, 'customers.write'):
        return
    with ui.row().classes('w-full items-center justify-end gap-3').mark('portal-invite'):
        status = ui.label().classes('text-sm text-gray-600').mark('portal-invite-status')
        message = error_line()

        def show() -> None:
            reader = acting_user()  # a refresh reads with the rights of now, not of the page's build
            if reader is None or button.is_deleted:
                return
            with read_session() as session:
                account = portal_access.invitation_of(session=session, actor=reader, customer_id=customer_id)
                refused = portal_access.not_invitable(session=session, actor=reader, customer_id=customer_id)
            parts = []
            if account is not None and account.invited_at:
                parts.append(_('Invited to the portal {when}').format(when=when(account.invited_at)))
            if account is not None and account.last_login_at:
                parts.append(_('last signed in {when}').format(when=when(account.last_login_at)))
            if refused:
                parts.append(refused)
            status.text = ' · '.join(parts)
            invited = account is not None and account.invited_at is not None
            button.text = _('Resend the invitation') if invited else _('Invite to the customer portal')
            button.set_visibility(not refused)

        async def invite() -> None:
            actor = acting_user()
            if actor is None:
                return
            done = await call(_invite, actor, customer_id, message=message)
            if done is not FAILED:
                ui.notify(_('The invitation is on its way.'))
                show()

        button = ui.button('', icon='mail', on_click=invite).props('outline').mark('portal-invite-button')
        show()

        def changed(payload: dict) -> None:
            if payload.get('id') == customer_id or customer_id in (payload.get('ids') or ()):
                show()

        live.resource_changed('customers').subscribe(changed)


def _invite(actor: User, customer_id: int) -> None:
    with session_scope() as session:
        portal_access.invite(session=session, actor=actor, customer_id=customer_id, base_url=get_settings().base_url)
