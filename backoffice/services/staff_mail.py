"""Emails to members of staff (a sign-in from a new browser, a password-reset link, a two-factor reset) and a customer's
portal invitation and sign-in links: queued in the caller's transaction, in the recipient's language, and sent by the
`send-outbox` job like replies to customers."""

from __future__ import annotations

import base64
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select, update

from backoffice import secret_hint
from backoffice.config import Settings
from backoffice.db import session_scope
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import StaffMail, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, audit, mail
from backoffice.stored_text import sentence

log = logging.getLogger(__name__)

MAX_ATTEMPTS = mail.MAX_ATTEMPTS


def queue(
    session: Session,
    *,
    user: User,
    subject: str,
    body: str,
    html: str = '',
    parts: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> StaffMail:
    """Add an email to this user to the outbox, inside the caller's transaction (written already translated); `html`
    an alternative to the text, `parts` its inline images (with a `cid`) and attachments, see `part`."""
    message = StaffMail(
        user_id=user.id,
        to_address=user.email,
        subject=subject[:200],
        body=body,
        html=html,
        parts=parts or [],
        headers=headers or {},
    )
    session.add(message)
    session.flush()
    return message


def queue_to(
    session: Session, *, address: str, subject: str, body: str, parts: list[dict[str, Any]] | None = None
) -> StaffMail:
    """An email the app writes to someone who is not staff (a customer's portal invitation or sign-in link, a
    company's report), sent by the same outbox job; written in the recipient's language by the caller."""
    message = StaffMail(user_id=None, to_address=address, subject=subject[:200], body=body, parts=parts or [])
    session.add(message)
    session.flush()
    return message


def part(name: str, content_type: str, data: bytes, *, cid: str | None = None) -> dict[str, Any]:
    """A file to go with a queued mail: an inline image the HTML shows as `cid:<cid>`, or (no cid) an attachment."""
    return {'name': name, 'content_type': content_type, 'cid': cid, 'data': base64.b64encode(data).decode('ascii')}


def send_staff_mail(settings: Settings, *, limit: int = mail.BATCH) -> dict[str, int]:
    """Send the queued staff emails, oldest first (part of the `send-outbox` job). Without an SMTP URL or a
    support email address they wait."""
    counts = {'sent': 0, 'failed': 0, 'retry': 0}
    if not settings.smtp_url:
        return counts
    with session_scope() as session:
        sender = app_settings.value(session=session, key='support_email')
        company = app_settings.value(session=session, key='company_name')
        queued = session.exec(
            select(StaffMail).where(StaffMail.status == 'queued').order_by(col(StaffMail.id)).limit(limit)
        ).all()
        outgoing = [(row.id, _email(row, sender, company)) for row in queued]
    if not outgoing or not sender:
        if outgoing:
            log.warning('staff emails wait in the outbox: set the support email at /settings to send them')
        return counts
    try:
        server = mail.connect(settings.smtp_url)
    except mail.SMTP_ERRORS as error:
        log.warning('cannot reach the mail server: %s', error)
        for message_id, _email_message in outgoing:
            counts[_record(message_id, error)] += 1
        return counts
    with mail.hanging_up(server):
        for message_id, email in outgoing:
            counts[_record(message_id, mail.send_one(server, email))] += 1
    return counts


@dataclass(frozen=True)
class FailedMail:
    """A mail the outbox gave up on, as /system lists it: to whom, what, when it was written, the tries and why."""

    id: int
    to_address: str
    subject: str
    created_at: datetime
    attempts: int
    error: str


def failed_mails(*, session: Session, actor: User, limit: int = 20) -> tuple[list[FailedMail], int]:
    """The newest emails the outbox gave up on (a refused recipient, or the tries used up), and how many there are."""
    require(actor, 'system.manage')
    rows = session.exec(
        select(StaffMail)
        .where(StaffMail.status == 'failed')
        .order_by(col(StaffMail.created_at).desc(), col(StaffMail.id).desc())
        .limit(limit)
    ).all()
    total = session.exec(select(func.count()).select_from(StaffMail).where(StaffMail.status == 'failed')).one()
    shown = [
        FailedMail(
            row.id or 0, row.to_address, row.subject, row.created_at, row.attempts, secret_hint.scrub(row.error or '')
        )
        for row in rows
    ]
    return shown, total


def retry(*, session: Session, actor: User, mail_id: int) -> StaffMail:
    """Put a mail the outbox gave up on back in the queue, its tries counted afresh: the next `send-outbox` run sends
    it (the mail server was fixed, the address corrected). Audited without the address or subject (personal data)."""
    require(actor, 'system.manage')
    row = session.get(StaffMail, mail_id, with_for_update=session.get_bind().dialect.name != 'sqlite')
    if row is None:
        raise NotFound(_('This email no longer exists.'))
    if row.status != 'failed':
        raise ValidationFailed({'': _('Only an email that failed to send can be sent again')})
    row.status, row.attempts, row.error = 'queued', 0, ''
    session.add(row)
    audit.record(
        session,
        actor,
        'system.mail_retried',
        'system',
        row.id,
        summary=sentence(N_('Email #{id} queued again'), id=row.id),
    )
    session.commit()
    return row


def retry_all_failed(*, session: Session, actor: User) -> int:
    """Every mail the outbox gave up on back in the queue at once (one audit entry with how many)."""
    require(actor, 'system.manage')
    moved = session.exec(
        update(StaffMail).where(col(StaffMail.status) == 'failed').values(status='queued', attempts=0, error='')
    ).rowcount
    if moved:
        audit.record(
            session,
            actor,
            'system.mail_retried',
            'system',
            None,
            summary=sentence(N_('Failed emails queued again: {count}'), count=moved),
        )
    session.commit()
    return moved


def _email(row: StaffMail, sender: str, company: str) -> EmailMessage:
    email = EmailMessage()
    email['From'] = formataddr((company, sender)) if sender else ''
    email['To'] = row.to_address
    email['Subject'] = row.subject
    for name, value in (row.headers or {}).items():
        email[name] = value
    email.set_content(row.body)
    if row.html:
        email.add_alternative(row.html, subtype='html')
        html_part = email.get_body(preferencelist=('html',))  # the part just added
        if html_part is not None:
            for inline in (p for p in row.parts or [] if p.get('cid')):
                maintype, subtype = inline['content_type'].split('/', 1)
                html_part.add_related(
                    base64.b64decode(inline['data']),
                    maintype=maintype,
                    subtype=subtype,
                    cid=f'<{inline["cid"]}>',
                    filename=inline['name'],
                    disposition='inline',
                )
    for attached in (p for p in row.parts or [] if not p.get('cid')):
        maintype, subtype = attached['content_type'].split('/', 1)
        email.add_attachment(
            base64.b64decode(attached['data']), maintype=maintype, subtype=subtype, filename=attached['name']
        )
    return email


def _record(message_id: int | None, error: BaseException | None) -> str:
    permanent = isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused) or (
        isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500
    )
    with session_scope() as session:
        row = session.get(StaffMail, message_id)
        if row is None or row.status != 'queued':
            return 'retry'
        row.attempts += 1
        if error is None:
            outcome, row.status, row.sent_at, row.error = 'sent', 'sent', utcnow(), ''
        else:
            row.error = str(error)[:500] or type(error).__name__
            outcome = 'failed' if permanent or row.attempts >= MAX_ATTEMPTS else 'retry'
            if outcome == 'failed':
                row.status = 'failed'
        session.add(row)
        session.commit()
    return outcome
