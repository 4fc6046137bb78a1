"""Webhooks page: an admin adds an endpoint (a plain-http address is refused at the field), copies its signing secret
shown once, sends a test event and sees the delivery in the log; other roles cannot open it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlmodel import select

from backoffice import i18n, secret_box
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, WebhookDelivery, WebhookEndpoint, utcnow
from backoffice.services import users, webhooks

from .support.factories import make_role, make_user
from .support.private_servers import free_port
from .support.signin import signed_in
from .support.waiting import eventually
from .support.webhook_receiver import webhook_receiver


def table_with(user: User, column: str) -> ui.table:
    """The list on the page that has this column (the page shows the endpoints and the deliveries)."""
    return next(t for t in user.find(ui.table).elements if any(c['name'] == column for c in t.columns))


async def rows_of(user: User, column: str, wanted: str, field: str) -> list[dict]:
    def rows() -> list[dict]:
        try:
            shown = table_with(user, column).rows
        except StopIteration:
            shown = []
        assert any(row.get(field) == wanted for row in shown), f'no row with {field}={wanted!r} in {shown}'
        return shown

    return await eventually(rows, message=f'a row with {field}={wanted!r}')


async def test_admin_adds_a_webhook_sees_its_secret_once_and_sends_a_test_event(user: User, monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1 (development)
    reload_settings()
    admin = make_user('admin')
    with webhook_receiver() as receiver:
        await signed_in(user, admin.email, path='/webhooks')
        await user.should_see('New webhook', retries=30)
        user.find('New webhook').click()
        await user.should_see('Name *')
        user.find('Name *').type('Shop front')
        user.find('Address (https://…) *').type('http://shop.example.com/hooks')
        user.find(kind=ui.input, content='Events').clear().type('order.paid, request.created')
        user.find('Create webhook').click()
        await user.should_see('Use https:// (plain http only in development)', retries=30)

        user.find('Address (https://…) *').clear().type(receiver.url)
        user.find('Create webhook').click()
        await user.should_see('Signing secret for Shop front', retries=30)
        secret = user.find(marker='generated-password').elements.pop().value
        with read_session() as session:
            endpoint = session.exec(select(WebhookEndpoint)).one()
        assert (secret_box.decrypt(endpoint.secret), endpoint.url, endpoint.events) == (
            secret,
            receiver.url,
            'order.paid, request.created',
        )
        user.find(marker='copy-secret').click()
        await user.should_see('Copied to the clipboard.')
        user.find('Done').click()
        rows = await rows_of(user, 'url', receiver.url, 'url')

        row = next(r for r in rows if r['url'] == receiver.url)
        _open(user, 'url', row)
        await user.should_see('Send test event', retries=30)
        user.find('Send test event').click()
        await user.should_see('Test event delivered (HTTP 200)', retries=50)
        assert receiver.received[0].headers['x-backoffice-event'] == 'webhook.test'

        # the log refreshed live, up to the delivery (it may show the attempt as pending first, on a busy machine)
        logged = await rows_of(user, 'attempts', 'Delivered', 'status')
        assert [(r['endpoint_id'], r['event'], r['status'], r['last_status_code']) for r in logged] == [
            ('Shop front', 'Test event', 'Delivered', '200')
        ]

        _open(user, 'attempts', logged[0])  # a receiver lost it: send it again from the log
        await user.should_see('Resend', retries=30)
        await user.should_see('Last answer (HTTP status)')
        assert not _fields_labelled(user, 'Next attempt')  # delivered: there is none
        resend = [b for b in user.find(kind=ui.button, content='Resend').elements if b.props.get('label') == 'Resend']
        UserInteraction(user, {resend[0]}, None).click()  # not the endpoint dialog's 'Resend failed'
        await user.should_see('Delivered again (HTTP 200)', retries=50)
        assert [r.headers['x-backoffice-delivery'] for r in receiver.received] == [str(logged[0]['id'])] * 2


async def test_the_deliveries_list_says_why_a_delivery_is_still_pending(user: User, monkeypatch) -> None:
    """A receiver that is down: the list said 'Pending', 1 attempt, no answer, and not why until one opened it."""
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')
    reload_settings()
    admin = make_user('admin')
    with session_scope() as session:
        endpoint, _secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': 'Down "x": <b>', 'url': f'http://127.0.0.1:{free_port()}/in'}
        )
    with session_scope() as session:
        webhooks.send_test(session=session, actor=admin, endpoint_id=endpoint.id)
    await signed_in(user, admin.email, path='/webhooks')
    rows = await rows_of(user, 'last_error', 'could not connect', 'last_error')
    assert [row['status'] for row in rows if row['last_error'] == 'could not connect'] == ['Pending']


async def test_a_deliverys_last_error_reads_in_the_readers_language_and_an_old_one_as_stored(
    user: User, monkeypatch
) -> None:
    """The last error was stored as English text ('could not connect') and shown so to a French admin: it is stored
    as its msgid, read in the reader's language; the receiver's own words and rows written before read as stored."""
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')
    reload_settings()
    admin = make_user('admin')
    with session_scope() as session:
        endpoint, _secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': 'Bas "x": <b>é', 'url': f'http://127.0.0.1:{free_port()}/in'}
        )
    with session_scope() as session, i18n.use('fr'):  # sent while a French page asked: stored in English, with its key
        sent = webhooks.send_test(session=session, actor=admin, endpoint_id=endpoint.id)
    with read_session() as session:
        stored = session.get(WebhookDelivery, sent.id)
    assert (stored.last_error, stored.last_error_key) == ('could not connect', 'could not connect')
    with session_scope() as session:  # a row from before the key, and the receiver's own hostile words
        for said in ('could not connect', 'HTTP 418 <script>x</script>: "té"'):
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event='webhook.test',
                    dedup_key=f'old:{said}',
                    attempts=1,
                    last_error=said,
                    status='failed',
                )
            )
        users.set_language(session=session, actor=admin, language='fr')
    await signed_in(user, admin.email, path='/webhooks')
    rows = await rows_of(user, 'last_error', 'connexion impossible', 'last_error')
    errors = sorted(row['last_error'] for row in rows if row.get('last_error'))
    assert errors == ['HTTP 418 <script>x</script>: "té"', 'connexion impossible', 'connexion impossible']
    with i18n.use('fr'):
        assert webhooks.last_error(stored) == 'connexion impossible'


async def test_an_endpoint_for_every_event_says_all_events(user: User) -> None:
    """The list showed '*' for an endpoint subscribed to every event."""
    admin = make_user('admin')
    with session_scope() as session:
        for name, chosen in (('Everything "x": <b>', '*'), ('Orders', 'order.paid, order.shipped')):
            webhooks.create_endpoint(
                session=session,
                actor=admin,
                data={'name': name, 'url': 'https://hooks.example.com/in', 'events': chosen},
            )
    await signed_in(user, admin.email, path='/webhooks')
    rows = await rows_of(user, 'events', 'All events', 'events')
    assert {row['name']: row['events'] for row in rows} == {
        'Everything "x": <b>': 'All events',
        'Orders': 'order.paid, order.shipped',
    }
    with i18n.use('fr'):
        assert webhooks.events_said('*') == 'Tous les événements'


async def test_a_manager_cannot_open_webhooks(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/webhooks')
    await user.should_see("You don't have access to this page", retries=30)


def _fields_labelled(user: User, label: str) -> list:
    return [e for e in user.client.elements.values() if isinstance(e, ui.input) and e.props.get('label') == label]


def _open(user: User, column: str, row: dict) -> None:
    """Click a row of the list that has this column (tables.open_row assumes one list per page)."""
    UserInteraction(user, {table_with(user, column)}, None).trigger('rowClick', [{}, row, 0])


async def test_a_delivery_given_up_shows_in_red_in_the_log_and_on_a_phone(user: User) -> None:
    """A failed delivery waits for someone to Resend it; in the log it looked like any delivered one, and on a phone
    (no attempts or error shown) nothing told it apart."""
    admin = make_user('admin')
    with session_scope() as session:
        endpoint, _secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': 'Shop "x": <script>', 'url': 'https://hooks.example.com/in'}
        )
        for status, event in (('failed', 'order.paid'), ('delivered', 'order.created')):
            session.add(
                WebhookDelivery(endpoint_id=endpoint.id, event=event, dedup_key=f'{event}:1', status=status, attempts=6)
            )
        session.commit()
    await signed_in(user, admin.email, path='/webhooks')
    rows = await rows_of(user, 'attempts', 'order.paid', 'event')
    assert {row['event']: row['_late_status'] for row in rows} == {'order.paid': True, 'order.created': False}


async def test_a_role_managing_webhooks_alone_sees_a_delivery_and_its_next_attempt_but_not_its_payload(
    user: User,
) -> None:
    """A custom role with webhooks.manage alone read the customers' emails and orders in the payloads; and a pending
    delivery did not say when it is tried again (the list hid the column, the dialog gave no sense of how soon)."""
    admin = make_user('admin')
    with session_scope() as session:
        endpoint, _secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': 'Shop "x": <script>', 'url': 'https://hooks.example.com/in'}
        )
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event='order.paid',
                dedup_key='order.paid:7',
                payload={'order': {'customer_email': 'ana.lopez@example.com', 'number': '100042'}},
                attempts=1,
                next_attempt_at=utcnow() + timedelta(minutes=4, seconds=30),
                last_error='could not connect',
            )
        )
        session.commit()
    hooks_only = make_user(make_role('webhooks.manage', name='Integrations: "<b>é</b>"').key)
    await signed_in(user, hooks_only.email, path='/webhooks')
    rows = await rows_of(user, 'attempts', 'order.paid', 'event')
    assert [row['next_attempt_at'] for row in rows] == ['in 4 min']
    _open(user, 'attempts', rows[0])
    await user.should_see(
        'Payload hidden: needs "See customers and companies", "See orders, payments and shipments"', retries=30
    )
    await user.should_not_see('ana.lopez@example.com')
    [next_attempt] = _fields_labelled(user, 'Next attempt')
    assert not _fields_labelled(user, 'Delivered') and not _fields_labelled(user, 'Last answer (HTTP status)')
    assert next_attempt.props['hint'] == 'in 4 min'
    [status] = [  # the dialog's (read-only), not the list's Status filter
        e
        for e in user.client.elements.values()
        if isinstance(e, ui.select) and e.props.get('label') == 'Status' and 'readonly' in e.props
    ]
    assert status.options[status.value] == 'Pending'  # as the list says it, not the stored 'pending'


async def test_a_webhooks_password_shows_masked_everywhere_is_kept_by_an_edit_and_still_signs_in_the_delivery(
    user: User, monkeypatch
) -> None:
    """An address https://user:password@host/… showed its password in clear in the list, the edit form and the
    deliveries' webhook: it shows as •••••• everywhere, an edit that leaves it so keeps it, a new host needs it typed
    again, and the deliveries still carry it."""
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1 (development)
    reload_settings()
    admin = make_user('admin')
    with webhook_receiver() as receiver:
        secret_url = receiver.url.replace('http://', 'http://hook-user:S3cr3t-pw@') + '?token=T0ken-42&site=shop'
        with session_scope() as session:
            endpoint, _secret = webhooks.create_endpoint(
                session=session, actor=admin, data={'name': 'Shop "front": <b>x</b>', 'url': secret_url}
            )
        masked = receiver.url.replace('http://', 'http://••••••@') + '?token=••••••&site=shop'
        await signed_in(user, admin.email, path='/webhooks')
        rows = await rows_of(user, 'url', masked, 'url')
        assert 'S3cr3t' not in str(rows) and 'T0ken' not in str(rows)

        _open(user, 'url', next(r for r in rows if r['url'] == masked))
        await user.should_see('Send test event', retries=30)
        [address] = _fields_labelled(user, 'Address (https://…) *')
        assert address.value == masked
        address.set_value(masked.replace('?token', '-2?token'))  # a new path, the secrets left masked
        [name] = _fields_labelled(user, 'Name *')
        name.set_value("Shop 'front': <script>x</script>")
        user.find('Save changes').click()
        await user.should_see('Changes saved', retries=30)
        with read_session() as session:
            stored = session.get(WebhookEndpoint, endpoint.id)
        assert 'hook-user:S3cr3t-pw@' in stored.url and 'token=T0ken-42' in stored.url, stored.url

        moved = masked.replace('?token', '-2?token')
        rows = await rows_of(user, 'url', moved, 'url')
        _open(user, 'url', next(r for r in rows if r['url'] == moved))
        await user.should_see('Send test event', retries=30)
        send = [b for b in user.find(kind=ui.button, content='Send test event').elements]
        UserInteraction(user, {max(send, key=lambda b: b.id)}, None).click()  # the dialog opened last
        await user.should_see('Test event delivered (HTTP 200)', retries=50)
        assert receiver.received[-1].headers['authorization'] == 'Basic aG9vay11c2VyOlMzY3IzdC1wdw=='
        assert receiver.received[-1].path.endswith('-2?token=T0ken-42&site=shop')

        logged = await rows_of(user, 'attempts', 'Delivered', 'status')
        assert 'S3cr3t' not in str(logged)
        with read_session() as session:  # the audit log (its History tab, /audit) never held it
            entries = session.exec(select(AuditEntry).where(AuditEntry.entity == 'webhook')).all()
        assert entries and not any('S3cr3t' in str(e.model_dump()) or 'T0ken' in str(e.model_dump()) for e in entries)

        with session_scope() as session, pytest.raises(ValidationFailed, match='Type the password or token again'):
            webhooks.update_endpoint(  # the mask does not carry the password to another host
                session=session,
                actor=admin,
                endpoint_id=endpoint.id,
                version=None,
                changes={'url': 'https://••••••@elsewhere.example.com/in?token=••••••'},
            )
