"""An agent attaches files to a reply or a note on the request page (through the page's upload, as a browser sends
them): a wrong type or too big a file is refused at the field, the thread shows each file with its size to download,
the customer's portal shows the reply's file and never the note's."""

from __future__ import annotations

import threading

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import formatting
from backoffice.db import read_session
from backoffice.errors import ValidationFailed
from backoffice.models import MessageKind, TicketAttachment, TicketMessage
from backoffice.services import ticket_attachments, tickets

from .support.factories import make_user, submit_request, tiny_png
from .support.portal import enter_portal
from .support.signin import signed_in
from .support.uploads import attach
from .support.waiting import default_timeout, eventually

HOSTILE_NAME = 'Lid "cracked": <script>alert(1).png'  # a file's name holds no '/'
PDF = b'%PDF-1.4\n%%EOF\n'
WAITING = 'Files are not kept with the draft: send the reply or note before you leave this page.'


def attachments_of(ticket_id: int) -> list[tuple[MessageKind, str, int]]:
    with read_session() as session:
        rows = session.exec(
            select(TicketMessage.kind, TicketAttachment.file_name, TicketAttachment.size)
            .join(TicketMessage, col(TicketMessage.id) == TicketAttachment.message_id)
            .where(TicketAttachment.ticket_id == ticket_id)
            .order_by(col(TicketAttachment.id))
        ).all()
    return [tuple(row) for row in rows]


async def test_an_agent_replies_with_files_and_the_thread_lists_them_to_download(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    await user.should_see('Attach images or PDFs (up to 5, 10 MB each, 17 MB in all with a reply)')
    await user.should_not_see(WAITING)

    await attach(user, 'page.pdf', b'<html><script>alert(1)</script></html>', 'application/pdf')
    await user.should_see('page.pdf')
    await user.should_see(WAITING)  # the draft keeps the text only: the box says so while a file waits
    user.find(marker='reply-body').type('Here is the label.')
    user.find(marker='send-reply').click()
    await user.should_see('page.pdf is not an image (PNG, JPEG, WebP, GIF) or a PDF', retries=200)
    assert attachments_of(ticket.id) == [] and user.find(marker='reply-body').elements.pop().value
    user.find(marker='attached-file').elements.pop().set_value(False)  # the chip's remove
    await user.should_not_see(WAITING)

    await attach(user, HOSTILE_NAME, tiny_png(), 'image/png')
    await attach(user, 'label.pdf', PDF, 'application/pdf')
    await user.should_see(HOSTILE_NAME)  # as text
    user.find(marker='send-reply').click()
    await user.should_see('Reply queued', retries=200)
    await eventually(lambda: len(attachments_of(ticket.id)) == 2)
    assert attachments_of(ticket.id) == [
        (MessageKind.reply, HOSTILE_NAME, len(tiny_png())),
        (MessageKind.reply, 'label.pdf', len(PDF)),
    ]
    await eventually(lambda: not _any(user, 'attached-file'), message='the sent files leave the box')
    await user.should_not_see(WAITING)
    await user.should_see(f'{HOSTILE_NAME} ({formatting.size(len(tiny_png()))})')  # in the thread, as text
    user.find(kind=ui.button, content='label.pdf').click()
    download = await user.download.next(timeout=default_timeout())
    assert download.content == PDF


async def test_a_file_too_big_is_refused_at_the_field_and_a_note_keeps_its_file(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    big = b'%PDF-' + b'0' * ticket_attachments.MAX_BYTES  # past the browser's check: the server's says so
    await attach(user, 'scan.pdf', big, 'application/pdf')
    user.find(marker='reply-body').type('Courier report attached.')
    user.find(marker='add-note').click()
    await user.should_see('scan.pdf is 10.1 MB; a file may be at most 10 MB', retries=200)
    assert attachments_of(ticket.id) == []
    user.find(marker='attached-file').elements.pop().set_value(False)
    await attach(user, 'courier.pdf', PDF, 'application/pdf')
    user.find(marker='add-note').click()
    await user.should_see('Note added', retries=200)
    assert attachments_of(ticket.id) == [(MessageKind.note, 'courier.pdf', len(PDF))]
    await user.should_see('Internal note')
    await user.should_see(f'courier.pdf ({formatting.size(len(PDF))})')


async def test_files_too_big_together_for_a_reply_are_said_at_the_picker_before_sending(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused: list[dict[str, str]] = []
    real_reply = tickets.reply

    def told_reply(**kwargs):
        try:
            return real_reply(**kwargs)
        except ValidationFailed as error:
            refused.append(error.errors)
            raise

    monkeypatch.setattr(tickets, 'reply', told_reply)
    agent = make_user('agent')
    ticket = submit_request('Photos: "all" <script>')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    limit = ticket_attachments.MAX_REPLY_BYTES
    first = b'%PDF-' + b'0' * (ticket_attachments.MAX_BYTES - 5)
    await attach(user, HOSTILE_NAME[:-4] + '.pdf', first, 'application/pdf')
    await user.should_not_see('a reply can carry at most')
    second = b'%PDF-' + b'0' * (limit - len(first) + 1 - 5)  # one byte past the reply's total
    await attach(user, 'scan 2.pdf', second, 'application/pdf')
    said = (
        'These files make 17.1 MB together; a reply can carry at most 17 MB, '  # one byte past: never 17.0
        'or mail servers refuse it. Send some with a second reply.'
    )
    await user.should_see(said)  # at once, before anything is sent
    user.find(marker='reply-body').type('The scans.')
    user.find(marker='send-reply').click()
    await eventually(lambda: refused == [{'attachments': said}], message='the service refused the reply')
    await user.should_see(said)  # the same words at the picker
    assert attachments_of(ticket.id) == []
    user.find(marker='attached-file', content='scan 2.pdf').elements.pop().set_value(False)
    await user.should_not_see(said)
    user.find(marker='send-reply').click()
    await user.should_see('Reply queued', retries=200)
    assert attachments_of(ticket.id) == [(MessageKind.reply, HOSTILE_NAME[:-4] + '.pdf', len(first))]


async def test_a_file_picked_while_a_note_is_saved_stays_for_the_next_message(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    saving, release = threading.Event(), threading.Event()
    real_add_note = tickets.add_note

    def held_add_note(**kwargs):
        saving.set()
        release.wait(60)  # the test lets it go on; the bound only keeps a broken test from hanging
        return real_add_note(**kwargs)

    monkeypatch.setattr(tickets, 'add_note', held_add_note)
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    await attach(user, 'courier.pdf', PDF, 'application/pdf')
    user.find(marker='reply-body').type('Courier report.')
    user.find(marker='add-note').click()
    await eventually(saving.is_set, message='the note is being saved')
    send = user.find(marker='send-reply').elements.pop()
    assert not send.enabled and not user.find(marker='add-note').elements.pop().enabled  # no second press meanwhile
    await attach(user, 'label.png', tiny_png(), 'image/png')
    await user.should_see('label.png')
    release.set()
    await user.should_see('Note added', retries=200)
    body = user.find(marker='reply-body').elements.pop()
    await eventually(lambda: body.value == '' and send.enabled, message='the note leaves the box, the buttons are back')
    assert [chip.text for chip in user.find(marker='attached-file').elements] == [
        f'label.png ({formatting.size(len(tiny_png()))})'
    ]
    assert attachments_of(ticket.id) == [(MessageKind.note, 'courier.pdf', len(PDF))]


async def test_a_viewer_gets_no_file_picker(user: User) -> None:
    viewer = make_user('viewer')
    ticket = submit_request()
    await signed_in(user, viewer.email, path=f'/requests/{ticket.number}')
    await user.should_see('You can read this request but not answer it.')
    assert not _any(user, 'attachments')


async def test_the_customer_sees_the_replys_file_in_the_portal_and_never_the_notes(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request(email='nora@example.com', name='Nora')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    await attach(user, 'courier-internal.pdf', PDF, 'application/pdf')
    user.find(marker='reply-body').type('Internal: courier lost it.')
    user.find(marker='add-note').click()
    await user.should_see('Note added', retries=200)
    body = user.find(marker='reply-body').elements.pop()
    await eventually(lambda: body.value == '', message='the note leaves the box')
    await attach(user, HOSTILE_NAME, tiny_png(), 'image/png')
    user.find(marker='reply-body').type('Here is the new label.')
    user.find(marker='send-reply').click()
    await user.should_see('Reply queued', retries=200)
    await eventually(lambda: len(attachments_of(ticket.id)) == 2)
    assert attachments_of(ticket.id) == [  # the note's file went with the note alone
        (MessageKind.note, 'courier-internal.pdf', len(PDF)),
        (MessageKind.reply, HOSTILE_NAME, len(tiny_png())),
    ]

    # the agent's tab closes: the simulated browser has one tab, which the request page's live refresh (the reply being
    # sent) would send to the sign-in page once the portal's sign-in gave the browser a new session
    send = user.find(marker='send-reply').elements.pop()
    await eventually(lambda: send.enabled and body.value == '', message='the reply has left the box')
    user.client.delete()
    await enter_portal(user, 'nora@example.com')
    await user.open(f'/portal/requests/{ticket.number}')
    await user.should_see('Here is the new label.')
    await user.should_see(HOSTILE_NAME)
    await user.should_not_see('courier-internal.pdf')
    await user.should_not_see('Internal: courier lost it.')
    user.find(kind=ui.button, content=HOSTILE_NAME).click()
    assert (await user.download.next(timeout=default_timeout())).content == tiny_png()


def _any(user: User, marker: str) -> bool:
    try:
        return bool(user.find(marker=marker).elements)
    except AssertionError:
        return False
