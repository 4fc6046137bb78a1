"""Roles mapped to named permissions, and the checks every service and page guard uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backoffice.i18n import N_, _
from backoffice.models.people import Role

if TYPE_CHECKING:
    from backoffice.models.people import User

PERMISSIONS: dict[str, str] = {
    'users.manage': N_('Add staff, change roles, deactivate, reset passwords'),
    'tickets.read': N_('See customer requests'),
    'tickets.write': N_('Answer, assign and change customer requests'),
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
    'content.read': N_('See content and legal documents'),
    'content.write': N_('Edit and publish content and legal documents'),
    'kpis.read': N_('See the dashboard and KPIs'),
    'reports.read': N_('See the ready reports (sales, VAT, stock value, returns, support, cohorts) and export them'),
    'goals.manage': N_('Set objectives and key results, and check in on them'),
    'alerts.manage': N_('Set alert rules on the KPIs, mute and snooze them, send test messages'),
    'segments.read': N_('See customer segments'),
    'segments.export': N_('Export segments for campaigns'),
    'settings.manage': N_('Change application settings and API keys'),
    'audit.read': N_('Read the audit log'),
    'system.manage': N_('See system health, run backups and restores'),
    'webhooks.manage': N_('Add, change and test the webhooks that tell other systems about orders and requests'),
}

_READ = {p for p in PERMISSIONS if p.endswith('.read')}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.admin: frozenset(PERMISSIONS),
    # not customers.privacy: an erasure cannot be undone and an export holds everything about a person, so answering
    # data-protection requests stays with the admins (who answer for the data), as staff accounts and settings do
    Role.manager: frozenset(PERMISSIONS)
    - {'users.manage', 'settings.manage', 'system.manage', 'webhooks.manage', 'customers.privacy'},
    Role.agent: frozenset(
        {
            'tickets.read',
            'tickets.write',
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


class PermissionDenied(Exception):
    def __init__(self, permission: str) -> None:
        super().__init__(_('You are not allowed to do this ({permission}).').format(permission=permission))
        self.permission = permission


def permissions_of(role: Role | str) -> frozenset[str]:
    return ROLE_PERMISSIONS[Role(role)]


def roles_with(permission: str) -> list[Role]:
    """The roles that hold a permission: who to notify about what is selected by what they may do, never by a role's
    name (a role that gains the permission is included without touching the caller)."""
    if permission not in PERMISSIONS:
        raise KeyError(f'unknown permission {permission!r}')
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


def can(user: User | None, permission: str | None) -> bool:
    """Whether a signed-in, active user holds the permission (None means: any signed-in user)."""
    if user is None or not user.is_active:
        return False
    if permission is None:
        return True
    if permission not in PERMISSIONS:
        raise KeyError(f'unknown permission {permission!r}')
    return permission in permissions_of(user.role)


def require(user: User | None, permission: str | None) -> None:
    if not can(user, permission):
        raise PermissionDenied(permission or 'signed-in')
