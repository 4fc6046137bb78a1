"""Spreadsheet feeds: the saved views published at a secret address, with their last access, and Revoke."""

from nicegui import ui

from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.services import feeds
from components import live
from components.feed_dialog import FeedList
from components.screens import screen


@screen(
    '/feeds',
    N_('Spreadsheet feeds'),
    permission=feeds.PUBLISH,
    icon='rss_feed',
    section=N_('Administration'),
    order=926,
    description=N_('Saved views published for Google Sheets or Excel: who published them, when they were last read'),
)
def feeds_page(user: User) -> None:
    ui.label(
        _(
            'Publish a feed from any list: choose a saved view, then the feed button beside it. A revoked address '
            'gives nothing from then on.'
        )
    ).classes('text-sm text-gray-600')
    listing = FeedList(user)
    live.resource_changed(Topic.feeds).subscribe(lambda _payload: listing.show())
