"""Passwords and sign-in: argon2id hashing, a sign-in that answers alike for unknown emails, throttling, sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from backoffice import events
from backoffice.db import session_scope
from backoffice.events import Topic
from backoffice.models import LoginThrottle, User, utcnow
from backoffice.services import audit

ACCOUNT_LIMIT = 5          # failures for one email before it is locked
ADDRESS_LIMIT = 20         # failures from one address before it is locked
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=1)  # a counter with no failure for this long starts again from zero

WRONG_CREDENTIALS = 'Email or password is incorrect.'

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash: str | None = None


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing profile (the test configuration uses a cheap one)."""
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = hasher, None


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

    @property
    def ok(self) -> bool:
        return self.user is not None


def sign_in(*, email: str, password: str, address: str | None) -> SignIn:
    """Check credentials with throttling. Blocking (argon2): pages call it through `run.io_bound`."""
    email = (email or '').strip().lower()
    keys = [f'account:{email}'] + ([f'address:{address}'] if address else [])
    wait = max(_seconds_locked(key) for key in keys)
    if wait:
        return SignIn(None, f'Too many failed sign-ins. Try again in {_duration(wait)}.', wait)

    with session_scope() as session:
        user = session.exec(select(User).where(func.lower(User.email) == email)).first() if email else None
        if user is None:
            _burn_time_like_a_verify(password)
        elif verify_password(user.password_hash, password):
            if not user.is_active:
                return SignIn(None, 'This account is deactivated. Ask an administrator to reactivate it.')
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            audit.record(session, user, 'auth.signed_in', 'user', user.id, summary=f'{user.email} signed in'
                         + (f' from {address}' if address else ''))
            session.commit()
            _forget(keys[0])
            return SignIn(user)

    for key in keys:
        _count_failure(key)
    wait = max(_seconds_locked(key) for key in keys)
    if wait:
        return SignIn(None, f'{WRONG_CREDENTIALS} Too many failed sign-ins: try again in {_duration(wait)}.', wait)
    return SignIn(None, WRONG_CREDENTIALS)


def lock_duration(failures: int, limit: int) -> timedelta:
    """Locked from the limit on, twice as long for every further failure, up to an hour."""
    if failures < limit:
        return timedelta(0)
    # Bounding the exponent keeps timedelta from overflowing when a burst of parallel failures runs the count up.
    return min(FIRST_LOCK * 2 ** min(failures - limit, 32), LONGEST_LOCK)


def _limit_of(key: str) -> int:
    return ACCOUNT_LIMIT if key.startswith('account:') else ADDRESS_LIMIT


def _seconds_locked(key: str) -> int:
    with session_scope() as session:
        row = session.get(LoginThrottle, key)
        if row is None or row.locked_until is None:
            return 0
        remaining = (row.locked_until - utcnow()).total_seconds()
        return max(0, int(remaining + 0.999))


def _count_failure(key: str) -> None:
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


def _forget(key: str) -> None:
    with session_scope() as session:
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
            session.commit()


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f'{seconds} seconds'
    return f'{(seconds + 59) // 60} minutes'


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
        end_all_sessions(session=session, user=user, reason='logged out')


def end_all_sessions(*, session: Session, user: User, reason: str) -> None:
    """Every browser signed in as this user is signed out, on its next request or at once if it is open."""
    user.session_epoch += 1
    session.add(user)
    audit.record(session, user, 'auth.signed_out', 'user', user.id, summary=f'{user.email}: {reason}')
    events.after_commit(session, Topic.sessions, {'user_id': user.id, 'epoch': user.session_epoch})
    session.commit()
