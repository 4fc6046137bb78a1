"""The support mailbox against a real IMAP server (Dovecot, started here): new mail opens requests, replies join
their thread, attachments are kept, auto-replies and bounces never open a request, and every mail counts once."""

from __future__ import annotations

import email.policy
import logging
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage

import pytest
from sqlmodel import col, select

from backoffice import i18n, imap_client, secret_box, stored_text
from backoffice.config import get_settings, reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import (
    AuditEntry,
    Mailbox,
    MailboxMail,
    MailOutcome,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketSource,
    TicketStatus,
    TicketType,
)
from backoffice.runtime.scheduler import JOBS
from backoffice.services import (
    app_settings,
    mail,
    mail_intake,
    mailboxes,
    personal_data,
    ticket_attachments,
    ticket_links,
    tickets,
)

from .support.factories import banned_customer, make_user
from .support.imap_server import Dovecot, start_dovecot
from .support.smtp import FakeSmtp
from .support.write_lock import busy_timeout_shortened, sqlite_write_lock, transactions_held_by_others

HOSTILE = 'Zoé "Z": <script>alert(1)</script>; ok?'


@pytest.fixture(scope='module')
def dovecot() -> Iterator[Dovecot]:
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def trusted(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test server is on this machine, with its own certificate authority: both allowed by configuration."""
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_MAILBOXES', '1')
    monkeypatch.setenv('BACKOFFICE_MAILBOX_CA_FILE', str(dovecot.ca_file))
    reload_settings()


@pytest.fixture
def box(dovecot: Dovecot):
    """A fresh account on the server and its mailbox in the app; (account, mailbox id)."""
    account = dovecot.add_user()
    admin = make_user('admin')
    with session_scope() as session:
        mailbox = mailboxes.create_mailbox(
            session=session,
            actor=admin,
            data={
                'name': 'Support',
                'host': '127.0.0.1',
                'port': dovecot.imaps_port,
                'security': 'tls',
                'username': account[0],
                'password': account[1],
            },
        )
    return account, mailbox.id


def a_mail(
    subject: str = 'Where is my parcel?',
    body: str = 'I ordered a week ago.',
    sender: str = 'Jo Miller <jo@example.com>',
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message['From'] = sender
    message['To'] = 'support@shop.test'
    message['Subject'] = subject
    for name, value in headers.items():
        message[name.replace('_', '-')] = value
    message.set_content(body)
    return bytes(message)


def requests() -> list[Ticket]:
    with read_session() as session:
        return list(session.exec(select(Ticket).order_by(col(Ticket.id))).all())


def thread(ticket_id: int) -> list[TicketMessage]:
    with read_session() as session:
        return list(
            session.exec(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(col(TicketMessage.id))
            ).all()
        )


def processed() -> list[MailboxMail]:
    with read_session() as session:
        return list(session.exec(select(MailboxMail).order_by(col(MailboxMail.id))).all())


def test_a_new_mail_opens_a_request_for_its_sender_and_is_marked_read(dovecot: Dovecot, box) -> None:
    account, mailbox_id = box
    dovecot.append(account, a_mail(Message_ID='<first@example.com>'))

    counts = mail_intake.poll_all()

    assert counts == {'opened': 1}
    [ticket] = requests()
    assert (ticket.subject, ticket.source, ticket.type) == (
        'Where is my parcel?',
        TicketSource.email,
        TicketType.question,
    )
    [message] = thread(ticket.id)
    assert message.body == 'I ordered a week ago.'
    assert message.email_message_id == '<first@example.com>'
    with read_session() as session:
        assert session.get(Mailbox, mailbox_id).last_error is None
        assert session.get(Mailbox, mailbox_id).last_uid == 1
    assert b'\\Seen' in dovecot.flags(account)[0]
    assert mail_intake.poll_all() == {}  # nothing new: nothing done


def test_a_mail_met_by_the_write_lock_is_a_warning_and_read_at_the_next_run(
    dovecot: Dovecot, box, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another writer held SQLite's write lock past the busy timeout as a mail was stored: it used to be an ERROR with
    its traceback and "reading stopped" said on the mailbox (then that note met the lock too, and the run failed). Now
    a WARNING says it is tried again at the next run; the mail stays unread there and opens its request then."""
    account, mailbox_id = box
    dovecot.append(account, a_mail(subject=HOSTILE, Message_ID='<locked@example.com>'))
    processing, tries = mail_intake.process, []
    with busy_timeout_shortened(monkeypatch), sqlite_write_lock() as holder:

        def process_behind_another_writer(**mail) -> mail_intake.Taken:
            tries.append(1)
            if len(tries) == 1:
                holder.execute('BEGIN IMMEDIATE')
            return processing(**mail)

        monkeypatch.setattr(mail_intake, 'process', process_behind_another_writer)
        assert mail_intake.poll_all() == {}
        [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.levelname == 'WARNING' and 'tried again at the next run' in warning.getMessage()
        assert warning.exc_info is None, 'no traceback'
        assert requests() == [] and b'\\Seen' not in dovecot.flags(account)[0]
        holder.rollback()

        assert mail_intake.poll_all() == {'opened': 1}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'nothing logged as an error'
    [ticket] = requests()
    assert ticket.subject == HOSTILE and b'\\Seen' in dovecot.flags(account)[0]
    with read_session() as session:
        assert session.get(Mailbox, mailbox_id).last_error is None


def test_a_mail_that_breaks_otherwise_is_still_an_error_said_on_the_mailbox(
    dovecot: Dovecot, box, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    account, mailbox_id = box
    dovecot.append(account, a_mail(Message_ID='<broken@example.com>'))

    def broken(**mail) -> mail_intake.Taken:
        raise RuntimeError('broken "for real" <script>: not the lock')

    monkeypatch.setattr(mail_intake, 'process', broken)
    assert mail_intake.poll_all() == {'failed': 1}
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 'reading stopped' in error.getMessage() and error.exc_info is not None
    with read_session() as session:
        assert 'RuntimeError' in (session.get(Mailbox, mailbox_id).last_error or '')


def test_a_mailbox_read_for_the_first_time_leaves_the_mail_already_read_there(dovecot: Dovecot, box) -> None:
    account, mailbox_id = box
    dovecot.append(account, a_mail(subject='Dealt with last year'), seen=True)
    dovecot.append(account, a_mail(subject='Still unread'))
    dovecot.append(account, a_mail(subject='Read too'), seen=True)

    assert mail_intake.poll_all() == {'opened': 1}
    dovecot.append(account, a_mail(subject='Arrived since'))
    assert mail_intake.poll_all() == {'opened': 1}

    assert [t.subject for t in requests()] == ['Still unread', 'Arrived since']
    with read_session() as session:
        assert session.get(Mailbox, mailbox_id).last_uid == 4


def test_a_folder_named_with_accents_or_an_ampersand_is_read_and_tested(dovecot: Dovecot, box) -> None:
    """IMAP names folders in modified UTF-7 (RFC 3501 5.1.3: 'Réclamations' is 'R&AOk-clamations', '&' is '&-'). The
    name was sent as typed: an accent stopped Test connection and every poll with UnicodeEncodeError (imaplib writes
    ASCII), an '&' asked the server for another folder."""
    account, mailbox_id = box
    admin = make_user('admin')
    folders = {  # as a person types it: as the server holds it, quoted
        'Réclamations "VIP": <script>': '"R&AOk-clamations \\"VIP\\": <script>"',
        'Returns & refunds': '"Returns &- refunds"',
    }
    server = dovecot.client(*account)
    try:
        for held in folders.values():
            status, answer = server.create(held)
            assert status == 'OK', answer
    finally:
        server.logout()
    for typed, held in folders.items():
        dovecot.append(account, a_mail(subject=f'Filed in {typed}'), folder=held)
        with session_scope() as session:
            version = session.get(Mailbox, mailbox_id).version
            mailboxes.update_mailbox(
                session=session, actor=admin, mailbox_id=mailbox_id, version=version, changes={'folder': typed}
            )
        with session_scope() as session:
            said = mailboxes.test_connection(session=session, actor=admin, mailbox_id=mailbox_id)
        assert said == f'Signed in; {typed} holds 1 message'
        assert mail_intake.poll_all() == {'opened': 1}
        assert requests()[-1].subject == f'Filed in {typed}'
        with read_session() as session:
            assert session.get(Mailbox, mailbox_id).last_error is None


def test_testing_a_mailbox_holds_no_transaction_while_the_mail_server_answers(
    box, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Test connection" signed in with its reading transaction still open: on SQLite the write lock, so everyone's
    saves waited for a slow mail server. Now the transaction has ended before the server is reached."""
    account, mailbox_id = box
    admin = make_user('admin')
    signing_in, held = imap_client.connect, []

    def connect(*args, **kwargs):
        held.append(transactions_held_by_others())
        return signing_in(*args, **kwargs)

    monkeypatch.setattr(imap_client, 'connect', connect)
    with session_scope() as session:
        said = mailboxes.test_connection(session=session, actor=admin, mailbox_id=mailbox_id)
    assert said == 'Signed in; INBOX holds 0 messages' and held == [0]


def test_the_mailbox_password_is_stored_encrypted_and_never_in_the_audit_log(box) -> None:
    account, mailbox_id = box
    with read_session() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity == 'mailbox')).all()
    assert secret_box.is_encrypted(mailbox.secret) and account[1] not in mailbox.secret
    assert secret_box.decrypt(mailbox.secret) == account[1]
    assert entries and all(account[1] not in str(entry.changes) for entry in entries)
    admin = make_user('admin')
    with session_scope() as session:  # the form sends an empty password when none is typed: the stored one stays
        mailboxes.update_mailbox(
            session=session,
            actor=admin,
            mailbox_id=mailbox_id,
            version=mailbox.version,
            changes={'password': '', 'name': 'Support desk'},
        )
    with read_session() as session:
        renamed = session.get(Mailbox, mailbox_id)
    assert (renamed.name, secret_box.decrypt(renamed.secret)) == ('Support desk', account[1])


def test_a_reply_to_our_email_joins_its_request_by_in_reply_to(dovecot: Dovecot, box, monkeypatch) -> None:
    account, _mailbox_id = box
    dovecot.append(account, a_mail(Message_ID='<question@example.com>'))
    mail_intake.poll_all()
    [ticket] = requests()
    agent = make_user('agent')
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, body='It left today.')
    sent = send_outbox(monkeypatch)  # our reply goes out carrying a Message-ID we keep
    ours = sent['Message-ID'].strip()
    assert sent['In-Reply-To'] == '<question@example.com>'
    assert thread(ticket.id)[-1].email_message_id == ours

    dovecot.append(
        account,
        a_mail(
            subject='Thanks!',  # no number in the subject: found by the headers alone
            body='Great, thank you.\n\nOn Mon, 1 Dec 2026, Support wrote:\n> It left today.',
            In_Reply_To=ours,
            References=f'<question@example.com> {ours}',
            Message_ID='<thanks@example.com>',
        ),
    )
    assert mail_intake.poll_all() == {'joined': 1}
    assert len(requests()) == 1
    last = thread(ticket.id)[-1]
    assert last.body.startswith('Great, thank you.') and last.customer_id == ticket.customer_id
    with read_session() as session:
        assert session.get(Ticket, ticket.id).status == TicketStatus.open  # the customer's answer reopens it


def test_our_own_mail_coming_back_to_the_mailbox_never_opens_a_request(dovecot: Dovecot, box, monkeypatch) -> None:
    account, _ = box
    dovecot.append(account, a_mail())
    mail_intake.poll_all()
    [ticket] = requests()
    agent = make_user('agent')
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, body='On its way.')
    ours = send_outbox(monkeypatch)  # support@ was copied on it, say: the very mail lands in the mailbox
    dovecot.append(account, ours.as_bytes())
    dovecot.append(account, a_mail(subject='Loop?', sender='help@shop.example'))

    assert mail_intake.poll_all() == {'auto_reply': 2}
    assert len(requests()) == 1 and len(thread(ticket.id)) == 2
    assert [m.reason for m in processed()[1:]] == ['sent by this app', 'from the support address itself']


def test_a_reply_is_found_by_the_request_number_in_its_subject_only_from_its_customer(dovecot: Dovecot, box) -> None:
    account, _ = box
    dovecot.append(account, a_mail())
    mail_intake.poll_all()
    [ticket] = requests()
    dovecot.append(account, a_mail(subject=f'Re: Where is my parcel? [#{ticket.number}]', body='Any news?'))
    dovecot.append(
        account,
        a_mail(subject=f'Re: [#{ticket.number}]', body='Not my request', sender='mallory@example.net'),
    )

    assert mail_intake.poll_all() == {'joined': 1, 'opened': 1}

    assert [m.body for m in thread(ticket.id)] == ['I ordered a week ago.', 'Any news?']
    assert len(requests()) == 2  # someone else quoting the number gets a request of their own


def test_a_mail_to_a_closed_request_opens_a_new_one(dovecot: Dovecot, box) -> None:
    account, _ = box
    dovecot.append(account, a_mail())
    mail_intake.poll_all()
    [ticket] = requests()
    agent = make_user('agent')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='closed')
    dovecot.append(account, a_mail(subject=f'Re: [#{ticket.number}]', body='One more thing'))
    assert mail_intake.poll_all() == {'opened': 1}


def test_a_mail_to_a_merged_request_joins_the_request_it_was_merged_into(dovecot: Dovecot, box) -> None:
    """By the number in its subject: the request it names was merged into another of the same customer's, where the
    conversation goes on (by Message-ID it finds the moved message, which is there already)."""
    from .support.factories import submit_request

    account, _ = box
    target = submit_request('Parcel lost', email='jo@example.com')
    dovecot.append(account, a_mail())
    mail_intake.poll_all()
    merged = next(t for t in requests() if t.id != target.id)
    agent = make_user('agent')
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=merged.id, version=merged.version, into_number=target.number
        )
    dovecot.append(account, a_mail(subject=f'Re: [#{merged.number}]', body='One more thing'))
    assert mail_intake.poll_all() == {'joined': 1}
    assert [m.body for m in thread(target.id)][-1] == 'One more thing'


@pytest.mark.parametrize(
    'headers',
    [
        {'Auto_Submitted': 'auto-replied'},
        {'X_Autoreply': 'yes'},
        {'Precedence': 'bulk'},
        {'Precedence': 'auto_reply'},
        {'X_Auto_Response_Suppress': 'All'},
    ],
)
def test_auto_replies_never_open_a_request_nor_get_an_answer(dovecot: Dovecot, box, headers) -> None:
    account, _ = box
    dovecot.append(account, a_mail(subject='Out of office', body='I am away until Monday.', **headers))
    assert mail_intake.poll_all() == {'auto_reply': 1}
    assert requests() == []
    [record] = processed()
    assert record.outcome == MailOutcome.auto_reply and record.reason
    with read_session() as session:
        assert session.exec(select(TicketMessage)).all() == []  # nothing queued to answer it


def test_a_bounce_is_recognised_and_linked_to_the_request_it_came_back_from(dovecot: Dovecot, box) -> None:
    account, _ = box
    dovecot.append(account, a_mail())
    mail_intake.poll_all()
    [ticket] = requests()
    report = (
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n'
        'To: support@shop.test\n'
        f'Subject: Undelivered Mail Returned to Sender [#{ticket.number}]\n'
        'MIME-Version: 1.0\n'
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        '--b\nContent-Type: text/plain\n\nThe mail could not be delivered.\n'
        '--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n'
        'Final-Recipient: rfc822; jo@example.com\nAction: failed\nStatus: 5.1.1\n--b--\n'
    ).encode()
    dovecot.append(account, report)

    assert mail_intake.poll_all() == {'bounce': 1}
    assert len(requests()) == 1 and len(thread(ticket.id)) == 1
    assert processed()[-1].ticket_id == ticket.id


def test_attachments_are_kept_with_the_message_and_read_by_agents_only(dovecot: Dovecot, box) -> None:
    account, _ = box
    message = EmailMessage()
    message['From'] = 'jo@example.com'
    message['Subject'] = 'Broken on arrival'
    message.set_content('See the photo.')
    photo = b'\x89PNG\r\n\x1a\n' + b'\x00' * 2000
    message.add_attachment(photo, maintype='image', subtype='png', filename='../../etc/passwd photo.png')
    dovecot.append(account, bytes(message))

    mail_intake.poll_all()

    [ticket] = requests()
    agent = make_user('agent')
    with read_session() as session:
        [attachment] = session.exec(select(TicketAttachment)).all()
        found = ticket_attachments.by_message(session, ticket.id)
        data, name, media_type = ticket_attachments.for_staff(session=session, actor=agent, attachment_id=attachment.id)
    assert found == {thread(ticket.id)[0].id: [attachment]} and attachment.ticket_id == ticket.id
    assert (name, data) == ('.._.._etc_passwd photo.png', photo)  # the sender's name is shown, never used on disk
    assert media_type == 'application/octet-stream' and attachment.content_type == 'image/png'
    stored = ticket_attachments.root() / attachment.stored
    assert stored.parent == ticket_attachments.root() / str(ticket.id) and stored.stat().st_mode & 0o777 == 0o600


def test_html_only_latin_1_and_encoded_headers_are_read_as_text(dovecot: Dovecot, box) -> None:
    account, _ = box
    raw = (
        'From: =?iso-8859-1?q?Ren=E9e_Dupr=E9?= <renee@example.fr>\n'
        'Subject: =?utf-8?b?w4AgcHJvcG9zIGRlIG1hIGNvbW1hbmRl?=\n'
        'MIME-Version: 1.0\n'
        'Content-Type: text/html; charset=iso-8859-1\n'
        'Content-Transfer-Encoding: 8bit\n\n'
        '<html><head><style>p{color:red}</style></head><body><p>O\xf9 est mon colis ?</p>'
        '<script>alert(1)</script><p>&lt;script&gt;alert(2)&lt;/script&gt;</p></body></html>\n'
    ).encode('latin-1')
    dovecot.append(account, raw)

    mail_intake.poll_all()

    [ticket] = requests()
    assert ticket.subject == 'À propos de ma commande'
    body = thread(ticket.id)[0].body
    assert body == 'Où est mon colis ?\n\n<script>alert(2)</script>'  # text: the markup it spells stays visible as text
    with read_session() as session:
        from backoffice.models import Customer

        assert session.get(Customer, ticket.customer_id).name == 'Renée Dupré'


def test_a_huge_mail_is_read_by_its_headers_and_a_long_text_is_cut(dovecot: Dovecot, box, monkeypatch) -> None:
    account, _ = box
    monkeypatch.setattr(mail_intake, 'MAX_MAIL_BYTES', 55_000)
    dovecot.append(account, a_mail(subject='Huge', body='x' * 60_000))
    dovecot.append(account, a_mail(subject='Long', body='word ' * 8_000))

    mail_intake.poll_all()

    huge, long = requests()
    assert 'only its headers were read' in thread(huge.id)[0].body
    assert 'all but its headers' in thread(huge.id)[1].body  # the agents' note, in each one's language
    text = thread(long.id)[0].body
    assert len(text) < 20_000 and text.endswith('[…]')
    assert 'the end of its text' in thread(long.id)[1].body


def test_a_mail_is_processed_once_when_two_runs_read_it_at_the_same_time(dovecot: Dovecot, box) -> None:
    account, _ = box
    for n in range(3):
        dovecot.append(account, a_mail(subject=f'Question {n}', Message_ID=f'<q{n}@example.com>'))
    results: list[dict] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        results.append(mail_intake.poll_all())

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(60)

    assert sorted(t.subject for t in requests()) == ['Question 0', 'Question 1', 'Question 2']
    assert len(processed()) == 3
    assert sum(r.get('opened', 0) for r in results) == 3


def test_a_crash_after_the_commit_does_not_process_the_mail_again(dovecot: Dovecot, box, monkeypatch) -> None:
    account, _mailbox_id = box
    assert mail_intake.poll_all() == {}  # the mailbox is known from here on
    dovecot.append(account, a_mail(Message_ID='<crash@example.com>'))
    real = mail_intake._take

    def committed_then_killed(*args):
        real(*args)
        raise OSError('killed')  # before the mail was flagged as read or the mailbox noted how far it read

    with monkeypatch.context() as patched:
        patched.setattr(mail_intake, '_take', committed_then_killed)
        assert mail_intake.poll_all() == {'failed': 1}
    assert len(requests()) == 1

    assert mail_intake.poll_all() == {'skipped': 1}  # read again, found by its key, not opened twice
    assert len(requests()) == 1


def test_a_crash_before_the_commit_leaves_the_mail_to_the_next_run(dovecot: Dovecot, box, monkeypatch) -> None:
    account, _ = box
    dovecot.append(account, a_mail(Message_ID='<halfway@example.com>'))
    real = tickets.submit_request

    def dies(**kwargs):
        real(**kwargs)
        raise RuntimeError('power cut')

    monkeypatch.setattr(tickets, 'submit_request', dies)
    assert mail_intake.poll_all() == {'failed': 1}  # the run died half-way: its transaction rolled back
    assert requests() == [] and processed() == []
    monkeypatch.setattr(tickets, 'submit_request', real)

    assert mail_intake.poll_all() == {'opened': 1}
    assert len(requests()) == 1


def test_a_banned_customers_mail_is_recorded_and_opens_nothing(dovecot: Dovecot, box) -> None:
    account, _ = box
    banned_customer('spam@example.com')
    dovecot.append(account, a_mail(sender='spam@example.com', subject=HOSTILE))
    assert mail_intake.poll_all() == {'refused': 1}
    assert requests() == []
    assert mail_intake.poll_all() == {}
    [refused] = processed()
    assert refused.reason == 'This customer is banned: their requests are not accepted.'  # stored in English
    with i18n.use('fr'):  # and read in the reader's language
        assert stored_text.show(refused.reason, refused.reason_key, refused.reason_params) == (
            'Ce client est banni\u00a0: ses demandes ne sont pas acceptées.'
        )


def test_a_refusal_said_in_the_jobs_language_reads_in_the_readers(dovecot: Dovecot, box) -> None:
    """The intake runs in the default language (French here); the reason is kept as its msgid, so an English admin
    reads English, a French one French, each field's message too."""
    account, _ = box
    dovecot.append(account, a_mail(sender=f'"{HOSTILE}" <not an address>'))
    with i18n.use('fr'):
        assert mail_intake.poll_all() == {'refused': 1}
    [refused] = processed()
    assert refused.reason_key is not None, refused.reason
    english = stored_text.show(refused.reason, refused.reason_key, refused.reason_params)
    with i18n.use('fr'):
        french = stored_text.show(refused.reason, refused.reason_key, refused.reason_params)
    assert english == refused.reason and english != french, (english, french)
    assert english.startswith('email: ') and french.startswith('email\u00a0: ')


def test_a_mailboxs_last_error_reads_in_the_readers_language_and_an_old_one_as_stored(dovecot: Dovecot, box) -> None:
    _account, mailbox_id = box
    with session_scope() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        mailbox.secret = secret_box.encrypt(HOSTILE)  # a wrong password, hostile
        session.add(mailbox)
        session.commit()
    assert mail_intake.poll_all() == {'failed': 1}
    with read_session() as session:
        mailbox = session.get(Mailbox, mailbox_id)
    assert mailbox.last_error.startswith('sign-in refused: ') and mailbox.last_error_key == 'sign-in refused: {detail}'
    with i18n.use('fr'):
        assert stored_text.show(mailbox.last_error, mailbox.last_error_key, mailbox.last_error_params).startswith(
            'connexion refusée\u00a0: '
        )
        assert stored_text.show('sign-in refused: [AUTHENTICATIONFAILED] <b>no</b>') == (
            'sign-in refused: [AUTHENTICATIONFAILED] <b>no</b>'  # a row from before: as stored
        )


def test_starttls_works_and_a_wrong_password_is_said_on_the_mailbox(dovecot: Dovecot) -> None:
    account = dovecot.add_user()
    admin = make_user('admin')
    with session_scope() as session:
        mailbox = mailboxes.create_mailbox(
            session=session,
            actor=admin,
            data={
                'name': 'Returns',
                'host': '127.0.0.1',
                'port': dovecot.imap_port,
                'security': 'starttls',
                'username': account[0],
                'password': account[1],
                'default_type': 'return_exchange',
                'default_assignee_id': admin.id,
            },
        )
    dovecot.append(account, a_mail(subject='Return please'))
    assert mail_intake.poll_all() == {'opened': 1}
    [ticket] = requests()
    assert (ticket.type, ticket.assignee_id) == (TicketType.return_exchange, admin.id)
    with session_scope() as session:
        assert 'holds 1 message' in mailboxes.test_connection(session=session, actor=admin, mailbox_id=mailbox.id)
        mailboxes.update_mailbox(
            session=session, actor=admin, mailbox_id=mailbox.id, version=mailbox.version, changes={'password': 'wrong'}
        )
    assert mail_intake.poll_all() == {'failed': 1}
    with read_session() as session:
        assert 'sign-in refused' in session.get(Mailbox, mailbox.id).last_error
    with session_scope() as session, pytest.raises(ValidationFailed):
        mailboxes.test_connection(session=session, actor=admin, mailbox_id=mailbox.id)


def test_a_certificate_the_app_does_not_trust_is_refused(dovecot: Dovecot, box, monkeypatch) -> None:
    account, mailbox_id = box
    monkeypatch.delenv('BACKOFFICE_MAILBOX_CA_FILE')
    reload_settings()
    dovecot.append(account, a_mail())
    assert mail_intake.poll_all() == {'failed': 1}
    assert requests() == []
    with read_session() as session:
        assert 'certificate' in session.get(Mailbox, mailbox_id).last_error


def test_a_private_host_needs_the_configuration_and_only_admins_manage_mailboxes(monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_MAILBOXES', '0')
    reload_settings()
    admin, manager = make_user('admin'), make_user('manager')
    data = {'name': 'Support', 'host': '10.0.0.5', 'username': 'u', 'password': 'p'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        mailboxes.create_mailbox(session=session, actor=admin, data=data)
    assert set(refused.value.errors) == {'host'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        mailboxes.create_mailbox(session=session, actor=admin, data={**data, 'host': 'localhost', 'port': 0})
    assert set(refused.value.errors) == {'host', 'port'}
    with session_scope() as session, pytest.raises(PermissionDenied):
        mailboxes.create_mailbox(session=session, actor=manager, data={**data, 'host': 'imap.example.com'})
    assert get_settings().allow_private_mailboxes is False


def test_the_job_is_scheduled_each_minute() -> None:
    job = next(job for job in JOBS if job.name == 'mailboxes')
    assert (job.trigger, job.options) == ('interval', {'minutes': 1})


def send_outbox(monkeypatch: pytest.MonkeyPatch):
    """Send the queued replies through a fake SMTP server; the one email sent, parsed."""
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'support_email': 'help@shop.example'}, loaded={})
    server = FakeSmtp()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        mail.send_outbox(get_settings().model_copy(update={'smtp_url': server.url}))
    finally:
        server.shutdown()
        server.server_close()
    [(_sender, _recipients, raw)] = server.received
    return message_from_bytes(raw, policy=email.policy.default)  # long headers unfolded, as a mail client reads them


def test_erasing_a_customer_removes_their_attachments_and_their_name_from_the_mail_log(box) -> None:
    _account, mailbox_id = box
    message = EmailMessage()
    message['From'] = 'Jo Miller <jo@example.com>'
    message['Subject'] = 'My passport scan'
    message.set_content('Attached.')
    message.add_attachment(b'%PDF-1.4 passport', maintype='application', subtype='pdf', filename='passport.pdf')
    taken = mail_intake.process(mailbox_id=mailbox_id, uid=1, uid_validity=1, raw=bytes(message))
    with read_session() as session:
        [attachment] = session.exec(select(TicketAttachment)).all()
        customer_id = session.get(Ticket, taken.ticket_id).customer_id
    stored = ticket_attachments.root() / attachment.stored
    assert stored.exists()
    admin = make_user('admin')
    with session_scope() as session:
        from backoffice.models import Customer

        customer = session.get(Customer, customer_id)
        personal_data.erase_customer(
            session=session, actor=admin, record_id=customer_id, version=customer.version, confirmation=customer.email
        )
    assert not stored.exists()
    with read_session() as session:
        assert session.exec(select(TicketAttachment)).all() == []
    [logged] = processed()
    assert (logged.sender, logged.subject) == ('', '[erased]')
