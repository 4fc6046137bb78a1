"""Canned replies: the support desk's prepared answers; agents use them in the reply box, managers write them."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

CANNED_REPLIES = resource('canned-replies')


@screen(
    '/canned-replies',
    CANNED_REPLIES.label,
    permission=CANNED_REPLIES.read_permission,
    icon=CANNED_REPLIES.icon,
    section=N_('Support'),
    order=110,
    description=N_('Prepared answers the support desk inserts into replies'),
)
def canned_replies_page(user: User) -> None:
    ResourceView(CANNED_REPLIES, user)
    if not can(user, CANNED_REPLIES.write_permission):
        ui.label(_('Pick these in the reply box of a request. Managers write and change them.')).classes(
            'text-sm text-gray-500'
        ).mark('canned-readonly')
