"""The support mailbox on screen: an admin connects a mailbox (a real Dovecot) and tests it, hostile names stay text;
an agent reads a mailed request with its quoted history folded away and downloads its attachment, with the files the
customer added in the portal beside it; other roles cannot open /mailboxes."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import secret_box
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.i18n import N_
from backoffice.models import Customer, Mailbox, Ticket, TicketAttachment
from backoffice.services import mail_intake, mailboxes, portal, users
from backoffice.services.portal_scope import PortalActor
from backoffice.stored_text import sentence
from components.date_input import DateInput

from .support import lists
from .support.factories import make_user, tiny_png
from .support.imap_server import Dovecot, start_dovecot
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Support "<script>alert(1)</script>": \'x\''


@pytest.fixture(scope='module')
def dovecot() -> Iterator[Dovecot]:
    server = start_dovecot()
    yield server
    server.stop()


async def test_an_admin_connects_a_mailbox_and_tests_the_connection(user: User, dovecot: Dovecot, monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_MAILBOXES', '1')
    monkeypatch.setenv('BACKOFFICE_MAILBOX_CA_FILE', str(dovecot.ca_file))
    reload_settings()
    account = dovecot.add_user()
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/mailboxes')
    await user.should_see('New mailbox', retries=30)
    user.find('New mailbox').click()
    await user.should_see('IMAP server *')
    user.find('Name *').type(HOSTILE)
    user.find('IMAP server *').type('10.0.0.5:993')
    user.find('User *').type(account[0])
    user.find('Password').type(account[1])
    user.find('Create mailbox').click()
    await user.should_see('Enter the server name, like imap.example.com', retries=30)

    user.find('IMAP server *').clear().type('127.0.0.1')
    user.find(kind=ui.input, content='Port').elements.pop().value = dovecot.imaps_port
    user.find('Create mailbox').click()

    def created() -> Mailbox:
        with read_session() as session:
            saved = session.exec(select(Mailbox)).all()
        assert len(saved) == 1, saved
        return saved[0]

    mailbox = await eventually(created, message='the mailbox saved')
    assert mailbox.name == HOSTILE and secret_box.decrypt(mailbox.secret) == account[1]
    await user.should_see(HOSTILE, retries=30)  # as text, quotes and brackets included

    await user.open(f'/mailboxes?open={mailbox.id}')
    await user.should_see('Test connection', retries=30)
    user.find('Test connection').click()
    await user.should_see('Signed in; INBOX holds 0 messages', retries=50)


async def test_a_manager_cannot_open_the_mailboxes(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/mailboxes')
    await user.should_see("You don't have access to this page", retries=30)


async def test_an_agent_reads_a_mailed_request_folded_and_downloads_its_attachment(user: User) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        mailbox = mailboxes.create_mailbox(
            session=session,
            actor=admin,
            data={'name': 'Support', 'host': 'imap.example.com', 'username': 'u', 'password': 'p'},
        )
    message = EmailMessage()
    message['From'] = 'Jo <jo@example.com>'
    message['Subject'] = 'Broken <b>mug</b>'
    message['Message-ID'] = '<mug@example.com>'
    message.set_content(
        'The handle came off <script>alert(1)</script>.\n\n'
        'On Mon, 1 Dec 2026 at 10:00, Shop <help@shop.example> wrote:\n> Thanks for your order\n'
    )
    message.add_attachment(b'%PDF-1.4 receipt', maintype='application', subtype='pdf', filename='receipt.pdf')
    taken = mail_intake.process(mailbox_id=mailbox.id, uid=1, uid_validity=1, raw=bytes(message))
    with read_session() as session:
        number = session.get(Ticket, taken.ticket_id).number

    agent = make_user('agent')
    await signed_in(user, agent.email, path=f'/requests/{number}')
    await user.should_see('The handle came off <script>alert(1)</script>.', retries=30)
    await user.should_see('Broken <b>mug</b>')
    folded = user.find(marker='thread-quoted').elements.pop()
    assert isinstance(folded, ui.expansion) and folded.value is False  # the quote is folded away until opened
    body = [label.text for label in user.find(marker='thread-body').elements]
    assert body == ['The handle came off <script>alert(1)</script>.']

    user.find(marker='attachment').click()
    response = await user.download.next(timeout=10)
    assert response.content == b'%PDF-1.4 receipt'


async def test_a_request_shows_the_files_of_its_mail_and_of_the_portal_each_with_its_message(user: User) -> None:
    """One list of files per message, whichever way they came; agents and the customer download both, and a mail's
    claimed type (here HTML) is never the type a file is served with."""
    admin = make_user('admin')
    with session_scope() as session:
        mailbox = mailboxes.create_mailbox(
            session=session,
            actor=admin,
            data={'name': 'Support', 'host': 'imap.example.com', 'username': 'u', 'password': 'p'},
        )
    message = EmailMessage()
    message['From'] = 'Jo <jo@example.com>'
    message['Subject'] = 'Scratched table'
    message.set_content('Details attached.')
    message.add_attachment(
        b'<script>alert(1)</script>',
        maintype='text',
        subtype='html',
        filename='notes <img src=x onerror=alert(1)>.html',
    )
    taken = mail_intake.process(mailbox_id=mailbox.id, uid=1, uid_validity=1, raw=bytes(message))
    with read_session() as session:
        ticket = session.get(Ticket, taken.ticket_id)
        jo = PortalActor.of(session.get(Customer, ticket.customer_id))
    with session_scope() as session:
        portal.reply(
            session=session, actor=jo, number=ticket.number, body='And a photo', files=[('top.png', tiny_png())]
        )
    with read_session() as session:
        files = session.exec(select(TicketAttachment).order_by(col(TicketAttachment.id))).all()
        view = portal.request_view(session=session, actor=jo, number=ticket.number)
        served = [portal.attachment(session=session, actor=jo, attachment_id=f.id)[2] for f in files]
    assert [f.file_name for f in files] == ['notes <img src=x onerror=alert(1)>.html', 'top.png']
    assert [a.file_name for entry in view.thread for a in entry.attached] == [
        'notes <img src=x onerror=alert(1)>.html',
        'top.png',
    ]
    assert served == ['application/octet-stream', 'image/png']

    agent = make_user('agent')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('And a photo', retries=30)
    lists = user.find(marker='attachment-list').elements
    assert len(lists) == 2  # under the mail's message and under the portal reply
    buttons = [button.text for button in user.find(marker='attachment').elements]
    assert sorted(text.split(' (')[0] for text in buttons) == [
        'notes <img src=x onerror=alert(1)>.html',
        'top.png',
    ]  # as text, never markup
    for name, expected in (('notes', b'<script>alert(1)</script>'), ('top.png', tiny_png())):
        user.find(marker='attachment', content=name).click()
        response = await user.download.next(timeout=10)
        assert response.content == expected


async def test_a_french_admin_reads_the_mailboxs_last_error_in_french(user: User, monkeypatch) -> None:
    """The poll ran in English (the job's language) and said 'sign-in refused: …'; stored as its msgid, it reads in
    the admin's language in the list and on the mailbox's form; the server's own words stay as they are."""
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_MAILBOXES', '1')
    reload_settings()
    admin = make_user('admin')
    with session_scope() as session:
        users.set_language(session=session, actor=admin, language='fr')
        mailbox = mailboxes.create_mailbox(
            session=session,
            actor=admin,
            data={'name': HOSTILE, 'host': '127.0.0.1', 'username': 'x@shop.test', 'password': 'pw'},
        )
        said = sentence(N_('sign-in refused: {detail}'), detail='[AUTHENTICATIONFAILED] <b>"no"</b>')
        mailboxes.mark_checked(session=session, mailbox_id=mailbox.id, error=said)
    with read_session() as session:
        assert session.get(Mailbox, mailbox.id).last_error == 'sign-in refused: [AUTHENTICATIONFAILED] <b>"no"</b>'
    await signed_in(user, admin.email, path='/mailboxes')
    await lists.rows_show(user, 'connexion refusée\u00a0: [AUTHENTICATIONFAILED] <b>"no"</b>', column='last_error')
    await user.open(f'/mailboxes?open={mailbox.id}')
    await user.should_see('connexion refusée\u00a0: [AUTHENTICATIONFAILED] <b>"no"</b>', retries=40)
    # its last check, a day the app writes: read-only, and it looks it (no calendar icon inviting a click, no example)
    checked = user.find(kind=DateInput).elements.pop()
    assert checked.props.get('readonly') and not checked.icon.visible and 'placeholder' not in checked.props
    assignee = user.find(kind=ui.select, content='Attribuer ses demandes à').elements.pop()  # editable: its arrow stays
    assert not assignee.props.get('readonly') and not assignee.props.get('hide-dropdown-icon')
