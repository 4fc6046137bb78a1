"""Custom roles: an admin makes, renames, changes and deletes roles beside the four built-in ones (which stay as
templates); every change is audited with the permissions before and after, and reaches every signed-in user at their
next request (`sync`, called on each request, re-reads the roles when the table changed)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backoffice import changes, events, formatting, permissions
from backoffice.changes import get_for_update, stamp
from backoffice.db import read_session
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import Role, StaffRole, User
from backoffice.permissions import PERMISSIONS, ROLE_PERMISSIONS, require
from backoffice.services import app_settings, audit
from backoffice.stored_text import sentence
from backoffice.validation import name_problem

NAME_LENGTH, DESCRIPTION_LENGTH = 80, 300
KEY_PREFIX = 'custom-'
NAMES_SHOWN = 5  # how many holders a refused deletion names


@dataclass(frozen=True)
class RoleView:
    """One role as the roles screen shows it."""

    key: str
    name: str
    description: str
    permissions: frozenset[str]
    built_in: bool
    holders: int
    two_factor: bool = False
    id: int | None = None
    version: int | None = None


def list_roles(*, session: Session, actor: User) -> list[RoleView]:
    """The built-in roles (templates, read-only) then the custom ones by name, each with how many users hold it."""
    require(actor, 'users.manage')
    sync(session)
    holders = dict(session.exec(select(User.role, func.count()).group_by(User.role)).all())
    built_in = [
        RoleView(
            role.value,
            permissions.role_name(role.value),
            _(permissions.ROLE_DESCRIPTIONS[role]),
            ROLE_PERMISSIONS[role],
            True,
            holders.get(role.value, 0),
            bool(app_settings.cached(f'two_factor_{role.value}')),
        )
        for role in Role
    ]
    custom = [
        RoleView(
            row.key,
            row.name,
            row.description,
            frozenset(row.permissions),
            False,
            holders.get(row.key, 0),
            row.two_factor_required,
            row.id,
            row.version,
        )
        for row in session.exec(select(StaffRole).order_by(func.lower(StaffRole.name)))
    ]
    return built_in + custom


def create_role(
    *,
    session: Session,
    actor: User,
    name: str,
    description: str = '',
    granted: list[str] | set[str],
    two_factor: bool = False,
) -> StaffRole:
    require(actor, 'users.manage')
    values = _validated(session, name=name, description=description, granted=granted, role_id=None, actor=actor)
    role = StaffRole(key=f'{KEY_PREFIX}new', two_factor_required=bool(two_factor), **values)
    session.add(role)
    _flush_or_name_taken(session)
    role.key = f'{KEY_PREFIX}{role.id}'
    audit.record(
        session,
        actor,
        'role.created',
        'role',
        role.id,
        changes=audit.diff({}, _audited(role)),
        version=role.version,
        summary=sentence(N_('Created the role “{name}”'), name=role.name),
    )
    return _commit(session, role, 'created')


def update_role(
    *,
    session: Session,
    actor: User,
    role_id: int,
    version: int,
    name: str,
    description: str = '',
    granted: list[str] | set[str],
    two_factor: bool | None = None,
) -> StaffRole:
    """Rename a role, change what it is for and what it grants: its holders have the new permissions at their next
    request, pages already open included."""
    require(actor, 'users.manage')
    role = get_for_update(session, StaffRole, role_id, version, entity='role')
    _within_reach(session, actor, role)
    before = _audited(role)
    values = _validated(session, name=name, description=description, granted=granted, role_id=role_id, actor=actor)
    for field, value in values.items():
        setattr(role, field, value)
    if two_factor is not None:
        role.two_factor_required = bool(two_factor)
    after = _audited(role)
    if before == after:
        session.rollback()
        return role
    stamp(role)
    session.add(role)
    _flush_or_name_taken(session)
    audit.record(
        session,
        actor,
        'role.updated',
        'role',
        role.id,
        changes=audit.diff(before, after),
        version=role.version,
        summary=sentence(N_('Changed the role “{name}”'), name=role.name),
    )
    return _commit(session, role, 'updated')


def delete_role(*, session: Session, actor: User, role_id: int, version: int) -> None:
    """Delete a role nobody holds; while users hold it, the refusal names them."""
    require(actor, 'users.manage')
    role = get_for_update(session, StaffRole, role_id, version, entity='role')
    _within_reach(session, actor, role)
    holders = list(session.exec(select(User.email).where(User.role == role.key).order_by(col(User.email))))
    if holders:
        session.rollback()
        named = ', '.join(holders[:NAMES_SHOWN]) + (', …' if len(holders) > NAMES_SHOWN else '')
        raise ValidationFailed(
            {
                '': ngettext(
                    '{n} user holds this role ({names}): give them another role first.',
                    '{n} users hold this role ({names}): give them another role first.',
                    len(holders),
                ).format(n=len(holders), names=named)
            }
        )
    audit.record(
        session,
        actor,
        'role.deleted',
        'role',
        role.id,
        changes={field: [value, None] for field, value in _audited(role).items()},
        version=role.version,
        summary=sentence(N_('Deleted the role “{name}”'), name=role.name),
    )
    session.delete(role)
    _commit(session, role, 'deleted')


def lock_role(session: Session, key: str) -> bool:
    """Whether a role with this key exists, a custom one locked until the caller's commit (a user given it and its
    deletion then happen one after the other, never both)."""
    if permissions.is_built_in(key):
        return True
    statement = select(StaffRole.id).where(StaffRole.key == key)
    if session.bind is not None and session.bind.dialect.name != 'sqlite':
        statement = statement.with_for_update()
    return session.exec(statement).first() is not None


def resolve(session: Session, role: str) -> str | None:
    """The key of the role named or keyed so (the command line's --role), None when there is none."""
    if permissions.is_built_in(role):
        return role
    wanted = (role or '').strip().lower()
    found = session.exec(
        select(StaffRole.key).where((func.lower(StaffRole.name) == wanted) | (StaffRole.key == wanted))
    ).first()
    return found


def keys_with(session: Session, permission: str) -> list[str]:
    """The keys of every role holding a permission, read fresh: who to notify or hand work to follows permissions."""
    sync(session)
    return permissions.roles_with(permission)


# --- keeping every process's view of the roles current --------------------------------------------------------------

_lock = threading.Lock()
_seen: tuple[Any, ...] | None = None  # the table's stamp when last read: (rows, sum of versions, newest change)


def sync(session: Session, stamp: tuple[Any, ...] | None = None) -> None:
    """Re-read the custom roles if the table changed since this process last read it (one small query, or none when
    the caller read `stamp_columns()` in its own): called on every request, so a role's change reaches its holders at
    their next request in every process."""
    global _seen
    current = tuple(stamp) if stamp is not None else tuple(session.exec(select(*stamp_columns())).one())
    if current == _seen:
        return
    rows = session.exec(
        select(StaffRole.key, StaffRole.name, StaffRole.permissions, StaffRole.two_factor_required)
    ).all()
    with _lock:
        permissions.set_custom_roles(
            {key: (name, frozenset(granted or ())) for key, name, granted, _two_factor in rows},
            two_factor=frozenset(key for key, _name, _granted, two_factor in rows if two_factor),
        )
        _seen = current


def stamp_columns() -> tuple[Any, ...]:
    """The custom roles table's stamp (rows, sum of versions, newest change) as three values a query can select
    beside its own (components/session.current_user reads it with the user and the session, in one query)."""
    return (
        select(func.count()).select_from(StaffRole).scalar_subquery(),
        select(func.coalesce(func.sum(StaffRole.version), 0)).scalar_subquery(),
        select(func.max(StaffRole.updated_at)).scalar_subquery(),
    )


def forget(_payload: dict | None = None) -> None:
    """Read the roles again at the next sync."""
    global _seen
    _seen = None


def reread(_payload: dict | None = None) -> None:
    """Read the roles again now (a change heard from this or another process): what does not pass through a page's
    request (an API call, a job) has the new permissions too, as soon as the event arrives."""
    forget()
    with read_session() as session:
        sync(session)


def wire() -> None:
    """main.py, on every start: a change, made here or relayed from another process, is read at once."""
    events.subscribe(Topic.roles, reread, key='roles.reread')


def _commit(session: Session, role: StaffRole, action: str) -> StaffRole:
    changes.commit(session, (Topic.roles, {'id': role.id, 'key': role.key, 'action': action}))
    reread()  # this process knows the change at once (the acting admin's next click included)
    return role


def _audited(role: StaffRole) -> dict[str, Any]:
    return {
        'name': role.name,
        'description': role.description,
        'permissions': sorted(role.permissions),
        'two_factor_required': role.two_factor_required,
    }


def _within_reach(session: Session, actor: User, role: StaffRole) -> None:
    """Someone who manages staff changes or deletes only a role whose every right they hold themselves."""
    if permissions.beyond(actor, frozenset(role.permissions)):
        session.rollback()
        raise ValidationFailed({'': _('This role holds rights your own role does not: ask an admin')})


def _validated(
    session: Session,
    *,
    name: str,
    description: str,
    granted: list[str] | set[str],
    role_id: int | None,
    actor: User,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name, description = (name or '').strip(), (description or '').strip()
    if not name:
        errors['name'] = _('Enter a name')
    elif problem := name_problem(name, maximum=NAME_LENGTH):
        errors['name'] = problem
    elif _name_taken(session, name, role_id):
        errors['name'] = _('A role with this name already exists')
    if len(description) > DESCRIPTION_LENGTH:
        errors['description'] = _('Use at most {n} characters').format(n=formatting.number(DESCRIPTION_LENGTH))
    unknown = sorted(set(granted) - set(PERMISSIONS))
    if unknown:  # a role may grant nothing (someone on leave signs in and sees nothing), never an unknown permission
        errors['permissions'] = _('Unknown permission: {names}').format(names=', '.join(unknown))
    elif extra := permissions.beyond(actor, set(granted)):
        errors['permissions'] = _('You may grant only rights your own role holds; not: {names}').format(
            names=', '.join(_(PERMISSIONS[name]) for name in sorted(extra))
        )
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    return {'name': name, 'description': description, 'permissions': sorted(set(granted))}


def _flush_or_name_taken(session: Session) -> None:
    """Write now: a name another admin took at the same moment (PostgreSQL: both passed the check) is refused at the
    field like any taken name, not a server error."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({'name': _('A role with this name already exists')}) from None


def _name_taken(session: Session, name: str, role_id: int | None) -> bool:
    lowered = name.lower()
    built_in = {permissions.BUILT_IN_NAMES[role].lower() for role in Role} | {
        permissions.role_name(role.value).lower() for role in Role
    }
    if lowered in built_in or lowered in {role.value for role in Role}:
        return True
    taken = select(StaffRole.id).where(func.lower(StaffRole.name) == lowered)
    if role_id is not None:
        taken = taken.where(StaffRole.id != role_id)
    return session.exec(taken).first() is not None


def get_role(*, session: Session, actor: User, role_id: int) -> StaffRole:
    require(actor, 'users.manage')
    role = session.get(StaffRole, role_id)
    if role is None:
        raise NotFound(_('This role no longer exists.'))
    return role
