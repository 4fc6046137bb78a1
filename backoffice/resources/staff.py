"""Staff users declared for the engine; their writes go through services/users.py (hashing, last admin, sessions)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import col

from backoffice import formatting
from backoffice.config import get_settings
from backoffice.db import read_session
from backoffice.engine.declaration import Action, Card, Column, Filter, FormField, Outcome, Resource, Wording, register
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import User
from backoffice.permissions import ROLE_CHOICES, roles_with
from backoffice.services import users

# every role, built-in and custom: one dict kept current by services/roles.sync, so lists, forms and filters offer a
# role made at /roles without being declared again
ROLES = ROLE_CHOICES


class UserUpdate(BaseModel):
    name: str | None = None
    role: str | None = None  # a built-in role or a custom role's key (services/users checks it)


def _create(*, session, actor, data) -> Outcome:
    created = users.create_user(session=session, actor=actor, data=data, base_url=get_settings().base_url)
    email = created.user.email
    if created.invited:
        return Outcome(
            created.user,
            _('An invitation was sent to {email}: they choose their own password from its link (72 hours)').format(
                email=email
            ),
        )
    return Outcome(
        created.user,
        _('{email} was added').format(email=email),
        created.generated_password,
        _('Password for {email}').format(email=email),
        _('{reason} Pass this password on to them safely instead.').format(reason=_(users.NO_MAIL))
        if created.no_mail
        else '',
    )


def _resend_invitation(*, session, actor, record_id, version) -> Outcome:
    user = users.resend_invitation(
        session=session, actor=actor, user_id=record_id, version=version, base_url=get_settings().base_url
    )
    return Outcome(
        user,
        _('The invitation was sent again to {email}; the link sent before no longer works').format(email=user.email),
    )


def _invitation_can_be_sent(user: User, actor: User) -> bool:
    """Offered only when it can succeed: on someone within the actor's reach, and not while outbound mail is not set
    up (the service refuses both; the API still gets its refusal, with its reason)."""
    if not users.within_their_reach(user, actor) or users.invitation_state(user) is None:
        return False  # (no read for the accounts that hold no invitation: most of them)
    with read_session() as session:
        return users.invitation_can_be_sent(session, user)


def _update(*, session, actor, record_id, version, changes) -> User:
    return users.update_user(session=session, actor=actor, user_id=record_id, version=version, **changes)


def _deactivate(*, session, actor, record_id, version) -> Outcome:
    handed_back = users.open_requests_of(session=session, actor=actor, user_id=record_id)
    user = users.set_active(session=session, actor=actor, user_id=record_id, version=version, active=False)
    if not handed_back:
        return Outcome(user, _('{email} was deactivated and signed out everywhere').format(email=user.email))
    said = ngettext(
        '{email} was deactivated and signed out everywhere; their {n} open request is back in the unassigned queue.',
        '{email} was deactivated and signed out everywhere; their {n} open requests are back in the unassigned queue.',
        handed_back,
    ).format(email=user.email, n=formatting.number(handed_back))
    return Outcome(user, said)


def _reactivate(*, session, actor, record_id, version) -> Outcome:
    user = users.set_active(session=session, actor=actor, user_id=record_id, version=version, active=True)
    return Outcome(user, _('{email} was reactivated').format(email=user.email))


def _reset_password(*, session, actor, record_id, version) -> Outcome:
    user, password = users.send_password_reset(
        session=session, actor=actor, user_id=record_id, version=version, base_url=get_settings().base_url
    )
    if password is None:
        return Outcome(
            user,
            _(
                'An email was sent to {email} with a link to choose a new password; they were signed out everywhere'
            ).format(email=user.email),
        )
    return Outcome(
        user,
        _('{email} was signed out everywhere').format(email=user.email),
        password,
        _('New password for {email}').format(email=user.email),
        _('{reason} Pass this password on to them safely instead.').format(reason=_(users.NO_MAIL_RESET)),
    )


USERS = register(
    Resource(
        key=Topic.users,
        link='/users?open={id}',
        page='/users/{id}',  # its security: two-factor sign-in and sessions (pages/user.py)
        label=N_('Staff users'),
        singular=N_('user'),
        wording=Wording(
            count=lambda n: ngettext('{n} staff user', '{n} staff users', n),
            arrived=lambda n: ngettext('{n} new staff user', '{n} new staff users', n),
            none_yet=N_('There are no staff users yet.'),
            new=N_('New user'),
            create=N_('Create user'),
            created=N_('User created'),
        ),
        model=User,
        create=users.UserCreate,
        update=UserUpdate,
        permission='users',
        read='users.manage',
        write='users.manage',
        audit_entity='user',
        title='email',
        card=Card(title='email', status='role', secondary=('name', 'is_active'), once_set=('invited_until',)),
        icon='manage_accounts',
        description=N_('Who can sign in, and with which role'),
        soft_delete=False,
        create_with=_create,
        update_with=_update,
        columns=(
            Column('name', N_('Name')),
            Column('email', N_('Email'), kind='email'),
            Column('role', N_('Role'), kind='choice', choices=ROLES),
            Column('is_active', N_('Active'), kind='bool'),
            Column(
                'invited_until',
                N_('Invitation'),
                kind='choice',
                choices=users.INVITATION_STATES,
                derived=users.invitation_state,
                alarming=('expired',),
                on_phone=False,
            ),
            Column('last_login_at', N_('Last sign-in'), kind='datetime', on_phone=False),
            # who signs in with a password alone, at a glance (sorted, the empty ones come together)
            Column('totp_enabled_at', N_('Two-factor since'), kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('email', N_('Email'), kind='email', required=True, on_edit=False),
            FormField('name', N_('Name'), required=True),
            FormField('role', N_('Role'), kind='choice', choices=ROLES, required=True),
            FormField(
                'invite',
                N_('Email an invitation to choose their own password'),
                kind='bool',
                default=True,
                applies=lambda _user: False,  # asked when adding only
                help=N_('The link in it works once, for 72 hours'),
            ),
            FormField(
                'password',
                N_('Initial password'),
                kind='password',
                on_edit=False,
                help=N_(
                    'With the invitation off: leave empty to generate one, shown once; else at least 10 characters, '
                    'hard to guess'
                ),
            ),
        ),
        search=('name', 'email'),
        filters=(Filter('role', N_('Role'), 'choice', choices=ROLES), Filter('is_active', N_('Active'), 'bool')),
        default_sort='name',
        changeable_by=users.within_their_reach,  # an admin's record opens read-only to a custom role's staff manager
        actions=(
            Action(
                'deactivate',
                N_('Deactivate'),
                _deactivate,
                'users.manage',
                icon='person_off',
                visible=lambda u: u.is_active,
                for_actor=users.on_someone_else,
                confirm=N_(
                    'Deactivate this user? They are signed out everywhere, and their open requests go back to the '
                    'unassigned queue.'
                ),
            ),
            Action(
                'reactivate',
                N_('Reactivate'),
                _reactivate,
                'users.manage',
                icon='person',
                visible=lambda u: not u.is_active,
                for_actor=users.within_their_reach,
            ),
            Action(
                'resend-invitation',
                N_('Send the invitation again'),
                _resend_invitation,
                'users.manage',
                icon='forward_to_inbox',
                visible=lambda u: u.is_active and users.invitation_state(u) is not None,
                for_actor=_invitation_can_be_sent,
            ),
            Action(
                'reset-password',
                N_('Reset password'),
                _reset_password,
                'users.manage',
                icon='key',
                for_actor=users.on_someone_else,
                confirm=N_(
                    'Reset the password? The current one stops working, the user is signed out everywhere and is '
                    'emailed a link to choose a new one.'
                ),
            ),
        ),
    )
)


def _can_answer_requests() -> list:
    return [col(User.is_active).is_(True), col(User.role).in_(roles_with('tickets.write'))]


# Who a request can be assigned to: readable by everyone on the desk (the full `users` resource is admin-only).
STAFF = register(
    Resource(
        key='staff',
        label=N_('Staff'),
        singular=N_('member of staff'),
        wording=Wording(
            count=lambda n: ngettext('{n} member of staff', '{n} staff', n),
            arrived=lambda n: ngettext('{n} new member of staff', '{n} new staff', n),
            none_yet=N_('There are no staff yet.'),
        ),
        model=User,
        create=None,
        update=None,
        permission='tickets',
        read='tickets.read',
        title='name',
        soft_delete=False,
        icon='badge',
        description=N_('Active staff who answer requests'),
        lookup_where=_can_answer_requests,
        columns=(
            Column('name', N_('Name')),
            Column('email', N_('Email'), kind='email'),
            Column('role', N_('Role'), kind='choice', choices=ROLES),
        ),
        fields=(),
        search=('name', 'email'),
        default_sort='name',
    )
)
