"""Spreadsheet feeds in the UI: publish a saved view (the address shown once, with the copy buttons and the formula for
Google Sheets), and the list of feeds with their last access and Revoke."""

from __future__ import annotations

from dataclasses import asdict

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.i18n import _, ngettext
from backoffice.models import User
from backoffice.permissions import can
from backoffice.services import feeds

from .forms import FAILED, call, confirm, copy_to_clipboard, error_line, page_dialog
from .kept_cards import KeptCards, key_of
from .session import acting_user

FORMAT_LABELS = {'csv': 'CSV', 'xlsx': 'XLSX (Excel)'}


def publish_dialog(view_id: int, view_name: str) -> None:
    """Publish a saved view as a feed; once published the same dialog shows its address, this one time."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-lg gap-2').mark('feed-dialog'):
        ui.label(_('Publish as a spreadsheet feed')).classes('text-lg font-medium')
        ui.label(view_name).classes('text-sm font-medium break-words')
        ui.label(
            _(
                "A secret address that always gives this view's rows and columns, for Google Sheets (IMPORTDATA) "
                'or Excel (Power Query: Data → From Web). Anyone holding it can read the rows you may read, until '
                'you revoke it.'
            )
        ).classes('text-sm text-gray-600')
        body = ui.column().classes('w-full gap-2')
        with body:
            fmt = ui.select(FORMAT_LABELS, value='csv', label=_('Format')).props('outlined dense').classes('w-full')
            fmt.mark('feed-format')
            message = error_line()
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                publish = ui.button(_('Publish'), icon='rss_feed').mark('publish-feed')

        async def go() -> None:
            user = acting_user()
            if user is None:
                return
            published = await call(_publish, user, view_id, fmt.value, fields={'format': fmt}, message=message)
            if published is FAILED:
                return
            body.clear()
            with body:
                _shown_once(published, dialog)

        publish.on_click(go)
    dialog.open()


def _shown_once(published: feeds.Published, dialog: ui.dialog) -> None:
    ui.label(_('Shown only now: copy the address and keep it like a password.')).classes('text-sm text-amber-900')
    _copyable(_('Address'), published.url, 'feed-url')
    _copyable(_('Google Sheets formula'), published.formula, 'feed-formula')
    with ui.row().classes('w-full justify-between items-center gap-2'):
        ui.link(_('All my feeds'), '/feeds').classes('text-sm')
        ui.button(_('Done'), on_click=dialog.close).mark('feed-done')


def _copyable(label: str, text: str, mark: str) -> None:
    with ui.row().classes('w-full items-center no-wrap gap-1'):
        ui.input(label, value=text).props('readonly outlined dense').classes('grow font-mono min-w-0').mark(mark)
        copy = ui.button(icon='content_copy', on_click=lambda: copy_to_clipboard(text)).props('flat round')
        copy.props['aria-label'] = _('Copy')
        copy.tooltip(_('Copy')).mark(f'copy-{mark}')


class FeedList:
    """The feeds a user may see: their own, or everyone's for an admin; each with Revoke while it is live."""

    def __init__(self, user: User) -> None:
        self.everyone = can(user, feeds.MANAGE_ALL)
        if self.everyone:
            self.scope = ui.toggle({True: _("Everyone's feeds"), False: _('My feeds')}, value=True)
            self.scope.on_value_change(lambda: self.show())
            self.scope.mark('feed-scope')
        self.root = ui.column().classes('w-full gap-2')  # stays while the list inside is redrawn
        # a card that shows the same is kept: a colleague's publish or revoke drew every card again, and the Revoke
        # pressed meanwhile on a card drawn again was lost
        self.cards = KeptCards(self.root, self._none)
        self.show()

    def show(self) -> None:
        user = acting_user()
        if user is None:
            return
        everyone = self.everyone and bool(self.scope.value)
        with read_session() as session:
            rows = feeds.list_feeds(session=session, actor=user, everyone=everyone)
        self.cards.show([(key_of(asdict(row)), lambda r=row: self._card(r, user)) for row in rows])

    @staticmethod
    def _none() -> None:
        ui.label(
            _('No feeds yet. Publish one from a list: choose a saved view, then the feed button beside it.')
        ).classes('text-gray-500').mark('no-feeds')

    def _card(self, row: feeds.FeedRow, user: User) -> ui.card:
        with ui.card().classes('w-full gap-1 p-3').props('flat bordered').mark(f'feed-{row.id}') as card:
            with ui.row().classes('w-full items-center justify-between gap-2 no-wrap'):
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(row.view_name).classes('font-medium break-words')
                    ui.label(f'{_(row.list_label)} · {row.format.upper()}').classes('text-xs text-gray-500')
                if row.revoked_at is None:
                    ui.button(_('Revoke'), on_click=lambda r=row: self._revoke(r)).props(
                        'flat dense no-caps color=negative'
                    ).mark(f'revoke-{row.id}')
                else:
                    ui.badge(_('Revoked'), color='grey').props('outline')
            details = [
                _('Published by {who} {when}').format(who=row.publisher, when=formatting.when(row.created_at)),
                _('last read {when}').format(when=formatting.when(row.last_access_at))
                if row.last_access_at
                else _('never read'),
                ngettext('{count} read', '{count} reads', row.access_count).format(
                    count=formatting.number(row.access_count)
                ),
            ]
            if row.revoked_at is not None:
                details.append(
                    _('revoked by {who} {when}').format(who=row.revoked_by or '', when=formatting.when(row.revoked_at))
                )
            ui.label(' · '.join(details)).classes('text-xs text-gray-600 break-words')
        return card

    async def _revoke(self, row: feeds.FeedRow) -> None:
        question = _('Revoke the feed of “{name}”? Its address stops working at once; sheets reading it get nothing.')
        if not await confirm(question.format(name=row.view_name), _('Revoke')):
            return
        user = acting_user()
        if user is None:
            return
        with self.root:  # the card of the button may be redrawn meanwhile (the list follows every change live)
            if await call(_revoke, user, row.id) is FAILED:
                return
            ui.notify(_('Feed revoked'), type='positive')
            self.show()


def _publish(user: User, view_id: int, fmt: str) -> feeds.Published:
    with session_scope() as session:
        return feeds.publish(session=session, actor=user, view_id=view_id, fmt=fmt)


def _revoke(user: User, feed_id: int) -> None:
    with session_scope() as session:
        feeds.revoke(session=session, actor=user, feed_id=feed_id)
