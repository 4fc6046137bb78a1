"""Audit log: every change and sign-in, filterable by who, what and when."""

from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

AUDIT = resource('audit')


@screen(
    '/audit',
    AUDIT.label,
    permission=AUDIT.read_permission,
    icon=AUDIT.icon,
    section='Administration',
    order=910,
    description=AUDIT.description,
)
def audit_page(user: User) -> None:
    ResourceView(AUDIT, user)
