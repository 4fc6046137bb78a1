"""What a support mailbox keeps of a person besides the thread — the files that came with their mails and the log of
their mails (sender, subject) — and its erasure, used by the personal-data erasure and the retention job."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, or_, update

from backoffice.models import MailboxMail
from backoffice.services import ticket_attachments

ERASED_SUBJECT = '[erased]'


def forget(session: Session, *, ticket_ids: Sequence[int], senders: Sequence[str] = ()) -> int:
    """Inside the caller's transaction: delete these requests' files (ticket_attachments.forget: rows now, files at
    once) and blank the received-mail log's sender and subject for these requests and senders. Returns how many files
    went."""
    ticket_ids = [i for i in ticket_ids if i is not None]
    gone = ticket_attachments.forget(session, ticket_ids)
    conditions = []
    if ticket_ids:
        conditions.append(col(MailboxMail.ticket_id).in_(ticket_ids))
    if senders:
        conditions.append(col(MailboxMail.sender).in_([s.lower() for s in senders]))
    if conditions:
        session.execute(
            update(MailboxMail)
            .where(or_(*conditions))
            .values(sender='', subject=ERASED_SUBJECT)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return gone
