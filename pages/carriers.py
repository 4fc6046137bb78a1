"""Carriers: parcel services and the link that tracks a parcel, used when an order ships."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

CARRIERS = resource('carriers')


@screen(
    '/carriers',
    CARRIERS.label,
    permission=CARRIERS.read_permission,
    icon=CARRIERS.icon,
    section=N_('Sales'),
    order=260,
    description=CARRIERS.description,
)
def carriers_page(user: User) -> None:
    ResourceView(CARRIERS, user)
