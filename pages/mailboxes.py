"""Support mailboxes: the IMAP mailboxes whose mail becomes requests (admins), and the log of what each mail became."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

MAILBOXES = resource('mailboxes')
MAILS = resource('mailbox-mails')


@screen(
    '/mailboxes',
    MAILBOXES.label,
    permission=MAILBOXES.read_permission,
    icon=MAILBOXES.icon,
    section=N_('Administration'),
    order=927,
    description=MAILBOXES.description,
)
def mailboxes_page(user: User) -> None:
    ResourceView(MAILBOXES, user)
    ui.label(_(MAILS.label)).classes('text-lg font-medium mt-6')
    ResourceView(MAILS, user)
