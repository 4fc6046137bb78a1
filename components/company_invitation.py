"""A company's invitation waiting for the signed-in customer, at the top of their portal: who invites them to which
company, in which role, what accepting shares (what they order and ask from then on, never before), and Accept or
Decline. Until they answer nothing is shared either way (services/company_members.py)."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.formatting import when
from backoffice.i18n import _
from backoffice.services import company_members
from backoffice.services.company_members import Invitation
from backoffice.services.portal_scope import PortalActor

from .forms import FAILED, call, error_line
from .portal_session import acting_actor


def invitation_cards(actor: PortalActor) -> None:
    with read_session() as session:
        waiting = company_members.invitations(session=session, actor=actor)
    for invitation in waiting:
        _card(invitation)


def _card(invitation: Invitation) -> None:
    role = company_members.role_name(invitation.role)
    with ui.card().classes('w-full p-4 gap-2 bg-blue-50').mark('company-invitation') as card:
        ui.label(_('Invitation to {company}').format(company=invitation.company)).classes(
            'text-lg font-medium break-words'
        ).props('role=heading aria-level=2')
        ui.label(
            _('{who} invited you to join {company} as {role}.').format(
                who=invitation.invited_by or '?', company=invitation.company, role=role.lower()
            )
        ).classes('break-words').mark('invitation-from')
        if invitation.invited_at:
            ui.label(_('Sent {when}').format(when=when(invitation.invited_at))).classes('text-xs text-gray-600')
        ui.label(
            _(
                "If you accept, the company's admins see the orders, invoices and requests you make from now on; those "
                'you made before stay yours. You see what your role allows: {what}.'
            ).format(what=_(company_members.ROLE_HELP[invitation.role]).lower())
        ).classes('text-sm text-gray-700 break-words')
        ui.label(_('If you do not know this person or company, decline: nothing is shared.')).classes(
            'text-sm text-gray-600 break-words'
        )
        message = error_line()
        with ui.row().classes('w-full justify-end gap-2'):
            decline = ui.button(_('Decline'), on_click=lambda: answer(accepted=False)).props('outline')
            decline.mark('invitation-decline')
            accept = ui.button(
                _('Accept and join {company}').format(company=invitation.company),
                on_click=lambda: answer(accepted=True),
            )
            accept.classes('max-w-full').props('no-caps').mark('invitation-accept')

    async def answer(*, accepted: bool) -> None:
        actor = acting_actor()
        if actor is None:
            return
        done = await call(_answer, actor, invitation.member_id, invitation.version, accepted, message=message)
        if done is FAILED:
            return
        if accepted:  # the tabs now include Company: the page is built anew with the membership
            ui.notify(_('You joined {company}.').format(company=invitation.company), type='positive')
            ui.navigate.to('/portal/company')
            return
        ui.notify(_('Invitation declined: nothing is shared.'))
        card.delete()


def _answer(actor: PortalActor, member_id: int, version: int, accepted: bool) -> None:
    with session_scope() as session:
        if accepted:
            company_members.accept(session=session, actor=actor, member_id=member_id, version=version)
        else:
            company_members.decline(session=session, actor=actor, member_id=member_id, version=version)
