"""Outbound HTTP to addresses staff configure (webhooks, segment push): public addresses only, checked after DNS and
again on every redirect, connecting to the very IP that was checked, with errors that never tell an open port from a
closed one. `BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS=1` lifts the address rule for development (and the tests)."""

from __future__ import annotations

import base64
import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from backoffice.config import get_settings
from backoffice.i18n import N_, _

NOT_ALLOWED = N_('address not allowed')
COULD_NOT_CONNECT = N_('could not connect')
TOO_MANY_REDIRECTS = N_('too many redirects')
REASONS = (NOT_ALLOWED, COULD_NOT_CONNECT, TOO_MANY_REDIRECTS)  # the app's own words: stored as their msgid
REDIRECTS = {301, 302, 303, 307, 308}
LOCAL_NAMES = {'localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'}
_READ_LIMIT = 64 * 1024  # what is read of an answer before the connection is closed (only the status matters)


@dataclass(frozen=True)
class Answer:
    status: int | None  # the receiver's HTTP status; None when there was none
    error: str | None  # a short, generic reason when it was not a 2xx

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def private_allowed() -> bool:
    return bool(get_settings().allow_private_webhooks)


def address_problem(url: str, *, allow_private: bool | None = None) -> str | None:
    """What is wrong with an address before any DNS: the scheme, and a host that is a private IP or this machine's
    name. None: it may be tried (the resolved addresses are checked again at every send). `allow_private` defaults to
    the development allowance."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return _('Enter a full address, like https://shop.example.com/hooks/backoffice')
    if not host or parts.scheme not in ('https', 'http') or not _is_host(host):
        return _('Enter a full address, like https://shop.example.com/hooks/backoffice')
    allowed = private_allowed() if allow_private is None else allow_private
    local = _is_local(host)
    if parts.scheme != 'https' and not (allowed and local):
        return _('Use https:// (plain http only in development)')  # customers' data never crosses a network in clear
    if local and not allowed:
        return _('This address is not allowed: use a public https:// address')
    return None


_LABEL = re.compile(r'(?!-)[a-z0-9_-]{1,63}(?<!-)')


def _is_host(host: str) -> bool:
    """An IP address, or a name DNS can hold: dot-separated labels of letters, digits, hyphens (not at either end) and
    underscores, an international name once encoded (IDNA). A space, a quote or `<` in the host is a typo no resolver
    takes: saved, it failed at every send for 15 hours before the delivery was given up."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.rstrip('.').encode('idna').decode('ascii').lower()
    except UnicodeError:
        return False
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split('.'))


def _is_local(host: str) -> bool | None:
    """True: this machine's name or a non-public IP; False: a public IP; None: a name only DNS can tell."""
    name = host.lower().rstrip('.')
    if name in LOCAL_NAMES or name.endswith('.localhost'):
        return True
    try:
        return not is_public(ipaddress.ip_address(name))
    except ValueError:
        pass
    if NUMERIC_HOST.match(name):  # 2130706433, 0x7f.1, 127.1, 017700000001: what the OS's resolver reads as an IPv4
        try:
            return not is_public(ipaddress.IPv4Address(socket.inet_aton(name)))
        except OSError:
            return True  # digits no resolver reads as an address: refused rather than guessed
    return None


# an IPv4 address in one of the inet_aton forms (1 to 4 parts, each decimal, octal or hex), not the dotted quad alone
NUMERIC_HOST = re.compile(r'^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$')


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Routable on the internet: not loopback, private, link-local (cloud metadata), shared, reserved or multicast."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, max_redirects: int = 0) -> Answer:
    """POST `body` to `url`. A redirect is followed only up to `max_redirects` times, each new address checked like
    the first (307/308 repeat the POST; 301/302/303 turn into a GET without the body, as browsers do); with
    `max_redirects=0` a 3xx is the answer. The development allowance covers the address given and redirects on that
    same host and port, never a redirect elsewhere: that one must be public."""
    method, payload, current = 'POST', body, url
    allowed = private_allowed()
    for hop in range(max_redirects + 1):
        answer, location = _send(
            method, current, payload, headers, timeout, allowed and _origin(current) == _origin(url)
        )
        if answer.status not in REDIRECTS or location is None or max_redirects == 0:
            return answer
        if hop == max_redirects:
            break
        current = urljoin(current, location)
        if answer.status in (301, 302, 303):
            method, payload = 'GET', None
            headers = {k: v for k, v in headers.items() if k.lower() not in ('content-type', 'content-length')}
    return Answer(answer.status, TOO_MANY_REDIRECTS)


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        return parts.scheme, (parts.hostname or '').lower(), parts.port
    except ValueError:
        return '', '', None


def _send(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float, allow_private: bool
) -> tuple[Answer, str | None]:
    """One request; (the answer, its Location header when it has one)."""
    if address_problem(url, allow_private=allow_private):
        return Answer(None, NOT_ALLOWED), None
    parts = urlsplit(url)
    host, https = parts.hostname or '', parts.scheme == 'https'
    port = parts.port or (443 if https else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return Answer(None, COULD_NOT_CONNECT), None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private and not all(is_public(ipaddress.ip_address(a.split('%')[0])) for a in addresses):
        return Answer(None, NOT_ALLOWED), None  # every address a name resolves to must be public, not just one
    path = (parts.path or '/') + (f'?{parts.query}' if parts.query else '')
    if parts.username is not None and not any(name.lower() == 'authorization' for name in headers):
        headers = {**headers, 'Authorization': basic_auth(parts.username, parts.password or '')}
    for address in addresses:
        connection = (_PinnedHTTPS if https else _Pinned)(host, port, address, timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(_READ_LIMIT)
            status, reason = response.status, response.reason
            location = response.getheader('Location')
        except (OSError, http.client.HTTPException, ValueError):
            continue
        finally:
            connection.close()
        return Answer(status, None if 200 <= status < 300 else f'HTTP {status} {reason}'[:200]), location
    return Answer(None, COULD_NOT_CONNECT), None


def basic_auth(user: str, password: str) -> str:
    """The Authorization header of an address's user:password@ (http.client sends none of it by itself: the receiver
    answered 401 to every delivery of an address holding its credentials)."""
    pair = f'{unquote(user)}:{unquote(password)}'.encode()
    return f'Basic {base64.b64encode(pair).decode("ascii")}'


class _Pinned(http.client.HTTPConnection):
    """Plain HTTP to the checked address, with the name in the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is verified against the name, not the address."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
