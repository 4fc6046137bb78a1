"""A company's portal members: who they are, their role, when they were invited and last signed in; for those who may
manage (staff with customers.write, a company admin in the portal) invite, change a role, remove, resend the
invitation. The same panel on the staff's company page and in the portal's Company tab (the service checks again)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.formatting import when
from backoffice.i18n import _
from backoffice.models import CompanyRole
from backoffice.services import company_members
from backoffice.services.company_members import Member
from backoffice.validation import EMAIL_MAX

from .forms import FAILED, call, confirm, counted, error_line


def role_choices() -> dict[str, str]:
    return {role.value: company_members.role_name(role) for role in CompanyRole}


def members_panel(
    acting: Callable[[], Any],
    *,
    company_id: int,
    may_manage: bool,
    me: int | None = None,
    joined: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """`acting`: who acts, checked afresh at each click; `me`: the portal member looking (their own row says so);
    `joined`: called after an invitation, which may have made the person a contact of the company (staff's joins at
    once), so that the page's contacts show them."""
    with ui.card().classes('w-full p-4 gap-2').mark('company-members'):
        ui.label(_('Portal members')).classes('text-lg font-medium')
        with ui.column().classes('w-full gap-0 text-xs text-gray-600').mark('member-roles-help'):
            for role in CompanyRole:
                with ui.row().classes('no-wrap gap-1 items-baseline'):
                    ui.label(company_members.role_name(role)).classes('font-medium whitespace-nowrap')
                    ui.label(_(company_members.ROLE_HELP[role])).classes('min-w-0 break-words')
        message = error_line()

        @ui.refreshable
        def listing() -> None:
            who = acting()
            if who is None:
                return
            with read_session() as session:
                rows = company_members.members(session=session, by=who, company_id=company_id)
                nobody = '' if rows else company_members.nobody_said(session=session, by=who, company_id=company_id)
            if not rows:
                ui.label(nobody).classes('text-sm text-gray-600').mark('members-nobody')
            for row in rows:
                member_row(row)

        def member_row(row: Member) -> None:
            with ui.row().classes('w-full items-center gap-2 border-t border-gray-200 pt-2').mark('member-row'):
                with ui.column().classes('grow min-w-0 gap-0'):
                    title = row.name or row.email
                    if me is not None and row.customer_id == me:
                        title = _('{name} (you)').format(name=title)
                    ui.label(title).classes('font-medium break-words')
                    if row.name:
                        ui.label(row.email).classes('text-sm text-gray-600 break-all')
                    seen = []
                    if row.banned:
                        seen.append(_('Banned: cannot sign in'))
                    if row.pending:  # a company admin's invitation: the person has not said yes
                        seen.append(_('Invited by {who}: not accepted yet').format(who=row.invited_by or '?'))
                    elif row.invited_at:
                        seen.append(_('Invited {when}').format(when=when(row.invited_at)))
                    if row.last_login_at:
                        seen.append(_('last signed in {when}').format(when=when(row.last_login_at)))
                    if seen:
                        ui.label(' · '.join(seen)).classes('text-xs text-gray-600')
                    if row.took_over:  # staff only: an admin nobody chose, and since when
                        ui.label(row.took_over).classes('text-xs text-gray-600 break-words').mark('member-took-over')
                    if row.replaced:  # staff only: a second admin left from before replaced admins became buyers
                        ui.label(row.replaced).classes('text-xs text-amber-800 break-words').mark('member-replaced')
                if not may_manage:
                    ui.badge(company_members.role_name(row.role)).props('outline').mark('member-role')
                    return
                role = (
                    ui.select(role_choices(), value=row.role.value)
                    .props('outlined dense')
                    .classes('w-40')
                    .mark('member-role', f'member-role-{row.customer_id}')
                )
                role.props['aria-label'] = _('Role of {name}').format(name=row.name or row.email)

                async def change(event: Any, r: Member = row, choice: ui.select = role) -> None:
                    if event.value == r.role.value:
                        return
                    who = acting()
                    if who is None:
                        return
                    done = await call(
                        _change, who, r.id, r.version, event.value, message=message, on_stale=lambda e: stale(e)
                    )
                    if done is FAILED:  # refused (the last admin): the role shown goes back, in place
                        if not choice.is_deleted:  # (a stale edit already showed the members anew)
                            choice.set_value(r.role.value)
                        return
                    ui.notify(_('{name} is now {role}.').format(name=r.name or r.email, role=done))
                    listing.refresh()

                role.on_value_change(change)
                if me is None or row.customer_id != me:  # the admin looking is signed in: no invitation to resend
                    again = ui.button(icon='forward_to_inbox', on_click=lambda r=row: resend(r)).props(
                        'flat round dense'
                    )
                    again.props['aria-label'] = _('Resend the invitation')
                    again.tooltip(_('Resend the invitation')).mark('member-resend', f'member-resend-{row.customer_id}')
                out = ui.button(icon='person_remove', on_click=lambda r=row: remove(r)).props('flat round dense')
                out.props['aria-label'] = _('Remove from the company')
                out.tooltip(_('Remove from the company')).mark('member-remove', f'member-remove-{row.customer_id}')

        listing()

        def stale(error: Exception) -> None:
            """Someone changed the member meanwhile: say so and show the members as they are now."""
            message.text = str(error)
            message.set_visibility(True)
            listing.refresh()

        async def resend(row: Member) -> None:
            who = acting()
            if who is not None and await call(_resend, who, row.id, message=message) is not FAILED:
                ui.notify(_('The invitation is on its way to {email}.').format(email=row.email))
                listing.refresh()

        async def remove(row: Member) -> None:
            if row.pending:
                question = _('Withdraw the invitation of {name}?').format(name=row.name or row.email)
            else:
                question = _(
                    "Remove {name} from the company? They keep their own orders and requests, not the company's."
                ).format(name=row.name or row.email)
            if not await confirm(question, _('Remove from the company')):
                return
            who = acting()
            if who is not None and await call(_remove, who, row.id, row.version, message=message) is not FAILED:
                ui.notify(_('{name} is no longer a member.').format(name=row.name or row.email))
                listing.refresh()

        if may_manage:
            with ui.column().classes('w-full gap-2 border-t border-gray-200 pt-3').mark('member-invite'):
                ui.label(_('Invite a colleague')).classes('font-medium')
                with ui.row().classes('w-full gap-2 items-start'):
                    email = counted(ui.input(_('Email')), EMAIL_MAX).props('outlined dense type=email')
                    email.classes('grow min-w-[12rem]').mark('invite-email')
                    name = counted(ui.input(_('Name')), company_members.INVITED_NAME_MAX).props('outlined dense')
                    name.classes('grow min-w-[10rem]')
                    name.mark('invite-name')
                    role = (
                        ui.select(role_choices(), value=CompanyRole.buyer.value, label=_('Role'))
                        .props('outlined dense')
                        .classes('w-40')
                        .mark('invite-role')
                    )

                async def invite() -> None:
                    who = acting()
                    if who is None:
                        return
                    done = await call(
                        _invite,
                        who,
                        company_id,
                        email.value or '',
                        name.value or '',
                        role.value,
                        fields={'email': email, 'name': name, 'role': role},
                        message=message,
                    )
                    if done is not FAILED:
                        ui.notify(_('The invitation is on its way to {email}.').format(email=done))
                        email.value = name.value = ''
                        role.value = CompanyRole.buyer.value  # the next one too only if chosen again
                        listing.refresh()
                        if joined is not None:
                            await joined()

                ui.button(_('Send the invitation'), icon='mail', on_click=invite).classes('self-end').mark(
                    'invite-send'
                )


def _invite(who: Any, company_id: int, email: str, name: str, role: str) -> str:
    with session_scope() as session:
        added = company_members.invite(
            session=session,
            by=who,
            company_id=company_id,
            email=email,
            name=name,
            role=role,
            base_url=get_settings().base_url,
        )
        return added.email


def _change(who: Any, member_id: int, version: int, role: str) -> str:
    with session_scope() as session:
        changed = company_members.change_role(session=session, by=who, member_id=member_id, version=version, role=role)
        return company_members.role_name(changed.role)


def _remove(who: Any, member_id: int, version: int) -> None:
    with session_scope() as session:
        company_members.remove(session=session, by=who, member_id=member_id, version=version)


def _resend(who: Any, member_id: int) -> None:
    with session_scope() as session:
        company_members.resend(session=session, by=who, member_id=member_id, base_url=get_settings().base_url)
