"""One company: its details, its contacts, and their orders and requests."""

from backoffice.models import User
from backoffice.resources import resource
from components.resource_page import RecordPage
from components.screens import screen

COMPANIES = resource('companies')


@screen(
    COMPANIES.page,
    'Company',
    permission=COMPANIES.read_permission,
    icon=COMPANIES.icon,
    section='People',
    in_menu=False,
    description='One company: details, contacts, and their orders and requests',
)
def company_page(user: User, id: str) -> None:  # noqa: A002  (the path's parameter)
    RecordPage(COMPANIES, user, id)
