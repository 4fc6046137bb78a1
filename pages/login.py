"""Sign-in page: email and password, then the two-factor code for those who use it; throttled, returning to the page
that asked for it; the way to a new password for those who forgot it."""

import json

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from backoffice import auth, i18n, known_browser
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.services import two_factor
from components.forms import counted, in_language
from components.known_browser_route import PATH as REMEMBER_BROWSER
from components.screens import screen
from components.session import current_user, safe_redirect
from components.session_renewal import renewal_url
from components.shell import theme


@screen('/login', N_('Sign in'), permission=None, public=True, in_menu=False)
def login_page(request: Request):
    target = safe_redirect(request.query_params.get('redirect_to'))
    if current_user() is not None:
        return RedirectResponse(target)
    address = request.client.host if request.client else None
    known_browser_cookie = request.cookies.get(known_browser.COOKIE)
    theme()
    passed: dict = {}  # the password step's outcome, kept on the server while the code is asked

    async def attempt() -> None:
        message.set_visibility(False)
        button.props('loading')
        result = await run.io_bound(
            in_language,
            i18n.current(),  # the refusal's words in the page's language
            auth.sign_in,
            email=email.value,
            password=password.value,
            address=address,
            known_browser_cookie=known_browser_cookie,
        )
        button.props(remove='loading')
        if not result.ok:
            message.text = result.message
            message.set_visibility(True)
            password.value = ''
            return
        if result.user is not None and two_factor.enrolled(result.user):
            passed.update(result=result)
            password_step.set_visibility(False)
            code_step.set_visibility(True)
            code.run_method('focus')
            return
        finish(result)

    async def check_code() -> None:
        code_message.set_visibility(False)
        result = passed.get('result')
        if result is None or result.user is None:
            return
        code_button.props('loading')
        outcome = await run.io_bound(
            in_language, i18n.current(), two_factor.check_second_step, user_id=result.user.id, code=code.value or ''
        )
        code_button.props(remove='loading')
        if not outcome.ok:
            code_message.text = outcome.message
            code_message.set_visibility(True)
            if outcome.retype:
                code.value = ''
            return
        finish(result)

    def finish(result: auth.SignIn) -> None:
        user: User | None = result.user
        remember_this_browser(result.known_browser_token)  # a keepalive post: it survives the navigation
        # signed in under a new session id, never the old one
        ui.navigate.to(renewal_url(user, target, new_browser=result.new_browser))

    with ui.column().classes('absolute-center w-full max-w-sm p-4 gap-4'):
        with ui.row().classes('items-center gap-2 self-center'):
            ui.icon('space_dashboard', size='2rem').classes('text-primary')
            ui.label('Backoffice').classes('text-2xl font-semibold')
        with ui.card().classes('w-full p-6 gap-3') as password_step:
            ui.label(_('Sign in to continue')).classes('text-gray-500')
            # a password just chosen from a link comes here with the email filled in (`?email=`): the password next
            known = (request.query_params.get('email') or '')[:254]
            email = (
                ui.input(_('Email'), value=known).props('type=email autocomplete=username outlined').classes('w-full')
            )
            password = (
                ui.input(_('Password'), password=True, password_toggle_button=True)
                .props('autocomplete=current-password outlined')
                .classes('w-full')
            )
            (password if known else email).props('autofocus')
            password.on('keydown.enter', attempt)
            message = ui.label().classes('text-negative text-sm').props('role=alert').mark('sign-in-message')
            message.set_visibility(False)
            button = ui.button(_('Log in'), on_click=attempt).classes('w-full')
            ui.link(_('Forgot password?'), '/forgot-password').classes('text-sm text-primary self-center').mark(
                'forgot-password'
            )
        with ui.card().classes('w-full p-6 gap-3').mark('code-step') as code_step:
            ui.label(_('Two-factor sign-in')).classes('text-lg font-medium')
            ui.label(_('Enter the 6-digit code your authenticator app shows, or one of your recovery codes.')).classes(
                'text-gray-500 text-sm'
            )
            code = counted(ui.input(_('Code')), two_factor.SIGN_IN_CODE_MAX)
            code.props('autocomplete=one-time-code inputmode=numeric outlined').classes('w-full').mark('code')
            code.on('keydown.enter', check_code)
            code_message = ui.label().classes('text-negative text-sm').props('role=alert').mark('code-message')
            code_message.set_visibility(False)
            code_button = ui.button(_('Verify'), on_click=check_code).classes('w-full')
            ui.link(_('Start again'), '/login').classes('text-sm text-primary self-center')
        code_step.set_visibility(False)
    return None


def remember_this_browser(token: str) -> None:
    """The browser stores its known-browser cookie (HttpOnly) from a same-origin POST that outlives the navigation."""
    body = json.dumps(json.dumps({'token': token}))
    ui.run_javascript(
        f"fetch('{REMEMBER_BROWSER}', {{method: 'POST', keepalive: true, credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {body}}})"
    )
