"""Categories of the catalogue, nested: a category may sit inside another, never inside itself."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

CATEGORIES = resource('categories')


@screen(
    '/categories',
    CATEGORIES.label,
    permission=CATEGORIES.read_permission,
    icon=CATEGORIES.icon,
    section=N_('Catalogue'),
    order=310,
    description=CATEGORIES.description,
)
def categories_page(user: User) -> None:
    ResourceView(CATEGORIES, user)
