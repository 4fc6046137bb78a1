"""Suppliers: who the shop buys from, with their VAT number, bank details, payment terms and contact."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

SUPPLIERS = resource('suppliers')


@screen(
    '/suppliers',
    SUPPLIERS.label,
    permission=SUPPLIERS.read_permission,
    icon=SUPPLIERS.icon,
    section=N_('Finance'),
    order=276,
    description=SUPPLIERS.description,
)
def suppliers_page(user: User) -> None:
    ResourceView(SUPPLIERS, user)
