"""Roles mapped to named permissions, and the checks every service and page guard uses.

The built-in roles are fixed here; an admin's own roles (custom roles, the `roles` table) are held in a process-wide
map that services/roles.py fills from the database and refreshes whenever the table changed (checked on every request,
see `services.roles.sync`), so a change reaches every signed-in user at their next request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backoffice.i18n import N_, Verbatim, _
from backoffice.models.people import Role

if TYPE_CHECKING:
    from backoffice.models.people import User

PERMISSIONS: dict[str, str] = {
    'users.manage': N_('Add staff, change roles, deactivate, reset passwords'),
    'tickets.read': N_('See customer requests'),
    'tickets.write': N_('Answer, assign and change customer requests'),
    'tickets.receive': N_('Receive new requests when they are handed out automatically (round robin or least loaded)'),
    'canned_replies.manage': N_('Write, change and delete the canned replies every agent uses'),
    'customers.read': N_('See customers and companies'),
    'customers.write': N_('Edit, ban and unban customers and companies'),
    'customers.privacy': N_("Export everything held about a customer, and erase a customer's personal data"),
    'catalog.read': N_('See products and stock'),
    'catalog.write': N_('Edit products, categories and stock'),
    'orders.read': N_('See orders, payments and shipments'),
    'orders.write': N_('Change orders, record payments, refund, ship'),
    'invoices.read': N_('See invoices and credit notes'),
    'finance.read': N_('See receivables: what customers owe, its ageing and the payment reminders'),
    'finance.manage': N_('Record payments that settle invoices, approve or cancel payment reminders'),
    'payables.read': N_('See suppliers, their bills and payments, and what the shop owes them'),
    'payables.manage': N_('Add suppliers, enter their bills, record payments and export bank transfer files'),
    'payables.approve': N_('Approve supplier bills for payment (not the ones one entered oneself)'),
    'content.read': N_('See content and legal documents'),
    'content.write': N_('Edit and publish content and legal documents'),
    'kpis.read': N_('See the dashboard and KPIs'),
    'reports.read': N_('See the ready reports (sales, VAT, stock value, returns, support, cohorts) and export them'),
    'goals.manage': N_('Set objectives and key results, and check in on them'),
    'alerts.manage': N_('Set alert rules on the KPIs, mute and snooze them, send test messages'),
    'automations.manage': N_(
        'Set the automation rules that act by themselves on requests, orders, stock and customers'
    ),
    'segments.read': N_('See customer segments'),
    'segments.export': N_('Export segments for campaigns'),
    'settings.manage': N_('Change application settings and API keys'),
    'audit.read': N_('Read the audit log'),
    'system.manage': N_('See system health, run backups and restores'),
    'webhooks.manage': N_('Add, change and test the webhooks that tell other systems about orders and requests'),
    'feeds.publish': N_(
        'Publish saved views as live spreadsheet feeds at a secret address (with the rows one may read oneself)'
    ),
}

_READ = {p for p in PERMISSIONS if p.endswith('.read')}

# not a right but a duty: holding it puts one in the automatic hand-out of new requests (the desk's agents). Admins do
# not hold it by design, so counted among the rights it made the admin role read "33 of 34 permissions", as if one
# were missing; it is said apart instead
DUTIES = frozenset({'tickets.receive'})


def rights_said(granted: frozenset[str] | set[str] | list[str]) -> str:
    """How many rights a role grants, as the roles screen says it: 'All permissions', '12 of 33 permissions', with
    ' · receives handed-out requests' for a role that holds that duty."""
    held = set(granted) & set(PERMISSIONS)
    rights, total = held - DUTIES, len(PERMISSIONS) - len(DUTIES)
    said = (
        _('All permissions')
        if len(rights) == total
        else _('{granted} of {total} permissions').format(granted=len(rights), total=total)
    )
    if not held & DUTIES:
        return said
    duty = _('receives handed-out requests')  # not inside an f-string: the catalog's extraction would not see it
    return f'{said} · {duty}'


# the permissions of the built-in roles; tickets.receive only for agents: the desk takes the requests handed out
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.admin: frozenset(PERMISSIONS) - {'tickets.receive'},
    # not customers.privacy: an erasure cannot be undone and an export holds everything about a person, so answering
    # data-protection requests stays with the admins (who answer for the data), as staff accounts and settings do
    Role.manager: frozenset(PERMISSIONS)
    - {'users.manage', 'settings.manage', 'system.manage', 'webhooks.manage', 'customers.privacy', 'tickets.receive'},
    Role.agent: frozenset(
        {
            'tickets.read',
            'tickets.write',
            'tickets.receive',
            'customers.read',
            'customers.write',
            'catalog.read',
            'orders.read',
            'content.read',
            'kpis.read',
        }
    ),
    Role.viewer: frozenset(_READ),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.admin: N_('Everything, including staff accounts, settings and system health'),
    Role.manager: N_('Runs the shop: customers, catalogue, orders, content, segments, canned replies, audit log'),
    Role.agent: N_('Support desk: requests and customers, using the canned replies; reads orders and products'),
    Role.viewer: N_('Reads everything a manager sees, changes nothing'),
}


# The areas the roles screen groups permissions by (every permission in exactly one; tests/test_roles.py checks)
AREAS: dict[str, tuple[str, ...]] = {
    N_('Requests'): ('tickets.read', 'tickets.write', 'tickets.receive', 'canned_replies.manage'),
    N_('Customers'): ('customers.read', 'customers.write', 'customers.privacy', 'segments.read', 'segments.export'),
    N_('Catalogue'): ('catalog.read', 'catalog.write'),
    N_('Orders'): ('orders.read', 'orders.write'),
    N_('Finance'): (
        'invoices.read',
        'finance.read',
        'finance.manage',
        'payables.read',
        'payables.manage',
        'payables.approve',
    ),
    N_('Content'): ('content.read', 'content.write'),
    N_('KPIs and reports'): ('kpis.read', 'goals.manage', 'alerts.manage', 'reports.read'),
    N_('System'): (
        'users.manage',
        'settings.manage',
        'automations.manage',
        'audit.read',
        'system.manage',
        'webhooks.manage',
        'feeds.publish',
    ),
}


def add_permission(key: str, sentence: str, *, area: str, roles: tuple[Role, ...] = ()) -> None:
    """An extension's permission (extension_hooks): what it allows, the roles screen's area it sits in (a new area
    when none has that name), and the built-in roles that hold it."""
    if key in PERMISSIONS:
        raise ValueError(f'permission {key!r} exists already')
    PERMISSIONS[key] = sentence
    AREAS[area] = (*AREAS.get(area, ()), key)
    for role in roles:
        ROLE_PERMISSIONS[Role(role)] = ROLE_PERMISSIONS[Role(role)] | {key}


BUILT_IN_NAMES: dict[Role, str] = {
    Role.admin: N_('Admin'),
    Role.manager: N_('Manager'),
    Role.agent: N_('Agent'),
    Role.viewer: N_('Viewer'),
}


class PermissionDenied(Exception):
    def __init__(self, permission: str) -> None:
        super().__init__(_('You are not allowed to do this ({permission}).').format(permission=permission))
        self.permission = permission


# custom roles as last read from the database: key → permissions, key → name (services/roles.py keeps them current)
_custom_permissions: dict[str, frozenset[str]] = {}
_custom_names: dict[str, str] = {}
_custom_two_factor: frozenset[str] = frozenset()  # the custom roles whose holders must sign in with a second factor
# every role's key → its name, built-in names marked for translation: one dict, updated in place, that the users'
# lists, forms and filters hold as their choices (so they offer a new role without being declared again)
ROLE_CHOICES: dict[str, str] = {role.value: name for role, name in BUILT_IN_NAMES.items()}


def set_custom_roles(roles: dict[str, tuple[str, frozenset[str]]], *, two_factor: frozenset[str] = frozenset()) -> None:
    """Replace the custom roles this process knows (key → (name, permissions); `two_factor`: the keys of those that
    require two-factor sign-in); unknown permissions are dropped."""
    global _custom_permissions, _custom_names, _custom_two_factor
    _custom_permissions = {key: frozenset(granted) & frozenset(PERMISSIONS) for key, (_name, granted) in roles.items()}
    _custom_names = {key: name for key, (name, _granted) in roles.items()}
    _custom_two_factor = frozenset(two_factor) & frozenset(roles)
    ROLE_CHOICES.update({key: Verbatim(name) for key, name in _custom_names.items()})  # never looked up
    for key in [key for key in ROLE_CHOICES if key not in _custom_names and key not in BUILT_IN_KEYS]:
        ROLE_CHOICES.pop(key, None)


BUILT_IN_KEYS = frozenset(role.value for role in Role)


def is_built_in(role: str) -> bool:
    return role in BUILT_IN_KEYS


def custom_role_keys() -> list[str]:
    return list(_custom_permissions)


def role_name(role: str) -> str:
    """A role as people read it: a built-in role's name in the reader's language, a custom role's name as typed."""
    if role in BUILT_IN_KEYS:
        return _(BUILT_IN_NAMES[Role(role)])
    return _custom_names.get(role, role)


def custom_role_requires_two_factor(role: str) -> bool:
    return role in _custom_two_factor


def permissions_of(role: Role | str) -> frozenset[str]:
    """What a role grants; a role this process does not know (deleted meanwhile) grants nothing."""
    if role in BUILT_IN_KEYS:
        return ROLE_PERMISSIONS[Role(role)]
    return _custom_permissions.get(str(role), frozenset())


def roles_with(permission: str) -> list[str]:
    """The keys of the roles that hold a permission, built-in and custom: who to notify or hand work to is selected by
    what they may do, never by a role's name (a role that gains the permission is included without touching the
    caller). Services call services.roles.keys_with, which refreshes the custom roles first."""
    if permission not in PERMISSIONS:
        raise KeyError(f'unknown permission {permission!r}')
    built_in = [role.value for role, granted in ROLE_PERMISSIONS.items() if permission in granted]
    return built_in + [key for key, granted in _custom_permissions.items() if permission in granted]


def can(user: User | None, permission: str | None) -> bool:
    """Whether a signed-in, active user holds the permission (None means: any signed-in user)."""
    if user is None or not user.is_active:
        return False
    if permission is None:
        return True
    if permission not in PERMISSIONS:
        raise KeyError(f'unknown permission {permission!r}')
    return permission in permissions_of(user.role)


NOT_A_RIGHT = frozenset({'tickets.receive'})  # being handed work: a role may lack it and still hold every right


def beyond(actor: User | None, granted: frozenset[str] | set[str]) -> set[str]:
    """The rights in `granted` that the actor's own role lacks: someone who manages staff gives, grants or takes over
    nothing beyond what they hold themselves (a custom role with users.manage may not make anyone an admin, nor reset
    an admin's password and sign in as them)."""
    if actor is None:
        return set()
    return set(granted) - NOT_A_RIGHT - permissions_of(actor.role)


def require(user: User | None, permission: str | None) -> None:
    if not can(user, permission):
        raise PermissionDenied(permission or 'signed-in')
