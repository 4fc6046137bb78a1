"""One staff user's security (admins): their two-factor sign-in, which an admin may reset, and their sessions,
which an admin may end."""

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.formatting import day
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import role_name
from backoffice.resources import resource
from backoffice.services import two_factor, users
from components import live
from components.forms import FAILED, call, confirm
from components.resource_form import action_buttons
from components.screens import screen
from components.server_error import record_id
from components.session import acting_user
from components.sessions_panel import SessionsPanel

USERS = resource('users')


@screen(
    USERS.page,
    N_('Staff user'),
    permission=USERS.read_permission,
    icon=USERS.icon,
    section=N_('Administration'),
    in_menu=False,
    description=N_('One staff user: two-factor sign-in and active sessions'),
)
def user_page(user: User, id: str) -> None:  # noqa: A002  (the path's parameter)
    with read_session() as session:
        number = record_id(id)
        shown = session.get(User, number) if number is not None else None
    if shown is None:
        ui.label(_('This record does not exist, or you may not read it.')).mark('not-found')
        ui.link(_('Back to the list'), '/users')
        return
    with ui.row().classes('items-center gap-2'):
        ui.label(shown.name).classes('text-xl font-medium break-all')
        ui.label(shown.email).classes('text-gray-500 break-all')
    with ui.row().classes('items-center gap-3 text-sm'):
        ui.label(_('Role: {role}').format(role=role_name(shown.role))).mark('user-role')
        ui.link(_('Back to the list'), '/users')
        ui.link(_('Roles'), '/roles')

    @ui.refreshable
    def actions() -> None:  # the declared actions (Deactivate, Reset password…), not only inside the edit dialog
        with read_session() as session:
            current = session.get(User, shown.id)
        if current is not None and not current.is_active:  # said, not only told by a Reactivate button
            ui.label(_('Deactivated: cannot sign in')).classes('text-sm text-red-700').mark('user-deactivated')
        if current is not None and current.is_active:
            invitation(current)
        if current is not None:
            with ui.row().classes('items-center gap-2 flex-wrap').mark('record-action-buttons'):
                action_buttons(USERS, current, user, actions.refresh)

    actions()
    # a colleague's change to this person (a resend, a deactivation, their accepting the invitation) shows at once;
    # another person's change leaves the buttons where they are (one drawn again loses the click on its way)
    live.resource_changed(Topic.users).subscribe(
        lambda payload: actions.refresh() if payload.get('id') == shown.id else None
    )

    with ui.card().classes('w-full p-4 gap-2'):
        ui.label(_('Two-factor sign-in')).classes('text-lg font-medium')
        state = ui.column().classes('gap-2')

        def show_state() -> None:
            with read_session() as session:
                current = session.get(User, shown.id)
            state.clear()
            with state:
                if current is not None and two_factor.enrolled(current):
                    ui.label(_('On since {date}').format(date=day(current.totp_enabled_at))).mark('two-factor-on')
                    if current.id == user.id:  # one's own is turned off with a code, there
                        ui.link(_('Security and sessions'), '/account/security').mark('own-security')
                        return
                    if not users.within_reach(user, current):  # refused: their role holds rights the viewer's does not
                        return
                    ui.button(_('Reset two-factor sign-in'), icon='restart_alt', on_click=reset).props(
                        'outline color=negative'
                    ).mark('reset-two-factor')
                else:
                    ui.label(_('Off')).mark('two-factor-off')
                    if current is not None and two_factor.required(current):
                        ui.label(_('Their role requires it: they set it up at their next sign-in.')).classes(
                            'text-sm text-gray-500'
                        )

        async def reset() -> None:
            admin = acting_user()
            if admin is None:
                return
            question = _(
                'Reset the two-factor sign-in of {email}? Their app and recovery codes stop working; they are told by '
                'email.'
            ).format(email=shown.email)
            if not await confirm(question, _('Reset two-factor sign-in')):
                return
            done = await call(_reset, admin, shown.id)
            if done is FAILED:
                return
            ui.notify(_('Two-factor sign-in reset; {email} was told.').format(email=shown.email), type='positive')
            show_state()

        show_state()

    with ui.card().classes('w-full p-4 gap-2'):
        ui.label(_('Active sessions')).classes('text-lg font-medium')
        SessionsPanel(user, shown.id or 0)


def invitation(current: User) -> None:
    """Their invitation while it is pending: when it was sent and until when its link works, or that it expired
    unanswered (Send the invitation again, among the buttons, makes a new link)."""
    state = users.invitation_state(current)
    if state is None or current.invited_until is None:
        return
    sent, until = formatting.when(users.invitation_sent_at(current)), formatting.when(current.invited_until)
    if state == 'invited':
        said = _('Invitation sent {sent}, not accepted yet: its link works until {until} ({due}).').format(
            sent=sent, until=until, due=formatting.due(current.invited_until)
        )
        ui.label(said).classes('text-sm break-words').mark('user-invitation')
    else:
        said = _('Invitation sent {sent} expired on {until} without being accepted: send it again for a new link.')
        ui.label(said.format(sent=sent, until=until)).classes('text-sm text-amber-800 break-words').mark(
            'user-invitation'
        )


def _reset(admin: User, user_id: int) -> User:
    with session_scope() as session:
        return two_factor.reset(session=session, actor=admin, user_id=user_id)
