"""One customer's whole picture: their details, orders, requests, returns, invoices, recent activity and segments,
and (without a company) the reports they are sent."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from components.address_book import address_book
from components.customer_merge import customer_merge_panel
from components.customer_report_panel import customer_report_panel
from components.portal_invite import portal_invite
from components.resource_page import RecordPage
from components.screens import screen
from components.session import acting_user
from components.statement_button import statement_button

CUSTOMERS = resource('customers')


@screen(
    CUSTOMERS.page,
    N_('Customer'),
    permission=CUSTOMERS.read_permission,
    icon=CUSTOMERS.icon,
    section=N_('People'),
    in_menu=False,
    description=N_('One customer: details, addresses, orders, requests, returns, invoices, activity and segments'),
)
def customer_page(user: User, id: str) -> None:  # noqa: A002  (the path's parameter)
    page = RecordPage(CUSTOMERS, user, id)
    if not page.found or customer_merge_panel(user, customer_id=int(id), offered=not page.in_trash):
        return  # not found, or a merged duplicate: its page says where it went
    if not page.in_trash:
        statement_button(user, customer_id=int(id))
        portal_invite(user, customer_id=int(id))
        customer_report_panel(user, customer_id=int(id))
        address_book(acting_user, customer_id=int(id), may_write=can(user, 'customers.write'))
