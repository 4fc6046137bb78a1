"""Changing an existing API key's scopes at Settings → API keys: audited, its secret kept, a stale edit refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import ApiKey, AuditEntry
from backoffice.services import api_keys
from backoffice.services.api_keys import MissingScope

from .support.api import make_key
from .support.factories import make_role, make_user

HOSTILE = 'Shop: "<script>alert(1)</script>" café'


def authenticate(secret: str, scope: str) -> ApiKey:
    with session_scope() as session:
        return api_keys.authenticate(session, f'Bearer {secret}', scope)


def change(actor, key_id: int, scopes: list[str], expected: list[str]) -> ApiKey:  # noqa: ANN001
    with session_scope() as session:
        return api_keys.change_scopes(session=session, actor=actor, key_id=key_id, scopes=scopes, expected=expected)


def test_an_admin_changes_a_keys_scopes_keeping_its_secret_audited_before_and_after() -> None:
    admin = make_user('admin', email='admin@example.com')
    with session_scope() as session:
        key, secret = api_keys.create_key(session=session, actor=admin, name=HOSTILE, scopes=['requests:write'])
    change(admin, key.id, ['events:write', 'read:customers', 'requests:write'], ['requests:write'])

    assert authenticate(secret, 'events:write').id == key.id  # same secret, new scope
    assert authenticate(secret, 'read:customers').id == key.id
    with read_session() as session:
        stored = session.get(ApiKey, key.id)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'api_key.scopes_changed')).one()
    assert stored.scopes == ['requests:write', 'events:write', 'read:customers'] and stored.hash == key.hash
    assert entry.changes == {'scopes': [['requests:write'], stored.scopes]}
    assert entry.actor_email == 'admin@example.com'
    assert entry.summary == f'API key “{HOSTILE}” ({key.prefix}) now has requests:write, events:write, read:customers'

    change(admin, key.id, ['orders:write'], stored.scopes)
    with pytest.raises(MissingScope):
        authenticate(secret, 'events:write')


def test_a_stale_edit_is_refused_and_saves_nothing() -> None:
    admin = make_user('admin')
    key, _secret = make_key(scopes=('requests:write',))
    change(admin, key.id, ['events:write'], ['requests:write'])  # someone else, meanwhile
    with pytest.raises(StaleRecord):
        change(admin, key.id, ['orders:write'], ['requests:write'])
    with read_session() as session:
        assert session.get(ApiKey, key.id).scopes == ['events:write']


@pytest.mark.parametrize(
    ('scopes', 'message'),
    [
        ([], 'Choose at least one scope.'),
        (['nope:<b>'], "Unknown scope 'nope:<b>'"),
        (['read:customers'], 'A key with resource scopes acts for a staff member'),  # a command-line key without --as
    ],
)
def test_bad_scopes_are_explained_and_nothing_changes(scopes: list[str], message: str) -> None:
    admin = make_user('admin')
    key, _secret = make_key(scopes=('requests:write',))
    with pytest.raises(ValidationFailed) as raised:
        change(admin, key.id, scopes, ['requests:write'])
    assert message in raised.value.errors['scopes']
    with read_session() as session:
        assert session.get(ApiKey, key.id).scopes == ['requests:write']


def test_a_revoked_or_unknown_key_cannot_change() -> None:
    admin = make_user('admin')
    key, _secret = make_key()
    with session_scope() as session:
        api_keys.revoke_key(session=session, actor=admin, key_id=key.id)
    with pytest.raises(ValidationFailed):
        change(admin, key.id, ['events:write'], ['requests:write'])
    with pytest.raises(NotFound):
        change(admin, 999_999, ['events:write'], [])


@pytest.mark.parametrize('role', ['manager', 'agent', 'viewer'])
def test_only_settings_managers_change_scopes(role: str) -> None:
    key, _secret = make_key()
    with pytest.raises(PermissionDenied):
        change(make_user(role), key.id, ['events:write', 'requests:write'], ['requests:write'])
    with read_session() as session:
        assert session.get(ApiKey, key.id).scopes == ['requests:write']


async def test_an_admin_edits_a_keys_scopes_in_settings(user, as_role) -> None:
    key, secret = make_key(HOSTILE, scopes=('requests:write',))
    await as_role('admin')
    await user.open('/settings')
    await user.should_see(HOSTILE)
    user.find(marker=f'edit-scopes-{key.prefix}').click()
    await user.should_see(f'Scopes of the API key “{HOSTILE}” ({key.prefix})')
    user.find('events:write — Send usage events').click()
    user.find(marker='save-scopes').click()
    await user.should_see(f'Scopes of the API key “{HOSTILE}” saved')
    await user.should_see('requests:write, events:write')
    assert authenticate(secret, 'events:write').id == key.id


async def test_a_stale_edit_in_settings_is_explained_in_the_dialog(user, as_role) -> None:
    key, _secret = make_key(scopes=('requests:write',))
    await as_role('admin')
    await user.open('/settings')
    user.find(marker=f'edit-scopes-{key.prefix}').click()
    await user.should_see('Save scopes')
    change(make_user('admin', email='other@example.com'), key.id, ['orders:write'], ['requests:write'])
    user.find('events:write — Send usage events').click()
    user.find(marker='save-scopes').click()
    await user.should_see('after you opened it')
    with read_session() as session:
        assert session.get(ApiKey, key.id).scopes == ['orders:write']


def test_a_settings_manager_who_may_not_read_customers_cannot_give_a_key_that_reads_them() -> None:
    keeper = make_user(make_role('settings.manage').key, email='keys.keeper@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        api_keys.create_key(session=session, actor=keeper, name='Account page', scopes=['customers:read'])
    assert "'customers:read'" in refused.value.errors['scopes']
    with session_scope() as session:
        key, _secret = api_keys.create_key(session=session, actor=keeper, name='Intake', scopes=['requests:write'])
    with pytest.raises(ValidationFailed):
        change(keeper, key.id, ['requests:write', 'customers:read'], ['requests:write'])
    with read_session() as session:
        assert session.get(ApiKey, key.id).scopes == ['requests:write']
        assert not session.exec(select(ApiKey).where(ApiKey.name == 'Account page')).first()


@pytest.mark.parametrize(
    ('scope', 'permission'), [('orders:write', 'orders.write'), ('customers:seen', 'customers.write')]
)
def test_a_settings_manager_who_may_not_change_orders_or_customers_cannot_give_a_key_that_does(
    scope: str, permission: str
) -> None:
    """orders:write places orders (at any discount, reserving stock, making customers) and customers:seen moves
    customers' last-seen time: a custom role holding settings.manage without orders.write or customers.write made
    itself such a key at Settings and did, through it, what its role may not. Refused, at creation and when widening
    a key; a role that holds the right still gives it."""
    keeper = make_user(make_role('settings.manage').key)
    said = f"You may not give the scope '{scope}': it changes what your role may not."
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        api_keys.create_key(session=session, actor=keeper, name=HOSTILE, scopes=[scope])
    assert refused.value.errors == {'scopes': said}
    with session_scope() as session:
        key, _secret = api_keys.create_key(session=session, actor=keeper, name=HOSTILE, scopes=['requests:write'])
    with pytest.raises(ValidationFailed) as refused:
        change(keeper, key.id, ['requests:write', scope], ['requests:write'])
    assert refused.value.errors == {'scopes': said}
    with read_session() as session:
        assert session.get(ApiKey, key.id).scopes == ['requests:write']
    holder = make_user(make_role('settings.manage', permission).key)
    assert change(holder, key.id, ['requests:write', scope], ['requests:write']).scopes == ['requests:write', scope]


def test_a_settings_manager_cannot_widen_a_key_that_acts_as_an_admin() -> None:
    """An admin's key acts as the admin: a custom role with settings.manage giving it write:users would let whoever
    holds the key make staff as an admin; it is refused (revoking it stays theirs to do)."""
    admin = make_user('admin')
    keeper = make_user(make_role('settings.manage', 'customers.read').key)
    with session_scope() as session:
        key, secret = api_keys.create_key(session=session, actor=admin, name=HOSTILE, scopes=['read:customers'])
    with pytest.raises(ValidationFailed) as refused:
        change(keeper, key.id, ['read:customers', 'write:users'], ['read:customers'])
    assert admin.email in refused.value.errors['scopes'] and 'ask an admin' in refused.value.errors['scopes']
    with pytest.raises(MissingScope):
        authenticate(secret, 'write:users')
    with session_scope() as session:
        api_keys.revoke_key(session=session, actor=keeper, key_id=key.id)
