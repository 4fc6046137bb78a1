"""Files a customer attaches to a request (images and PDFs): their type read from their bytes, their size and number
bounded, kept privately under <data_dir>/attachments with a random name, read by agents and by the customer."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from backoffice import formatting
from backoffice.config import get_settings
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import _
from backoffice.models import TicketAttachment, User
from backoffice.permissions import require
from backoffice.private_files import private_folder
from backoffice.runtime.uploads import image_type

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5  # with one message
MEDIA_TYPES = {
    'png': 'image/png',
    'jpg': 'image/jpeg',
    'webp': 'image/webp',
    'gif': 'image/gif',
    'pdf': 'application/pdf',
}
ACCEPT = '.png,.jpg,.jpeg,.webp,.gif,.pdf,image/png,image/jpeg,image/webp,image/gif,application/pdf'
FIELD = 'attachments'


@dataclass(frozen=True)
class Checked:
    file_name: str
    data: bytes
    kind: str


def check(files: list[tuple[str, bytes]]) -> list[Checked]:
    """The files as they may be kept, or ValidationFailed at the attachments' field naming the first that may not."""
    if len(files) > MAX_FILES:
        raise ValidationFailed({FIELD: _('Attach at most {n} files to one message').format(n=MAX_FILES)})
    checked = []
    for name, data in files:
        shown = _shown(name)
        if len(data) > MAX_BYTES:
            raise ValidationFailed(
                {
                    FIELD: _('{file} is {size} MB; a file may be at most {limit} MB').format(
                        file=shown, size=formatting.number(len(data) / 1024 / 1024, 1), limit=MAX_BYTES // 1024 // 1024
                    )
                }
            )
        kind = kind_of(data)
        if kind is None:
            raise ValidationFailed(
                {FIELD: _('{file} is not an image (PNG, JPEG, WebP, GIF) or a PDF').format(file=shown)}
            )
        checked.append(Checked(shown, data, kind))
    return checked


def kind_of(data: bytes) -> str | None:
    """'png', 'jpg', 'webp', 'gif' or 'pdf' by the file's first bytes (never its name or the browser's word)."""
    if data.startswith(b'%PDF-'):
        return 'pdf'
    return image_type(data)


def store(session: Session, *, ticket_id: int, message_id: int | None, files: list[Checked]) -> list[Path]:
    """Write the files and add their rows inside the caller's transaction; returns the paths written, for the caller
    to remove should its transaction fail."""
    written: list[Path] = []
    folder = private_folder(root() / str(ticket_id))
    try:
        for item in files:
            stored = f'{ticket_id}/{secrets.token_hex(16)}.{item.kind}'
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
                    kind=item.kind,
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


def for_staff(*, session: Session, actor: User, attachment_id: int) -> tuple[bytes, str, str]:
    """An attachment's bytes, name and media type for an agent who may read requests."""
    require(actor, 'tickets.read')
    row = session.get(TicketAttachment, attachment_id)
    if row is None:
        raise NotFound(_('This file no longer exists.'))
    return content(row)


def content(row: TicketAttachment) -> tuple[bytes, str, str]:
    path = root() / row.stored
    if '..' in row.stored or not path.is_file():
        raise NotFound(_('This file no longer exists.'))
    return path.read_bytes(), row.file_name, MEDIA_TYPES.get(row.kind, 'application/octet-stream')


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def root() -> Path:
    return private_folder(get_settings().data_dir / 'attachments')


def _shown(name: str) -> str:
    """A file name to show: its last part, without control characters, at most 120 characters."""
    base = (name or '').replace('\\', '/').rsplit('/', 1)[-1]
    cleaned = ''.join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned or _('The file'))[:120]
