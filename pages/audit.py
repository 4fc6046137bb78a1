"""Audit log: every change and sign-in, filterable by who, what, record type and when; an entry opens in words, with
its fields before and after and a link to the record."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.audit_entry import open_audit_entry
from components.resource_view import ResourceView
from components.screens import screen

AUDIT = resource('audit')


@screen(
    '/audit',
    AUDIT.label,
    permission=AUDIT.read_permission,
    icon=AUDIT.icon,
    section=N_('Administration'),
    order=910,
    description=AUDIT.description,
)
def audit_page(user: User) -> None:
    ResourceView(AUDIT, user, on_open=open_audit_entry)
