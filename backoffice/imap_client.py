"""IMAP connections to the support mailboxes staff configure: implicit TLS or STARTTLS only (the password never
crosses a network in clear), the certificate checked against the host name, and the same address rule as outbound
HTTP (outbound.py): public addresses only, checked after DNS and connecting to the very IP that was checked, unless
BACKOFFICE_ALLOW_PRIVATE_MAILBOXES lets the company's own mail server on a private network be reached."""

from __future__ import annotations

import imaplib
import ipaddress
import socket
import ssl
from dataclasses import dataclass

from backoffice.config import get_settings
from backoffice.i18n import N_, _
from backoffice.outbound import LOCAL_NAMES, is_public
from backoffice.stored_text import Sentence, sentence

TIMEOUT_SECONDS = 20


class MailboxUnreachable(Exception):
    """Connecting, securing or signing in failed; the message is short and says nothing of the network behind.
    `said`: the app's words as a `Sentence` (stored as its msgid: each reader reads it in their language), or the
    system's own words; str(error) is the English."""

    def __init__(self, said: str | Sentence) -> None:
        super().__init__(said.english if isinstance(said, Sentence) else said)
        self.said = said


NOT_ALLOWED = N_('address not allowed')
NO_CONNECTION = N_('could not connect')


@dataclass(frozen=True)
class Account:
    host: str
    port: int
    security: str  # 'tls' | 'starttls'
    username: str
    password: str


def private_allowed() -> bool:
    return bool(get_settings().allow_private_mailboxes)


def host_problem(host: str) -> str | None:
    """What is wrong with a mailbox's host before any DNS (None: it may be tried; its addresses are checked again at
    every connection)."""
    name = host.strip().lower().rstrip('.')
    if not name or any(c in name for c in '/:@ \t') or len(name) > 253:
        return _('Enter the server name, like imap.example.com')
    if private_allowed():
        return None
    if name in LOCAL_NAMES or name.endswith('.localhost'):
        return _('This server is not allowed: use a public address (or allow private mailboxes in the configuration)')
    try:
        public = is_public(ipaddress.ip_address(name))
    except ValueError:
        return None
    if not public:
        return _('This server is not allowed: use a public address (or allow private mailboxes in the configuration)')
    return None


def connect(account: Account) -> imaplib.IMAP4:
    """A signed-in IMAP connection over TLS; MailboxUnreachable on any failure."""
    if host_problem(account.host):
        raise MailboxUnreachable(sentence(NOT_ALLOWED))
    address = _checked_address(account.host, account.port)
    context = tls_context()
    try:
        if account.security == 'tls':
            client: imaplib.IMAP4 = _PinnedIMAP4SSL(account.host, account.port, address, context)
        else:
            client = _PinnedIMAP4(account.host, account.port, address)
            if 'STARTTLS' not in client.capabilities:
                client.shutdown()
                raise MailboxUnreachable(sentence(N_('the server does not offer STARTTLS')))
            client.starttls(context)
    except ssl.SSLCertVerificationError as error:
        raise MailboxUnreachable(
            sentence(N_('certificate not trusted: {detail}'), detail=str(error.verify_message))
        ) from None
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        raise MailboxUnreachable(_short(error) or sentence(NO_CONNECTION)) from None
    try:
        _sign_in(client, account)
    except (OSError, imaplib.IMAP4.error) as error:
        _close(client)
        raise MailboxUnreachable(sentence(N_('sign-in refused: {detail}'), detail=_short(error))) from None
    return client


def _sign_in(client: imaplib.IMAP4, account: Account) -> None:
    """LOGIN; a user name or password with characters beyond ASCII (which LOGIN cannot send: imaplib raised
    UnicodeEncodeError and the poll stopped) goes as AUTHENTICATE PLAIN, in UTF-8 (RFC 4616)."""
    try:
        client.login(account.username, account.password)
    except UnicodeEncodeError:
        plain = b'\0' + account.username.encode() + b'\0' + account.password.encode()
        client.authenticate('PLAIN', lambda _challenge: plain)


def tls_context() -> ssl.SSLContext:
    """The system's trusted authorities, plus BACKOFFICE_MAILBOX_CA_FILE when set; TLS 1.2 at least."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    extra = get_settings().mailbox_ca_file
    if extra:
        context.load_verify_locations(cafile=str(extra))
    return context


def close(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        _close(client)


def _close(client: imaplib.IMAP4) -> None:
    try:
        client.shutdown()
    except OSError:
        pass


def _checked_address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise MailboxUnreachable(sentence(NO_CONNECTION)) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise MailboxUnreachable(sentence(NO_CONNECTION))
    if not private_allowed() and not all(is_public(ipaddress.ip_address(a.split('%')[0])) for a in addresses):
        raise MailboxUnreachable(sentence(NOT_ALLOWED))  # every address the name has must be public
    return addresses[0]


def _short(error: BaseException) -> str:
    text = str(error.args[0] if error.args else error)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text[:200]


class _PinnedIMAP4(imaplib.IMAP4):
    """IMAP to the checked address; STARTTLS then verifies the certificate against the host name."""

    def __init__(self, host: str, port: int, address: str) -> None:
        self._address = address
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self._address, self.port), timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    """IMAPS to the checked address, the certificate verified against the host name."""

    def __init__(self, host: str, port: int, address: str, context: ssl.SSLContext) -> None:
        self._address = address
        super().__init__(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
