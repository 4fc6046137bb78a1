"""/api/v1/{resource}/{id}/restore and /history: the trash's Restore and the record page's History tab, over HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.api.resources import router
from backoffice.db import read_session
from backoffice.models import AuditEntry
from backoffice.runtime import ratelimit

from .support.api import api_client, bearer, key_for
from .support.factories import make_customer

HOSTILE = 'Zoé "<script>alert(1)</script>": \'quoted\''


@pytest.fixture(autouse=True)
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(10**6, 60.0))


async def test_a_write_key_restores_a_trashed_record_audited_and_refused_when_not_in_the_trash() -> None:
    key, secret = key_for('manager', 'write:customers', email='maria@example.com')
    async with api_client(router) as client:
        created = await client.post(
            '/api/v1/customers', json={'email': 'zoe@example.com', 'name': HOSTILE}, headers=bearer(secret)
        )
        url = f'/api/v1/customers/{created.json()["id"]}'
        not_trashed = await client.post(f'{url}/restore', headers=bearer(secret))
        assert not_trashed.status_code == 409 and 'not in the trash' in not_trashed.json()['detail']
        await client.delete(url, params={'version': 1}, headers=bearer(secret))

        restored = await client.post(f'{url}/restore', headers=bearer(secret))
        assert restored.status_code == 200, restored.text
        assert restored.json()['deleted_at'] is None and restored.json()['name'] == HOSTILE
        assert restored.json()['version'] == 3
        in_trash = await client.get('/api/v1/customers', params={'trash': True}, headers=bearer(secret))
        assert in_trash.json()['total'] == 0
        unknown = await client.post('/api/v1/customers/999999/restore', headers=bearer(secret))
        assert unknown.status_code == 404
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.restored')).one()
    assert entry.actor_email == f'maria@example.com (API key {key.prefix})'


async def test_restoring_needs_the_write_scope_and_the_staff_members_permission() -> None:
    _writer, write_secret = key_for('manager', 'write:customers')
    _reader, read_secret = key_for('manager', 'read:customers')
    _viewer, viewer_secret = key_for('viewer', 'write:customers')
    async with api_client(router) as client:
        created = await client.post('/api/v1/customers', json={'email': 'a@example.com'}, headers=bearer(write_secret))
        url = f'/api/v1/customers/{created.json()["id"]}'
        await client.delete(url, headers=bearer(write_secret))
        assert (await client.post(f'{url}/restore', headers=bearer(read_secret))).status_code == 403
        assert (await client.post(f'{url}/restore', headers=bearer(viewer_secret))).status_code == 403
        assert (await client.post(f'{url}/restore')).status_code == 401
        got = await client.get(url, headers=bearer(write_secret))
    assert got.json()['deleted_at'] is not None  # nothing restored by the refused calls


async def test_the_history_shows_each_change_newest_first_and_pages_on_by_keyset() -> None:
    _key, secret = key_for('manager', 'write:customers', email='maria@example.com')
    async with api_client(router) as client:
        created = await client.post(
            '/api/v1/customers', json={'email': 'h@example.com', 'name': 'Before'}, headers=bearer(secret)
        )
        url = f'/api/v1/customers/{created.json()["id"]}'
        for version, name in enumerate(['One', 'Two', HOSTILE], start=1):
            changed = await client.patch(url, json={'version': version, 'name': name}, headers=bearer(secret))
            assert changed.status_code == 200, changed.text
        first = await client.get(f'{url}/history', params={'limit': 2}, headers=bearer(secret))
        assert first.status_code == 200, first.text
        page = first.json()
        assert [e['action'] for e in page['items']] == ['customer.updated', 'customer.updated']
        newest = page['items'][0]
        assert newest['changes']['name'] == {'before': 'Two', 'after': HOSTILE}
        assert newest['actor'].startswith('maria@example.com (API key') and newest['version'] == 4
        assert newest['summary'] and newest['at']
        rest = await client.get(f'{url}/history', params={'before': page['next_before']}, headers=bearer(secret))
        assert [e['action'] for e in rest.json()['items']] == ['customer.updated', 'customer.created']
        assert rest.json()['next_before'] is None
        french = await client.get(f'{url}/history', headers=bearer(secret, **{'Accept-Language': 'fr'}))
        assert french.status_code == 200 and len(french.json()['items']) == 4
        assert (await client.get('/api/v1/customers/999999/history', headers=bearer(secret))).status_code == 404
        too_many = await client.get(f'{url}/history', params={'limit': 100000}, headers=bearer(secret))
        assert too_many.status_code == 422


async def test_the_history_needs_a_read_scope_for_that_resource_and_shows_no_secret() -> None:
    _key, other_secret = key_for('admin', 'read:companies')
    _admin, admin_secret = key_for('admin', 'write:users')
    async with api_client(router) as client:
        made = await client.post(
            '/api/v1/users',
            json={
                'email': 'new.staff@example.com',
                'name': HOSTILE,
                'role': 'agent',
                'password': 'Long enough pass 1!',
            },
            headers=bearer(admin_secret),
        )
        assert made.status_code == 201, made.text
        url = f'/api/v1/users/{made.json()["id"]}/history'
        assert (await client.get(url, headers=bearer(other_secret))).status_code == 403
        history = await client.get(url, headers=bearer(admin_secret))
    assert history.status_code == 200, history.text
    text = history.text
    assert 'Long enough pass' not in text and 'password' not in text and 'hash' not in text


async def test_a_record_in_the_trash_is_not_changed_until_restored() -> None:
    """As its form shows it (read-only, "in the trash"): a change over the API is refused, the restore lets it in."""
    customer = make_customer('trashed.change@example.com', name='Jo "<b>": \'x\'')
    _key, secret = key_for('manager', 'write:customers')
    url = f'/api/v1/customers/{customer.id}'
    async with api_client(router) as client:
        trashed = await client.delete(url, params={'version': 1}, headers=bearer(secret))
        refused = await client.patch(url, json={'version': 2, 'name': 'Changed'}, headers=bearer(secret))
        restored = await client.post(f'{url}/restore', headers=bearer(secret))
        changed = await client.patch(
            url, json={'version': restored.json()['version'], 'name': 'Changed'}, headers=bearer(secret)
        )
    assert trashed.status_code == 200 and refused.status_code == 409
    assert refused.json()['detail'] == 'This customer is in the trash: restore it before changing it.'
    assert changed.status_code == 200 and changed.json()['name'] == 'Changed'


async def test_a_delete_retried_with_its_version_answers_the_trashed_record_not_a_stale_409() -> None:
    """The front office's DELETE timed out after the server trashed the record; it sends it again as it was. The
    version the delete moved on is its own, not a colleague's change: the answer is the record in the trash, once."""
    _key, secret = key_for('manager', 'write:customers', email='maria@example.com')
    async with api_client(router) as client:
        created = await client.post(
            '/api/v1/customers', json={'email': 'retry@example.com', 'name': HOSTILE}, headers=bearer(secret)
        )
        url = f'/api/v1/customers/{created.json()["id"]}'
        first = await client.delete(url, params={'version': 1}, headers=bearer(secret))
        again = await client.delete(url, params={'version': 1}, headers=bearer(secret))
        assert first.status_code == again.status_code == 200, again.text
        assert again.json()['deleted_at'] == first.json()['deleted_at'] and again.json()['version'] == 2
        with read_session() as session:
            deletes = session.exec(select(AuditEntry.id).where(AuditEntry.action == 'customer.deleted')).all()
        assert len(deletes) == 1

        # a delete sent from a version someone changed before it went to the trash is still refused as stale
        other = await client.post(
            '/api/v1/customers', json={'email': 'changed@example.com', 'name': HOSTILE}, headers=bearer(secret)
        )
        other_url = f'/api/v1/customers/{other.json()["id"]}'
        await client.patch(other_url, json={'version': 1, 'name': 'Renamed: "x"'}, headers=bearer(secret))
        await client.delete(other_url, params={'version': 2}, headers=bearer(secret))
        stale = await client.delete(other_url, params={'version': 1}, headers=bearer(secret))
        assert stale.status_code == 409 and 'version 3' in stale.json()['detail']
