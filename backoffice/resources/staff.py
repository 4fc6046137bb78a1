"""Staff users declared for the engine; their writes go through services/users.py (hashing, last admin, sessions)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import col

from backoffice.engine.declaration import Action, Card, Column, Filter, FormField, Outcome, Resource, register
from backoffice.events import Topic
from backoffice.models import Role, User
from backoffice.permissions import ROLE_PERMISSIONS
from backoffice.services import users

ROLES = {role.value: role.value.capitalize() for role in Role}


class UserUpdate(BaseModel):
    name: str | None = None
    role: Role | None = None


def _create(*, session, actor, data) -> Outcome:
    created = users.create_user(session=session, actor=actor, data=data)
    return Outcome(
        created.user,
        f'{created.user.email} was added',
        created.generated_password,
        f'Password for {created.user.email}',
    )


def _update(*, session, actor, record_id, version, changes) -> User:
    return users.update_user(session=session, actor=actor, user_id=record_id, version=version, **changes)


def _deactivate(*, session, actor, record_id, version) -> Outcome:
    user = users.set_active(session=session, actor=actor, user_id=record_id, version=version, active=False)
    return Outcome(user, f'{user.email} was deactivated and signed out everywhere')


def _reactivate(*, session, actor, record_id, version) -> Outcome:
    user = users.set_active(session=session, actor=actor, user_id=record_id, version=version, active=True)
    return Outcome(user, f'{user.email} was reactivated')


def _reset_password(*, session, actor, record_id, version) -> Outcome:
    password = users.reset_password(session=session, actor=actor, user_id=record_id, version=version)
    user = session.get(User, record_id)
    return Outcome(user, 'Password reset; the user was signed out everywhere', password, f'Password for {user.email}')


USERS = register(
    Resource(
        key=Topic.users,
        link='/users?open={id}',
        label='Staff users',
        singular='user',
        model=User,
        create=users.UserCreate,
        update=UserUpdate,
        permission='users',
        read='users.manage',
        write='users.manage',
        audit_entity='user',
        title='email',
        card=Card(title='email', status='role', secondary=('name', 'is_active')),
        icon='manage_accounts',
        description='Who can sign in, and with which role',
        soft_delete=False,
        create_with=_create,
        update_with=_update,
        columns=(
            Column('name', 'Name'),
            Column('email', 'Email', kind='email'),
            Column('role', 'Role', kind='choice', choices=ROLES),
            Column('is_active', 'Active', kind='bool'),
            Column('last_login_at', 'Last sign-in', kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('email', 'Email', kind='email', required=True, on_edit=False),
            FormField('name', 'Name', required=True),
            FormField('role', 'Role', kind='choice', choices=ROLES, required=True),
            FormField(
                'password',
                'Initial password',
                kind='password',
                on_edit=False,
                help='Leave empty to generate one, shown once; else at least 10 characters, hard to guess',
            ),
        ),
        search=('name', 'email'),
        filters=(Filter('role', 'Role', 'choice', choices=ROLES), Filter('is_active', 'Active', 'bool')),
        default_sort='name',
        actions=(
            Action(
                'deactivate',
                'Deactivate',
                _deactivate,
                'users.manage',
                icon='person_off',
                visible=lambda u: u.is_active,
                confirm='Deactivate this user? They are signed out everywhere.',
            ),
            Action(
                'reactivate',
                'Reactivate',
                _reactivate,
                'users.manage',
                icon='person',
                visible=lambda u: not u.is_active,
            ),
            Action(
                'reset-password',
                'Reset password',
                _reset_password,
                'users.manage',
                icon='key',
                confirm='Reset the password? A new one is shown once and the user is signed out everywhere.',
            ),
        ),
    )
)


def _can_answer_requests() -> list:
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if 'tickets.write' in granted]
    return [col(User.is_active).is_(True), col(User.role).in_(roles)]


# Who a request can be assigned to: readable by everyone on the desk (the full `users` resource is admin-only).
STAFF = register(
    Resource(
        key='staff',
        label='Staff',
        singular='member of staff',
        model=User,
        create=None,
        update=None,
        permission='tickets',
        read='tickets.read',
        title='name',
        soft_delete=False,
        icon='badge',
        description='Active staff who answer requests',
        lookup_where=_can_answer_requests,
        columns=(
            Column('name', 'Name'),
            Column('email', 'Email', kind='email'),
            Column('role', 'Role', kind='choice', choices=ROLES),
        ),
        fields=(),
        search=('name', 'email'),
        default_sort='name',
    )
)
