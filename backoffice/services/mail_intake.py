"""The support mailbox's intake: the `mailboxes` job reads each active mailbox's new mail over IMAP; a new mail opens
a request for its sender, a reply to one of our emails joins its request's thread (by In-Reply-To/References against
the Message-IDs our mails carry, then by the request number in the subject), attachments are kept with the message,
and auto-replies and bounces are recorded but never open a request nor get an answer.

Exactly once: a mail's key (its Message-ID, else the mailbox, UIDVALIDITY and UID) is written in the same transaction
as the request or message it makes, under a unique constraint; a second run (or one after a crash half-way) finds the
key and skips the mail, and two runs at once cannot both commit it."""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from backoffice import i18n, imap_client, inbound_mail, secret_box, stored_text, write_failures
from backoffice.db import held_commits, read_session, session_scope
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic, after_commit
from backoffice.i18n import N_, _
from backoffice.models import (
    Customer,
    Mailbox,
    MailboxMail,
    MailOutcome,
    MessageKind,
    Ticket,
    TicketMessage,
    TicketSource,
    TicketStatus,
)
from backoffice.services import app_settings, mailboxes, ticket_attachments, tickets
from backoffice.services.ticket_input import SUBJECT_MAX
from backoffice.stored_text import Sentence, joined, sentence, size
from backoffice.validation import name_problem

log = logging.getLogger(__name__)

BATCH = 200  # mails read per mailbox and run; the rest wait for the next run (each minute)
MAX_MAIL_BYTES = 30 * 1024 * 1024  # a bigger mail is read by its headers only, and says so in the request
_SIZE = re.compile(rb'RFC822\.SIZE (\d+)')


@dataclass(frozen=True)
class Taken:
    outcome: MailOutcome | None  # None: processed before (or by another run at the same time)
    ticket_id: int | None = None


def poll_all() -> dict[str, int]:
    """The `mailboxes` job: every active mailbox, one after the other; one that fails does not stop the others."""
    with read_session() as session:
        ids = session.exec(
            select(Mailbox.id).where(col(Mailbox.is_active).is_(True), col(Mailbox.deleted_at).is_(None))
        ).all()
    counts: Counter[str] = Counter()
    for mailbox_id in ids:
        assert mailbox_id is not None
        try:
            counts.update(poll_mailbox(mailbox_id))
        except Exception as error:  # a bug or a crash on one mail: logged, said on the mailbox, the others go on
            if write_failures.busy_item(log, error, 'mailbox %s: reading stopped', mailbox_id):
                continue  # its last mail read stays where it was: the next run reads on from there
            log.exception('mailbox %s: reading stopped', mailbox_id)
            _failed(mailbox_id, sentence(N_('reading stopped: {error}'), error=type(error).__name__), counts)
    return dict(counts)


def poll_mailbox(mailbox_id: int, *, limit: int = BATCH) -> Counter[str]:
    """Read the mailbox's new mail, oldest first (the first time: its unread mail); what became of each, counted."""
    counts: Counter[str] = Counter()
    with read_session() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None or mailbox.deleted_at is not None or not mailbox.is_active:
            return counts
        folder, last_uid, known_validity = mailbox.folder, mailbox.last_uid, mailbox.uid_validity
        try:
            account = mailboxes.account(mailbox)
        except secret_box.SecretUnreadable:
            return _failed(mailbox_id, sentence(secret_box.UNREADABLE), counts)
    try:
        client = imap_client.connect(account)
    except imap_client.MailboxUnreachable as error:
        return _failed(mailbox_id, error.said, counts)
    try:
        status, _data = client.select(mailboxes.quote_folder(folder))
        if status != 'OK':
            return _failed(
                mailbox_id, sentence(N_('folder {folder} cannot be opened'), folder=repr(folder)), counts, client
            )
        validity = _uid_validity(client)
        first = validity != known_validity
        if first:
            # a mailbox read for the first time (or a folder rebuilt: its UIDs start over): its unread mail only, not
            # years of mail already dealt with; from then on, every mail above the newest UID seen
            unread, newest = _search(client, 'UNSEEN'), max(_search(client, 'ALL'), default=0)
            wanted = unread
        else:
            wanted = [u for u in _search(client, f'UID {last_uid + 1}:*') if u > last_uid]
        uids = wanted[:limit]
        for uid in uids:
            try:
                taken = _take(client, mailbox_id, validity, uid)
            except BaseException:
                imap_client.close(client)
                raise
            counts[taken.outcome.value if taken.outcome else 'skipped'] += 1
            client.uid('STORE', str(uid), '+FLAGS', '(\\Seen)')
            _advance(mailbox_id, validity, uid)
        if first and len(wanted) == len(uids):
            _advance(mailbox_id, validity, newest)
    except (OSError, imaplib.IMAP4.error) as error:
        log.warning('mailbox %s: %s', mailbox_id, error)
        return _failed(mailbox_id, str(error)[:200] or sentence(N_('connection lost')), counts, client)
    imap_client.close(client)
    with session_scope() as session:
        mailboxes.mark_checked(session=session, mailbox_id=mailbox_id, error=None)
    return counts


def process(*, mailbox_id: int, uid: int, uid_validity: int, raw: bytes, too_large: int | None = None) -> Taken:
    """One mail, in one transaction with its key. `too_large`: the mail's size when only its headers were read."""
    with i18n.heard() as heard:  # a refusal is stored as the msgid it was said with, read in each reader's language
        return _process(mailbox_id, uid, uid_validity, raw, too_large, heard)


def _process(
    mailbox_id: int, uid: int, uid_validity: int, raw: bytes, too_large: int | None, heard: list[tuple[str, str]]
) -> Taken:
    mail = inbound_mail.read(raw)
    if too_large is not None:  # said in the note on the request, in each agent's language
        mail.text = ''
        mail.skipped.insert(0, sentence(HEADERS_ONLY, size=size(too_large), limit=size(MAX_MAIL_BYTES)))
    key = message_key(mail.message_id, mailbox_id, uid_validity, uid)
    known = {'mailbox_id': mailbox_id, 'message_key': key, 'uid': uid, 'sender': mail.sender, 'subject': mail.subject}
    record = MailboxMail(**_fitted(known), outcome=MailOutcome.opened)
    written: list[Path] = []
    try:
        with session_scope() as session:
            if _known(session, key):
                return Taken(None)
            mailbox = session.get(Mailbox, mailbox_id)
            if mailbox is None:
                return Taken(None)
            session.add(record)
            session.flush()  # the key first: a run at the same time waits here, then fails on it (PostgreSQL)
            own = _our_own(session, mail)
            if own:
                mail.automatic = own
            if mail.bounce or mail.automatic:
                record.outcome = MailOutcome.bounce if mail.bounce else MailOutcome.auto_reply
                reason, record.reason_key, record.reason_params = stored_text.stored(
                    mail.bounce or mail.automatic or ''
                )
                record.reason = reason[:500]
                ticket = _replied_ticket(session, mail, any_sender=True)
                record.ticket_id = ticket.id if ticket else None
            else:
                record.ticket_id, record.outcome = _into_thread(session, mailbox, mail, written)
            session.add(record)
            after_commit(session, Topic.mailbox_mails, {'id': record.id, 'action': record.outcome.value})
            session.commit()
            return Taken(record.outcome, record.ticket_id)
    except IntegrityError:
        ticket_attachments.remove(written)
        with read_session() as session:
            if _known(session, key):
                return Taken(None)  # another run committed this mail first
        raise
    except (tickets.CustomerBanned, ValidationFailed, NotFound) as error:
        ticket_attachments.remove(written)
        return _refused(known, _reason(error, heard))
    except BaseException:
        ticket_attachments.remove(written)
        raise


def message_key(message_id: str | None, mailbox_id: int, uid_validity: int, uid: int) -> str:
    """What makes a mail the same mail: its Message-ID (the same mail in two of our mailboxes is one request), else
    where it lies in which mailbox."""
    source = f'id:{message_id}' if message_id else f'uid:{mailbox_id}:{uid_validity}:{uid}'
    return hashlib.sha256(source.encode()).hexdigest()


# --- helpers ---------------------------------------------------------------------------------------------------------


def _take(client: imaplib.IMAP4, mailbox_id: int, validity: int, uid: int) -> Taken:
    """Fetch one mail (its Message-ID and size first: a mail processed before is not downloaded again)."""
    status, data = client.uid('FETCH', str(uid), '(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
    if status != 'OK' or not data or data[0] is None:
        return Taken(None)
    head, size = _literal(data), _size(data)
    message_id = inbound_mail.read(head).message_id
    with read_session() as session:
        if _known(session, message_key(message_id, mailbox_id, validity, uid)):
            return Taken(None)
    part = 'BODY.PEEK[HEADER]' if size > MAX_MAIL_BYTES else 'BODY.PEEK[]'
    status, data = client.uid('FETCH', str(uid), f'({part})')
    if status != 'OK' or not data or data[0] is None:
        return Taken(None)
    return process(
        mailbox_id=mailbox_id,
        uid=uid,
        uid_validity=validity,
        raw=_literal(data),
        too_large=size if size > MAX_MAIL_BYTES else None,
    )


def _into_thread(
    session: Session, mailbox: Mailbox, mail: inbound_mail.IncomingMail, written: list[Path]
) -> tuple[int, MailOutcome]:
    """The request this mail joins, or the one it opens; its message carries the mail's id and attachments."""
    body, body_key, body_params = stored_text.stored(_body(mail))
    ticket = _replied_ticket(session, mail, any_sender=False)
    with held_commits(session):
        if ticket is not None:
            message = tickets.add_customer_message(session=session, number=ticket.number, email=mail.sender, body=body)
            outcome = MailOutcome.joined
        else:
            name = mail.sender_name if mail.sender_name and not name_problem(mail.sender_name) else None
            ticket = tickets.submit_request(
                session=session,
                email=mail.sender,
                name=name,
                subject=(mail.subject or _('(no subject)'))[:SUBJECT_MAX],
                body=body,
                type=mailbox.default_type,
                source=TicketSource.email,
                assignee_id=mailbox.default_assignee_id,
            )
            message = session.exec(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(col(TicketMessage.id))
            ).one()
            outcome = MailOutcome.opened
    assert message.id is not None and ticket.id is not None
    message.email_message_id = (mail.message_id or '')[:500] or None
    message.body_key, message.body_params = body_key, body_params  # the app's words for a mail without text
    session.add(message)
    files = [ticket_attachments.from_mail(a.file_name, a.data, a.content_type) for a in mail.attachments]
    written.extend(ticket_attachments.store(session, ticket_id=ticket.id, message_id=message.id, files=files))
    if mail.skipped:  # a note for the agents, after the mail, in each one's language (the mail stays as written)
        said = sentence(NOT_KEPT, skipped=joined(list(mail.skipped), '; '))
        session.add(
            TicketMessage(
                ticket_id=ticket.id, kind=MessageKind.note, created_at=message.created_at, **tickets.system_note(said)
            )
        )
    return ticket.id, outcome


NOT_KEPT = N_('Not kept from this email: {skipped}')
HEADERS_ONLY = N_(
    'all but its headers: it is {size}, over the {limit} a support mailbox reads; open it in the mailbox itself'
)


def _our_own(session: Session, mail: inbound_mail.IncomingMail) -> Sentence | None:
    """Why this mail is one the app sent itself (a copy that came back to the support mailbox): never a request, or
    the app would answer itself in a loop."""
    if (
        mail.message_id
        and session.exec(
            select(TicketMessage.id)
            .where(
                TicketMessage.email_message_id == mail.message_id,
                col(TicketMessage.kind).in_((MessageKind.reply, MessageKind.notice)),
            )
            .limit(1)
        ).first()
    ):
        return sentence(N_('sent by this app'))
    support = app_settings.value(session=session, key='support_email')
    if support and mail.sender == str(support).lower():
        return sentence(N_('from the support address itself'))
    return None


def _replied_ticket(session: Session, mail: inbound_mail.IncomingMail, *, any_sender: bool) -> Ticket | None:
    """The request a mail answers: one of its messages' Message-IDs in In-Reply-To/References, else the number in the
    subject. A person's mail joins only a request of the same customer that is not closed (else it opens a new one);
    an automatic one (`any_sender`) is only linked to its request."""
    ticket = None
    if mail.replies_to:
        found = session.exec(
            select(TicketMessage.ticket_id)
            .where(col(TicketMessage.email_message_id).in_(mail.replies_to))
            .order_by(col(TicketMessage.id).desc())
            .limit(1)
        ).first()
        ticket = session.get(Ticket, found) if found else None
    number = mail.request_number()
    if ticket is None and number is not None:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).first()
        ticket = tickets.continued(session, ticket) if ticket is not None else None  # merged: where it goes on
    if ticket is None or any_sender:
        return ticket
    customer = session.get(Customer, ticket.customer_id)
    if customer is None or customer.email.lower() != mail.sender or ticket.status == TicketStatus.closed:
        return None
    return ticket


def _body(mail: inbound_mail.IncomingMail) -> str | Sentence:
    """The mail's text as written; when it has none, the app's words for that, read in each reader's language."""
    if mail.text:
        return mail.text
    if any(said.key == HEADERS_ONLY for said in mail.skipped):
        return sentence(N_('(too large to be read here: only its headers were read)'))
    return sentence(N_('(no text: see the attachments)') if mail.attachments else N_('(empty message)'))


def _fitted(known: dict) -> dict:
    return {**known, 'sender': known['sender'][:254], 'subject': known['subject'][:200]}


def _refused(known: dict, reason: str | Sentence) -> Taken:
    """Recorded, in a transaction of its own (the request's was rolled back), so it is not read again."""
    text, key, params = stored_text.stored(reason)
    try:
        with session_scope() as session:
            if _known(session, known['message_key']):
                return Taken(None)
            session.add(
                MailboxMail(
                    **_fitted(known),
                    outcome=MailOutcome.refused,
                    reason=text[:500],
                    reason_key=key if len(text) <= 500 else None,
                    reason_params=params if len(text) <= 500 else None,
                )
            )
            after_commit(session, Topic.mailbox_mails, {'action': 'refused'})
            session.commit()
    except IntegrityError:
        return Taken(None)
    return Taken(MailOutcome.refused)


def _reason(error: Exception, heard: list[tuple[str, str]]) -> str | Sentence:
    """Why a mail was refused, in the words the service said it with (written in the job's language): stored as their
    msgid, so a French admin reads it in French ('This customer is banned: …', 'email: Enter a valid email address')."""
    if not isinstance(error, ValidationFailed):
        return stored_text.recognised(str(error), heard)
    said: list[str | Sentence] = [
        sentence(N_('{field}: {message}'), field=field, message=stored_text.recognised(message, heard))
        for field, message in error.errors.items()
    ]
    reason = said.pop()
    while said:  # 'email: …; subject: …', each part in the reader's language
        reason = sentence(N_('{reason}; {more}'), reason=said.pop(), more=reason)
    return reason


def _known(session: Session, key: str) -> bool:
    return session.exec(select(MailboxMail.id).where(MailboxMail.message_key == key)).first() is not None


def _advance(mailbox_id: int, validity: int, uid: int) -> None:
    with session_scope() as session:
        session.exec(
            update(Mailbox)
            .where(
                col(Mailbox.id) == mailbox_id,
                (col(Mailbox.last_uid) < uid) | col(Mailbox.uid_validity).is_distinct_from(validity),
            )
            .values(uid_validity=validity, last_uid=uid)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _failed(
    mailbox_id: int, error: str | Sentence, counts: Counter[str], client: imaplib.IMAP4 | None = None
) -> Counter[str]:
    if client is not None:
        imap_client.close(client)
    with session_scope() as session:
        mailboxes.mark_checked(session=session, mailbox_id=mailbox_id, error=error)
    counts['failed'] += 1
    return counts


def _search(client: imaplib.IMAP4, criteria: str) -> list[int]:
    status, data = client.uid('SEARCH', criteria)
    if status != 'OK' or not data:
        return []
    return sorted(int(u) for u in (data[0] or b'').split() if u.isdigit())


def _uid_validity(client: imaplib.IMAP4) -> int:
    _status, data = client.response('UIDVALIDITY')
    try:
        return int(data[0]) if data and data[0] else 0
    except (TypeError, ValueError):
        return 0


def _literal(data: list) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) > 1:
            return item[1]
    return b''


def _size(data: list) -> int:
    text = b' '.join(item[0] if isinstance(item, tuple) else item for item in data if item is not None)
    match = _SIZE.search(text)
    return int(match.group(1)) if match else 0
