"""Companies: B2B accounts with their contacts (customers) and notes."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

COMPANIES = resource('companies')


@screen(
    '/companies',
    COMPANIES.label,
    permission=COMPANIES.read_permission,
    icon=COMPANIES.icon,
    section=N_('People'),
    order=210,
    description=COMPANIES.description,
)
def companies_page(user: User) -> None:
    ResourceView(COMPANIES, user)
