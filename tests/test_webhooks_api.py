"""A front office's developer registers a webhook receiver over /api/v1 alone: the create answers the signing secret
once (a replay does not), the deliveries verify with the documented recipe, and a new secret comes back in the
action's answer; a staff member made over the API gets the generated password the same way."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from backoffice.api.resources import router
from backoffice.config import reload_settings
from backoffice.db import session_scope
from backoffice.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, utcnow
from backoffice.runtime import ratelimit
from backoffice.services import api_keys, webhooks

from .support.api import api_client, bearer, key_for
from .support.factories import make_role, make_user
from .support.invitations import mail_set_up, mails_to
from .support.webhook_receiver import webhook_receiver

HOSTILE = 'Shop "<script>alert(1)</script>": \'quoted\' é'


@pytest.fixture(autouse=True)
def private_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1
    reload_settings()
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(10**6, 60.0))


def admin_key(*scopes: str) -> str:
    admin = make_user('admin')
    with session_scope() as session:
        _key, secret = api_keys.create_key(
            session=session, actor=None, system=True, name='Front office', scopes=scopes, acting_as=admin
        )
    return secret


def signed_by(secret: str, body: bytes, header: str) -> bool:
    """The recipe of docs/FEATURES.md, as the receiver runs it."""
    expected = 'sha256=' + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


async def test_a_webhook_made_over_the_api_answers_its_signing_secret_once_and_deliveries_verify_with_it() -> None:
    key = admin_key('write:webhooks')
    with webhook_receiver() as receiver:
        async with api_client(router) as client:
            send = {
                'json': {'name': HOSTILE, 'url': receiver.url, 'events': '*'},
                'headers': bearer(key, **{'Idempotency-Key': 'hook-1'}),
            }
            made = await client.post('/api/v1/webhooks', **send)
            again = await client.post('/api/v1/webhooks', **send)
            assert made.status_code == 201, made.text
            secret = made.json()['secret']
            assert secret.startswith('whsec_') and made.json()['name'] == HOSTILE
            assert again.status_code == 201 and 'secret' not in again.json()  # shown once, never stored in clear
            assert again.json()['id'] == made.json()['id']
            tested = await client.post(f'/api/v1/webhooks/{made.json()["id"]}/actions/send-test', json={})
            assert tested.status_code == 401  # no key: nothing sent
            tested = await client.post(
                f'/api/v1/webhooks/{made.json()["id"]}/actions/send-test', json={}, headers=bearer(key)
            )
            assert tested.status_code == 200 and 'secret' not in tested.json()
            first = receiver.received[-1]
            assert signed_by(secret, first.body, first.headers['x-backoffice-signature'])

            rotated = await client.post(
                f'/api/v1/webhooks/{made.json()["id"]}/actions/rotate-secret',
                json={'version': made.json()['version']},
                headers=bearer(key),
            )
            assert rotated.status_code == 200, rotated.text
            new_secret = rotated.json()['secret']
            assert new_secret.startswith('whsec_') and new_secret != secret
            await client.post(f'/api/v1/webhooks/{made.json()["id"]}/actions/send-test', json={}, headers=bearer(key))
            bare = await client.post(  # the docs' call as pasted: no body at all, as the action needs nothing
                f'/api/v1/webhooks/{made.json()["id"]}/actions/send-test', headers=bearer(key)
            )
            assert bare.status_code == 200, bare.text
    last = receiver.received[-1]
    assert signed_by(new_secret, last.body, last.headers['x-backoffice-signature'])
    assert not signed_by(secret, last.body, last.headers['x-backoffice-signature'])


async def test_a_staff_member_made_over_the_api_gets_the_generated_password_in_the_answer() -> None:
    key = admin_key('write:users')
    async with api_client(router) as client:
        made = await client.post(
            '/api/v1/users',
            json={'email': 'new.agent@example.com', 'name': HOSTILE, 'role': 'agent'},
            headers=bearer(key),
        )
    assert made.status_code == 201, made.text
    assert made.json()['name'] == HOSTILE and len(made.json()['secret']) >= 12


async def test_a_staff_member_made_over_the_api_with_invite_is_emailed_and_no_secret_comes_back(monkeypatch) -> None:
    mail_set_up(monkeypatch, make_user('admin'))
    key = admin_key('write:users')
    async with api_client(router) as client:
        made = await client.post(
            '/api/v1/users',
            json={'email': 'api.invited@example.com', 'name': HOSTILE, 'role': 'agent', 'invite': True},
            headers=bearer(key),
        )
    assert made.status_code == 201, made.text
    assert made.json().get('secret') is None
    [mail] = mails_to('api.invited@example.com')
    assert 'the link works once, for 72 hours' in mail.body


async def test_the_openapi_document_says_where_the_secret_comes_back() -> None:
    async with api_client(router) as client:
        described = (await client.get('/openapi.json')).json()
    created = described['paths']['/api/v1/webhooks']['post']['responses']['201']['content']['application/json']
    schema = described['components']['schemas'][created['schema']['$ref'].split('/')[-1]]
    assert 'secret' in schema['properties'] and 'secret' not in schema.get('required', [])
    action = described['paths']['/api/v1/webhooks/{record_id}/actions/rotate-secret']['post']['responses']['200']
    result = described['components']['schemas'][action['content']['application/json']['schema']['$ref'].split('/')[-1]]
    assert 'secret' in result['properties']
    assert not described['paths']['/api/v1/webhooks/{record_id}/actions/rotate-secret']['post']['requestBody'].get(
        'required'
    )  # nothing to send: the body may be left out
    assert described['paths']['/api/v1/customers/{record_id}/actions/ban']['post']['requestBody']['required']
    events = described['components']['schemas']['WebhooksCreate']['properties']['events']  # how to write the list
    assert 'Comma-separated, or * for all' in events['description'] and 'order.paid' in events['description']


def _delivery_carrying_a_customer() -> int:
    """An order.paid delivery as the outbox writes it: the order and its customer's email in the payload."""
    admin = make_user('admin')
    with session_scope() as session:
        endpoint, _secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': HOSTILE, 'url': 'https://hooks.example.com/in'}
        )
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event='order.paid',
            dedup_key='order.paid:1',
            payload={'order': {'number': '100042', 'customer_email': 'ana.lopez@example.com', 'total': '49.90'}},
        )
        session.add(delivery)
        session.commit()
        return delivery.id


async def test_a_role_that_manages_webhooks_alone_gets_the_deliveries_without_their_payload() -> None:
    """A custom role with webhooks.manage alone read customers' emails and orders in the deliveries' payloads."""
    delivery_id = _delivery_carrying_a_customer()
    _key, webhooks_only = key_for(make_role('webhooks.manage').key, 'read:webhook-deliveries')
    _key, reads_all = key_for(
        make_role('webhooks.manage', 'customers.read', 'orders.read').key, 'read:webhook-deliveries'
    )
    async with api_client(router) as client:
        one = await client.get(f'/api/v1/webhook-deliveries/{delivery_id}', headers=bearer(webhooks_only))
        listed = await client.get('/api/v1/webhook-deliveries', headers=bearer(webhooks_only))
        allowed = await client.get(f'/api/v1/webhook-deliveries/{delivery_id}', headers=bearer(reads_all))
    assert one.status_code == listed.status_code == allowed.status_code == 200, one.text
    for shown in (one.json(), listed.json()['items'][0]):
        assert 'ana.lopez@example.com' not in str(shown)
        assert (shown['event'], shown['status'], shown['payload']) == ('order.paid', 'pending', None)
        assert shown['withheld'] == {'payload': ['customers.read', 'orders.read']}
    assert allowed.json()['payload']['order']['customer_email'] == 'ana.lopez@example.com'
    assert allowed.json()['withheld'] == {}


async def test_a_delivered_or_failed_delivery_has_no_next_attempt_over_the_api() -> None:
    """As on the screen: a pending delivery says when it is tried again; a delivered or given-up one, never."""
    delivery_id = _delivery_carrying_a_customer()
    _key, secret = key_for(make_role('webhooks.manage', 'customers.read', 'orders.read').key, 'read:webhook-deliveries')
    async with api_client(router) as client:
        pending = (await client.get(f'/api/v1/webhook-deliveries/{delivery_id}', headers=bearer(secret))).json()
        assert pending['status'] == 'pending' and pending['next_attempt_at'] is not None
        for status in (DeliveryStatus.delivered, DeliveryStatus.failed):
            with session_scope() as session:
                delivery = session.get(WebhookDelivery, delivery_id)
                delivery.status = status
                session.add(delivery)
                session.commit()
            one = (await client.get(f'/api/v1/webhook-deliveries/{delivery_id}', headers=bearer(secret))).json()
            listed = (await client.get('/api/v1/webhook-deliveries', headers=bearer(secret))).json()['items']
            assert one['status'] == status.value and one['next_attempt_at'] is None
            assert [item['next_attempt_at'] for item in listed] == [None]


async def test_a_webhooks_password_is_masked_over_the_api_and_sending_the_masked_address_back_keeps_it() -> None:
    key = admin_key('write:webhooks')
    async with api_client(router) as client:
        made = await client.post(
            '/api/v1/webhooks',
            json={'name': HOSTILE, 'url': 'https://crm:Pa55-w0rd@crm.example.com/in?api_key=K3y-99'},
            headers=bearer(key),
        )
        assert made.status_code == 201, made.text
        masked = 'https://••••••@crm.example.com/in?api_key=••••••'
        assert made.json()['url'] == masked
        listed = await client.get('/api/v1/webhooks', headers=bearer(key))
        assert 'Pa55' not in listed.text and 'K3y' not in listed.text
        changed = await client.patch(
            f'/api/v1/webhooks/{made.json()["id"]}',
            json={'url': masked.replace('/in', '/inbox'), 'version': made.json()['version']},
            headers=bearer(key),
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()['url'] == masked.replace('/in', '/inbox')
        with session_scope() as session:
            stored = session.get(WebhookEndpoint, made.json()['id']).url
        assert stored == 'https://crm:Pa55-w0rd@crm.example.com/inbox?api_key=K3y-99'
        copied = await client.post(  # a masked address is no address of a new webhook
            '/api/v1/webhooks', json={'name': 'Copy: "x"', 'url': masked}, headers=bearer(key)
        )
        assert copied.status_code == 422 and 'Type the password or token again' in copied.text


async def test_the_webhooks_search_finds_by_the_address_shown_never_by_its_password() -> None:
    """The list's search read the stored address: typing a password's first letters found its webhook, and so told the
    password letter by letter to whoever may not see it."""
    key = admin_key('write:webhooks')
    async with api_client(router) as client:
        made = await client.post(
            '/api/v1/webhooks',
            json={'name': 'ERP "<i>x</i>": y', 'url': 'https://erp:Zq9-Secret@erp.example.com/in?token=Tk-77'},
            headers=bearer(key),
        )
        assert made.status_code == 201, made.text
        for term, found in (('erp.example', 1), ('Zq9', 0), ('Tk-7', 0), ('ERP "<i>', 1), ('token=', 1)):
            listed = await client.get('/api/v1/webhooks', params={'q': term}, headers=bearer(key))
            assert listed.status_code == 200, listed.text
            assert len(listed.json()['items']) == found, (term, listed.json())


async def test_resending_a_delivery_still_pending_says_it_is_being_tried_and_what_to_do() -> None:
    """A developer resent a pending delivery and read only "This action does not apply to this record now"."""
    delivery_id = _delivery_carrying_a_customer()
    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        delivery.attempts = 2
        delivery.next_attempt_at = utcnow() + timedelta(minutes=30)
        session.add(delivery)
        session.commit()
    _key, secret = key_for(make_role('webhooks.manage').key, 'write:webhook-deliveries')
    async with api_client(router) as client:
        refused = await client.post(
            f'/api/v1/webhook-deliveries/{delivery_id}/actions/resend', json={}, headers=bearer(secret)
        )
        in_french = await client.post(
            f'/api/v1/webhook-deliveries/{delivery_id}/actions/resend',
            json={},
            headers=bearer(secret, **{'Accept-Language': 'fr'}),
        )
    assert refused.status_code == 409
    said = refused.json()['detail']
    assert f'Delivery {delivery_id} is still pending' in said and 'attempt 3 of' in said and 'in 29 min' in said
    assert 'delivered or failed for good' in said
    assert (
        in_french.status_code == 409
        and f'La livraison {delivery_id} est encore en attente' in in_french.json()['detail']
    )
    with session_scope() as session:
        assert session.get(WebhookDelivery, delivery_id).attempts == 2  # not started over
