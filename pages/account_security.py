"""Security and sessions (anyone signed in, their own): two-factor sign-in, the browsers signed in as them, and their
digest by email. A user whose role requires two-factor sign-in lands here, and nowhere else, until it is set up."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.services import two_factor
from components.digest_panel import DigestPanel
from components.screens import screen
from components.sessions_panel import SessionsPanel
from components.two_factor_panel import TwoFactorPanel


@screen('/account/security', N_('Security and sessions'), permission=None, in_menu=False, icon='shield')
def account_security_page(user: User) -> None:
    forced = two_factor.must_enrol(user)
    if forced:
        with ui.card().classes('w-full bg-amber-50 p-4').props('flat bordered').mark('two-factor-required'):
            ui.label(_('Your role requires two-factor sign-in. Set it up to continue.')).classes('font-medium')
    with ui.card().classes('w-full p-4 gap-2'):
        ui.label(_('Two-factor sign-in')).classes('text-lg font-medium')
        panel = TwoFactorPanel(user, on_enrolled=(lambda: ui.navigate.to('/')) if forced else None)
    if forced:
        panel.enrol()
        return
    with ui.card().classes('w-full p-4 gap-2'):
        ui.label(_('Active sessions')).classes('text-lg font-medium')
        SessionsPanel(user, user.id or 0)
    with ui.card().classes('w-full p-4 gap-2').mark('digest-panel'):
        ui.label(_('Digest by email')).classes('text-lg font-medium')
        DigestPanel(user)
