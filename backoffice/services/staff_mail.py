"""Emails to members of staff (a sign-in from a new browser, a password-reset link, a two-factor reset) and a customer's
portal invitation and sign-in links: queued in the caller's transaction, in the recipient's language, and sent by the
`send-outbox` job like replies to customers."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from sqlmodel import Session, col, select

from backoffice.config import Settings
from backoffice.db import session_scope
from backoffice.models import StaffMail, User, utcnow
from backoffice.services import app_settings, mail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = mail.MAX_ATTEMPTS


def queue(session: Session, *, user: User, subject: str, body: str) -> StaffMail:
    """Add an email to this user to the outbox, inside the caller's transaction (written already translated)."""
    message = StaffMail(user_id=user.id, to_address=user.email, subject=subject[:200], body=body)
    session.add(message)
    session.flush()
    return message


def queue_to(session: Session, *, address: str, subject: str, body: str) -> StaffMail:
    """An email the app writes to someone who is not staff (a customer's portal invitation or sign-in link), sent by
    the same outbox job; written in the recipient's language by the caller."""
    message = StaffMail(user_id=None, to_address=address, subject=subject[:200], body=body)
    session.add(message)
    session.flush()
    return message


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
    except (OSError, smtplib.SMTPException) as error:
        log.warning('cannot reach the mail server: %s', error)
        for message_id, _email_message in outgoing:
            counts[_record(message_id, error)] += 1
        return counts
    try:
        for message_id, email in outgoing:
            try:
                server.send_message(email)
            except (OSError, smtplib.SMTPException) as error:
                counts[_record(message_id, error)] += 1
            else:
                counts[_record(message_id, None)] += 1
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return counts


def _email(row: StaffMail, sender: str, company: str) -> EmailMessage:
    email = EmailMessage()
    email['From'] = formataddr((company, sender)) if sender else ''
    email['To'] = row.to_address
    email['Subject'] = row.subject
    email.set_content(row.body)
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
