"""The API keys section of /settings: the keys with their scopes and last use, create (secret shown once, scopes for
the intake APIs and, per declared resource, none / read / read and write for /api/v1), change a key's scopes (its secret
stays), revoke."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES, shown
from backoffice.formatting import ago, when
from backoffice.i18n import N_, NP_, _, pgettext
from backoffice.models import ApiKey, User
from backoffice.services import api_keys
from backoffice.validation import NAME_MAX

from .forms import BOUNDED_CARD, FAILED, SCROLLING_BODY, call, counted, error_line, page_dialog, show_secret_once
from .session import acting_user

HEADINGS = (N_('Name'), N_('Key'), N_('Scopes'), N_('Created'), N_('Last used'), N_('Status'), '')
ACCESS = {
    '': NP_('API access', 'None'),
    'read': NP_('API access', 'Read'),
    'write': NP_('API access', 'Read and write'),
}


def api_keys_panel(user: User) -> None:
    """Only for holders of settings.manage (the service checks it again on every action)."""
    with ui.card().classes('w-full max-w-4xl gap-3').mark('api-keys'):
        with ui.row().classes('w-full items-center justify-between'):
            with ui.column().classes('gap-0'):
                ui.label(_('API keys')).classes('text-lg font-medium')
                ui.label(
                    _('For the front office and other systems calling /api. A key is shown once when created.')
                ).classes('text-sm text-gray-500')
            ui.button(_('New API key'), icon='add', on_click=lambda: create())
        ui.add_css(PHONE_CSS)
        with ui.element('div').classes('w-full overflow-x-auto'):  # a narrow desktop window scrolls sideways
            # the name's column at most 16rem wide: a long name without spaces wraps there (auto, it pushed Revoke past
            # the right edge at 1440 px)
            listing = ui.grid(columns='fit-content(16rem) auto 1fr auto auto auto auto').classes(
                'bo-api-keys w-full min-w-[40rem] items-center gap-x-4 gap-y-1'
            )

    def refresh() -> None:
        reader = acting_user()  # a refresh reads with the rights of now, not of the page's build
        if reader is None:
            return
        with read_session() as session:
            keys = api_keys.list_keys(session=session, actor=reader)
            owners = api_keys.acts_as(session=session, actor=reader, keys=keys)
        listing.clear()
        with listing:
            if not keys:
                ui.label(_('No API keys yet.')).classes('text-sm text-gray-500 col-span-full')
                return
            for heading in HEADINGS:
                ui.label(_(heading) if heading else '').classes(
                    'bo-api-keys-heading text-xs uppercase tracking-wide text-gray-500'
                )
            for key in keys:
                row = _row(key, owners.get(key.id or 0))
                ui.label(row['name']).classes('bo-api-key-name font-medium')
                _cell(HEADINGS[1], row['prefix']).classes('font-mono')
                _cell(HEADINGS[2], row['scopes'])
                _cell(HEADINGS[3], row['created'])
                _cell(HEADINGS[4], row['last_used'])
                status = _cell(HEADINGS[5], row['status']).mark(f'key-status-{row["prefix"]}')
                if row['refused']:
                    status.classes('text-negative')
                if row['revoked']:
                    ui.label()
                    continue
                with ui.row().classes('gap-1 no-wrap whitespace-nowrap'):
                    ui.button(_('Edit scopes'), on_click=lambda row=row: edit(row)).props('flat dense').mark(
                        f'edit-scopes-{row["prefix"]}'
                    )
                    ui.button(_('Revoke'), color='negative', on_click=lambda row=row: revoke(row)).props(
                        'flat dense'
                    ).mark(f'revoke-{row["prefix"]}')

    async def create() -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md').style(BOUNDED_CARD):
            ui.label(_('New API key')).classes('text-lg font-medium')
            with ui.column().classes('w-full').style(SCROLLING_BODY):  # one scroll; its buttons stay in sight
                name = (
                    counted(ui.input(_('Name'), placeholder=_('Who uses it, e.g. Web shop')), NAME_MAX)
                    .props('outlined')
                    .classes('w-full')
                    .mark('api-key-name')
                )
                ui.label(_('Scopes')).classes('text-sm text-gray-500')
                checks = {
                    scope: ui.checkbox(f'{scope} — {_(label)}', value=scope == 'requests:write')
                    for scope, label in api_keys.SCOPES.items()
                }
                access = _resource_access()
            scopes_error = error_line()  # the scopes' message, or any about the whole key
            with ui.row().classes('w-full justify-end').style('flex: none'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Create key'), on_click=lambda: save())
        dialog.open()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return
            chosen = [scope for scope, check in checks.items() if check.value]
            chosen += [api_keys.resource_scope(t.value, key) for key, t in access.items() if t.value]
            created = await call(_create, actor, name.value, chosen, fields={'name': name}, message=scopes_error)
            if created is FAILED:
                return
            key, secret = created
            dialog.close()
            refresh()
            show_secret_once(_('API key “{name}”').format(name=key.name), secret)

    async def edit(row: dict) -> None:
        shown_scopes = list(row['scope_list'])  # what this editor saw: a change by someone else since is refused
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md').style(BOUNDED_CARD):
            ui.label(
                _('Scopes of the API key “{name}” ({prefix})').format(name=row['name'], prefix=row['prefix'])
            ).classes('text-lg font-medium').style(WRAP_ANYWHERE)
            with ui.column().classes('w-full').style(SCROLLING_BODY):
                ui.label(_('The key keeps its secret: what uses it goes on working with the new scopes.')).classes(
                    'text-sm text-gray-500'
                )
                checks = {
                    scope: ui.checkbox(f'{scope} — {_(label)}', value=scope in shown_scopes)
                    for scope, label in api_keys.SCOPES.items()
                }
                access = _resource_access(shown_scopes)
            scopes_error = error_line()
            with ui.row().classes('w-full justify-end').style('flex: none'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save scopes'), on_click=lambda: save()).mark('save-scopes')
        dialog.open()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return
            chosen = [scope for scope, check in checks.items() if check.value]
            chosen += [api_keys.resource_scope(t.value, key) for key, t in access.items() if t.value]
            if await call(_change, actor, row['id'], chosen, shown_scopes, message=scopes_error) is FAILED:
                return
            dialog.close()
            ui.notify(_('Scopes of the API key “{name}” saved').format(name=row['name']), type='positive')
            refresh()

    async def revoke(row: dict) -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(
                _('Revoke the API key “{name}” ({prefix})?').format(name=row['name'], prefix=row['prefix'])
            ).classes('text-lg font-medium').style(WRAP_ANYWHERE)
            ui.label(_('Whatever uses it stops working at once. This cannot be undone.')).classes('text-sm')
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=lambda: dialog.submit(False)).props('flat')
                ui.button(_('Revoke'), color='negative', on_click=lambda: dialog.submit(True)).mark('confirm-revoke')
        if not await dialog:
            return
        actor = acting_user()
        if actor is None:
            return
        if await call(_revoke, actor, row['id']) is FAILED:
            return
        # said before the list is redrawn: the redraw deletes the button this handler runs from
        ui.notify(_('API key “{name}” revoked').format(name=row['name']), type='positive')
        refresh()

    refresh()


def _resource_access(held: list[str] | None = None) -> dict[str, ui.toggle]:
    """Per declared resource, what the key may do at /api/v1/<resource>: nothing, read, or read and write (set from
    the scopes it `held`)."""
    held = held or []
    with ui.column().classes('w-full gap-1').mark('resource-scopes'):
        ui.label(_('Records over /api/v1')).classes('text-sm text-gray-500')
        ui.label(_('Its calls act as you: what your role may not do, the key may not do either.')).classes(
            'text-xs text-gray-500'
        )
        toggles = {}
        # no scroll of its own: the dialog's body scrolls as one (a scroll inside a scroll at 1440×900, the dialog's
        # Create key below both)
        with ui.element('div').classes('w-full'):
            for key, resource in RESOURCES.items():
                with ui.row().classes('w-full items-center justify-between no-wrap gap-2 py-1'):
                    with ui.column().classes('gap-0 min-w-0'):
                        ui.label(shown(resource.label)).classes('text-sm')
                        ui.label(f'/api/v1/{key}').classes('text-xs font-mono text-gray-500 truncate')
                    offered = (
                        ACCESS if api_keys.writable(resource) else {v: t for v, t in ACCESS.items() if v != 'write'}
                    )
                    toggles[key] = (
                        ui.toggle({value: shown(label) for value, label in offered.items()}, value=_access(held, key))
                        .props('dense no-caps no-wrap size=sm')
                        .classes('shrink-0')
                        .mark(f'scope-{key}')
                    )
    return toggles


def _access(held: list[str], resource_key: str) -> str:
    for access in ('write', 'read'):
        if api_keys.resource_scope(access, resource_key) in held:
            return access
    return ''


def _cell(heading: str, text: str) -> ui.label:
    """A key's value in its column; on a phone, where the keys are stacked one under the other (PHONE_CSS), its
    column's name before it ('Key', 'Last used'), the headings row being hidden there."""
    with ui.row().classes('bo-api-keys-cell gap-x-2 gap-y-0 items-baseline no-wrap'):
        ui.label(_(heading)).classes('bo-api-keys-caption text-xs text-gray-500 shrink-0')
        return ui.label(text).classes('text-sm')


# a name without spaces (a key's name is typed freely) wraps where it must: `break-words` keeps the word's whole width
# as the title's least width, and the revoke dialog scrolled sideways at 390 px
WRAP_ANYWHERE = 'overflow-wrap: anywhere'

# Under 600 px the columns did not fit: the table scrolled sideways and Revoke was off-screen. There each key reads as a
# block, its values one under the other with their column's name, and its buttons at its foot.
PHONE_CSS = """
.bo-api-keys .bo-api-keys-caption { display: none; }
.bo-api-keys .bo-api-key-name { min-width: 0; overflow-wrap: anywhere; }
@media (max-width: 599.98px) {
  .bo-api-keys { grid-template-columns: minmax(0, 1fr) !important; min-width: 0 !important; }
  .bo-api-keys .bo-api-keys-heading { display: none; }
  .bo-api-keys .bo-api-keys-caption { display: block; }
  .bo-api-keys .bo-api-keys-cell > :last-child { min-width: 0; overflow-wrap: anywhere; }
  .bo-api-keys .bo-api-key-name { margin-top: 0.75rem; padding-top: 0.5rem; border-top: 1px solid rgba(0, 0, 0, 0.12); }
}
"""


def _row(key: ApiKey, owner: tuple[str, bool] | None) -> dict:
    created = _('{when} by {who}').format(when=when(key.created_at), who=key.created_by)
    if owner is not None and owner[0] != key.created_by:  # made at the command line --as someone, or by a colleague
        created = _('{created}; acts as {email}').format(created=created, email=owner[0])
    made_for_nobody = key.user_id is None and key.created_by == 'system'  # the command line's, for the front office
    stranded = not key.revoked_at and (
        (owner is not None and not owner[1])
        or (owner is None and (not made_for_nobody or api_keys.uses_the_resource_api(key)))
    )
    if key.revoked_at:
        status = _('revoked {when}').format(when=when(key.revoked_at))
    elif owner is not None and not owner[1]:  # every call is refused (403: api_keys.check_maker), which 'active' hid
        status = _('{email} is deactivated: its calls are refused').format(email=owner[0])
    elif owner is None and not made_for_nobody:  # its maker was deleted
        status = _('acts for no active staff member: its calls are refused')
    elif owner is None and api_keys.uses_the_resource_api(key):
        status = _('acts for no active staff member: /api/v1 refuses it')
    else:
        status = pgettext('API key', 'active')
    return {
        'id': key.id,
        'scope_list': list(key.scopes),
        'name': key.name,
        'prefix': key.prefix,
        'scopes': ', '.join(key.scopes),
        'created': created,
        'last_used': ago(key.last_used_at),
        'status': status,
        'revoked': key.revoked_at is not None,
        'refused': key.revoked_at is not None or stranded,
    }


def _create(actor: User, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    with session_scope() as session:
        return api_keys.create_key(session=session, actor=actor, name=name, scopes=scopes)


def _revoke(actor: User, key_id: int) -> None:
    with session_scope() as session:
        api_keys.revoke_key(session=session, actor=actor, key_id=key_id)


def _change(actor: User, key_id: int, scopes: list[str], expected: list[str]) -> None:
    with session_scope() as session:
        api_keys.change_scopes(session=session, actor=actor, key_id=key_id, scopes=scopes, expected=expected)
