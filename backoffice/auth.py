"""Passwords and sign-in: argon2id hashing, a sign-in that answers alike for unknown emails, throttling, sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backoffice import events, known_browser
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import LoginThrottle, User, utcnow
from backoffice.services import audit, staff_sessions
from backoffice.stored_text import sentence, word

PAIR_LIMIT = 5  # failures for one email from one address before that pair is locked
ADDRESS_LIMIT = 20  # failures from one address, whatever the emails, before the address is locked
BROWSER_LIMIT = 5  # failures from one known browser before it, too, has to wait
PASSWORD_CHECK_LIMIT = 5  # wrong current passwords in the "Change password" dialog before it waits
TOTP_LIMIT = 5  # wrong two-factor codes for one account before its second step waits
RESET_EMAIL_LIMIT = 3  # password-reset links asked for one email before further asks are dropped (silently)
RESET_ADDRESS_LIMIT = 10  # password-reset links asked from one address before it has to wait
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=1)  # a counter with no failure for this long starts again from zero

WRONG_CREDENTIALS = N_('Email or password is incorrect.')

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash: str | None = None


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing profile (the test configuration uses a cheap one)."""
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = hasher, None


# Recovery codes are random (50 bits), not chosen by people: argon2id with a light profile is enough, and checking a
# typed code against ten of them stays quick (the password profile would take seconds)
_code_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def hash_code(code: str) -> str:
    return _code_hasher.hash(code)


def verify_code(code_hash: str, code: str) -> bool:
    try:
        return _code_hasher.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def generate_password() -> str:
    """16 URL-safe characters (96 random bits), starting with a letter or digit so it pastes cleanly anywhere."""
    while not (password := secrets.token_urlsafe(12))[0].isalnum():
        continue
    return password


def _burn_time_like_a_verify(password: str) -> None:
    # An unknown email costs the same argon2 verify as a known one, so timing does not tell which emails exist.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


@dataclass(frozen=True)
class SignIn:
    user: User | None
    message: str = ''
    retry_after_seconds: int = 0
    known_browser_token: str = ''  # after a sign-in: remember this browser with it (a cookie)
    new_browser: bool = False  # an account that signed in before, from a browser it never used: tell its owner

    @property
    def ok(self) -> bool:
        return self.user is not None


def sign_in(*, email: str, password: str, address: str | None, known_browser_cookie: str | None = None) -> SignIn:
    """Check credentials with throttling. Blocking (argon2): pages call it through `run.io_bound`.

    Failures lock the (email, address) pair and, in greater number, the address; never the account as a whole, so a
    stranger cannot lock someone out from elsewhere. A browser this account signed in from before (its cookie) is
    held only to its own count: the right password gets through there even while its address is locked."""
    email = (email or '').strip().lower()
    with read_session() as session:
        user_id = session.exec(select(User.id).where(func.lower(User.email) == email)).first() if email else None
    remembered = known_browser.token_for(known_browser_cookie, user_id) if user_id else ''
    token_id = known_browser.read(remembered)[1]
    where = address or 'unknown'
    keys = [f'browser:{token_id}'] if token_id else [f'pair:{where} {email}'[:300], f'address:{where}']
    wait = max(seconds_locked(key) for key in keys)
    if wait:
        return SignIn(
            None, _('Too many failed sign-ins. Try again in {duration}.').format(duration=_duration(wait)), wait
        )

    with session_scope() as session:
        user = session.exec(select(User).where(func.lower(User.email) == email)).first() if email else None
        if user is None:
            _burn_time_like_a_verify(password)
        elif verify_password(user.password_hash, password):
            if not user.is_active:
                return SignIn(None, _('This account is deactivated. Ask an administrator to reactivate it.'))
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            new_browser = not token_id and user.last_login_at is not None
            user.last_login_at = utcnow()
            audit.record(
                session,
                user,
                'auth.signed_in',
                'user',
                user.id,
                summary=sentence(
                    _signed_in_text(
                        address=bool(address),
                        known=bool(token_id),
                        second_step=bool(user.totp_secret and user.totp_enabled_at),
                    ),
                    email=user.email,
                    address=address or '',
                ),
            )
            session.commit()
            forget_failures(keys[0])
            return SignIn(user, known_browser_token=known_browser.mint(user.id), new_browser=new_browser)

    counted = keys + ([f'pair:{where} {email}'[:300], f'address:{where}'] if token_id else [])
    for key in counted:
        count_failure(key)
    wait = max(seconds_locked(key) for key in keys)
    if wait:
        message = _('Email or password is incorrect. Too many failed sign-ins: try again in {duration}.')
        return SignIn(None, message.format(duration=_duration(wait)), wait)
    return SignIn(None, _(WRONG_CREDENTIALS))


def unlock_sign_in(email: str) -> int:
    """Clear the sign-in locks of this email and of the addresses it failed from (the command line's way back in).

    Returns how many locks were cleared."""
    email = (email or '').strip().lower()
    with session_scope() as session:
        pairs = [
            row
            for row in session.exec(select(LoginThrottle).where(col(LoginThrottle.key).like('pair:%'))).all()
            if row.key.split(' ', 1)[-1] == email
        ]
        addresses = {f'address:{row.key.removeprefix("pair:").split(" ", 1)[0]}' for row in pairs}
        rows = pairs + [row for key in addresses if (row := session.get(LoginThrottle, key)) is not None]
        for row in rows:
            session.delete(row)
        session.commit()
        return len(rows)


def too_many_wrong_passwords(key: str) -> str:
    """The sentence for a password check that must wait, or '' when it may go ahead."""
    wait = seconds_locked(key)
    return _('Too many wrong passwords. Try again in {duration}.').format(duration=_duration(wait)) if wait else ''


def too_many_codes(wait: int) -> str:
    """The sentence for a second step that must wait."""
    return _('Too many wrong codes. Try again in {duration}.').format(duration=_duration(wait))


def lock_duration(failures: int, limit: int) -> timedelta:
    """Locked from the limit on, twice as long for every further failure, up to an hour."""
    if failures < limit:
        return timedelta(0)
    # Bounding the exponent keeps timedelta from overflowing when a burst of parallel failures runs the count up.
    return min(FIRST_LOCK * 2 ** min(failures - limit, 32), LONGEST_LOCK)


_LIMITS = {
    'pair': PAIR_LIMIT,
    'address': ADDRESS_LIMIT,
    'browser': BROWSER_LIMIT,
    'password-check': PASSWORD_CHECK_LIMIT,
    'totp': TOTP_LIMIT,
    'reset-email': RESET_EMAIL_LIMIT,
    'reset-address': RESET_ADDRESS_LIMIT,
}


def _limit_of(key: str) -> int:
    return _LIMITS.get(key.split(':', 1)[0], PAIR_LIMIT)


def seconds_locked(key: str) -> int:
    """How long this throttle key must still wait (0: go ahead). A read: safe beside an open write transaction."""
    with read_session() as session:
        row = session.get(LoginThrottle, key)
        if row is None or row.locked_until is None:
            return 0
        remaining = (row.locked_until - utcnow()).total_seconds()
        return max(0, int(remaining + 0.999))


def count_failure(key: str) -> None:
    """One more failure for this key; locked once it reaches its limit, twice as long for each one after."""
    for _attempt in range(3):  # two first failures racing to insert the same key: the loser retries as an update
        try:
            with session_scope() as session:
                now = utcnow()
                row = session.get(LoginThrottle, key, with_for_update=session.bind.dialect.name != 'sqlite')
                if row is None:
                    row = LoginThrottle(key=key)
                elif row.last_failure_at and now - row.last_failure_at > FORGET_AFTER:
                    row.failures = 0
                row.failures += 1
                row.last_failure_at = now
                lock = lock_duration(row.failures, _limit_of(key))
                row.locked_until = now + lock if lock else None
                session.add(row)
                session.commit()
                return
        except IntegrityError:
            continue


def forget_failures(key: str) -> None:
    with session_scope() as session:
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
            session.commit()


def duration(seconds: int) -> str:
    """ "3 seconds", "2 minutes": how long a lock still holds."""
    return _duration(seconds)


def _duration(seconds: int) -> str:
    if seconds < 90:
        return ngettext('{n} second', '{n} seconds', seconds).format(n=seconds)
    minutes = (seconds + 59) // 60
    return ngettext('{n} minute', '{n} minutes', minutes).format(n=minutes)


# --- sessions -------------------------------------------------------------------------------------------------------


def session_user(session: Session, user_id: int | None, epoch: int | None) -> User | None:
    """The user a browser session belongs to, or None once it was ended (logout everywhere, deactivation)."""
    if not user_id:
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    return user


def is_idle(last_seen: datetime | None, idle_minutes: int, now: datetime | None = None) -> bool:
    return last_seen is None or (now or utcnow()) - last_seen > timedelta(minutes=idle_minutes)


def log_out(*, session: Session, user_id: int) -> None:
    """Logging out ends this user's session in every browser, not only the one that asked."""
    user = session.get(User, user_id)
    if user is not None:
        end_all_sessions(session=session, user=user, reason=N_('logged out'))


def _signed_in_text(*, address: bool, known: bool, second_step: bool) -> str:
    """The audit summary's msgid for a password accepted: where from, a known browser, a second step to come."""
    if second_step:
        return (
            N_('{email} signed in from {address}; two-factor code next')
            if address
            else N_('{email} signed in; two-factor code next')
        )
    if address:
        return (
            N_('{email} signed in from {address} (known browser)') if known else N_('{email} signed in from {address}')
        )
    return N_('{email} signed in (known browser)') if known else N_('{email} signed in')


def end_all_sessions(*, session: Session, user: User, reason: str) -> None:
    """Every browser signed in as this user is signed out, on its next request or at once if it is open."""
    user.session_epoch += 1
    session.add(user)
    ended = staff_sessions.end_rows(session, user_id=user.id or 0, reason=reason)
    said = sentence(N_('{email}: {reason}'), email=user.email, reason=word(reason))  # reason: a msgid marked N_
    audit.record(session, user, 'auth.signed_out', 'user', user.id, summary=said)
    events.after_commit(
        session, Topic.sessions, {'user_id': user.id, 'epoch': user.session_epoch, 'session_ids': ended}
    )
    session.commit()
