"""Customers: the product's end users — search, filter, edit, ban and unban, trash, history."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

CUSTOMERS = resource('customers')


@screen(
    '/customers',
    CUSTOMERS.label,
    permission=CUSTOMERS.read_permission,
    icon=CUSTOMERS.icon,
    section=N_('People'),
    order=200,
    description=CUSTOMERS.description,
)
def customers_page(user: User) -> None:
    ResourceView(CUSTOMERS, user)
