"""One customer's whole picture: their details, orders, requests, returns, invoices, recent activity and segments."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.portal_invite import portal_invite
from components.resource_page import RecordPage
from components.screens import screen
from components.statement_button import statement_button

CUSTOMERS = resource('customers')


@screen(
    CUSTOMERS.page,
    N_('Customer'),
    permission=CUSTOMERS.read_permission,
    icon=CUSTOMERS.icon,
    section=N_('People'),
    in_menu=False,
    description=N_('One customer: details, orders, requests, returns, invoices, activity and segments'),
)
def customer_page(user: User, id: str) -> None:  # noqa: A002  (the path's parameter)
    RecordPage(CUSTOMERS, user, id)
    if id.isdigit():
        statement_button(user, customer_id=int(id))
        portal_invite(user, customer_id=int(id))
