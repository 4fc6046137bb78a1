"""Audit log: every change and sign-in, filterable by who, what, record type and when; an entry opens in words, with
its fields before and after and a link to the record."""

from backoffice.db import read_session
from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from backoffice.resources.system import know_audited_actions
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
    with read_session() as session:
        know_audited_actions(session)  # the "What" filter offers the kinds of change the log holds now
    ResourceView(AUDIT, user, on_open=open_audit_entry)
