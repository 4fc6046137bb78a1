"""What a support mailbox keeps of a person besides the thread — the files that came with their mails and the log of
their mails (sender, subject) — and its erasure, used by the personal-data erasure and the retention job."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session, col, delete, or_, select, update

from backoffice.config import get_settings
from backoffice.models import MailboxMail, TicketAttachment, TicketMessage

ERASED_SUBJECT = '[erased]'


def attachments_folder() -> Path:
    return get_settings().data_dir / 'attachments'


def forget(session: Session, *, ticket_ids: Sequence[int], senders: Sequence[str] = ()) -> int:
    """Inside the caller's transaction: delete the attachments of these requests' messages (rows now, files at once:
    a file left without its row would be found by no one) and blank the received-mail log's sender and subject for
    these requests and senders. Returns how many files went."""
    ticket_ids = [i for i in ticket_ids if i is not None]
    attachments = (
        session.exec(
            select(TicketAttachment)
            .join(TicketMessage, col(TicketMessage.id) == TicketAttachment.ticket_message_id)
            .where(col(TicketMessage.ticket_id).in_(ticket_ids))
        ).all()
        if ticket_ids
        else []
    )
    if attachments:
        session.execute(delete(TicketAttachment).where(col(TicketAttachment.id).in_([a.id for a in attachments])))
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
    for attachment in attachments:
        (attachments_folder() / attachment.stored).unlink(missing_ok=True)
    return len(attachments)
