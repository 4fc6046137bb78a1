"""The customer portal: my company (B2B): its name, its members and their roles; a company admin invites colleagues,
changes their roles, removes them and resends invitations here."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session
from backoffice.i18n import N_, _
from backoffice.services import company_members
from backoffice.services import portal_scope as scope
from backoffice.services.portal_scope import PortalActor
from components.company_members import members_panel
from components.forms import FAILED, call_now, error_line
from components.portal_pages import portal_page
from components.portal_session import acting_actor


@portal_page('/portal/company', N_('Your company'))
def portal_company_page(actor: PortalActor) -> None:
    message = error_line()
    with read_session() as session:
        company = call_now(scope.company, session, actor, message=message)
    if company is FAILED or actor.company_id is None or actor.company_role is None:
        message.mark('not-found')
        ui.label(_('Your account is not part of a company account with us.')).classes('text-gray-600')
        return
    with ui.card().classes('w-full p-4 gap-1').mark('portal-company'):
        ui.label(company.name).classes('text-lg font-medium break-words')
        ui.label(
            _('Your role: {role}. {what}.').format(
                role=company_members.role_name(actor.company_role),
                what=_(company_members.ROLE_HELP[actor.company_role]),
            )
        ).classes('text-sm text-gray-600').mark('portal-company-role')
    members_panel(acting_actor, company_id=actor.company_id, may_manage=actor.company_admin, me=actor.customer_id)
