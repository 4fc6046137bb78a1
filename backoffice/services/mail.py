"""The outbox: replies to customers (with the link to the request in the customer portal, and the files the agent
attached), and the notice that a request is solved (with its rating link), go out by SMTP when BACKOFFICE_SMTP_URL is
set; otherwise they wait."""

from __future__ import annotations

import copy
import logging
import secrets
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import unquote, urlencode, urlsplit

from sqlmodel import col, func, select

from backoffice import events, i18n
from backoffice.config import Settings
from backoffice.db import session_scope
from backoffice.errors import NotFound
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import Customer, Delivery, MessageKind, Ticket, TicketAttachment, TicketMessage, utcnow
from backoffice.services import app_settings, ticket_attachments, tickets

log = logging.getLogger(__name__)

BATCH = 100
MAX_ATTEMPTS = 5  # a temporary failure (server down, 4xx) is retried each minute this many times, then it fails
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    ticket_id: int
    email: EmailMessage
    files: tuple[TicketAttachment, ...] = ()  # a reply's files, read from the disk just before it is sent


class MissingFile(Exception):
    """A reply's file is no longer on the disk: the reply cannot go out as written (a permanent failure)."""


def send_outbox(settings: Settings, *, limit: int = BATCH) -> dict[str, int]:
    """The `send-outbox` job: send queued replies, oldest first, and mark each sent or failed (with the error).
    Without an SMTP URL or a support email address nothing is sent: replies stay queued."""
    counts = {'sent': 0, 'failed': 0, 'retry': 0}
    if not settings.smtp_url:
        return counts
    outgoing = _queued(limit, settings.base_url)
    if not outgoing:
        return counts
    try:
        server = connect(settings.smtp_url)
    except SMTP_ERRORS as error:
        log.warning('cannot reach the mail server: %s', error)
        for item in outgoing:
            counts[_record(item, error)] += 1
        return counts
    with hanging_up(server):
        for item in outgoing:
            try:
                email = with_files(item.email, item.files)
            except MissingFile as error:
                counts[_record(item, error)] += 1
                continue
            counts[_record(item, send_one(server, email))] += 1
    return counts


def with_files(email: EmailMessage, files: tuple[TicketAttachment, ...]) -> EmailMessage:
    """The email with the reply's files attached (each read now, so a batch holds one reply's files at a time), under
    the names the agent gave them and their type as read from their bytes."""
    if not files:
        return email
    attached = copy.deepcopy(email)  # the batch's email stays small; this one goes once sent
    for row in files:
        try:
            data, name, media_type = ticket_attachments.content(row)
        except NotFound:
            raise MissingFile(f'attachment missing: {row.file_name}') from None
        maintype, subtype = media_type.split('/', 1)
        attached.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return attached


SMTP_ERRORS = (OSError, smtplib.SMTPException)  # the server unreachable, refusing, or cut off


@contextmanager
def hanging_up(server: smtplib.SMTP) -> Iterator[smtplib.SMTP]:
    """A batch sent over one connection, closed politely at the end (or dropped if the server is gone already): the
    one way every outbox (replies, staff mail, reminders, alerts) ends its batch."""
    try:
        yield server
    finally:
        try:
            server.quit()
        except SMTP_ERRORS:
            server.close()


def send_one(server: smtplib.SMTP, email: EmailMessage) -> Exception | None:
    """One message of a batch: None when the server took it, else why not (the batch goes on with the next)."""
    try:
        server.send_message(email)
    except SMTP_ERRORS as error:
        return error
    return None


def connect(url: str) -> smtplib.SMTP:
    """smtp://[user:password@]host[:port] (STARTTLS when the server offers it; port 587 by default) or
    smtps://… (TLS from the start; port 465)."""
    parts = urlsplit(url)
    if parts.scheme not in ('smtp', 'smtps') or not parts.hostname:
        raise smtplib.SMTPException('BACKOFFICE_SMTP_URL must look like smtp://user:password@host:587')
    context = ssl.create_default_context()
    if parts.scheme == 'smtps':
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        server = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=TIMEOUT_SECONDS)
        server.ehlo()
        if server.has_extn('starttls'):
            server.starttls(context=context)
            server.ehlo()
    if parts.username:
        server.login(unquote(parts.username), unquote(parts.password or ''))
    return server


def outbox_size() -> int:
    """Replies waiting to be sent (the system page shows it)."""
    with session_scope() as session:
        return session.exec(
            select(func.count()).select_from(TicketMessage).where(TicketMessage.delivery == Delivery.queued)
        ).one()


# --- helpers ---------------------------------------------------------------------------------------------------------


def _queued(limit: int, base_url: str) -> list[Outgoing]:
    with session_scope() as session:
        sender = app_settings.value(session=session, key='support_email')
        if not sender:
            log.warning('replies wait in the outbox: set the support email at /settings to send them')
            return []
        company = app_settings.value(session=session, key='company_name')
        rows = session.exec(
            select(TicketMessage, Ticket, Customer)
            .join(Ticket, col(Ticket.id) == TicketMessage.ticket_id)
            .join(Customer, col(Customer.id) == Ticket.customer_id)
            .where(
                TicketMessage.delivery == Delivery.queued,
                col(TicketMessage.kind).in_((MessageKind.reply, MessageKind.notice)),
            )
            .order_by(col(TicketMessage.id))
            .limit(limit)
        ).all()
        domain = sender.rsplit('@', 1)[-1]
        for message, ticket, _customer in rows:
            if not message.email_message_id:  # given once and kept before the first try: a reply is found by it
                message.email_message_id = message_id(ticket.number, message.id, domain)
                session.add(message)
        session.commit()
        files = ticket_attachments.of_messages(
            session, [message.id for message, _ticket, _customer in rows if message.kind == MessageKind.reply]
        )
        return [
            Outgoing(
                message.id,
                ticket.id,
                _email(message, ticket, customer, sender, company, base_url, _answered(session, message)),
                tuple(files.get(message.id, ())),
            )
            for message, ticket, customer in rows
        ]


def message_id(number: int, message_id: int | None, domain: str) -> str:
    """A Message-ID of our own: unique (random part), naming the request, short enough never to be folded."""
    return f'<request{number}.{message_id}.{secrets.token_hex(6)}@{domain}>'


def _answered(session, message: TicketMessage) -> list[str]:
    """The Message-IDs of the request's earlier mails, newest last, so the customer's mail client threads our answer
    under theirs (In-Reply-To: the newest)."""
    ids = session.exec(
        select(TicketMessage.email_message_id)
        .where(
            TicketMessage.ticket_id == message.ticket_id,
            col(TicketMessage.id) < message.id,
            col(TicketMessage.email_message_id).is_not(None),
        )
        .order_by(col(TicketMessage.id).desc())
        .limit(10)
    ).all()
    return list(reversed(ids))


def rating_url(base_url: str, ticket: Ticket) -> str:
    """The public page where the customer rates a solved request; the token in it is their proof."""
    return f'{base_url}/rate?{urlencode({"request": ticket.number, "token": ticket.token})}'


PORTAL_INVITATION = N_('Read the whole conversation and answer in your account:\n{link}')


def portal_url(base_url: str, ticket: Ticket) -> str:
    """The request in the customer portal (it asks them to sign in first if they are not)."""
    return f'{base_url}/portal/requests/{ticket.number}'


RATE_INVITATION = N_('How did we do? Rate our help from 1 to 5 (one click, no account needed):\n{link}')


def _email(
    message: TicketMessage,
    ticket: Ticket,
    customer: Customer,
    sender: str,
    company: str,
    base_url: str,
    answered: list[str] | None = None,
) -> EmailMessage:
    """The email in the customer's language (theirs, else the settings' default); the reply itself is as written."""
    with i18n.use(customer.language):
        email = _written(message, ticket, customer, sender, company, base_url)
    if answered:
        email['In-Reply-To'] = answered[-1]
        email['References'] = ' '.join(answered)
    return email


def _written(
    message: TicketMessage, ticket: Ticket, customer: Customer, sender: str, company: str, base_url: str
) -> EmailMessage:
    email = EmailMessage()
    email['From'] = formataddr((company, sender))
    email['To'] = formataddr((customer.name, customer.email)) if customer.name else customer.email
    if message.kind == MessageKind.notice:
        email['Subject'] = _('Solved: {subject} [#{number}]').format(subject=ticket.subject, number=ticket.number)
    else:
        email['Subject'] = f'Re: {ticket.subject} [#{ticket.number}]'
    email['Message-ID'] = message.email_message_id or message_id(ticket.number, message.id, sender.rsplit('@', 1)[-1])
    if message.kind == MessageKind.notice:
        email['Auto-Submitted'] = 'auto-generated'  # RFC 3834: no auto-reply should answer it
    body = message.body
    if message.kind == MessageKind.notice and tickets.may_rate(ticket):  # rated, reopened or merged since: no link
        body += '\n\n' + _(RATE_INVITATION).format(link=rating_url(base_url, ticket))
    if message.kind == MessageKind.reply:
        body += '\n\n' + _(PORTAL_INVITATION).format(link=portal_url(base_url, ticket))
    email.set_content(body)
    return email


def _record(item: Outgoing, error: BaseException | None) -> str:
    """Mark one message sent, failed, or queued for another try; returns which."""
    permanent = isinstance(
        error, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | smtplib.SMTPDataError | MissingFile
    ) or (isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500)
    with session_scope() as session:
        message = session.get(TicketMessage, item.message_id)
        # a notice a merge cancelled while the server was taking it went out all the same: the thread says what the
        # customer got (the merge's audit entry says it was cancelled)
        taken_meanwhile = message is not None and message.delivery == Delivery.cancelled and error is None
        if message is None or (message.delivery != Delivery.queued and not taken_meanwhile):
            return 'retry'
        message.attempts += 1
        if error is None:
            outcome, message.delivery, message.sent_at, message.delivery_error = 'sent', Delivery.sent, utcnow(), None
        else:
            message.delivery_error = _describe(error)[:500]
            outcome = 'failed' if permanent or message.attempts >= MAX_ATTEMPTS else 'retry'
            if outcome == 'failed':
                message.delivery = Delivery.failed
        session.add(message)
        if outcome != 'retry':
            events.after_commit(session, Topic.tickets, {'id': item.ticket_id, 'action': f'reply-{outcome}'})
        session.commit()
    return outcome


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return '; '.join(
            f'{address}: {code} {reply.decode(errors="replace")}' for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        return f'{error.smtp_code} {reply.decode(errors="replace") if isinstance(reply, bytes) else reply}'
    return str(error) or type(error).__name__
