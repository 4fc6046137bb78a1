"""The customer page's "Merge with…": pick the duplicate by name, email or phone, read what the merge will do (the
service's preview), merge; and, on a merged duplicate's page, where it went."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.i18n import _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.services import customer_merge
from backoffice.services.customer_merge import MergePreview

from .first_suggestion import enter_takes_the_first
from .forms import FAILED, call, call_now, error_line, page_dialog
from .session import acting_user


def customer_merge_panel(user: User, *, customer_id: int, offered: bool = True) -> bool:
    """ "Merge with…" for those who may change customers (the service checks again); True for a merged duplicate,
    whose page then says only where it went (it has nothing left of its own). `offered=False`: not offered (a customer
    in the trash)."""
    went = call_now(_merged_into, user, customer_id)
    if isinstance(went, int):
        with ui.row().classes('w-full items-center gap-2').mark('merged-into'):
            ui.label(_('Merged into customer #{id}').format(id=went)).classes('text-sm font-medium')
            ui.link(_('Open customer #{id}').format(id=went), f'/customers/{went}')
        return True
    if not offered or not can(user, customer_merge.PERMISSION):
        return False
    with ui.row().classes('w-full justify-end'):
        ui.button(_('Merge with…'), icon='merge', on_click=lambda: _pick(customer_id)).props('outline').mark(
            'merge-with'
        )
    return False


def _pick(customer_id: int) -> None:
    with page_dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('merge-dialog'):
        ui.label(_('Merge a duplicate into this customer')).classes('text-lg font-medium')
        ui.label(_('Find the duplicate by name, email or phone.')).classes('text-sm')

        def options(text: str = '') -> dict:
            actor = acting_user()
            if actor is None:
                return {}
            found = call_now(_candidates, actor, customer_id, text)
            return found if isinstance(found, dict) else {}

        picked = (
            ui.select(options(), label=_('Duplicate customer'), with_input=True, clearable=True)
            .props('outlined stack-label')
            .classes('w-full')
            .mark('merge-duplicate')
        )

        def typed(e) -> None:
            current = picked.value
            found = options(e.args or '')
            if current is not None and current not in found and isinstance(picked.options, dict):
                found[current] = picked.options.get(current, str(current))
            picked.set_options(found, value=current)

        picked.on('input-value', typed)
        enter_takes_the_first(picked, options)  # the first duplicate found for the text in the field
        preview_box = ui.column().classes('w-full gap-1 min-w-0').mark('merge-preview')
        message = error_line()
        state: dict[str, MergePreview | None] = {'preview': None}

        async def show_preview() -> None:
            preview_box.clear()
            state['preview'] = None
            merge_button.disable()
            actor = acting_user()
            if actor is None or picked.value is None:
                return
            shown = await call(_preview, actor, customer_id, int(picked.value), message=message)
            if shown is FAILED:
                return
            state['preview'] = shown
            with preview_box:
                _describe(shown)
            if not shown.refused:
                merge_button.enable()

        picked.on_value_change(show_preview)

        async def merge() -> None:
            actor, shown = acting_user(), state['preview']
            if actor is None or shown is None:
                return
            done = await call(_merge, actor, shown, message=message)
            if done is FAILED:
                return
            dialog.close()
            ui.notify(_('Customers merged.'), type='positive')
            ui.navigate.to(f'/customers/{shown.keep_id}')

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            merge_button = ui.button(_('Merge'), icon='merge', on_click=merge).mark('confirm-merge')
            merge_button.disable()
    dialog.open()


def _describe(shown: MergePreview) -> None:
    """The preview in sentences: what moves, what is filled, the email, the consent, the ban, the portal."""
    if shown.refused:
        ui.label(shown.refused).classes('text-negative text-sm break-words').mark('merge-refused')
        return
    ui.label(_('Will move to {keep}:').format(keep=shown.keep_title)).classes('text-sm font-medium break-words')
    if not shown.moving and not shown.unseen:
        ui.label(_('Nothing refers to {other}.').format(other=shown.other_title)).classes('text-sm break-words')
    for kind, count in shown.moving:
        with ui.row().classes('w-full items-start justify-between no-wrap gap-3').mark('merge-moving'):
            ui.label(kind).classes('text-sm min-w-0')
            ui.badge(str(count)).props('outline').classes('shrink-0')
    if shown.unseen:  # named, never counted: the same words whether or not the duplicate has any
        ui.label(
            _('Also moves, if any, what you may not read: {kinds}.').format(kinds=', '.join(shown.unseen))
        ).classes('text-sm text-gray-600 break-words').mark('merge-unseen')
    for name, value in shown.filled:
        ui.label(_('Empty here, taken from the duplicate: {field} = {value}').format(field=name, value=value)).classes(
            'text-sm break-words'
        )
    ui.label(
        _(
            'The email {email} stays on the merged record #{other}, which points here: orders and requests that still '
            'come with it go to {keep}.'
        ).format(email=shown.other_email, other=shown.other_id, keep=shown.keep_title)
    ).classes('text-sm break-words')
    consent = _('Yes') if shown.consent else _('No')
    ui.label(_('Marketing consent after the merge: {answer}').format(answer=consent)).classes('text-sm').mark(
        'merge-consent'
    )
    if shown.consent_withdrawn:
        ui.label(_('The duplicate said No: a merge never opts anyone in.')).classes('text-sm text-gray-600')
    if shown.stays_banned:
        ui.label(_('{keep} is banned and stays banned.').format(keep=shown.keep_title)).classes('text-sm break-words')
    if shown.portal_ends:
        ui.label(
            _("The duplicate's portal sign-in ends; the customer signs in with the kept customer's email.")
        ).classes('text-sm')
    ui.label(
        _('{other} then goes to the trash, marked Merged, with its history.').format(other=shown.other_title)
    ).classes('text-sm text-gray-600 break-words')


def _merged_into(user: User, customer_id: int) -> int | None:
    with read_session() as session:
        return customer_merge.merged_into(session=session, actor=user, customer_id=customer_id)


def _candidates(user: User, customer_id: int, text: str) -> dict[int, str]:
    with read_session() as session:
        return customer_merge.candidates(session=session, actor=user, customer_id=customer_id, text=text)


def _preview(user: User, keep_id: int, other_id: int) -> MergePreview:
    with read_session() as session:
        return customer_merge.merge_preview(session=session, actor=user, keep_id=keep_id, other_id=other_id)


def _merge(user: User, shown: MergePreview) -> int:
    with session_scope() as session:
        kept = customer_merge.merge_customers(
            session=session,
            actor=user,
            keep_id=shown.keep_id,
            keep_version=shown.keep_version,
            other_id=shown.other_id,
            other_version=shown.other_version,
        )
        return kept.id or 0
