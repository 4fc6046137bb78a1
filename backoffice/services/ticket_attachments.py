"""The files of a request's messages: a customer's, attached in the portal (images and PDFs, their type read from their
bytes, their size and number bounded) or with a mail to the support mailbox (any file, its type only as the sender
claimed it); an agent's, with a reply or a note (the portal's rules: `check`). Kept privately under
<data_dir>/attachments/<ticket id>/ with a random name, listed per message, downloaded by agents, and by the customer
only when its message is one they see (a reply's, never a note's: `shown_to_customer`, `customer_may_have`); erased
with the request."""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, delete, select

from backoffice import formatting
from backoffice.config import get_settings
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import _
from backoffice.models import CUSTOMER_SIDE, TicketAttachment, TicketMessage, User
from backoffice.permissions import can, require
from backoffice.private_files import private_folder
from backoffice.runtime.uploads import image_type

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5  # with one message
# All the files of one reply, which goes out as one email: attached as base64 (4 bytes per 3, plus a line end every 76
# characters: x1.37), 17 MB of files make a mail of 24.4 million bytes, under the 25 MB most mail servers take (Gmail;
# Microsoft 365's limits once encoded) read either way (25,000,000 or 25 x 1,048,576 bytes); 20 MB would make 28.7
# million. A bigger reply is refused by the customer's server and shows as failed. Notes and the customer's own
# messages are not mailed: they keep the per-file and per-message limits alone.
MAX_REPLY_BYTES = 17 * 1024 * 1024
MEDIA_TYPES = {
    'png': 'image/png',
    'jpg': 'image/jpeg',
    'webp': 'image/webp',
    'gif': 'image/gif',
    'pdf': 'application/pdf',
}
OCTET_STREAM = 'application/octet-stream'
NAME_MAX = 200  # TicketAttachment.file_name
TYPE_MAX = 100  # TicketAttachment.content_type
ACCEPT = '.png,.jpg,.jpeg,.webp,.gif,.pdf,image/png,image/jpeg,image/webp,image/gif,application/pdf'
FIELD = 'attachments'
ATTACH_PERMISSION = 'tickets.write'  # who answers requests and writes notes attaches files to them


def may_attach(user: User) -> bool:
    """Whether this member of staff may attach files to a reply or a note (the permission that lets them write one)."""
    return can(user, ATTACH_PERMISSION)


@dataclass(frozen=True)
class Incoming:
    """A file to keep: its name to show, its bytes, its media type, and the extension of its stored name ('.png' for
    an upload checked by its bytes; none for a mail's file, whose type the sender only claimed)."""

    file_name: str
    data: bytes
    content_type: str
    suffix: str = ''


def from_mail(file_name: str, data: bytes, content_type: str) -> Incoming:
    """A file that came with a customer's mail, as it will be kept (any type: it is only ever downloaded)."""
    return Incoming(_shown(file_name), data, (content_type or OCTET_STREAM)[:TYPE_MAX])


def check(files: list[tuple[str, bytes]], *, mailed: bool = False) -> list[Incoming]:
    """The files as they may be kept, or ValidationFailed at the attachments' field naming the first that may not;
    `mailed`: they go out with a reply's email, so together they may make at most MAX_REPLY_BYTES."""
    if len(files) > MAX_FILES:
        raise ValidationFailed({FIELD: _('Attach at most {n} files to one message').format(n=MAX_FILES)})
    too_big = too_big_for_a_reply(sum(len(data) for _name, data in files)) if mailed else None
    if too_big:
        raise ValidationFailed({FIELD: too_big})
    checked = []
    for name, data in files:
        shown = _shown(name)
        if len(data) > MAX_BYTES:
            raise ValidationFailed(
                {
                    FIELD: _('{file} is {size} MB; a file may be at most {limit} MB').format(
                        file=shown, size=_megabytes(len(data)), limit=MAX_BYTES // 1024 // 1024
                    )
                }
            )
        kind = kind_of(data)
        if kind is None:
            raise ValidationFailed(
                {FIELD: _('{file} is not an image (PNG, JPEG, WebP, GIF) or a PDF').format(file=shown)}
            )
        checked.append(Incoming(shown, data, MEDIA_TYPES[kind], f'.{kind}'))
    return checked


def too_big_for_a_reply(total: int) -> str | None:
    """What to say of files that make `total` bytes together, when that is too much for one reply's email."""
    if total <= MAX_REPLY_BYTES:
        return None
    return _(
        'These files make {size} MB together; a reply can carry at most {limit} MB, or mail servers refuse it. '
        'Send some with a second reply.'
    ).format(size=_megabytes(total), limit=MAX_REPLY_BYTES // 1024 // 1024)


def kind_of(data: bytes) -> str | None:
    """'png', 'jpg', 'webp', 'gif' or 'pdf' by the file's first bytes (never its name or the browser's word)."""
    if data.startswith(b'%PDF-'):
        return 'pdf'
    return image_type(data)


def store(session: Session, *, ticket_id: int, message_id: int | None, files: list[Incoming]) -> list[Path]:
    """Write the files and add their rows inside the caller's transaction; returns the paths written, for the caller
    to remove should its transaction fail."""
    written: list[Path] = []
    folder = private_folder(root() / str(ticket_id))
    try:
        for item in files:
            stored = f'{ticket_id}/{secrets.token_hex(16)}{item.suffix}'
            path = folder / stored.split('/', 1)[1]
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never overwrite; owner only
            with os.fdopen(descriptor, 'wb') as out:
                out.write(item.data)
            written.append(path)
            session.add(
                TicketAttachment(
                    ticket_id=ticket_id,
                    message_id=message_id,
                    file_name=item.file_name,
                    content_type=item.content_type,
                    size=len(item.data),
                    stored=stored,
                )
            )
        session.flush()
    except BaseException:
        remove(written)
        raise
    return written


def of_ticket(session: Session, ticket_id: int) -> list[TicketAttachment]:
    statement = select(TicketAttachment).where(TicketAttachment.ticket_id == ticket_id)
    return list(session.exec(statement.order_by(col(TicketAttachment.id))))


def of_messages(session: Session, message_ids: list[int]) -> dict[int, list[TicketAttachment]]:
    """The files of these messages (a batch of outgoing replies), by message, oldest first."""
    found: dict[int, list[TicketAttachment]] = {}
    if not message_ids:
        return found
    statement = select(TicketAttachment).where(col(TicketAttachment.message_id).in_(message_ids))
    for row in session.exec(statement.order_by(col(TicketAttachment.id))):
        found.setdefault(row.message_id or 0, []).append(row)
    return found


def shown_to_customer(session: Session, ticket_id: int) -> dict[int, list[TicketAttachment]]:
    """The request's files its customer may see, by message: those of their own messages and of the replies and
    notices sent to them; never a note's, nor one whose message is gone."""
    statement = (
        select(TicketAttachment)
        .join(TicketMessage, col(TicketMessage.id) == TicketAttachment.message_id)
        .where(
            TicketAttachment.ticket_id == ticket_id,
            TicketMessage.ticket_id == ticket_id,
            col(TicketMessage.kind).in_(CUSTOMER_SIDE),
        )
        .order_by(col(TicketAttachment.id))
    )
    found: dict[int, list[TicketAttachment]] = {}
    for row in session.exec(statement):
        found.setdefault(row.message_id or 0, []).append(row)
    return found


def customer_may_have(session: Session, row: TicketAttachment) -> bool:
    """Whether the request's customer may download this file: it came with a message of that request which they see
    (a note's files are the staff's alone). The caller has checked the request is theirs."""
    message = session.get(TicketMessage, row.message_id) if row.message_id is not None else None
    return message is not None and message.ticket_id == row.ticket_id and message.kind in CUSTOMER_SIDE


def by_message(session: Session, ticket_id: int) -> dict[int | None, list[TicketAttachment]]:
    """A request's files by the message they came with (portal uploads and mail attachments alike), oldest first."""
    found: dict[int | None, list[TicketAttachment]] = {}
    for row in of_ticket(session, ticket_id):
        found.setdefault(row.message_id, []).append(row)
    return found


def for_staff(*, session: Session, actor: User, attachment_id: int) -> tuple[bytes, str, str]:
    """An attachment's bytes, name and media type for an agent who may read requests: always a download of
    application/octet-stream (a mail's file may be HTML or a script: never opened in the back office's origin)."""
    require(actor, 'tickets.read')
    row = session.get(TicketAttachment, attachment_id)
    if row is None:
        raise NotFound(_('This file no longer exists.'))
    data, name, _type = content(row)
    return data, name, OCTET_STREAM


def content(row: TicketAttachment) -> tuple[bytes, str, str]:
    """The file's bytes, name and media type: an image's or a PDF's type as read from its bytes, else octet-stream
    (never the type a mail claimed)."""
    path = root() / row.stored
    if '..' in row.stored or not path.is_file():
        raise NotFound(_('This file no longer exists.'))
    data = path.read_bytes()
    kind = kind_of(data)
    return data, row.file_name, MEDIA_TYPES[kind] if kind else OCTET_STREAM


def forget(session: Session, ticket_ids: list[int]) -> int:
    """Inside the caller's transaction: delete these requests' files (rows now, files on the disk at once: a file left
    without its row would be found by no one). Returns how many went."""
    ids = [i for i in ticket_ids if i is not None]
    if not ids:
        return 0
    rows = list(session.exec(select(TicketAttachment).where(col(TicketAttachment.ticket_id).in_(ids))))
    if rows:
        session.execute(delete(TicketAttachment).where(col(TicketAttachment.id).in_([row.id for row in rows])))
        session.flush()
    remove([root() / row.stored for row in rows if '..' not in row.stored])
    return len(rows)


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def root() -> Path:
    return private_folder(get_settings().data_dir / 'attachments')


def _megabytes(size: int) -> str:
    """A size past a limit in MB, rounded up to a tenth: 5 bytes past 17 MB read '17.1 MB', never '17.0 MB' beside
    'at most 17 MB'."""
    return formatting.number(math.ceil(size * 10 / 1024 / 1024) / 10, 1)


def _shown(name: str) -> str:
    """A file name to show: its last part, without control characters, at most 200 characters."""
    base = (name or '').replace('\\', '/').rsplit('/', 1)[-1]
    cleaned = ''.join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned or _('The file'))[:NAME_MAX]
