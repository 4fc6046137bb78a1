"""Support mailboxes, managed by admins (settings.manage): the IMAP server, port, TLS mode, user and password (stored
encrypted, never shown again), the folder, the type and assignee of the requests they open; a connection test."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BaseModel
from sqlmodel import Session

from backoffice import imap_client, secret_box, stored_text
from backoffice.changes import commit, get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import Mailbox, MailboxSecurity, Role, TicketType, User, utcnow
from backoffice.permissions import require
from backoffice.services import audit
from backoffice.stored_text import Sentence, joined, sentence, word
from backoffice.validation import name_problem

PERMISSION = 'settings.manage'
# a mailbox's fields as its form names them, for the audit log's word on a change (read in each reader's language)
FIELD_WORDS = {
    'name': N_('Name'),
    'host': N_('IMAP server'),
    'security': N_('Security'),
    'port': N_('Port'),
    'username': N_('User'),
    'secret': N_('Password'),
    'folder': N_('Folder'),
    'default_type': N_('Type of the requests it opens'),
    'default_assignee_id': N_('Assign its requests to'),
    'is_active': N_('Active'),
}
DEFAULT_PORTS = {MailboxSecurity.tls: 993, MailboxSecurity.starttls: 143}
# an API body's port: out of range it is refused at the field before the service, and the OpenAPI says the bounds
Port = Annotated[int, Ge(1), Le(65535)]


class MailboxIn(BaseModel):
    name: str
    host: str
    port: Port | None = None
    security: MailboxSecurity = MailboxSecurity.tls
    username: str
    password: str
    folder: str = 'INBOX'
    default_type: TicketType = TicketType.question
    default_assignee_id: int | None = None
    is_active: bool = True


class MailboxChange(BaseModel):
    name: str | None = None
    host: str | None = None
    port: Port | None = None
    security: MailboxSecurity | None = None
    username: str | None = None
    password: str | None = None  # empty: keep the stored one
    folder: str | None = None
    default_type: TicketType | None = None
    default_assignee_id: int | None = None
    is_active: bool | None = None


def create_mailbox(*, session: Session, actor: User, data: dict[str, Any]) -> Mailbox:
    require(actor, PERMISSION)
    values = _valid(session, data, partial=False)
    mailbox = Mailbox(**values)
    session.add(mailbox)
    session.flush()
    audit.record(
        session,
        actor,
        'mailbox.created',
        'mailbox',
        mailbox.id,
        version=mailbox.version,
        changes=audit.diff({}, audit.snapshot(mailbox)),
        summary=sentence(
            N_('Mailbox {name}: {user} on {host}'), name=repr(mailbox.name), user=mailbox.username, host=mailbox.host
        ),
    )
    commit(session, (Topic.mailboxes, {'id': mailbox.id, 'action': 'created'}))
    return mailbox


def update_mailbox(
    *, session: Session, actor: User, mailbox_id: int, version: int | None, changes: dict[str, Any]
) -> Mailbox:
    require(actor, PERMISSION)
    values = _valid(session, changes, partial=True)
    mailbox = _locked(session, mailbox_id, version)
    before = audit.snapshot(mailbox)
    new_password = 'secret' in values and values['secret'] != mailbox.secret
    if {'host', 'username', 'folder'} & values.keys() and any(
        values[k] != getattr(mailbox, k) for k in ('host', 'username', 'folder') if k in values
    ):
        values.update(uid_validity=None, last_uid=0)  # another mailbox: start at its beginning (keys stop repeats)
    for name, value in values.items():
        setattr(mailbox, name, value)
    diff = audit.diff(before, audit.snapshot(mailbox))
    if not diff and not new_password:
        session.commit()
        return mailbox
    stamp(mailbox)
    session.add(mailbox)
    audit.record(
        session,
        actor,
        'mailbox.updated',
        'mailbox',
        mailbox.id,
        version=mailbox.version,
        changes=diff,
        summary=sentence(
            N_('Changed mailbox {name}: {fields}'),
            name=mailbox.name,
            fields=joined(
                [word(FIELD_WORDS[name], lower=True) for name in sorted(diff) if name in FIELD_WORDS]
                or [word(FIELD_WORDS['secret'], lower=True)]
            ),
        ),
    )
    commit(session, (Topic.mailboxes, {'id': mailbox.id, 'action': 'updated'}))
    return mailbox


def test_connection(*, session: Session, actor: User, mailbox_id: int) -> str:
    """Sign in to the mailbox and open its folder; the outcome in words. No transaction is open while the mail server
    answers (on SQLite it would hold the write lock: everyone else's saves would wait for the sign-in)."""
    require(actor, PERMISSION)
    mailbox = session.get(Mailbox, mailbox_id)
    if mailbox is None or mailbox.deleted_at is not None:
        raise NotFound(_('This mailbox no longer exists.'))
    folder = mailbox.folder
    try:
        signing_in = account(mailbox)
    except secret_box.SecretUnreadable:
        raise ValidationFailed({'': _(secret_box.UNREADABLE)}) from None
    session.commit()  # nothing written: the reading transaction ends before the network
    try:
        client = imap_client.connect(signing_in)
    except imap_client.MailboxUnreachable as error:
        reason = error.said.shown() if isinstance(error.said, Sentence) else error.said
        raise ValidationFailed({'': _('Could not sign in: {reason}').format(reason=reason)}) from None
    try:
        status, data = client.select(quote_folder(folder), readonly=True)
    finally:
        imap_client.close(client)
    if status != 'OK':
        raise ValidationFailed({'': _('Signed in, but the folder {folder} cannot be opened').format(folder=folder)})
    count = int(data[0] or 0) if data and data[0] and data[0].isdigit() else 0
    return ngettext('Signed in; {folder} holds {n} message', 'Signed in; {folder} holds {n} messages', count).format(
        folder=folder, n=count
    )


def account(mailbox: Mailbox) -> imap_client.Account:
    return imap_client.Account(
        host=mailbox.host,
        port=mailbox.port,
        security=MailboxSecurity(mailbox.security).value,
        username=mailbox.username,
        password=secret_box.decrypt(mailbox.secret),
    )


def quote_folder(folder: str) -> str:
    """A folder name as a person types it ('Réclamations', 'Returns & refunds'), as an IMAP quoted string of its
    modified UTF-7 form (RFC 3501 5.1.3: how servers name folders; imaplib sends ASCII only), spaces, quotes and
    backslashes escaped."""
    held = modified_utf7(folder)
    return '"' + held.replace('\\', '\\\\').replace('"', '\\"') + '"'


def modified_utf7(name: str) -> str:
    """IMAP's modified UTF-7: printable ASCII as itself ('&' as '&-'), any other run of characters as '&', its UTF-16
    in base64 with ',' for '/' and no padding, then '-'."""
    parts: list[str] = []
    other: list[str] = []

    def encode_other() -> None:
        if other:
            encoded = base64.b64encode(''.join(other).encode('utf-16-be')).decode('ascii')
            parts.append('&' + encoded.rstrip('=').replace('/', ',') + '-')
            other.clear()

    for character in name:
        if ' ' <= character <= '~':
            encode_other()
            parts.append('&-' if character == '&' else character)
        else:
            other.append(character)
    encode_other()
    return ''.join(parts)


def mark_checked(*, session: Session, mailbox_id: int, error: str | Sentence | None) -> None:
    """The poll's outcome on the mailbox (no version bump: not a person's edit). `error`: the app's words as a
    `Sentence` (each reader reads it in their language), or the server's own words."""
    mailbox = session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return
    text, key, params = stored_text.stored(error or '')
    mailbox.last_checked_at = utcnow()
    mailbox.last_error, mailbox.last_error_key, mailbox.last_error_params = text[:500] or None, key, params
    session.add(mailbox)
    commit(session, (Topic.mailboxes, {'id': mailbox.id, 'action': 'checked'}))


# --- helpers ---------------------------------------------------------------------------------------------------------


def _locked(session: Session, mailbox_id: int, version: int | None) -> Mailbox:
    mailbox = get_for_update(session, Mailbox, mailbox_id, version, entity='mailbox', label=N_('mailbox'))
    if mailbox.deleted_at is not None:
        raise NotFound(_('This mailbox is in the trash: restore it first.'))
    return mailbox


def _valid(session: Session, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def given(name: str) -> bool:
        return not partial or name in data

    if given('name'):
        raw = str(data.get('name') or '')
        name = ' '.join(raw.split())
        if not name:
            errors['name'] = _('Give the mailbox a name, like Support or Returns')
        elif problem := name_problem(raw, maximum=80):
            errors['name'] = problem
        values['name'] = name
    if given('host'):
        host = str(data.get('host') or '').strip().lower().rstrip('.')
        errors_host = imap_client.host_problem(host)
        if errors_host:
            errors['host'] = errors_host
        values['host'] = host
    if given('security') and data.get('security') is not None:
        try:
            values['security'] = MailboxSecurity(data['security'])
        except ValueError:
            errors['security'] = _('Choose implicit TLS or STARTTLS')
    if given('port') or 'security' in values:
        port = data.get('port')
        if port in (None, ''):
            port = DEFAULT_PORTS[values.get('security', MailboxSecurity.tls)] if not partial or 'port' in data else None
        if port is not None:
            try:
                number = int(port)
            except (TypeError, ValueError):
                number = 0
            if not 1 <= number <= 65535:
                errors['port'] = _('A port is a number from 1 to 65535 (993 for TLS, 143 for STARTTLS)')
            values['port'] = number
    if given('username'):
        username = str(data.get('username') or '').strip()
        if not username:
            errors['username'] = _('Enter the user name the mail server expects (often the address)')
        elif len(username) > 254 or any(c in username for c in '\r\n\x00'):
            errors['username'] = _('At most 254 characters, on one line')
        values['username'] = username
    password = data.get('password')
    if not partial or password not in (None, ''):
        password = str(password or '')
        if not password:
            errors['password'] = _('Enter the password (stored encrypted, never shown again)')
        elif len(password) > 200 or any(c in password for c in '\r\n\x00'):
            errors['password'] = _('At most 200 characters, on one line')
        else:
            values['secret'] = secret_box.encrypt(password)
    if given('folder'):
        folder = str(data.get('folder') or 'INBOX').strip()
        if len(folder) > 200 or any(c in folder for c in '\r\n\x00'):
            errors['folder'] = _('At most 200 characters, on one line')
        values['folder'] = folder
    if given('default_type') and data.get('default_type') is not None:
        try:
            values['default_type'] = TicketType(data['default_type'])
        except ValueError:
            errors['default_type'] = _('Choose a request type')
    if 'default_assignee_id' in data:
        assignee_id = data.get('default_assignee_id')
        if assignee_id not in (None, ''):
            assignee = session.get(User, int(assignee_id)) if str(assignee_id).isdecimal() else None
            if assignee is None or not assignee.is_active or assignee.role == Role.viewer:
                errors['default_assignee_id'] = _('Choose an active member of staff who answers requests')
            values['default_assignee_id'] = int(assignee_id) if assignee is not None else None
        else:
            values['default_assignee_id'] = None
    if 'is_active' in data and data['is_active'] is not None:
        values['is_active'] = bool(data['is_active'])
    if errors:
        raise ValidationFailed(errors)
    return values
