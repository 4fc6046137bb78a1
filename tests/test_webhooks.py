"""Outbound webhooks: an endpoint gets one signed POST per event it chose (none for the others, none when inactive);
a failing receiver is retried with backoff until it answers 2xx or the last attempt fails; only admins manage them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlmodel import col, select

from backoffice import events, secret_box
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, Carrier, Shipment, Ticket, WebhookDelivery, WebhookEndpoint, utcnow
from backoffice.permissions import PermissionDenied
from backoffice.services import orders, tickets, trash, webhooks

from .support.factories import advance, fresh, make_product, make_role, make_user, pay, place
from .support.webhook_receiver import webhook_receiver


@pytest.fixture(autouse=True)
def wired(monkeypatch: pytest.MonkeyPatch):
    webhooks.wire()  # main.py does this at start-up; the test fixture clears the subscribers after each test
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1
    reload_settings()


@pytest.fixture
def admin():
    return make_user('admin')


def add_endpoint(admin, url: str, events: str = '*', *, active: bool = True, name: str = 'Shop') -> tuple[int, str]:
    with session_scope() as session:
        endpoint, secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': name, 'url': url, 'events': events, 'is_active': active}
        )
        return endpoint.id, secret


def deliveries() -> list[WebhookDelivery]:
    with read_session() as session:
        return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def delivery(delivery_id: int) -> WebhookDelivery:
    with read_session() as session:
        return session.get(WebhookDelivery, delivery_id)


def submit(subject: str = 'Where is my parcel?') -> None:
    with session_scope() as session:
        tickets.submit_request(session=session, email='cleo@example.com', subject=subject, body='It is late.')


def test_an_endpoint_for_order_paid_receives_exactly_one_signed_post_when_an_order_is_paid(admin) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=admin)
    with webhook_receiver() as paid, webhook_receiver() as shipped, webhook_receiver() as off:
        _, secret = add_endpoint(admin, paid.url, 'order.paid', name='Paid')
        add_endpoint(admin, shipped.url, 'order.shipped', name='Shipped only')
        add_endpoint(admin, off.url, '*', active=False, name='Switched off')
        order = place(('MUG', 2))
        pay(admin, order)
        pay_again = webhooks.dispatch_due()
        assert pay_again == {'delivered': 1, 'retry': 0, 'failed': 0}
        assert webhooks.dispatch_due() == {'delivered': 0, 'retry': 0, 'failed': 0}  # nothing sent twice

        assert (len(paid.received), shipped.received, off.received) == (1, [], [])
        post = paid.received[0]
        assert post.path == '/hooks/backoffice'
        assert post.headers['content-type'] == 'application/json'
        assert post.headers['x-backoffice-event'] == 'order.paid'
        assert post.headers['x-backoffice-delivery'] == str(deliveries()[0].id)
        assert abs(int(post.headers['x-backoffice-timestamp']) - utcnow().timestamp()) < 120
        expected = 'sha256=' + hmac.new(secret.encode(), post.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(post.headers['x-backoffice-signature'], expected)
        body = json.loads(post.body)
        assert body['event'] == 'order.paid'
        assert body['data']['order'] | {'placed_at': None, 'updated_at': None} == {
            'number': order.number,
            'external_id': None,
            'status': 'paid',
            'total': '60.00',
            'currency': 'EUR',
            'paid_total': '60.00',
            'refunded_total': '0.00',
            'customer_email': 'cleo@example.com',
            'placed_at': None,
            'updated_at': None,
        }
        assert secret not in post.body.decode()
    [sent] = deliveries()
    assert (sent.status, sent.attempts, sent.last_status_code) == ('delivered', 1, 200)


def test_the_front_office_hears_the_parcels_tracking_when_it_leaves_and_each_time_it_is_put_right(admin) -> None:
    """order.shipped carries the carrier, the tracking number and its link (what the front office emails the
    customer); a number put right after the parcel left is order.tracking_changed, once per correction."""
    make_product('MUG', '25.00', stock_on_hand=5, actor=admin)
    with session_scope() as session:
        carrier = Carrier(
            code='dhl', name='DHL "Express": <b>', tracking_url_template='https://track.example/{tracking}'
        )
        session.add(carrier)
        session.commit()
        carrier_id = carrier.id
    with webhook_receiver() as front, webhook_receiver() as shipped_only:
        add_endpoint(admin, front.url, 'order.shipped, order.tracking_changed', name='Front office')
        add_endpoint(admin, shipped_only.url, 'order.shipped', name='Shipped only')
        order = place(('MUG', 1))
        pay(admin, order)
        order = advance(admin, order, 'pack')
        with session_scope() as session:
            shipment = orders.ship(
                session=session,
                actor=admin,
                order_id=order.id,
                version=order.version,
                carrier_id=carrier_id,
                tracking_number='JD 0146',
            )
            shipment_id = shipment.id
        for number in ('JD0147', 'JD0146'):  # typed wrong, then put back: two corrections, two events
            with session_scope() as session:
                orders.correct_tracking(
                    session=session, actor=admin, shipment_id=shipment_id, carrier_id=carrier_id, tracking_number=number
                )
        assert webhooks.dispatch_due() == {'delivered': 4, 'retry': 0, 'failed': 0}
        bodies = [json.loads(post.body) for post in front.received]
        assert [body['event'] for body in bodies] == [
            'order.shipped',
            'order.tracking_changed',
            'order.tracking_changed',
        ]
        assert [json.loads(post.body)['event'] for post in shipped_only.received] == ['order.shipped']
        parcels = [body['data']['shipment'] | {'shipped_at': None} for body in bodies]
        assert parcels == [
            {
                'carrier': 'DHL "Express": <b>',
                'tracking_number': number,
                'tracking_url': f'https://track.example/{number}',
                'shipped_at': None,
                'delivered_at': None,
                'lines': [{'sku': 'MUG', 'name': 'Product MUG', 'quantity': 1}],  # what is in it
            }
            for number in ('JD0146', 'JD0147', 'JD0146')
        ]
        assert bodies[0]['data']['order']['number'] == order.number
        assert bodies[-1]['data']['order']['status'] == 'shipped'
    with read_session() as session:
        assert session.get(Shipment, shipment_id).tracking_number == 'JD0146'
    assert fresh(order.id).status == 'shipped'


def test_each_parcel_of_an_order_shipped_in_two_is_told_with_its_items(admin) -> None:
    """The first parcel is order.parcel_shipped (once per parcel), the last one order.shipped, as a whole order's is;
    a correction or a delivery carries the parcel it was about, not the latest."""
    make_product('MUG', '25.00', stock_on_hand=5, actor=admin)
    make_product('TEE', '20.00', stock_on_hand=5, actor=admin)
    with webhook_receiver() as front:
        add_endpoint(admin, front.url, '*', name='Front office')
        order = place(('MUG', 2), ('TEE', 1))
        pay(admin, order)
        order = advance(admin, order, 'pack')
        with read_session() as session:
            mug_line = orders.order_lines(session, order.id)[0].id
        parcels = []
        for lines, tracking in (({mug_line: 1}, 'P1'), (None, 'P2')):
            with session_scope() as session:
                parcels.append(
                    orders.ship(
                        session=session,
                        actor=admin,
                        order_id=order.id,
                        version=fresh(order.id).version,
                        lines=lines,
                        tracking_number=tracking,
                    ).id
                )
        with session_scope() as session:
            orders.correct_tracking(session=session, actor=admin, shipment_id=parcels[0], tracking_number='P1B')
        for parcel in parcels:
            with session_scope() as session:
                orders.deliver_parcel(session=session, actor=admin, shipment_id=parcel)
        webhooks.dispatch_due()
        told = [
            (body['event'], body['data']['shipment']['tracking_number'], body['data']['shipment']['lines'])
            for body in (json.loads(post.body) for post in front.received)
            if 'shipment' in body['data']
        ]
    first = [{'sku': 'MUG', 'name': 'Product MUG', 'quantity': 1}]
    rest = [{'sku': 'MUG', 'name': 'Product MUG', 'quantity': 1}, {'sku': 'TEE', 'name': 'Product TEE', 'quantity': 1}]
    assert told == [
        ('order.parcel_shipped', 'P1', first),
        ('order.shipped', 'P2', rest),
        ('order.tracking_changed', 'P1B', first),
        ('order.parcel_delivered', 'P1B', first),
        ('order.delivered', 'P2', rest),
    ]


def test_the_same_event_heard_twice_is_queued_once(admin) -> None:
    """The same change published again (or relayed back by another process): the delivery's key makes it a no-op."""
    add_endpoint(admin, 'https://hooks.example.com/in', 'request.created')
    submit()
    assert len(deliveries()) == 1
    ticket_id = int(deliveries()[0].dedup_key.split(':')[1])
    with session_scope() as session:
        events.after_commit(session, events.Topic.tickets, {'id': ticket_id, 'action': 'created'})
        events.after_commit(session, events.Topic.tickets, {'id': ticket_id, 'action': 'created'})
        session.commit()
    events.deliver(events.Topic.tickets, {'id': ticket_id, 'action': 'created'})  # relayed: writers do not run
    assert len(deliveries()) == 1


def test_a_delivery_commits_with_its_change_and_never_without_it(admin) -> None:
    """The outbox is written in the change's own transaction: when that transaction fails at its commit, neither the
    request nor its delivery exists; when it commits, both do (no moment where a crash keeps one without the other)."""
    add_endpoint(admin, 'https://hooks.example.com/in', 'request.created')

    class DiskFull(Exception):
        pass

    def fail(_session, _payload) -> None:
        raise DiskFull

    events.write_with(events.Topic.tickets, fail, key='test.fail')  # runs after the webhooks' writer
    with pytest.raises(DiskFull):
        submit('Lost with its delivery')
    with read_session() as session:
        assert session.exec(select(Ticket).where(Ticket.subject == 'Lost with its delivery')).first() is None
    assert deliveries() == []

    events.write_with(events.Topic.tickets, lambda _session, _payload: None, key='test.fail')
    submit('Kept with its delivery')
    assert [d.event for d in deliveries()] == ['request.created']


def test_a_failing_receiver_is_retried_with_backoff_and_a_later_200_delivers(admin) -> None:
    with webhook_receiver() as receiver:
        receiver.answers = [500]
        add_endpoint(admin, receiver.url, 'request.created')
        submit()
        assert webhooks.dispatch_due() == {'delivered': 0, 'retry': 1, 'failed': 0}
        [waiting] = deliveries()
        assert (waiting.status, waiting.attempts, waiting.last_status_code) == ('pending', 1, 500)
        assert timedelta(seconds=50) < waiting.next_attempt_at - utcnow() <= timedelta(minutes=1)
        assert webhooks.dispatch_due() == {'delivered': 0, 'retry': 0, 'failed': 0}  # not due yet
        assert webhooks.dispatch_due(now=utcnow() + timedelta(minutes=2)) == {'delivered': 1, 'retry': 0, 'failed': 0}
        assert len(receiver.received) == 2
        assert receiver.received[0].body == receiver.received[1].body  # the same event, the same signature
    done = delivery(waiting.id)
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == ('delivered', 2, 200, None)


def test_a_delivery_fails_after_the_last_attempt_and_resend_starts_it_over(admin) -> None:
    with webhook_receiver() as receiver:
        receiver.answers = [503] * webhooks.MAX_ATTEMPTS
        endpoint_id, _ = add_endpoint(admin, receiver.url, 'request.created')
        submit()
        later = utcnow()
        waits = []
        for _ in range(webhooks.MAX_ATTEMPTS):
            webhooks.dispatch_due(now=later)
            current = delivery(deliveries()[0].id)
            waits.append(current.next_attempt_at - utcnow())
            later = current.next_attempt_at + timedelta(seconds=1)
        failed = delivery(deliveries()[0].id)
        assert (failed.status, failed.attempts, failed.last_status_code) == ('failed', webhooks.MAX_ATTEMPTS, 503)
        assert 'HTTP 503' in failed.last_error
        assert [round(w.total_seconds() / 60) for w in waits[:5]] == [1, 5, 30, 120, 720]  # exponential backoff
        assert webhooks.dispatch_due(now=utcnow() + timedelta(days=2))['delivered'] == 0
        assert len(receiver.received) == webhooks.MAX_ATTEMPTS

        with session_scope() as session:
            assert webhooks.resend_failed(session=session, actor=admin, endpoint_id=endpoint_id) == 1
        assert webhooks.dispatch_due() == {'delivered': 1, 'retry': 0, 'failed': 0}
    assert delivery(failed.id).status == 'delivered'


def test_an_unreachable_receiver_is_an_error_to_retry_not_a_crash(admin) -> None:
    with webhook_receiver() as receiver:
        url = receiver.url
    add_endpoint(admin, url, '*')  # the server is gone: connection refused
    submit()
    assert webhooks.dispatch_due() == {'delivered': 0, 'retry': 1, 'failed': 0}
    [waiting] = deliveries()
    assert (waiting.last_status_code, waiting.last_error) == (None, 'could not connect')  # no port-probing detail


def test_requests_and_orders_map_to_their_event_types(admin) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=admin)
    add_endpoint(admin, 'https://hooks.example.com/in', '*')
    submit()
    order = place(('MUG', 1))
    pay(admin, order)
    with session_scope() as session:
        ticket = tickets.get_ticket(
            session=session, actor=admin, number=int(deliveries()[0].payload['request']['number'])
        )
        tickets.reply(
            session=session,
            actor=admin,
            ticket_id=ticket.id,
            version=ticket.version,
            body='On its way',
            status='solved',
        )
    assert [d.event for d in deliveries()] == [
        'request.created',
        'order.created',
        'order.paid',
        'request.replied',
        'request.solved',
    ]
    request = deliveries()[-1].payload['request']
    assert (request['status'], request['subject'], request['customer_email']) == (
        'solved',
        'Where is my parcel?',
        'cleo@example.com',
    )


def test_only_admins_manage_webhooks(admin) -> None:
    endpoint_id, _ = add_endpoint(admin, 'https://hooks.example.com/in')
    for role in ('manager', 'agent', 'viewer'):
        someone = make_user(role, email=f'{role}@example.com')
        with session_scope() as session, pytest.raises(PermissionDenied):
            webhooks.create_endpoint(session=session, actor=someone, data={'name': 'X', 'url': 'https://x.example'})
        with session_scope() as session, pytest.raises(PermissionDenied):
            webhooks.update_endpoint(
                session=session, actor=someone, endpoint_id=endpoint_id, version=None, changes={'is_active': False}
            )
        with session_scope() as session, pytest.raises(PermissionDenied):
            webhooks.send_test(session=session, actor=someone, endpoint_id=endpoint_id)
        with session_scope() as session, pytest.raises(PermissionDenied):
            webhooks.resend_failed(session=session, actor=someone, endpoint_id=endpoint_id)


def test_a_role_that_manages_webhooks_but_may_not_read_customers_cannot_send_their_data_anywhere(admin) -> None:
    """Payloads carry customers' emails, orders and requests: a custom role with webhooks.manage alone may neither add
    an endpoint nor point an admin's endpoint at its own address; one that reads orders and customers may send order
    events, not requests'."""
    endpoint_id, _ = add_endpoint(admin, 'https://hooks.example.com/in')
    hooks_only = make_user(make_role('webhooks.manage').key)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        webhooks.create_endpoint(
            session=session, actor=hooks_only, data={'name': 'Mine "x": <b>', 'url': 'https://evil.example/in'}
        )
    assert 'ask an admin' in refused.value.errors['events']
    with session_scope() as session, pytest.raises(ValidationFailed):
        webhooks.update_endpoint(
            session=session,
            actor=hooks_only,
            endpoint_id=endpoint_id,
            version=None,
            changes={'url': 'https://evil.example/in'},
        )
    with read_session() as session:
        assert session.get(WebhookEndpoint, endpoint_id).url == 'https://hooks.example.com/in'
    with session_scope() as session:  # a harmless change (its name) is still theirs to make
        webhooks.update_endpoint(
            session=session, actor=hooks_only, endpoint_id=endpoint_id, version=None, changes={'name': 'Shop hooks'}
        )
    orders_too = make_user(make_role('webhooks.manage', 'orders.read', 'customers.read').key)
    with session_scope() as session:
        webhooks.create_endpoint(
            session=session,
            actor=orders_too,
            data={'name': 'ERP', 'url': 'https://erp.example/in', 'events': 'order.paid'},
        )
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        webhooks.create_endpoint(
            session=session, actor=orders_too, data={'name': 'All', 'url': 'https://erp.example/all', 'events': '*'}
        )
    assert 'See customer requests' in refused.value.errors['events']


def test_bad_input_is_refused_at_the_field_and_the_secret_never_reaches_the_audit_log(admin) -> None:
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        webhooks.create_endpoint(
            session=session,
            actor=admin,
            data={'name': ' ', 'url': 'http://shop.example.com/hook', 'events': 'order.paid, order.lost'},
        )
    assert set(refused.value.errors) == {'name', 'url', 'events'}
    assert 'https://' in refused.value.errors['url']
    endpoint_id, secret = add_endpoint(admin, 'https://shop.example.com/hook', 'order.shipped order.paid')
    with session_scope() as session:
        endpoint = webhooks.update_endpoint(
            session=session, actor=admin, endpoint_id=endpoint_id, version=1, changes={'is_active': False}
        )
        assert (endpoint.events, endpoint.is_active, endpoint.version) == ('order.paid, order.shipped', False, 2)
        _, rotated = webhooks.rotate_secret(session=session, actor=admin, endpoint_id=endpoint_id, version=2)
    with read_session() as session:
        assert secret_box.decrypt(session.get(WebhookEndpoint, endpoint_id).secret) == rotated  # signs from now on
        entries = list(
            session.exec(select(AuditEntry).where(AuditEntry.entity == 'webhook').order_by(col(AuditEntry.id)))
        )
    assert [e.action for e in entries] == ['webhook.created', 'webhook.updated', 'webhook.secret-rotated']
    logged = json.dumps([e.changes for e in entries]) + ' '.join(e.summary for e in entries)
    assert secret not in logged and rotated not in logged and rotated != secret


def test_a_test_event_is_sent_at_once_even_to_an_inactive_endpoint(admin) -> None:
    with webhook_receiver() as receiver:
        endpoint_id, _ = add_endpoint(admin, receiver.url, 'order.paid', active=False)
        with session_scope() as session:
            sent = webhooks.send_test(session=session, actor=admin, endpoint_id=endpoint_id)
        assert (sent.event, sent.status, sent.last_status_code) == ('webhook.test', 'delivered', 200)
        assert receiver.received[0].headers['x-backoffice-event'] == 'webhook.test'


def test_resend_tries_a_failed_delivery_again_at_once(admin) -> None:
    with webhook_receiver() as receiver:
        receiver.answers = [500] * webhooks.MAX_ATTEMPTS
        add_endpoint(admin, receiver.url, 'request.created')
        submit()
        [queued] = deliveries()
        with session_scope() as session, pytest.raises(ValidationFailed):
            webhooks.resend(session=session, actor=admin, delivery_id=queued.id)  # still being tried
        later = utcnow()
        for _ in range(webhooks.MAX_ATTEMPTS):
            webhooks.dispatch_due(now=later)
            later = delivery(queued.id).next_attempt_at + timedelta(seconds=1)
        assert delivery(queued.id).status == 'failed'
        with session_scope() as session, pytest.raises(PermissionDenied):
            webhooks.resend(session=session, actor=make_user('manager'), delivery_id=queued.id)
        with session_scope() as session:
            resent = webhooks.resend(session=session, actor=admin, delivery_id=queued.id)
        assert (resent.status, resent.attempts, resent.last_status_code) == ('delivered', 1, 200)
        assert len(receiver.received) == webhooks.MAX_ATTEMPTS + 1


def test_a_deleted_webhook_gets_nothing_more_and_purging_it_takes_its_log_along(admin) -> None:
    from backoffice.resources import resource
    from backoffice.services import crud

    webhook = resource('webhooks')
    endpoint_id, secret = add_endpoint(admin, 'https://hooks.example.com/in', 'request.created')
    submit('First')
    with session_scope() as session:
        crud.delete_record(session=session, actor=admin, resource=webhook, record_id=endpoint_id, version=1)
    submit('Second')
    assert len(deliveries()) == 1  # only the request from before the delete
    assert webhooks.dispatch_due() == {'delivered': 0, 'retry': 0, 'failed': 0}  # not sent to the trash
    assert deliveries()[0].status == 'failed'
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'webhook.deleted')).one()
    assert secret not in json.dumps(entry.changes)
    with session_scope() as session:
        assert trash.purge_deleted(session=session, resource=webhook, older_than=timedelta(0)).purged == 1
    assert deliveries() == []


def test_after_a_failed_delivery_the_ones_queued_after_it_wait_and_arrive_in_order(admin) -> None:
    with webhook_receiver() as shop:
        shop.answers = [503]  # down once, then fine
        add_endpoint(admin, shop.url, 'request.created')
        for n in range(3):
            submit(f'Parcel {n}')

        assert webhooks.dispatch_due() == {'delivered': 0, 'retry': 1, 'failed': 0}
        assert webhooks.dispatch_due() == {'delivered': 0, 'retry': 0, 'failed': 0}  # the next ones wait for the first
        assert webhooks.dispatch_due(now=utcnow() + timedelta(minutes=2))['delivered'] == 3

        subjects = [json.loads(post.body)['data']['request']['subject'] for post in shop.received]
        assert subjects == ['Parcel 0', 'Parcel 0', 'Parcel 1', 'Parcel 2']


def test_the_deliveries_waiting_behind_a_retry_say_when_they_go_not_overdue(admin) -> None:
    """The log showed "overdue" in red for each delivery queued behind one waiting its retry: they wait for it, by
    design, and go with it."""
    with webhook_receiver() as shop:
        shop.answers = [503]
        add_endpoint(admin, shop.url, 'request.created', name='Shop "<script>": x')
        for n in range(3):
            submit(f'Parcel "<b>": {n}')
        webhooks.dispatch_due()
        first, *behind = deliveries()

        retry_at = webhooks.next_attempt(first)
        assert retry_at is not None and retry_at > utcnow()
        assert [webhooks.next_attempt(waiting) for waiting in behind] == [retry_at, retry_at]
        assert [webhooks.next_attempt_said(waiting) for waiting in behind] == [webhooks.next_attempt_said(first)] * 2
        assert webhooks.next_attempt_said(first) != 'due now'

        webhooks.dispatch_due(now=utcnow() + timedelta(minutes=2))
        assert [webhooks.next_attempt(sent) for sent in deliveries()] == [None, None, None]  # delivered, in order


def test_endpoints_are_served_side_by_side_each_in_order_and_a_failing_one_is_not_hammered(admin) -> None:
    with webhook_receiver() as healthy, webhook_receiver() as down:
        down.answers = [503] * 10
        add_endpoint(admin, healthy.url, 'request.created', name='Healthy')
        add_endpoint(admin, down.url, 'request.created', name='Down')
        for n in range(4):
            submit(f'Parcel {n}: "late" <script>x</script>')

        counts = webhooks.dispatch_due()

        subjects = [json.loads(post.body)['data']['request']['subject'] for post in healthy.received]
        assert subjects == [f'Parcel {n}: "late" <script>x</script>' for n in range(4)]  # in the order queued
        assert len(down.received) == 1  # the first failure stops that endpoint for this run
        assert counts == {'delivered': 4, 'retry': 1, 'failed': 0}
