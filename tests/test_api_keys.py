"""API keys as an administrator manages them and as the intake API checks them; the rate limiter on its own."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.__main__ import main
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES
from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import ApiKey, AuditEntry, utcnow
from backoffice.runtime.ratelimit import RateLimiter
from backoffice.services import api_keys
from backoffice.services.api_keys import InvalidKey, MissingKey, MissingScope, RevokedKey

from .support.api import make_key
from .support.factories import make_user

RESOURCE_KEYS = ', '.join(RESOURCES)


def authenticate(header: str | None, scope: str = 'requests:write') -> ApiKey:
    with session_scope() as session:
        return api_keys.authenticate(session, header, scope)


def test_an_admin_creates_a_key_whose_secret_is_shown_once_and_stored_only_as_a_hash() -> None:
    admin = make_user('admin')
    with session_scope() as session:
        key, secret = api_keys.create_key(
            session=session, actor=admin, name=' Web shop ', scopes=['events:write', 'requests:write', 'requests:write']
        )

    assert secret.startswith(f'bo_{key.prefix}_') and len(key.prefix) == 8 and len(secret) == 3 + 8 + 1 + 40
    with read_session() as session:
        stored = session.get(ApiKey, key.id)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'api_key.created')).one()
    assert (stored.name, stored.scopes, stored.created_by) == (
        'Web shop',
        ['requests:write', 'events:write'],
        admin.email,
    )
    assert stored.hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored.model_dump()) and secret not in str(entry.model_dump())
    assert (entry.actor_email, entry.entity_id) == (admin.email, str(key.id))


@pytest.mark.parametrize('role', ['manager', 'agent', 'viewer'])
def test_only_an_admin_manages_keys(role: str) -> None:
    someone = make_user(role)
    key, _secret = make_key()
    with session_scope() as session:
        with pytest.raises(PermissionDenied):
            api_keys.create_key(session=session, actor=someone, name='Mine', scopes=['requests:write'])
        with pytest.raises(PermissionDenied):
            api_keys.list_keys(session=session, actor=someone)
        with pytest.raises(PermissionDenied):
            api_keys.revoke_key(session=session, actor=someone, key_id=key.id)


@pytest.mark.parametrize(
    ('name', 'scopes', 'errors'),
    [
        ('', ['requests:write'], {'name': 'Give the key a name that says who uses it.'}),
        ('x' * 81, ['requests:write'], {'name': 'Use at most 80 characters (this has 81)'}),
        ('Shop', [], {'scopes': 'Choose at least one scope.'}),
        (
            'Shop',
            ['requests:read'],
            {
                'scopes': "Unknown scope 'requests:read'; did you mean 'requests:write'? Choose from requests:write, "
                'events:write, orders:write, customers:seen, customers:read, acceptances:write, or read:<resource> / '
                f'write:<resource> for one of: {RESOURCE_KEYS}.'
            },
        ),
    ],
)
def test_a_key_needs_a_name_and_known_scopes(name: str, scopes: list[str], errors: dict[str, str]) -> None:
    admin = make_user('admin')
    with session_scope() as session, pytest.raises(ValidationFailed) as raised:
        api_keys.create_key(session=session, actor=admin, name=name, scopes=scopes)
    assert raised.value.errors == errors


@pytest.mark.parametrize(
    ('scope', 'message'),
    [
        (
            'read:custmers',
            "Unknown scope 'read:custmers': no resource is called 'custmers'; did you mean 'read:customers'? "
            f'Resources: {RESOURCE_KEYS}.',
        ),
        ('write:audit', "Unknown scope 'write:audit': 'audit' can only be read over the API; choose 'read:audit'."),
        (
            'read:<script>alert(1)</script>',
            "Unknown scope 'read:<script>alert(1)</script>': no resource is called '<script>alert(1)</script>'. "
            f'Resources: {RESOURCE_KEYS}.',
        ),
        (
            'Jo "<img src=x onerror=alert(1)>": \'x\'',
            "Unknown scope 'Jo \"<img src=x onerror=alert(1)>\": \\'x\\''; choose from requests:write, events:write, "
            'orders:write, customers:seen, customers:read, acceptances:write, or read:<resource> / write:<resource> '
            f'for one of: {RESOURCE_KEYS}.',
        ),
    ],
)
def test_a_misspelt_scope_names_the_valid_ones(scope: str, message: str) -> None:
    """A resource scope's resource misspelt, or one only readable, or nothing like a scope: the refusal says which
    scopes and resources exist, and the nearest one."""
    with session_scope() as session, pytest.raises(ValidationFailed) as raised:
        api_keys.create_key(
            session=session, actor=None, system=True, name='Shop', scopes=[scope], acting_as=make_user('admin')
        )
    assert raised.value.errors == {'scopes': message}


def test_the_command_line_names_the_nearest_scope(capsys: pytest.CaptureFixture) -> None:
    make_user('admin', email='ops@example.com')
    assert main(['create-api-key', '--name', 'ERP', '--scopes', 'read:custmers', '--as', 'ops@example.com']) == 1
    assert "did you mean 'read:customers'? Resources: categories, products," in capsys.readouterr().err


def test_keys_are_listed_newest_first_with_revoked_ones() -> None:
    admin = make_user('admin')
    first, _ = make_key('First')
    second, _ = make_key('Second')
    with session_scope() as session:
        api_keys.revoke_key(session=session, actor=admin, key_id=first.id)
        api_keys.revoke_key(session=session, actor=admin, key_id=first.id)  # twice: harmless, audited once
        listed = api_keys.list_keys(session=session, actor=admin)
        revocations = session.exec(select(AuditEntry).where(AuditEntry.action == 'api_key.revoked')).all()
        with pytest.raises(NotFound):
            api_keys.revoke_key(session=session, actor=admin, key_id=9999)

    assert [(key.name, key.revoked_at is not None) for key in listed] == [('Second', False), ('First', True)]
    assert len(revocations) == 1 and revocations[0].actor_email == admin.email


def test_a_valid_key_authenticates_and_records_its_last_use_at_most_once_a_minute() -> None:
    key, secret = make_key()
    assert key.last_used_at is None

    assert authenticate(f'Bearer {secret}').id == key.id
    with read_session() as session:
        first_use = session.get(ApiKey, key.id).last_used_at
    assert first_use is not None and utcnow() - first_use < timedelta(seconds=5)

    authenticate(f'bearer  {secret} ')
    with read_session() as session:
        assert session.get(ApiKey, key.id).last_used_at == first_use

    with session_scope() as session:  # a minute later the next use is recorded
        stored = session.get(ApiKey, key.id)
        stored.last_used_at = first_use - timedelta(minutes=2)
        session.add(stored)
        session.commit()
    authenticate(f'Bearer {secret}')
    with read_session() as session:
        assert session.get(ApiKey, key.id).last_used_at > first_use


@pytest.mark.parametrize(
    ('header', 'error'),
    [
        (None, MissingKey),
        ('', MissingKey),
        ('Bearer ', MissingKey),
        ('Basic dXNlcjpwYXNz', MissingKey),
        ('Bearer nonsense', InvalidKey),
        ('Bearer bo_abcdefgh_wrong', InvalidKey),
    ],
)
def test_a_missing_or_malformed_key_is_refused(header: str | None, error: type) -> None:
    make_key()
    with pytest.raises(error):
        authenticate(header)


def test_a_wrong_secret_with_a_real_prefix_is_refused() -> None:
    _key, secret = make_key()
    with pytest.raises(InvalidKey):
        authenticate(f'Bearer {secret[:-1]}{"A" if secret[-1] != "A" else "B"}')


def test_a_revoked_key_stops_working_at_once() -> None:
    key, secret = make_key()
    authenticate(f'Bearer {secret}')
    with session_scope() as session:
        api_keys.revoke_key(session=session, actor=make_user('admin'), key_id=key.id)
    with pytest.raises(RevokedKey):
        authenticate(f'Bearer {secret}')


def test_a_key_without_the_scope_is_refused_with_a_different_error() -> None:
    _key, secret = make_key(scopes=('events:write',))
    with pytest.raises(MissingScope) as raised:
        authenticate(f'Bearer {secret}', 'requests:write')
    assert str(raised.value) == "The API key does not have the 'requests:write' scope."
    assert authenticate(f'Bearer {secret}', 'events:write')


def test_create_api_key_on_the_command_line_prints_the_secret_once(capsys: pytest.CaptureFixture) -> None:
    assert main(['create-api-key', '--name', 'Web shop', '--scopes', 'requests:write,events:write']) == 0

    out = capsys.readouterr().out.splitlines()
    with read_session() as session:
        key = session.exec(select(ApiKey)).one()
    assert out[0] == f"Created API key 'Web shop' ({key.prefix}) with requests:write, events:write."
    secret = out[1].removeprefix('Key (shown once): ')
    assert authenticate(f'Bearer {secret}').id == key.id


def test_create_api_key_on_the_command_line_says_what_is_wrong(capsys: pytest.CaptureFixture) -> None:
    assert main(['create-api-key', '--name', 'Web shop', '--scopes', 'everything']) == 1
    assert "Unknown scope 'everything'" in capsys.readouterr().err


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limiter_allows_a_burst_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 60, clock=clock)

    assert [limiter.hit('a').allowed for _ in range(3)] == [True, True, True]
    refused = limiter.hit('a')
    assert (refused.allowed, refused.retry_after) == (False, 20)
    assert limiter.hit('b').allowed  # every key has its own bucket

    clock.now += 19
    assert limiter.hit('a').retry_after == 1
    clock.now += 1
    assert limiter.hit('a').allowed and not limiter.hit('a').allowed
    clock.now += 3600
    assert [limiter.hit('a').allowed for _ in range(4)] == [True, True, True, False]  # never more than the burst


async def test_an_admin_creates_and_revokes_a_key_in_settings(user, as_role) -> None:
    await as_role('admin')
    await user.open('/settings')
    await user.should_see('API keys')
    await user.should_see('No API keys yet.')

    user.find('New API key').click()
    await user.should_see('Scopes')
    user.find(marker='api-key-name').type('Web shop')
    user.find('events:write — Send usage events').click()
    user.find('Create key').click()

    await user.should_see('API key “Web shop”')
    secret = user.find(marker='generated-password').elements.pop().value
    assert authenticate(f'Bearer {secret}', 'events:write').name == 'Web shop'
    user.find('Done').click()
    key = authenticate(f'Bearer {secret}')
    await user.should_see(key.prefix)
    await user.should_see('requests:write, events:write')

    user.find(marker=f'revoke-{key.prefix}').click()
    await user.should_see('Revoke the API key “Web shop”')
    user.find(marker='confirm-revoke').click()
    await user.should_see('API key “Web shop” revoked')
    with pytest.raises(RevokedKey):
        authenticate(f'Bearer {secret}')


async def test_a_key_without_a_name_or_scope_is_explained_in_the_dialog(user, as_role) -> None:
    await as_role('admin')
    await user.open('/settings')
    user.find('New API key').click()
    await user.should_see('Scopes')
    user.find('requests:write — Submit customer requests and follow-ups').click()  # unticks the default
    user.find('Create key').click()
    await user.should_see('Give the key a name that says who uses it.')
    await user.should_see('Choose at least one scope.')
    with read_session() as session:
        assert session.exec(select(ApiKey)).all() == []


async def test_a_manager_does_not_see_the_keys(user, as_role) -> None:
    make_key('Web shop')
    await as_role('manager')
    await user.open('/settings')
    await user.should_not_see('Web shop')
