"""One company: its details, its contacts, their orders and requests, its members in the customer portal, and the
reports it is sent."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from components.company_members import members_panel
from components.customer_report_panel import customer_report_panel
from components.resource_page import RecordPage
from components.screens import screen
from components.session import acting_user
from components.statement_button import statement_button

COMPANIES = resource('companies')


@screen(
    COMPANIES.page,
    N_('Company'),
    permission=COMPANIES.read_permission,
    icon=COMPANIES.icon,
    section=N_('People'),
    in_menu=False,
    description=N_('One company: details, contacts, their orders and requests, and its portal members'),
)
def company_page(user: User, id: str) -> None:  # noqa: A002  (the path's parameter)
    page = RecordPage(COMPANIES, user, id)
    if page.found and not page.in_trash:
        statement_button(user, company_id=int(id))
        customer_report_panel(user, company_id=int(id))
        members_panel(acting_user, company_id=int(id), may_manage=can(user, 'customers.write'), joined=page.reload)
