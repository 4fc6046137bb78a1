"""Agents' files on a request: images and PDFs with a reply (emailed with it, shown to the customer in the portal) or a
note (the staff's alone: never listed, downloaded or exported in the portal), by the portal's type and size rules."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from email import message_from_bytes, policy

import pytest
from sqlmodel import col, select

from backoffice.config import Settings, get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, Customer, Delivery, Ticket, TicketAttachment, TicketMessage
from backoffice.services import app_settings, mail, personal_data_export, portal, ticket_attachments, tickets
from backoffice.services.portal_scope import actor_of

from .support.factories import make_user, stored_request, submit_request, tiny_png
from .support.smtp import FakeSmtp

HOSTILE_NAME = 'Lid "cracked": <script>alert(1).png'  # a file's name holds no '/': its last part is kept
PDF = b'%PDF-1.4\n%%EOF\n'


def answered(email: str = 'cora@example.com') -> tuple[Ticket, int, int]:
    """A request with a reply carrying a PNG (its name hostile) and a note carrying a PDF: the request, the reply's
    and the note's ids."""
    agent = make_user('agent')
    ticket = submit_request(email=email)
    with session_scope() as session:
        reply = tickets.reply(
            session=session,
            actor=agent,
            ticket_id=ticket.id,
            version=ticket.version,
            body='Here is the label.',
            files=[(HOSTILE_NAME, tiny_png())],
        )
    with session_scope() as session:
        note = tickets.add_note(
            session=session, actor=agent, ticket_id=ticket.id, body='Courier report', files=[('courier.pdf', PDF)]
        )
    return ticket, reply.id, note.id


def files_of(message_id: int) -> list[TicketAttachment]:
    with read_session() as session:
        return list(
            session.exec(
                select(TicketAttachment)
                .where(TicketAttachment.message_id == message_id)
                .order_by(col(TicketAttachment.id))
            )
        )


def test_a_reply_and_a_note_keep_their_files_privately_with_their_message() -> None:
    ticket, reply_id, note_id = answered()
    (image,) = files_of(reply_id)
    (pdf,) = files_of(note_id)
    assert (image.ticket_id, image.file_name, image.content_type, image.size) == (
        ticket.id,
        HOSTILE_NAME,  # as the agent named it: shown as text, never used on the disk
        'image/png',
        len(tiny_png()),
    )
    assert (pdf.file_name, pdf.content_type) == ('courier.pdf', 'application/pdf')
    for row in (image, pdf):
        path = ticket_attachments.root() / row.stored
        assert '<' not in row.stored and path.read_bytes() in (tiny_png(), PDF)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with read_session() as session:
        summaries = [
            e.summary
            for e in session.exec(
                select(AuditEntry).where(AuditEntry.entity == 'tickets', AuditEntry.entity_id == ticket.id)
            )
        ]
    assert f'Replied on #{ticket.number} with {HOSTILE_NAME}' in summaries
    assert f'Note on #{ticket.number} with courier.pdf' in summaries


@pytest.mark.parametrize('write', ['reply', 'note'])
def test_a_file_of_another_type_or_too_big_is_refused_at_the_field_and_nothing_is_kept(write: str) -> None:
    agent = make_user('agent')
    ticket = submit_request()

    def send(files: list[tuple[str, bytes]], body: str = 'See attached') -> None:
        with session_scope() as session:
            if write == 'reply':
                tickets.reply(
                    session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, body=body, files=files
                )
            else:
                tickets.add_note(session=session, actor=agent, ticket_id=ticket.id, body=body, files=files)

    with pytest.raises(ValidationFailed) as refused:
        send([('fine.png', tiny_png()), ('page.pdf', b'<html><script>alert(1)</script></html>')])
    assert refused.value.errors == {'attachments': 'page.pdf is not an image (PNG, JPEG, WebP, GIF) or a PDF'}
    with pytest.raises(ValidationFailed) as refused:
        send([(HOSTILE_NAME, b'%PDF-' + b'0' * ticket_attachments.MAX_BYTES)])
    assert refused.value.errors == {
        'attachments': f'{HOSTILE_NAME} is 10.1 MB; a file may be at most 10 MB'
    }  # past it, never '10.0'
    with pytest.raises(ValidationFailed) as refused:
        send([('x.png', tiny_png())] * (ticket_attachments.MAX_FILES + 1))
    assert refused.value.errors == {'attachments': 'Attach at most 5 files to one message'}
    with pytest.raises(ValidationFailed) as refused:  # the text and the files are both named at once
        send([('page.pdf', b'plain text')], body='   ')
    assert set(refused.value.errors) == {'body', 'attachments'}
    with read_session() as session:
        assert session.exec(select(TicketAttachment)).first() is None
        assert len(session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).all()) == 1
    assert not any((ticket_attachments.root() / str(ticket.id)).glob('*'))
    assert stored_request(ticket.number).version == ticket.version


def test_only_who_may_reply_or_note_may_attach() -> None:
    viewer, agent = make_user('viewer'), make_user('agent')
    assert not ticket_attachments.may_attach(viewer) and ticket_attachments.may_attach(agent)
    ticket = submit_request()
    with session_scope() as session, pytest.raises(PermissionDenied):
        tickets.add_note(session=session, actor=viewer, ticket_id=ticket.id, body='x', files=[('a.png', tiny_png())])
    with read_session() as session:
        assert session.exec(select(TicketAttachment)).first() is None


def test_a_failed_commit_leaves_no_file_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    agent = make_user('agent')
    ticket = submit_request()

    def broken(*args, **kwargs):
        raise RuntimeError('disk gone')

    monkeypatch.setattr(tickets.changes, 'commit', broken)
    with session_scope() as session, pytest.raises(RuntimeError):
        tickets.add_note(session=session, actor=agent, ticket_id=ticket.id, body='x', files=[('a.png', tiny_png())])
    assert not any((ticket_attachments.root() / str(ticket.id)).glob('*'))


def test_the_customer_sees_and_downloads_a_replys_file_never_a_notes() -> None:
    ticket, reply_id, note_id = answered('dina@example.com')
    (image,) = files_of(reply_id)
    (pdf,) = files_of(note_id)
    with read_session() as session:
        customer = session.exec(select(Customer).where(Customer.email == 'dina@example.com')).one()
        actor = actor_of(session, customer)
        view = portal.request_view(session=session, actor=actor, number=ticket.number)
        shown = [(entry.body, [a.file_name for a in entry.attached]) for entry in view.thread]
        assert shown == [('It has been two weeks.', []), ('Here is the label.', [HOSTILE_NAME])]
        data, name, media_type = portal.attachment(session=session, actor=actor, attachment_id=image.id)
        assert (data, name, media_type) == (tiny_png(), HOSTILE_NAME, 'image/png')
        with pytest.raises(NotFound) as hidden:
            portal.attachment(session=session, actor=actor, attachment_id=pdf.id)
        assert str(hidden.value) == 'Not found: nothing of yours has this number.'  # as another customer's file
        # the agent downloads both
        agent = make_user('agent')
        assert ticket_attachments.for_staff(session=session, actor=agent, attachment_id=pdf.id)[0] == PDF


def test_the_customers_own_export_leaves_out_a_note_and_its_file_the_staffs_keeps_them() -> None:
    """As in the portal's thread: the customer's own export has the reply and its file, not the internal note's text
    (messages.csv, requests.json) nor its file; the staff's export (a formal access request) has both."""
    answered('eli@example.com')
    with session_scope() as session:
        customer = session.exec(select(Customer).where(Customer.email == 'eli@example.com')).one()
        data, _name = portal.personal_data_zip(session=session, actor=actor_of(session, customer))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = [n for n in archive.namelist() if n.startswith('attachments/')]
        texts = archive.read('messages.csv').decode() + archive.read('requests.json').decode()
    assert len(files) == 1 and files[0].endswith('.png') and 'Lid' in files[0]
    assert 'Here is the label.' in texts and 'Courier report' not in texts
    admin = make_user('admin')
    with session_scope() as session:
        path, _name = personal_data_export.write_export(
            session=session, actor=admin, record_id=customer.id, said='Exported #{id} ({count} files)'
        )
    with zipfile.ZipFile(path) as archive:
        assert len([n for n in archive.namelist() if n.startswith('attachments/')]) == 2
        texts = archive.read('messages.csv').decode() + archive.read('requests.json').decode()
    assert 'Courier report' in texts
    path.unlink()


def sending_to(server: FakeSmtp) -> Settings:
    """The settings with this mail server, and a support address to send from."""
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            changes={'support_email': 'help@shop.example', 'company_name': 'Shop'},
            loaded={},
        )
    return get_settings().model_copy(update={'smtp_url': server.url})


def test_a_replys_files_go_out_attached_to_its_email_and_a_notes_never(smtp_server: FakeSmtp) -> None:
    answered('finn@example.com')
    settings = sending_to(smtp_server)
    assert mail.send_outbox(settings) == {'sent': 1, 'failed': 0, 'retry': 0}
    (_sender, recipients, raw) = smtp_server.received[0]
    assert recipients == ['finn@example.com']
    email = message_from_bytes(raw, policy=policy.default)
    assert 'Here is the label.' in email.get_body(preferencelist=('plain',)).get_content()
    attached = [(part.get_filename(), part.get_content_type(), part.get_content()) for part in email.iter_attachments()]
    assert attached == [(HOSTILE_NAME, 'image/png', tiny_png())]  # the note's PDF is not in it
    assert len(smtp_server.received) == 1  # and the note itself was never sent


def test_a_reply_whose_file_went_missing_fails_and_says_so(smtp_server: FakeSmtp) -> None:
    _ticket, reply_id, _note_id = answered('gus@example.com')
    (image,) = files_of(reply_id)
    (ticket_attachments.root() / image.stored).unlink()
    settings = sending_to(smtp_server)
    assert mail.send_outbox(settings) == {'sent': 0, 'failed': 1, 'retry': 0}
    with read_session() as session:
        message = session.get(TicketMessage, reply_id)
    assert message.delivery == Delivery.failed
    assert message.delivery_error == f'attachment missing: {HOSTILE_NAME}'
    assert smtp_server.received == []


def test_a_replys_files_may_make_at_most_what_one_email_carries_a_notes_are_not_mailed(
    smtp_server: FakeSmtp,
) -> None:
    agent = make_user('agent')
    ticket = submit_request('Label: "crushed" <script>', email='hana@example.com')
    limit = ticket_attachments.MAX_REPLY_BYTES
    # files as big as each may be, one byte past the reply's total (the sizes of the files a mail server refused)
    sizes = [ticket_attachments.MAX_BYTES, limit - ticket_attachments.MAX_BYTES + 1]
    over = [(f'{HOSTILE_NAME[:-4]} {n}.pdf', b'%PDF-' + b'0' * (size - 5)) for n, size in enumerate(sizes)]

    def reply(files: list[tuple[str, bytes]]) -> None:
        with session_scope() as session:
            tickets.reply(
                session=session,
                actor=agent,
                ticket_id=ticket.id,
                version=stored_request(ticket.number).version,
                body='The photos.',
                files=files,
            )

    with pytest.raises(ValidationFailed) as refused:
        reply(over)
    size = '17.1'  # one byte past 17 MB: never '17.0 MB' beside 'at most 17 MB'
    assert refused.value.errors == {
        'attachments': f'These files make {size} MB together; a reply can carry at most {limit // 1024 // 1024} MB, '
        'or mail servers refuse it. Send some with a second reply.'
    }
    with session_scope() as session:  # a note is never mailed: the same files are kept with it
        tickets.add_note(session=session, actor=agent, ticket_id=ticket.id, body='For us', files=over)
    at_edge = [over[0], (over[1][0], over[1][1][:-1])]
    reply(at_edge)
    assert mail.send_outbox(sending_to(smtp_server)) == {'sent': 1, 'failed': 0, 'retry': 0}
    (_sender, _recipients, raw) = smtp_server.received[0]
    assert len(raw) < 25 * 1000 * 1000  # the smaller reading of the 25 MB most mail servers take
    email = message_from_bytes(raw, policy=policy.default)
    assert [part.get_content() for part in email.iter_attachments()] == [data for _name, data in at_edge]
