"""Known browsers: a long-lived signed token, set as a cookie after a sign-in, that lets the right password through
even while sign-in is locked for that account and address (so nobody can lock a colleague, or the admin, out)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from backoffice.config import get_settings

COOKIE = 'backoffice_known_browser'
LIFETIME_DAYS = 90  # a browser not signed in for this long is a stranger again
FRESH_SECONDS = 120  # a token just minted may be turned into the cookie for this long
MAX_ACCOUNTS = 5  # one shared computer remembers at most this many accounts
_VERSION = 'kb1'


def mint(user_id: int, *, now: float | None = None) -> str:
    """A new token for this user in this browser: version, user, issue time, a random id, and their signature."""
    body = f'{_VERSION}.{int(user_id)}.{int(now if now is not None else time.time())}.{secrets.token_urlsafe(12)}'
    return f'{body}.{_signature(body)}'


def read(token: str | None, *, max_age: float = LIFETIME_DAYS * 86400, now: float | None = None) -> tuple[int, str]:
    """(user id, token id) of a genuine token younger than `max_age` seconds, or (0, '') for anything else."""
    try:
        version, user_id, issued, token_id, signature = (token or '').split('.')
        age = (now if now is not None else time.time()) - int(issued)
        if version != _VERSION or not 0 <= age <= max_age:
            return 0, ''
        if not hmac.compare_digest(signature, _signature(f'{version}.{user_id}.{issued}.{token_id}')):
            return 0, ''
        return int(user_id), token_id
    except ValueError:
        return 0, ''


def token_for(cookie: str | None, user_id: int) -> str:
    """The token this browser's cookie holds for one account ('' if none)."""
    return next((token for token in _tokens(cookie) if read(token)[0] == user_id), '')


def add_to_cookie(cookie: str | None, token: str) -> str:
    """The cookie value with this token in place of the same account's older one (the newest few accounts kept)."""
    user_id = read(token)[0]
    kept = [old for old in _tokens(cookie) if read(old)[0] not in (0, user_id)]
    return ' '.join([token] + kept[: MAX_ACCOUNTS - 1])


def _tokens(cookie: str | None) -> list[str]:
    return (cookie or '').replace('"', '').split()[:MAX_ACCOUNTS]


def _signature(body: str) -> str:
    key = hashlib.sha256(b'backoffice known browser\0' + get_settings().resolved_storage_secret().encode()).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
