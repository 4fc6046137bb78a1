"""An attachment a support mailbox does not keep (too large, one too many) is said in a note on the request: sizes as
every screen writes them (10.4 MB, not rounded down to the limit's 10 MB), in each agent's language; the customer's
mail stays as written."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlmodel import col, select

from backoffice import i18n, inbound_mail
from backoffice.db import read_session, session_scope
from backoffice.models import Mailbox, MailboxMail, MessageKind, Ticket, TicketAttachment, TicketMessage
from backoffice.services import mail_intake, tickets

from .support.factories import make_user
from .support.lists import rows_show, the_list
from .support.signin import signed_in

HOSTILE_NAME = 'Zoë "Z" O\'Hara: <script>alert(1)</script>.pdf'
KEPT_NAME = HOSTILE_NAME.replace('/', '_')  # a file name holds no path
TEN_AND_A_BIT_MB = int(10.4 * 1024 * 1024)


def a_mail(*attachments: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message['From'] = 'Jo Miller <jo@example.com>'
    message['To'] = 'support@shop.test'
    message['Subject'] = 'My invoice'
    message.set_content('The scan of my invoice is attached.')
    for name, data in attachments:
        message.add_attachment(data, maintype='application', subtype='pdf', filename=name)
    return bytes(message)


def a_mailbox() -> int:
    with session_scope() as session:
        box = Mailbox(name='Support', host='imap.example.com', username='support', secret='not used here')
        session.add(box)
        session.commit()
        return box.id or 0


def thread() -> list[TicketMessage]:
    with read_session() as session:
        ticket = session.exec(select(Ticket)).one()
        return list(
            session.exec(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(col(TicketMessage.id))
            )
        )


def test_an_attachment_over_the_limit_is_said_in_a_note_with_its_size_in_the_agents_language() -> None:
    raw = a_mail((HOSTILE_NAME, b'%PDF-1.4 ' + b'x' * TEN_AND_A_BIT_MB), ('receipt.pdf', b'%PDF-1.4 kept'))
    assert mail_intake.process(mailbox_id=a_mailbox(), uid=1, uid_validity=1, raw=raw).outcome == 'opened'

    mail, note = thread()
    assert mail.kind == MessageKind.customer and mail.body == 'The scan of my invoice is attached.'  # as written
    assert note.kind == MessageKind.note  # for the agents only
    english = f'Not kept from this email: {KEPT_NAME}: 10.4 MB, over the limit of 10.0 MB'
    assert note.body == english and tickets.note_text(note) == english  # stored in English, for search
    with i18n.use('fr'):
        assert tickets.note_text(note) == (
            f'Non conservé de cet e-mail\u00a0: {KEPT_NAME}\u00a0: 10,4\u00a0Mo, au-delà de la limite de 10,0\u00a0Mo'
        )
    with read_session() as session:
        assert [a.file_name for a in session.exec(select(TicketAttachment))] == ['receipt.pdf']


def test_attachments_over_the_count_are_said_once_from_the_first_left_out() -> None:
    files = [(f'page-{n}.pdf', b'%PDF-1.4 page') for n in range(inbound_mail.MAX_ATTACHMENTS + 3)]
    mail = inbound_mail.read(a_mail(*files))
    assert len(mail.attachments) == inbound_mail.MAX_ATTACHMENTS
    assert [said.english for said in mail.skipped] == [
        'page-20.pdf and the attachments after it: more than 20 attachments'
    ]
    with i18n.use('fr'):
        assert [said.shown() for said in mail.skipped] == [
            'page-20.pdf et les pièces jointes suivantes\u00a0: plus de 20 pièces jointes'
        ]


def test_a_long_text_cut_and_a_large_attachment_are_said_in_one_note_in_the_agents_language() -> None:
    """The customer's text is cut where the thread stops keeping it, with no English words in it; what was cut is said
    in the note, with the attachment left out, separated the reader's way (French ' ; ')."""
    message = EmailMessage()
    message['From'] = 'Jo Miller <jo@example.com>'
    message['Subject'] = 'A long story'
    message.set_content(HOSTILE_NAME + ' ' + 'x' * 21_000)
    message.add_attachment(
        b'%PDF-1.4 ' + b'x' * TEN_AND_A_BIT_MB, maintype='application', subtype='pdf', filename=HOSTILE_NAME
    )
    assert mail_intake.process(mailbox_id=a_mailbox(), uid=1, uid_validity=1, raw=bytes(message)).outcome == 'opened'

    mail, note = thread()
    assert mail.body.startswith(HOSTILE_NAME) and mail.body.endswith('x […]')  # as written, cut
    assert 'characters' not in mail.body and len(mail.body) < 20_000
    cut = len(HOSTILE_NAME) + 1 + 21_000 + 1 - inbound_mail.MAX_TEXT  # (its last line break counts)
    assert tickets.note_text(note) == (
        f'Not kept from this email: the end of its text: {cut:,} characters; '
        f'{KEPT_NAME}: 10.4 MB, over the limit of 10.0 MB'
    )
    with i18n.use('fr'):
        assert tickets.note_text(note) == (
            f'Non conservé de cet e-mail\u00a0: la fin de son texte\u00a0: {cut:,} caractères\u00a0; '.replace(
                ',', '\u202f'
            )
            + f'{KEPT_NAME}\u00a0: 10,4\u00a0Mo, au-delà de la limite de 10,0\u00a0Mo'
        )


def test_a_mail_too_large_to_read_says_so_in_the_agents_language_not_in_the_customers_text() -> None:
    raw = a_mail()
    too_large = int(31.5 * 1024 * 1024)
    assert (
        mail_intake.process(mailbox_id=a_mailbox(), uid=1, uid_validity=1, raw=raw, too_large=too_large).outcome
        == 'opened'
    )

    mail, note = thread()
    assert tickets.note_text(mail) == '(too large to be read here: only its headers were read)'
    assert tickets.note_text(note) == (
        'Not kept from this email: all but its headers: it is 31.5 MB, over the 30.0 MB a support mailbox reads; '
        'open it in the mailbox itself'
    )
    with i18n.use('fr'):
        assert tickets.note_text(mail) == '(trop volumineux pour être lu ici\u00a0: seuls ses en-têtes ont été lus)'
        assert tickets.note_text(note) == (
            'Non conservé de cet e-mail\u00a0: tout sauf ses en-têtes\u00a0: il fait 31,5\u00a0Mo, au-delà des '
            '30,0\u00a0Mo qu’une boîte de support lit\u00a0; ouvrez-le dans la boîte elle-même'
        )


async def test_why_a_bounce_opened_no_request_reads_in_an_admins_language(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's own words for it are stored with their msgid: the received mail's list and its record read them in
    French; the sender's address in it stays as it came."""
    bounce = EmailMessage()
    bounce['From'] = 'MAILER-DAEMON@mx.example.com'
    bounce['Subject'] = f'Undelivered: {HOSTILE_NAME}'
    bounce.set_content('The mail could not be delivered.')
    assert mail_intake.process(mailbox_id=a_mailbox(), uid=1, uid_validity=1, raw=bytes(bounce)).outcome == 'bounce'
    with read_session() as session:
        record = session.exec(select(MailboxMail)).one()
    assert (record.reason, record.reason_key) == ('from mailer-daemon@mx.example.com', 'from {sender}')

    await signed_in(user, make_user('admin').email, path='/mailboxes')
    monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')
    await user.open('/mailboxes')
    await rows_show(user, 'envoyé par mailer-daemon@mx.example.com', column='reason')
    table = the_list(user, 'reason')
    row = next(r for r in table.rows if r['reason'] == 'envoyé par mailer-daemon@mx.example.com')
    UserInteraction(user, {table}, None).trigger('rowClick', [{}, row, 0])
    await user.should_see(f'Undelivered: {HOSTILE_NAME}')  # its record, the subject as text
    shown = [e.value for e in user.find(ui.textarea).elements if isinstance(e.value, str)]
    assert 'envoyé par mailer-daemon@mx.example.com' in shown
