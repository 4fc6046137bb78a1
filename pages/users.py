"""Staff users (admin only): search, add, change role, deactivate and reactivate, reset a password, history."""

from backoffice.i18n import N_
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

USERS = resource('users')


@screen(
    '/users',
    USERS.label,
    permission=USERS.read_permission,
    icon=USERS.icon,
    section=N_('Administration'),
    order=900,
    description=USERS.description,
)
def users_page(user: User) -> None:
    ResourceView(USERS, user)
