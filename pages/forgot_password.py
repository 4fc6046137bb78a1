"""Forgot password: ask for a link by email (the same answer for any email), then choose a new password from it."""

from urllib.parse import urlencode

from fastapi import Request
from nicegui import run, ui

from backoffice import i18n
from backoffice.config import get_settings
from backoffice.i18n import N_, _
from backoffice.services import password_reset
from components.forms import FAILED, call, clear_errors
from components.screens import screen
from components.shell import theme


@screen('/forgot-password', N_('Forgot password'), permission=None, public=True, in_menu=False)
def forgot_password_page(request: Request) -> None:
    address = request.client.host if request.client else None
    theme()

    async def send() -> None:
        button.props('loading')
        asked = await run.io_bound(
            _in_language,
            i18n.current(),
            email=email.value or '',
            address=address,
        )
        button.props(remove='loading')
        answer.text = asked.message
        answer.classes(replace='text-sm ' + ('text-negative' if asked.refused else 'text-positive'))
        answer.set_visibility(True)

    with _card():
        ui.label(_('Forgot password')).classes('text-lg font-medium')
        ui.label(_('Enter the email you sign in with. We will send you a link to choose a new password.')).classes(
            'text-gray-500 text-sm'
        )
        email = ui.input(_('Email')).props('type=email autocomplete=username autofocus outlined').classes('w-full')
        email.on('keydown.enter', send)
        answer = ui.label().classes('text-sm').props('role=status').mark('reset-answer')
        answer.set_visibility(False)
        button = ui.button(_('Send the link'), on_click=send).classes('w-full')
        ui.link(_('Back to sign-in'), '/login').classes('text-sm text-primary self-center')


@screen('/reset-password', N_('Choose a new password'), permission=None, public=True, in_menu=False)
def reset_password_page(request: Request) -> None:
    token = request.query_params.get('token', '')
    theme()
    link = password_reset.read_link(token)
    with _card():
        # an invitation's link chooses the first password of a new member of staff
        ui.label(_('Choose your password') if link.invitation else _('Choose a new password')).classes(
            'text-lg font-medium'
        )
        user = link.user
        if user is None:
            if link.invitation:
                ui.label(_(password_reset.EXPIRED_INVITATION)).mark('link-expired')
                ui.link(_('Back to sign-in'), '/login').classes('text-sm text-primary')
                return
            ui.label(_('This link has expired or was already used. Ask for a new one.')).mark('link-expired')
            ui.link(_('Ask for a new link'), '/forgot-password').classes('text-sm text-primary')
            return
        ui.label(user.email).classes('text-gray-500 text-sm')
        fields = {
            'new': ui.input(_('New password'), password=True, password_toggle_button=True)
            .props('autocomplete=new-password outlined')
            .classes('w-full'),
            'confirm': ui.input(_('Repeat new password'), password=True, password_toggle_button=True)
            .props('autocomplete=new-password outlined')
            .classes('w-full'),
        }
        fields['new'].props['hint'] = (
            _('At least 10 characters, hard to guess')
            if link.invitation
            else _('At least 10 characters, hard to guess; every session will be signed out')
        )
        message = ui.label().classes('text-negative text-sm').props('role=alert').mark('form-error')
        message.set_visibility(False)

        async def save() -> None:
            clear_errors(fields)
            saved = await call(
                password_reset.reset_with_link,
                token=token,
                new=fields['new'].value or '',
                confirm=fields['confirm'].value or '',
                fields=fields,
                message=message,
            )
            if saved is FAILED:
                return
            ui.notify(
                _('Your password is set. Sign in with it.')
                if link.invitation
                else _('Your password was changed. Sign in with it.'),
                type='positive',
            )
            ui.navigate.to(f'/login?{urlencode({"email": saved.email})}')

        ui.button(_('Set my password') if link.invitation else _('Set the new password'), on_click=save).classes(
            'w-full'
        )


def _card() -> ui.card:
    with ui.column().classes('absolute-center w-full max-w-sm p-4 gap-4'):
        with ui.row().classes('items-center gap-2 self-center'):
            ui.icon('space_dashboard', size='2rem').classes('text-primary')
            ui.label('Backoffice').classes('text-2xl font-semibold')
        return ui.card().classes('w-full p-6 gap-3')


def _in_language(language: str, *, email: str, address: str | None) -> password_reset.Asked:
    with i18n.use(language):
        return password_reset.request_link(email=email, address=address, base_url=get_settings().base_url)
