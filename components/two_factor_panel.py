"""Two-factor sign-in for the signed-in user: its state, the enrolment dialog (QR code, key, a code to confirm, then
the ten recovery codes shown once), new recovery codes, turning it off where the role allows."""

from __future__ import annotations

import base64
from collections.abc import Callable

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.formatting import day
from backoffice.i18n import _, ngettext
from backoffice.models import User
from backoffice.services import two_factor

from .forms import FAILED, call, copy_to_clipboard, counted, page_dialog
from .session import acting_user


class TwoFactorPanel:
    def __init__(self, user: User, *, on_enrolled: Callable[[], None] | None = None) -> None:
        self.user_id = user.id
        self.on_enrolled = on_enrolled
        self.box = ui.column().classes('w-full gap-2').mark('two-factor')
        self.render()

    def render(self) -> None:
        with read_session() as session:
            user = session.get(User, self.user_id)
        if user is None:
            return
        self.box.clear()
        with self.box:
            if two_factor.enrolled(user):
                with ui.row().classes('items-center gap-2'):
                    ui.icon('verified_user', size='1.5rem').classes('text-positive')
                    ui.label(_('On since {date}').format(date=day(user.totp_enabled_at))).mark('two-factor-on')
                left = two_factor.unused_recovery_codes(user.id or 0)
                ui.label(
                    ngettext('{n} unused recovery code', '{n} unused recovery codes', left).format(n=left)
                ).classes('text-sm text-gray-500')
                with ui.row().classes('gap-2'):
                    ui.button(_('New recovery codes'), icon='password', on_click=self._new_codes).props('outline')
                    if not two_factor.required(user):
                        ui.button(_('Turn off'), icon='remove_moderator', on_click=self._turn_off).props(
                            'flat color=negative'
                        ).mark('turn-off-two-factor')
            else:
                with ui.row().classes('items-center gap-2'):
                    ui.icon('gpp_maybe', size='1.5rem').classes('text-warning')
                    ui.label(_('Off: your password alone signs you in.')).mark('two-factor-off')
                ui.label(_('With it on, signing in also asks a code from an authenticator app on your phone.')).classes(
                    'text-sm text-gray-500'
                )
                ui.button(_('Set up two-factor sign-in'), icon='qr_code_2', on_click=self.enrol).mark(
                    'enrol-two-factor'
                )
            if two_factor.required(user):
                ui.label(_('Your role requires two-factor sign-in.')).classes('text-sm text-gray-500')

    def enrol(self) -> None:
        user = acting_user()
        if user is None:
            return
        enrolment = two_factor.begin_enrolment(actor=user)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('enrol-dialog'):
            ui.label(_('Set up two-factor sign-in')).classes('text-lg font-medium')
            step = ui.column().classes('w-full gap-3')
            with step:
                ui.label(
                    _(
                        'Scan this QR code with an authenticator app (Google Authenticator, Microsoft '
                        'Authenticator, 1Password, Aegis…), then enter the 6-digit code it shows.'
                    )
                ).classes('text-sm')
                qr = base64.b64encode(enrolment.qr_svg.encode()).decode()
                ui.image(f'data:image/svg+xml;base64,{qr}').classes('w-48 h-48 self-center').props('fit=contain').mark(
                    'qr-code'
                )
                ui.label(_('Cannot scan it? Type this key into the app:')).classes('text-sm text-gray-500')
                with ui.row().classes('w-full items-center no-wrap gap-1'):
                    ui.label(enrolment.key).classes('font-mono text-sm break-all grow').mark('manual-key')
                    copy = ui.button(icon='content_copy', on_click=lambda: copy_to_clipboard(enrolment.secret))
                    copy.props('flat round dense')
                    copy.props['aria-label'] = _('Copy')
                code = counted(ui.input(_('Code from the app')), two_factor.APP_CODE_MAX)
                code.props('autocomplete=one-time-code inputmode=numeric outlined').classes('w-full')
                code.mark('enrol-code')

                async def confirm_code() -> None:
                    actor = acting_user()
                    if actor is None:
                        return
                    codes = await call(_confirm, actor, enrolment.secret, code.value or '', fields={'code': code})
                    if codes is FAILED:
                        return
                    step.clear()
                    with step:
                        _show_codes(codes, dialog, self.on_enrolled)
                    self.render()

                code.on('keydown.enter', confirm_code)
                with ui.row().classes('w-full justify-end gap-2'):
                    ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                    ui.button(_('Turn on'), on_click=confirm_code).mark('confirm-enrolment')
        dialog.open()

    def _new_codes(self) -> None:
        self._ask_code(_('New recovery codes'), _('Make new codes'), _new_codes, show_codes=True)

    def _turn_off(self) -> None:
        self._ask_code(_('Turn off two-factor sign-in'), _('Turn off'), _turn_off, show_codes=False)

    def _ask_code(self, title: str, action: str, run: Callable, *, show_codes: bool) -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md gap-3').mark('code-dialog'):
            ui.label(title).classes('text-lg font-medium')
            box = ui.column().classes('w-full gap-3')
            with box:
                code = counted(ui.input(_('Code from the app')), two_factor.APP_CODE_MAX)
                code.props('autocomplete=one-time-code inputmode=numeric outlined').classes('w-full')
                code.mark('confirm-code')

                async def go() -> None:
                    actor = acting_user()
                    if actor is None:
                        return
                    result = await call(run, actor, code.value or '', fields={'code': code})
                    if result is FAILED:
                        return
                    self.render()
                    if show_codes:
                        box.clear()
                        with box:
                            _show_codes(result, dialog)
                    else:
                        dialog.close()
                        ui.notify(_('Two-factor sign-in is off.'), type='positive')

                with ui.row().classes('w-full justify-end gap-2'):
                    ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                    ui.button(action, on_click=go).mark('confirm-code-action')
        dialog.open()


def _show_codes(codes: list[str], dialog: ui.dialog, then: Callable[[], None] | None = None) -> None:
    ui.label(_('Two-factor sign-in is on.')).classes('font-medium text-positive')
    ui.label(
        _(
            'Keep these recovery codes somewhere safe: each signs you in once if you lose your phone. They are '
            'shown only now.'
        )
    ).classes('text-sm')
    with ui.element('div').classes('grid grid-cols-2 gap-x-6 gap-y-1 font-mono self-center').mark('recovery-codes'):
        for code in codes:
            ui.label(code)
    with ui.row().classes('w-full justify-end gap-2'):
        ui.button(_('Copy'), icon='content_copy', on_click=lambda: copy_to_clipboard('\n'.join(codes))).props('flat')

        def saved() -> None:
            dialog.close()
            if then is not None:
                then()  # a user who had to set it up goes on to the page they came for

        ui.button(_('I have saved them'), on_click=saved).mark('codes-saved')


def _confirm(actor: User, secret: str, code: str) -> list[str]:
    with session_scope() as session:
        return two_factor.confirm_enrolment(session=session, actor=actor, secret=secret, code=code)


def _new_codes(actor: User, code: str) -> list[str]:
    with session_scope() as session:
        return two_factor.new_recovery_codes(session=session, actor=actor, code=code)


def _turn_off(actor: User, code: str) -> User:
    with session_scope() as session:
        return two_factor.turn_off(session=session, actor=actor, code=code)
