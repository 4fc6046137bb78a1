"""Products and services for sale: SKU, price, category, image — search, filter, edit, trash, history."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

PRODUCTS = resource('products')


@screen(
    '/products',
    PRODUCTS.label,
    permission=PRODUCTS.read_permission,
    icon=PRODUCTS.icon,
    section=N_('Catalogue'),
    order=300,
    description=PRODUCTS.description,
)
def products_page(user: User) -> None:
    ResourceView(PRODUCTS, user)
