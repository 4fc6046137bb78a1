"""Secrets shown as a hint, never whole: a chat webhook's address keeps its host and a few characters (its secret is
in the path: Slack, Teams, Discord, Mattermost, Zapier), a key its prefix and last four; free text (an error, an audit
entry) has every such address, every user:password@ and every ?token=… masked."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

MASK = '••••••'
ELLIPSIS = '…'
# path words that name a kind of address, not a secret: kept before the first segment that is not one of them
_WORDS = frozenset(
    {'api', 'catch', 'hook', 'hooks', 'services', 'triggers', 'v1', 'v2', 'v3', 'webhook', 'webhookb2', 'webhooks'}
)
_HINTED = 16  # below this many hidden characters nothing of them is shown (a few characters would be most of it)
_HINT = re.compile(r'^(?:[^/…]?…/…[^/…]{0,3}|…[^/…]{0,3})$')
_URL = re.compile(r'\b[a-z][a-z0-9+.-]*://[^\s\'"<>]+', re.IGNORECASE)
_CREDENTIALS = re.compile(r'(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/?#\s@]+)@', re.IGNORECASE)
_SECRET_PARAMETER = re.compile(
    r'(?P<name>[?&;][^=&#\s]*(?:token|secret|key|pass|pwd|sig|auth|credential|session|code)[^=&#\s]*=)'
    r'(?P<value>[^&#\s]+)',
    re.IGNORECASE,
)


def address(url: str) -> str:
    """'https://hooks.slack.com/services/T…/…xyz': the scheme, the host (and port), the path's leading kind words, then
    the first character of what follows and its last three, '?…' for any query. Never the user:password@."""
    text = (url or '').strip()
    if not text:
        return ''
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        return MASK
    if not host or not parts.scheme:
        return MASK
    origin = f'{parts.scheme}://{ELLIPSIS + "@" if "@" in parts.netloc else ""}{host}{f":{port}" if port else ""}'
    segments = [segment for segment in parts.path.split('/') if segment]
    kept = 0
    while kept < len(segments) and segments[kept].lower() in _WORDS:
        kept += 1
    path = ''.join(f'/{segment}' for segment in segments[:kept])
    hidden = '/'.join(segments[kept:])
    if hidden:
        if _HINT.match(hidden):  # already a hint (an audit entry's value masked again): kept as it is
            path += f'/{hidden}'
        elif len(hidden) < _HINTED:
            path += f'/{ELLIPSIS}'
        elif '/' in hidden:
            path += f'/{hidden[0]}{ELLIPSIS}/{ELLIPSIS}{hidden[-3:]}'
        else:
            path += f'/{ELLIPSIS}{hidden[-3:]}'
    return f'{origin}{path}{"?" + ELLIPSIS if parts.query else ""}'


def credentials_masked(url: str) -> str:
    """An address as typed but for its secrets: a user:password@ (or a token@) and a ?token=… value as the mask
    ('https://••••••@hooks.example.com/in?key=••••••'); the host and the path stay, to say where it goes."""
    text = _CREDENTIALS.sub(lambda found: f'{found["scheme"]}{MASK}@', url or '')
    return _SECRET_PARAMETER.sub(lambda found: f'{found["name"]}{MASK}', text)


def credentials_kept(typed: str, stored: str) -> str | None:
    """An address typed back from its masked form (`credentials_masked`), each mask replaced by the secret it stands
    for in the stored address; None when a mask stands for nothing there, or when the address now goes to another
    scheme, host or port (the secrets are then typed again, never sent somewhere new unseen)."""
    if MASK not in typed:
        return typed
    try:
        before, after = urlsplit(stored), urlsplit(typed)
        if (before.scheme.lower(), before.hostname, before.port) != (after.scheme.lower(), after.hostname, after.port):
            return None
    except ValueError:
        return None
    userinfo = _CREDENTIALS.search(stored)
    parameters = {found['name'][1:].lower(): found['value'] for found in _SECRET_PARAMETER.finditer(stored)}
    missing = False

    def user(found: re.Match[str]) -> str:
        nonlocal missing
        if found['userinfo'] != MASK:
            return found[0]
        if userinfo is None:
            missing = True
            return found[0]
        return f'{found["scheme"]}{userinfo["userinfo"]}@'

    def parameter(found: re.Match[str]) -> str:
        nonlocal missing
        if found['value'] != MASK:
            return found[0]
        value = parameters.get(found['name'][1:].lower())
        if value is None:
            missing = True
            return found[0]
        return f'{found["name"]}{value}'

    kept = _SECRET_PARAMETER.sub(parameter, _CREDENTIALS.sub(user, typed))
    return None if missing or MASK in kept else kept


def key(value: str) -> str:
    """'sk_live_…a1b2': a key's prefix (up to its last '_' in the first 8 characters) and its last four; a short
    one is only the mask."""
    text = (value or '').strip()
    if not text:
        return ''
    if len(text) < _HINTED:
        return MASK
    prefix = text[: text.rfind('_', 0, 8) + 1] if '_' in text[:8] else ''
    return f'{prefix}{ELLIPSIS}{text[-4:]}'


def is_hook(url: str) -> bool:
    """An address that carries its secret in its path: a hook by its host or its path (hooks.slack.com,
    …/api/webhooks/…, …/webhookb2/…, hooks.zapier.com)."""
    try:
        parts = urlsplit(url)
        return 'hook' in (parts.hostname or '') or 'hook' in parts.path.lower()
    except ValueError:
        return True


def scrub(text: str) -> str:
    """Free text with its secrets masked: a hook's address as its hint, user:password@ and ?token=… elsewhere."""
    if '://' not in text and '=' not in text:
        return text
    text = _URL.sub(_hinted, text)
    text = _CREDENTIALS.sub(lambda found: f'{found["scheme"]}{MASK}@', text)
    return _SECRET_PARAMETER.sub(lambda found: f'{found["name"]}{MASK}', text)


def _hinted(found: re.Match[str]) -> str:
    """A hook's address found in text as its hint, the punctuation that closed the sentence kept after it."""
    url = found[0].rstrip(').,;:!?]')
    return (address(url) if is_hook(url) else url) + found[0][len(url) :]


class ScrubbedLog(logging.Filter):
    """A logger's records with their secrets masked, message and traceback alike: the scheduler logs a failed job's
    exception, whose text may quote an address with its secret (a chat hook's, a password in a URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record.msg, record.args = scrub(record.getMessage()), ()
        return True


def scrub_logs_of(name: str) -> None:
    """Mask the secrets in what this logger writes (once, however often it is asked)."""
    logger = logging.getLogger(name)
    if not any(isinstance(existing, ScrubbedLog) for existing in logger.filters):
        logger.addFilter(ScrubbedLog())
