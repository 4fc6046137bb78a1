"""One company: its details, its contacts, and their orders and requests."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_page import RecordPage
from components.screens import screen
from components.statement_button import statement_button

COMPANIES = resource('companies')


@screen(
    COMPANIES.page,
    N_('Company'),
    permission=COMPANIES.read_permission,
    icon=COMPANIES.icon,
    section=N_('People'),
    in_menu=False,
    description=N_('One company: details, contacts, and their orders and requests'),
)
def company_page(user: User, id: str) -> None:  # noqa: A002  (the path's parameter)
    RecordPage(COMPANIES, user, id)
    if id.isdigit():
        statement_button(user, company_id=int(id))
