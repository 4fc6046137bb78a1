"""The customer portal's sign-in: a one-time link by email, or the password the customer chose; and the page a link
opens (a button to press, so a mail scanner that follows links does not use it up)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from backoffice import i18n
from backoffice.config import get_settings
from backoffice.i18n import N_, _
from backoffice.services import portal_access
from components.forms import in_language
from components.portal_pages import portal_frame, portal_page
from components.portal_session import current_actor
from components.session import safe_redirect
from components.session_language import start_page_in
from components.session_renewal import PORTAL_HOME, portal_renewal_url


@portal_page('/portal/login', N_('Sign in to your account'), public=True)
async def portal_sign_in_page(request: Request):
    target = safe_redirect(request.query_params.get('redirect_to'))
    target = target if target.startswith(f'{PORTAL_HOME}/') else PORTAL_HOME
    if current_actor() is not None:
        return RedirectResponse(target)
    address = request.client.host if request.client else None

    async def send_link() -> None:
        link_button.props('loading')
        answer = await run.io_bound(
            in_language,
            i18n.current(),
            portal_access.request_link,
            email=link_email.value or '',
            address=address,
            base_url=get_settings().base_url,
        )
        link_button.props(remove='loading')
        link_message.text = answer.message
        link_message.classes(replace='text-sm ' + ('text-negative' if answer.refused else 'text-positive'))
        link_message.set_visibility(True)

    async def sign_in() -> None:
        message.set_visibility(False)
        button.props('loading')
        answer = await run.io_bound(
            in_language,
            i18n.current(),
            portal_access.sign_in,
            email=email.value or '',
            password=password.value or '',
            address=address,
        )
        button.props(remove='loading')
        if not answer.ok:
            message.text = answer.message
            message.set_visibility(True)
            password.value = ''
            return
        ui.navigate.to(portal_renewal_url(answer.entry, target))  # signed in under a new session id

    with portal_frame(_('Sign in to your account'), None):
        with ui.card().classes('w-full p-5 gap-3'):
            ui.label(_('Get a sign-in link by email')).classes('text-lg font-medium')
            ui.label(_('We email you a link that signs you in once. No password needed.')).classes(
                'text-sm text-gray-600'
            )
            link_email = (
                ui.input(_('Email'))
                .props('type=email autocomplete=email outlined')
                .classes('w-full')
                .mark('portal-link-email')
            )
            link_email.on('keydown.enter', send_link)
            link_message = ui.label().props('role=status').mark('portal-link-message')
            link_message.set_visibility(False)
            link_button = ui.button(_('Email me a link'), on_click=send_link).classes('w-full').mark('portal-send-link')
        with ui.card().classes('w-full p-5 gap-3'):
            ui.label(_('Or sign in with your password')).classes('text-lg font-medium')
            email = (
                ui.input(_('Email'))
                .props('type=email autocomplete=username outlined')
                .classes('w-full')
                .mark('portal-email')
            )
            password = (
                ui.input(_('Password'), password=True, password_toggle_button=True)
                .props('autocomplete=current-password outlined')
                .classes('w-full')
                .mark('portal-password')
            )
            password.on('keydown.enter', sign_in)
            message = ui.label().classes('text-negative text-sm').props('role=alert').mark('portal-sign-in-message')
            message.set_visibility(False)
            button = ui.button(_('Sign in'), on_click=sign_in).classes('w-full').mark('portal-sign-in')
    return None


@portal_page('/portal/link', N_('Sign in to your account'), public=True)
def portal_link_page(request: Request) -> None:
    token = request.query_params.get('token', '')
    # the customer's own language, as their email was (a French invitation opened in an English browser read English)
    if language := portal_access.link_language(token=token):
        start_page_in(language, request.headers.get('accept-language'))
        ui.context.client.title = _('Sign in to your account')

    async def enter() -> None:
        answer = await run.io_bound(in_language, i18n.current(), portal_access.open_link, token=token)
        if not answer.ok:
            message.text = answer.message
            message.set_visibility(True)
            go.set_visibility(False)
            ui.link(_('Ask for a new link'), '/portal/login').mark('portal-new-link')
            return
        ui.navigate.to(portal_renewal_url(answer.entry))

    with portal_frame(_('Sign in to your account'), None):
        with ui.card().classes('w-full p-5 gap-3') as card:
            ui.label(_('Press the button to open your account. The link works once.')).classes('text-gray-700')
            message = ui.label().classes('text-negative').props('role=alert').mark('portal-link-message')
            message.set_visibility(False)
            go = ui.button(_('Open my account'), on_click=enter).classes('w-full').mark('portal-open')
        card.mark('portal-link-card')
