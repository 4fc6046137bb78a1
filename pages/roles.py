"""Roles (admins): the built-in roles as templates, and the roles an admin makes from them — name, what it is for,
the permissions it grants (grouped by area, each with what it allows) — renamed, changed, or deleted once nobody
holds it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import StaffRole, User
from backoffice.permissions import AREAS, PERMISSIONS, PermissionDenied, rights_said
from backoffice.services import roles
from backoffice.services.roles import RoleView
from components import live
from components.forms import (
    BOUNDED_CARD,
    FAILED,
    SCROLLING_BODY,
    call,
    confirm,
    counted,
    error_line,
    hold_while_edited,
    page_dialog,
)
from components.kept_cards import KeptCards, key_of
from components.screens import screen
from components.session import acting_user

MANAGE = 'users.manage'


@screen(
    '/roles',
    N_('Roles'),
    permission=MANAGE,
    icon='admin_panel_settings',
    section=N_('Administration'),
    order=905,
    description=N_('What each role may do; make your own roles from the built-in ones'),
)
def roles_page(user: User) -> None:
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.label(
            _(
                'The built-in roles are templates: copy one to start a role of your own. A change reaches everyone '
                'holding the role at their next click.'
            )
        ).classes('text-sm text-gray-600 min-w-0')
        ui.button(_('New role'), icon='add', on_click=lambda: role_dialog(None, set())).mark('new-role')

    def cards() -> None:
        reader = acting_user()  # a refresh reads with the rights of now, not of the page's build
        if reader is None:
            return
        try:
            with read_session() as session:
                shown = roles.list_roles(session=session, actor=reader)
        except PermissionDenied:
            shown = []  # (the built-in roles are always listed: no cards means no access any more)
        # a card that shows the same is kept: a colleague's change to another role (or a holder added at /users) drew
        # every card again, and the click on its Edit or Delete already on its way was lost
        role_cards.show([(key_of(_as_shown(role)), lambda r=role: role_card(r)) for role in shown])

    def role_card(role: RoleView) -> ui.card:
        with ui.card().classes('w-full gap-1').mark(f'role-{role.key}') as card:
            with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                ui.label(role.name).classes('font-medium break-words min-w-0').mark('role-name')
                with ui.row().classes('gap-1 no-wrap'):
                    if role.two_factor:
                        ui.badge(_('Two-factor sign-in'), color='primary').props('outline').mark(
                            f'two-factor-{role.key}'
                        )
                    if role.built_in:
                        ui.badge(_('Built-in'), color='grey').props('outline')
            if role.description:
                ui.label(role.description).classes('text-sm break-words').mark('role-description')
            holders = ngettext('{n} user holds it', '{n} users hold it', role.holders).format(n=role.holders)
            with ui.row().classes('items-center gap-2'):
                ui.label(rights_said(role.permissions)).classes('text-xs text-gray-500').mark(f'rights-{role.key}')
                if role.holders:
                    ui.link(holders, f'/users?role={quote(role.key)}').classes('text-xs').mark(f'holders-{role.key}')
                else:
                    ui.label(holders).classes('text-xs text-gray-500')
            with ui.expansion(_('What it allows')).classes('w-full text-sm').props('dense'):
                allowed(role.permissions)
            with ui.row().classes('gap-1'):
                ui.button(_('Copy to a new role'), icon='content_copy', on_click=lambda r=role: copy(r)).props(
                    'flat dense no-caps'
                ).mark(f'copy-{role.key}')
                if not role.built_in:
                    ui.button(_('Edit'), icon='edit', on_click=lambda r=role: role_dialog(r, set(r.permissions))).props(
                        'flat dense no-caps'
                    ).mark(f'edit-{role.key}')
                    ui.button(_('Delete'), icon='delete', on_click=lambda r=role: delete(r)).props(
                        'flat dense no-caps color=grey-7'
                    ).mark(f'delete-{role.key}')
        return card

    def copy(role: RoleView) -> None:
        copied = _('Copy of {name}').format(name=role.name)
        role_dialog(None, set(role.permissions), name=copied, two_factor=role.two_factor)

    def role_dialog(role: RoleView | None, granted: set[str], *, name: str = '', two_factor: bool = False) -> None:
        # its permissions scroll under the title, the Save button stays in sight (the whole dialog scrolled, Save below
        # some 40 permissions)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-2xl').style(BOUNDED_CARD):
            ui.label(_('Change the role') if role else _('New role')).classes('text-lg font-medium')
            with ui.column().classes('w-full').style(SCROLLING_BODY).mark('role-body'):
                name_input = ui.input(_('Name'), value=role.name if role else name).props('outlined')
                counted(name_input, roles.NAME_LENGTH).classes('w-full').mark('role-name-input')
                description = ui.textarea(_('What it is for'), value=role.description if role else '').props(
                    'outlined autogrow'
                )
                counted(description, roles.DESCRIPTION_LENGTH).classes('w-full').mark('role-description-input')
                two_factor_box = ui.checkbox(
                    _('Require two-factor sign-in for this role'), value=role.two_factor if role else two_factor
                ).mark('role-two-factor')
                ticks: dict[str, ui.checkbox] = {}
                with ui.column().classes('w-full gap-2'):
                    for area, names in AREAS.items():
                        ui.label(_(area)).classes('font-medium mt-2')
                        for permission in names:
                            with ui.column().classes('gap-0 pl-1'):
                                ticks[permission] = ui.checkbox(_(PERMISSIONS[permission]), value=permission in granted)
                                ticks[permission].mark(f'tick-{permission}')
                                ui.label(permission).classes('text-xs text-gray-400 pl-10')
            hold_while_edited(dialog, name_input, description, two_factor_box, *ticks.values())
            message = error_line()
            opened = [role]  # the role as this dialog last read it (Reload reads it again)
            with ui.row().classes('w-full justify-end gap-2').style('flex: none'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                reload_button = ui.button(_('Reload'), on_click=lambda: reload()).props('flat').mark('reload-role')
                reload_button.set_visibility(False)
                ui.button(_('Save'), on_click=lambda: save()).mark('save-role')

            async def save() -> None:
                actor = acting_user()
                if actor is None:
                    return
                done = await _save(actor)
                if done is FAILED:
                    return
                ui.notify(_('Role “{name}” saved').format(name=done.name), type='positive')
                dialog.close()
                cards()

            async def _save(actor: User) -> StaffRole | Any:
                chosen = {permission for permission, box in ticks.items() if box.value}
                fields = {'name': name_input, 'description': description}
                if role is None:
                    done = await call(
                        _create,
                        actor,
                        name_input.value or '',
                        description.value or '',
                        chosen,
                        two_factor_box.value,
                        fields=fields,
                        message=message,
                    )
                else:
                    done = await call(
                        _update,
                        actor,
                        opened[0] or role,
                        name_input.value or '',
                        description.value or '',
                        chosen,
                        two_factor_box.value,
                        fields=fields,
                        message=message,
                        on_stale=lambda error: stale(str(error)),
                    )
                return done

            def stale(said: str) -> None:  # who changed it and when; Reload keeps what was typed here
                message.text = said
                message.set_visibility(True)
                reload_button.set_visibility(True)

            def reload() -> None:
                """The colleague's change taken in, what this person changed kept: a field (or a permission's tick)
                they left as they found it takes the role's value of now; one they changed stays theirs."""
                before, actor = opened[0], acting_user()
                if before is None or actor is None:
                    return
                with read_session() as session:
                    now = next((r for r in roles.list_roles(session=session, actor=actor) if r.id == before.id), None)
                if now is None:
                    message.text = _('This role no longer exists.')
                    return
                for element, was, current in (
                    (name_input, before.name, now.name),
                    (description, before.description, now.description),
                    (two_factor_box, before.two_factor, now.two_factor),
                    *((box, key in before.permissions, key in now.permissions) for key, box in ticks.items()),
                ):
                    if element.value == was:
                        element.value = current
                opened[0] = now
                message.set_visibility(False)
                reload_button.set_visibility(False)

        dialog.open()

    async def delete(role: RoleView) -> None:
        actor = acting_user()
        if actor is None:
            return
        if not await confirm(_('Delete the role “{name}”?').format(name=role.name), _('Delete role')):
            return
        if await call(_delete, actor, role) is FAILED:
            return
        ui.notify(_('Role “{name}” deleted').format(name=role.name), type='positive')
        cards()

    role_cards = KeptCards(
        ui.grid().classes('w-full grid-cols-1 lg:grid-cols-2 gap-3'),
        lambda: ui.label(_("You don't have access to this page")).classes('text-gray-500'),
    )
    cards()
    live.resource_changed(Topic.roles).subscribe(lambda _payload: cards())


def _as_shown(role: RoleView) -> dict[str, Any]:
    """Everything a role's card shows or acts on (its version: Edit and Delete send it)."""
    return {**asdict(role), 'permissions': sorted(role.permissions)}


def allowed(granted: Iterable[str]) -> None:
    """What a role allows, by area: one sentence per permission."""
    granted = set(granted)
    if not granted:
        ui.label(_('Nothing')).classes('text-gray-500')
    for area, names in AREAS.items():
        held = [name for name in names if name in granted]
        if not held:
            continue
        ui.label(_(area)).classes('font-medium mt-1')
        for name in held:
            ui.label(f'• {_(PERMISSIONS[name])}').classes('break-words')


def _create(actor: User, name: str, description: str, granted: set[str], two_factor: bool) -> StaffRole:
    with session_scope() as session:
        return roles.create_role(
            session=session, actor=actor, name=name, description=description, granted=granted, two_factor=two_factor
        )


def _update(actor: User, role: RoleView, name: str, description: str, granted: set[str], two_factor: bool) -> StaffRole:
    with session_scope() as session:
        return roles.update_role(
            session=session,
            actor=actor,
            role_id=role.id or 0,
            version=role.version or 0,
            name=name,
            description=description,
            granted=granted,
            two_factor=two_factor,
        )


def _delete(actor: User, role: RoleView) -> None:
    with session_scope() as session:
        roles.delete_role(session=session, actor=actor, role_id=role.id or 0, version=role.version or 0)
