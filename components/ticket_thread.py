"""A request's thread: customer messages (a mail's quoted history and signature folded away), agent replies and solved
notices with their delivery state, and notes; each with its files to download.

Everything here that a customer or an agent wrote is shown with ui.label, i.e. as text: never ui.html or ui.markdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nicegui import ui

from backoffice import formatting, inbound_mail
from backoffice.i18n import _, pgettext
from backoffice.models import Delivery, MessageKind, TicketAttachment, TicketMessage, User
from backoffice.services import tickets

from .attachments import attachment_buttons
from .kept_cards import KeptCards, key_of
from .links import site_link
from .session import acting_user


@dataclass(frozen=True)
class ThreadEntry:
    """One message with the names it needs, read while the session was open."""

    message: TicketMessage
    author: str  # the customer's or the agent's name (or email)
    attachments: tuple[TicketAttachment, ...] = ()  # its files (the portal's, a mail's, an agent's reply's or note's)
    link: tuple[str, str] | None = None  # (text, path): what the note is about (a return started from the request)


def _when(value: datetime | None) -> str:
    return formatting.when(value) if value else ''


def ticket_thread(
    cards: KeptCards,
    entries: list[ThreadEntry],
    *,
    on_retry: Callable[[int], Any] | None = None,
    fetch_attachment: Callable[[User, int], tuple[bytes, str, str]] | None = None,
) -> None:
    """The thread, oldest first, in `cards` (whose empty text says there is no message yet). `on_retry(message_id)`:
    shown on a failed reply when the user may resend it; `fetch_attachment(user, id)`: a file's bytes, name and type
    (run in a worker thread, checking who asks).

    A message shown as before keeps its card: the thread is read again on every change of the request (a colleague's
    note, the customer's message, a delivery), and a card drawn again would drop a click already on its way on its
    file or its "Retry" (and fold its quoted text the agent had opened)."""
    cards.show(
        [
            (_key(entry, on_retry is not None), lambda entry=entry: _entry(entry, on_retry, fetch_attachment))
            for entry in entries
        ]
    )


def no_messages() -> None:
    ui.label(_('No messages yet.')).classes('text-gray-500')


def _key(entry: ThreadEntry, may_retry: bool) -> str:
    attachments = [attachment.model_dump(mode='json') for attachment in entry.attachments]
    return key_of(entry.message.model_dump(mode='json'), entry.author, attachments, entry.link, may_retry)


def _entry(
    entry: ThreadEntry,
    on_retry: Callable[[int], Any] | None,
    fetch_attachment: Callable[[User, int], tuple[bytes, str, str]] | None = None,
) -> ui.card:
    message = entry.message
    if message.kind == MessageKind.note:
        card = ui.card().classes('w-full bg-amber-50 border-l-4 border-amber-500').mark('thread-note')
        heading = _('Internal note')
        icon = 'lock'
    elif message.kind == MessageKind.reply:
        card = ui.card().classes('w-full bg-blue-50 border-l-4 border-blue-500').mark('thread-reply')
        heading = pgettext('thread entry', 'Reply')
        icon = 'reply'
    elif message.kind == MessageKind.notice:
        card = ui.card().classes('w-full bg-green-50 border-l-4 border-green-600').mark('thread-notice')
        heading = _('Solved notice to the customer, with a link to rate')
        icon = 'mark_email_read'
    else:
        card = ui.card().classes('w-full border-l-4 border-gray-400').mark('thread-customer')
        heading = _('Customer')
        icon = 'person'
    with card.props('flat bordered'):
        with ui.row().classes('w-full items-center gap-2 text-sm'):
            ui.icon(icon).classes('text-gray-600')
            ui.label(heading).classes('font-medium')
            ui.label(entry.author).classes('text-gray-700')
            ui.label(_when(message.created_at)).classes('text-gray-500 ml-auto')
        if message.kind == MessageKind.customer:
            _customer_text(message.body)
        else:
            ui.label(tickets.note_text(message)).classes('whitespace-pre-wrap wrap-anywhere').mark('thread-body')
        if entry.link is not None:
            site_link(entry.link[0], entry.link[1]).classes('text-sm').mark('thread-link')
        if entry.attachments and fetch_attachment is not None:
            attachment_buttons(entry.attachments, fetch_attachment, acting_user)
        if message.kind in (MessageKind.reply, MessageKind.notice):
            _delivery(message, on_retry)
    return card


def _customer_text(body: str) -> None:
    """What the customer wrote this time; the quoted history and signature of a mail folded below, to expand."""
    shown, folded = inbound_mail.split_quoted(body)
    ui.label(shown).classes('whitespace-pre-wrap wrap-anywhere').mark('thread-body')
    if folded:
        with (
            ui.expansion(_('Quoted text and signature'), icon='more_horiz')
            .classes('w-full text-sm text-gray-600')
            .props('dense')
            .mark('thread-quoted')
        ):
            ui.label(folded).classes('whitespace-pre-wrap wrap-anywhere text-gray-600')


def _delivery(message: TicketMessage, on_retry: Callable[[int], Any] | None) -> None:
    with ui.row().classes('items-center gap-2 text-sm').mark('delivery'):
        if message.delivery == Delivery.sent:
            ui.icon('done_all').classes('text-green-700')
            sent = _when(message.sent_at)
            ui.label(_('Sent {when}').format(when=sent) if sent else pgettext('reply', 'Sent')).classes(
                'text-green-700'
            )
        elif message.delivery == Delivery.failed:
            ui.icon('error').classes('text-red-700')
            ui.label(_('Failed: {error}').format(error=message.delivery_error or _('unknown error'))).classes(
                'text-red-700'
            )
            if on_retry is not None:
                ui.button(_('Retry'), icon='refresh', on_click=lambda: on_retry(message.id)).props('flat dense')
        elif message.delivery == Delivery.cancelled:  # a merge made it untrue before it went out
            ui.icon('cancel_schedule_send').classes('text-gray-600')
            ui.label(_('Not sent: cancelled by a merge, the conversation goes on')).classes('text-gray-600')
        else:
            ui.icon('schedule').classes('text-gray-600')
            ui.label(_('Not sent (queued)')).classes('text-gray-600')
