"""Signing in: what a member of staff sees when they get their password right, wrong, too often wrong, or are gone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from backoffice import auth
from backoffice.db import read_session, session_scope
from backoffice.models import AuditEntry, User, utcnow
from backoffice.services import users

from .support.factories import PASSWORD, make_user

WRONG = 'Not-the-password-7'


class Clock:
    """The time sign-in sees; tests move it forward instead of waiting."""

    def __init__(self) -> None:
        self.now = utcnow()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth, 'utcnow', lambda: clock.now)
    return clock


class CountingHasher(PasswordHasher):
    """The test profile, counting how often a password is checked (each check is one argon2 run)."""

    verifies = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifies += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, '_hasher', counting)
    monkeypatch.setattr(auth, '_dummy_hash', None)
    return counting


# --- signing in ------------------------------------------------------------------------------------------------------


def test_the_right_password_signs_in_and_is_recorded() -> None:
    agent = make_user('agent', email='sam@example.com')
    assert stored(agent).last_login_at is None

    result = auth.sign_in(email='  Sam@Example.com ', password=PASSWORD, address='203.0.113.7')

    assert result.ok and result.user.id == agent.id and result.message == ''
    assert stored(agent).last_login_at is not None
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'auth.signed_in')).one()
    assert entry.actor_id == agent.id
    assert entry.summary == 'sam@example.com signed in from 203.0.113.7'


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer() -> None:
    make_user('agent', email='sam@example.com')

    wrong_password = auth.sign_in(email='sam@example.com', password=WRONG, address=None)
    unknown_email = auth.sign_in(email='nobody@example.com', password=WRONG, address=None)

    assert not wrong_password.ok and not unknown_email.ok
    assert wrong_password.message == unknown_email.message == 'Email or password is incorrect.'
    assert stored_sign_ins() == 0


def test_an_unknown_email_costs_one_password_check_like_a_known_one(hasher: CountingHasher) -> None:
    make_user('agent', email='sam@example.com')

    auth.sign_in(email='nobody@example.com', password=WRONG, address=None)
    unknown = hasher.verifies
    auth.sign_in(email='sam@example.com', password=WRONG, address=None)
    known = hasher.verifies - unknown

    assert unknown == known == 1


def test_a_deactivated_user_is_refused_even_with_the_right_password() -> None:
    gone = make_user('agent', active=False)

    result = auth.sign_in(email=gone.email, password=PASSWORD, address=None)

    assert not result.ok
    assert 'deactivated' in result.message
    assert stored(gone).last_login_at is None
    assert stored_sign_ins() == 0


def test_a_password_hashed_with_older_parameters_is_rehashed_on_sign_in() -> None:
    agent = make_user('agent')
    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    with session_scope() as session:
        session.get(User, agent.id).password_hash = old_hash
        session.commit()

    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok

    new_hash = stored(agent).password_hash
    assert new_hash != old_hash
    assert auth.verify_password(new_hash, PASSWORD)
    assert not auth.needs_rehash(new_hash)
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok


# --- throttling ------------------------------------------------------------------------------------------------------


def test_five_failures_lock_that_email_from_that_address_even_for_the_right_password(clock: Clock) -> None:
    agent = make_user('agent')

    assert fail(agent.email, 4).message == 'Email or password is incorrect.'
    fifth = fail(agent.email, 1)
    assert 'Too many failed sign-ins' in fifth.message and fifth.retry_after_seconds == 30

    result = auth.sign_in(email=agent.email, password=PASSWORD, address=None)
    assert not result.ok
    assert result.message == 'Too many failed sign-ins. Try again in 30 seconds.'
    assert stored(agent).last_login_at is None


def test_the_lock_ends_when_its_time_has_passed(clock: Clock) -> None:
    agent = make_user('agent')
    fail(agent.email, 5)

    clock.advance(seconds=20)
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).retry_after_seconds == 10

    clock.advance(seconds=11)
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok


def test_each_further_failure_doubles_the_lock(clock: Clock) -> None:
    agent = make_user('agent')
    fail(agent.email, 5)
    clock.advance(seconds=31)

    sixth = fail(agent.email, 1)

    assert sixth.retry_after_seconds == 60
    assert 'try again in 60 seconds' in sixth.message


def test_lock_duration_grows_from_thirty_seconds_up_to_an_hour() -> None:
    assert auth.lock_duration(4, 5) == timedelta(0)
    assert auth.lock_duration(5, 5) == timedelta(seconds=30)
    assert auth.lock_duration(6, 5) == timedelta(seconds=60)
    assert auth.lock_duration(7, 5) == timedelta(seconds=120)
    assert auth.lock_duration(12, 5) == timedelta(hours=1)
    assert auth.lock_duration(500, 5) == timedelta(hours=1)


def test_a_success_starts_the_count_again() -> None:
    agent = make_user('agent')
    fail(agent.email, 4)
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok

    fail(agent.email, 4)

    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok


def test_failures_are_forgotten_after_an_hour_without_one(clock: Clock) -> None:
    agent = make_user('agent')
    fail(agent.email, 4)
    clock.advance(hours=1, seconds=1)

    fail(agent.email, 4)

    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok


def test_twenty_failures_from_one_address_lock_that_address() -> None:
    agent = make_user('agent')
    for number in range(20):
        fail(f'guess{number}@example.com', 1, address='198.51.100.9')

    from_there = auth.sign_in(email=agent.email, password=PASSWORD, address='198.51.100.9')
    from_elsewhere = auth.sign_in(email=agent.email, password=PASSWORD, address='203.0.113.7')

    assert not from_there.ok and from_there.message.startswith('Too many failed sign-ins')
    assert from_elsewhere.ok


# --- sessions --------------------------------------------------------------------------------------------------------


def test_signing_out_everywhere_ends_every_open_session() -> None:
    agent = make_user('agent')
    epoch = agent.session_epoch
    with read_session() as session:
        assert auth.session_user(session, agent.id, epoch).id == agent.id

    with session_scope() as session:
        auth.end_all_sessions(session=session, user=session.get(User, agent.id), reason='signed out everywhere')

    with read_session() as session:
        assert auth.session_user(session, agent.id, epoch) is None
        assert auth.session_user(session, agent.id, epoch + 1).id == agent.id


def test_deactivation_ends_the_users_sessions() -> None:
    admin = make_user('admin')
    agent = make_user('agent')
    with session_scope() as session:
        users.set_active(session=session, actor=admin, user_id=agent.id, version=agent.version, active=False)
        current_epoch = session.get(User, agent.id).session_epoch

    with read_session() as session:
        assert auth.session_user(session, agent.id, agent.session_epoch) is None
        assert auth.session_user(session, agent.id, current_epoch) is None


def test_no_session_without_a_user() -> None:
    with read_session() as session:
        assert auth.session_user(session, None, 1) is None
        assert auth.session_user(session, 424242, 1) is None


def test_a_session_is_idle_after_the_configured_minutes_without_activity() -> None:
    now = datetime(2026, 3, 1, 12, 0)
    assert auth.is_idle(None, 60, now)
    assert not auth.is_idle(now - timedelta(minutes=59), 60, now)
    assert auth.is_idle(now - timedelta(minutes=61), 60, now)
    assert not auth.is_idle(utcnow(), 60)


# --- helpers -------------------------------------------------------------------------------------------------------


def stored(user: User) -> User:
    with read_session() as session:
        return session.get(User, user.id)


def fail(email: str, times: int, address: str | None = None) -> auth.SignIn:
    """Sign in with a wrong password `times` times; the answer to the last attempt."""
    result = None
    for _ in range(times):
        result = auth.sign_in(email=email, password=WRONG, address=address)
        assert not result.ok
    return result


def stored_sign_ins() -> int:
    with read_session() as session:
        return len(session.exec(select(AuditEntry).where(AuditEntry.action == 'auth.signed_in')).all())
