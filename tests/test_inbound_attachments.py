"""An attachment a support mailbox does not keep (too large, one too many) is said in a note on the request: sizes as
every screen writes them (10.4 MB, not rounded down to the limit's 10 MB), in each agent's language; the customer's
mail stays as written."""

from __future__ import annotations

from email.message import EmailMessage

from sqlmodel import col, select

from backoffice import i18n, inbound_mail
from backoffice.db import read_session, session_scope
from backoffice.models import Mailbox, MessageKind, Ticket, TicketAttachment, TicketMessage
from backoffice.services import mail_intake, tickets

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
