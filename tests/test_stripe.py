"""Stripe, against a local server following Stripe's API: signed webhooks record a payment once, bad or stale
signatures are refused with a sentence, refunds are sent with an idempotency key (a retry never refunds twice), a
failed refund says why, "Sync status" fixes a drift, and a role without orders.write is refused on the server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice.api.payments import router
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, GatewayEvent, GatewayIntent, GatewayRefund, Invoice, Payment, Refund
from backoffice.services import app_settings, gateway_payments, orders

from .support.api import api_client
from .support.at_once import first_saves_at_once
from .support.factories import fresh, make_product, make_user, place
from .support.stripe_server import SECRET_KEY, WEBHOOK_SECRET, StripeServer, set_up_stripe, sign
from .support.stripe_server import paid_through_stripe as paid_in_full

WEBHOOK = '/api/payments/stripe/webhook'


@pytest.fixture
def admin():
    return make_user('admin')


@pytest.fixture
def stripe(admin, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, admin, monkeypatch)
        yield server


def an_order():
    make_product('MUG', '25.00', stock_on_hand=5, actor=make_user('manager'))
    return place(('MUG', 2))  # 60.00 with VAT


async def deliver(payload: bytes, signature: str | None = None):
    async with api_client(router) as client:
        return await client.post(
            WEBHOOK,
            content=payload,
            headers={'Stripe-Signature': signature if signature is not None else sign(payload)},
        )


def paid_through_stripe(stripe: StripeServer, order) -> dict:
    return paid_in_full(stripe, order, 6000)


async def test_a_signed_event_records_the_payment_once_even_when_replayed(stripe) -> None:
    order = an_order()
    intent = stripe.add_intent(order_id=order.id, amount=6000)
    event = stripe.event('payment_intent.succeeded', intent)
    answers = [await deliver(event) for _ in range(3)]  # Stripe retries; a second endpoint resends
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert 'recorded on order' in answers[0].json()['outcome']
    assert answers[1].json()['outcome'].startswith('replay')
    order = fresh(order.id)
    assert (order.status, order.paid_total) == ('paid', Decimal('60.00'))
    with read_session() as session:
        paid = session.exec(select(Payment)).all()
        assert [(p.provider, p.method, p.reference, p.amount) for p in paid] == [
            ('stripe', 'card', intent['id'], Decimal('60.00'))
        ]
        assert len(session.exec(select(Invoice)).all()) == 1  # invoiced as today
        assert len(session.exec(select(GatewayEvent)).all()) == 1


async def test_bad_and_stale_signatures_are_refused_with_a_sentence(stripe) -> None:
    order = an_order()
    event = stripe.event('payment_intent.succeeded', stripe.add_intent(order_id=order.id, amount=6000))
    forged = await deliver(event, sign(event, secret='whsec_someone_else'))
    assert forged.status_code == 400
    assert forged.json() == {'detail': 'The signature does not match the webhook signing secret'}
    stale = await deliver(event, sign(event, timestamp=int(time.time()) - 301))
    assert stale.status_code == 400
    assert stale.json() == {'detail': 'The signature is older than 300 seconds: the event was refused'}
    tampered = await deliver(event.replace(b'6000', b'1'), sign(event))
    assert tampered.status_code == 400
    missing = await deliver(event, '')
    assert (missing.status_code, missing.json()) == (400, {'detail': 'The Stripe-Signature header is missing'})
    assert fresh(order.id).paid_total == Decimal('0.00')


async def test_an_event_for_an_unknown_order_is_acknowledged_and_ignored(stripe) -> None:
    event = stripe.event('payment_intent.succeeded', stripe.add_intent(order_id=999999, amount=6000))
    answer = await deliver(event)
    assert answer.status_code == 200
    assert answer.json()['outcome'].startswith('ignored')
    with read_session() as session:
        assert session.exec(select(Payment)).all() == []


def test_a_refund_retried_after_a_lost_answer_is_made_once(stripe, admin) -> None:
    order = an_order()
    intent = paid_through_stripe(stripe, order)
    stripe.state.drop_next_refund_answer = True  # Stripe refunds, the answer is lost: the SDK retries with the key
    with session_scope() as session:
        row = gateway_payments.request_refund(
            session=session, actor=admin, order_id=order.id, amount='15.00', reason='Scratched "mug" <b>: très</b>'
        )
    sent = [s for s in stripe.state.seen if s.path == '/v1/refunds' and s.method == 'POST']
    assert len(sent) == 2 and sent[0].idempotency_key == sent[1].idempotency_key == f'backoffice-refund-{row.id}'
    assert [(r['amount'], r['payment_intent']) for r in stripe.refunds_made()] == [(1500, intent['id'])]
    assert (row.status, row.reference) == ('succeeded', stripe.refunds_made()[0]['id'])
    order = fresh(order.id)
    assert order.refunded_total == Decimal('15.00')
    with read_session() as session:
        assert [r.reason for r in session.exec(select(Refund))] == ['Scratched "mug" <b>: très</b>']
        assert [i.kind for i in session.exec(select(Invoice).order_by(Invoice.id))] == ['invoice', 'credit_note']
    # the refund.updated webhook that follows changes nothing more
    refund_event = stripe.event('refund.updated', stripe.refunds_made()[0])
    with session_scope() as session:
        gateway_payments.apply_webhook(
            session=session,
            provider_key='stripe',
            payload=refund_event,
            headers={'stripe-signature': sign(refund_event)},
        )
    assert fresh(order.id).refunded_total == Decimal('15.00')


def test_a_refund_is_checked_against_what_is_refundable(stripe, admin) -> None:
    order = an_order()
    paid_through_stripe(stripe, order)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        gateway_payments.request_refund(session=session, actor=admin, order_id=order.id, amount='60.01', reason='x')
    assert refused.value.errors == {'amount': 'At most €60.00 can be refunded on order 100001'}
    stripe.state.next_refund_status = 'pending'
    with session_scope() as session:
        row = gateway_payments.request_refund(
            session=session, actor=admin, order_id=order.id, amount='50.00', reason='Late'
        )
    assert row.status == 'pending'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # 50.00 is on its way
        gateway_payments.request_refund(session=session, actor=admin, order_id=order.id, amount='10.01', reason='x')
    assert refused.value.errors == {'amount': 'At most €10.00 can be refunded on order 100001'}
    assert len(stripe.refunds_made()) == 1


def test_a_failed_refund_is_shown_in_words_and_books_nothing(stripe, admin) -> None:
    order = an_order()
    paid_through_stripe(stripe, order)
    stripe.state.next_refund_status = 'failed'
    with session_scope() as session:
        row = gateway_payments.request_refund(
            session=session, actor=admin, order_id=order.id, amount='20.00', reason='Broken'
        )
    assert (row.status, row.message) == (
        'failed',
        'The card expired or was cancelled: the bank refused the refund',
    )
    assert fresh(order.id).refunded_total == Decimal('0.00')
    with read_session() as session:
        timeline = [orders.timeline_text(e) for e in orders.timeline(session=session, actor=admin, order_id=order.id)]
    assert (
        timeline[-1] == 'Stripe refund of €20.00 failed: The card expired or was cancelled: the bank refused the refund'
    )
    # Stripe refuses outright (more than is left at Stripe): its own message is kept
    stripe.state.next_refund_status = 'succeeded'
    stripe.state.intents[next(iter(stripe.state.intents))]['amount_received'] = 1000
    with session_scope() as session:
        row = gateway_payments.request_refund(
            session=session, actor=admin, order_id=order.id, amount='20.00', reason='Broken'
        )
    assert row.status == 'failed'
    assert row.message == 'Stripe: Refund amount (€20.00) is greater than unrefunded amount on charge (€10.00)'


def test_a_refund_failing_later_comes_by_webhook(stripe, admin) -> None:
    order = an_order()
    paid_through_stripe(stripe, order)
    stripe.state.next_refund_status = 'pending'
    with session_scope() as session:
        gateway_payments.request_refund(session=session, actor=admin, order_id=order.id, amount='20.00', reason='x')
    made = stripe.refunds_made()[0]
    made.update(status='failed', failure_reason='lost_or_stolen_card')
    event = stripe.event('refund.updated', made)
    with session_scope() as session:
        gateway_payments.apply_webhook(
            session=session, provider_key='stripe', payload=event, headers={'stripe-signature': sign(event)}
        )
    with read_session() as session:
        row = session.exec(select(GatewayRefund)).one()
    assert (row.status, row.message) == ('failed', 'The card was reported lost or stolen: the bank refused the refund')
    assert fresh(order.id).refunded_total == Decimal('0.00')


def test_sync_fixes_a_drift_and_is_audited(stripe, admin) -> None:
    order = an_order()
    intent = stripe.add_intent(order_id=order.id, amount=6000, status='requires_capture')
    event = stripe.event('payment_intent.amount_capturable_updated', intent)
    with session_scope() as session:
        gateway_payments.apply_webhook(
            session=session, provider_key='stripe', payload=event, headers={'stripe-signature': sign(event)}
        )
    # the capture's webhook never arrived; a refund was made in Stripe's dashboard
    intent.update(status='succeeded', amount_received=6000)
    stripe.state.refunds['re_dash'] = {
        'id': 're_dash',
        'object': 'refund',
        'amount': 1000,
        'currency': 'eur',
        'payment_intent': intent['id'],
        'status': 'succeeded',
        'metadata': {},
        'failure_reason': None,
    }
    with session_scope() as session:
        fixed = gateway_payments.sync_order(session=session, actor=admin, order_id=order.id)
    assert len(fixed) == 1 and 'recorded on order' in fixed[0] and 're_dash' in fixed[0]
    order = fresh(order.id)
    assert (order.status, order.paid_total, order.refunded_total) == ('paid', Decimal('60.00'), Decimal('10.00'))
    with session_scope() as session:
        assert gateway_payments.sync_order(session=session, actor=admin, order_id=order.id) == []
    with read_session() as session:
        synced = session.exec(select(AuditEntry).where(AuditEntry.action == 'order.gateway_synced')).all()
        assert len(synced) == 2


def test_an_uncaptured_payment_is_cancelled_at_stripe(stripe, admin) -> None:
    order = an_order()
    intent = stripe.add_intent(order_id=order.id, amount=6000, status='requires_capture')
    event = stripe.event('payment_intent.amount_capturable_updated', intent)
    with session_scope() as session:
        gateway_payments.apply_webhook(
            session=session, provider_key='stripe', payload=event, headers={'stripe-signature': sign(event)}
        )
        row = session.exec(select(GatewayIntent)).one()
    with session_scope() as session:
        cancelled = gateway_payments.cancel_intent(session=session, actor=admin, intent_id=row.id)
    assert cancelled.status == 'canceled' and intent['status'] == 'canceled'
    with session_scope() as session, pytest.raises(ValidationFailed):
        gateway_payments.cancel_intent(session=session, actor=admin, intent_id=row.id)


def test_a_role_without_orders_write_is_refused_on_the_server(stripe) -> None:
    order = an_order()
    paid_through_stripe(stripe, order)
    viewer = make_user('viewer')
    with session_scope() as session, pytest.raises(PermissionDenied):
        gateway_payments.request_refund(session=session, actor=viewer, order_id=order.id, amount='1.00', reason='x')
    with session_scope() as session, pytest.raises(PermissionDenied):
        gateway_payments.sync_order(session=session, actor=viewer, order_id=order.id)
    with session_scope() as session, pytest.raises(PermissionDenied):
        gateway_payments.check_connection(session=session, actor=viewer, provider_key='stripe')
    assert stripe.refunds_made() == []


def test_test_connection_says_what_stripe_answered(stripe, admin) -> None:
    with session_scope() as session:
        assert gateway_payments.check_connection(session=session, actor=admin, provider_key='stripe') == (
            'Connected to Stripe (test mode)'
        )
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'stripe_secret_key': 'sk_test_wrong'}, loaded={})
    with session_scope() as session, pytest.raises(gateway_payments.GatewayFailed, match='refused the secret key'):
        gateway_payments.check_connection(session=session, actor=admin, provider_key='stripe')


def test_the_secrets_are_stored_encrypted_and_never_in_the_audit_log(stripe) -> None:
    with read_session() as session:
        from backoffice.models import AppSetting

        stored = session.get(AppSetting, 'stripe_secret_key').value
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'settings.changed')).one()
    assert stored.startswith('fernet:') and SECRET_KEY not in stored
    assert SECRET_KEY not in str(entry.changes) and WEBHOOK_SECRET not in str(entry.changes)


def test_two_deliveries_of_one_event_at_once_record_one_payment(stripe) -> None:
    order = an_order()
    intent = stripe.add_intent(order_id=order.id, amount=6000)
    event = stripe.event('payment_intent.succeeded', intent)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def deliver_now() -> None:
        start.wait()
        with session_scope() as session:
            outcomes.append(
                gateway_payments.apply_webhook(
                    session=session, provider_key='stripe', payload=event, headers={'stripe-signature': sign(event)}
                )
            )

    workers = [threading.Thread(target=deliver_now) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(o.split(':')[0] for o in outcomes) == [f'payment {intent["id"]} recorded on order 100001', 'replay']
    with read_session() as session:
        assert len(session.exec(select(Payment)).all()) == 1
    assert fresh(order.id).paid_total == Decimal('60.00')


def test_two_events_of_one_new_payment_at_once_record_the_payment(stripe, monkeypatch) -> None:
    """Stripe sends "processing" and "succeeded" for a payment this shop has not seen yet, at the same moment: the
    "succeeded" delivery is held after finding no local record of the payment until the other has looked too, or
    for 3 s. The payment is recorded (the "succeeded" one used to fail on the payment's duplicate key, was taken for
    a replay and acknowledged: the order stayed unpaid)."""
    order = an_order()
    intent = stripe.add_intent(order_id=order.id, amount=6000)
    succeeded = stripe.event('payment_intent.succeeded', intent)
    processing = stripe.event('payment_intent.processing', {**intent, 'status': 'processing', 'amount_received': 0})

    def delivering(event: bytes):
        def deliver_now() -> str:
            with session_scope() as session:
                return gateway_payments.apply_webhook(
                    session=session, provider_key='stripe', payload=event, headers={'stripe-signature': sign(event)}
                )

        return deliver_now

    first, second = first_saves_at_once(monkeypatch, gateway_payments, delivering(succeeded), delivering(processing))
    assert 'recorded on order' in str(first), (first, second)
    with read_session() as session:
        assert len(session.exec(select(Payment)).all()) == 1
        assert session.exec(select(GatewayIntent.status)).all() == ['succeeded']  # the processing one came late
    assert fresh(order.id).paid_total == Decimal('60.00')


async def test_a_processing_event_delivered_after_succeeded_leaves_the_payment_paid(stripe, admin) -> None:
    """Stripe sends "processing" then "succeeded", and delivers them the other way round (its retries, two endpoints):
    the late "processing" changes nothing. The payment stays paid and the order page shows no payment still
    processing (the late event used to rewrite the payment's status back to processing, a paid order showing it)."""
    order = an_order()
    intent = stripe.add_intent(order_id=order.id, amount=6000)
    processing = stripe.event('payment_intent.processing', {**intent, 'status': 'processing', 'amount_received': 0})
    assert 'recorded on order' in (await deliver(stripe.event('payment_intent.succeeded', intent))).json()['outcome']
    late = await deliver(processing)
    assert late.status_code == 200
    with read_session() as session:
        row = session.exec(select(GatewayIntent).where(GatewayIntent.reference == intent['id'])).one()
        assert (row.status, gateway_payments.intent_said(row)) == ('succeeded', 'paid')
        picture = gateway_payments.picture_of(session=session, actor=admin, order_id=order.id)
        assert picture.intents == []
        assert len(session.exec(select(Payment)).all()) == 1
    order = fresh(order.id)
    assert (order.status, order.paid_total) == ('paid', Decimal('60.00'))
    assert late.json()['outcome'].startswith('late:'), late.json()
    failed_late = stripe.event('payment_intent.payment_failed', {**intent, 'status': 'requires_payment_method'})
    assert (await deliver(failed_late)).json()['outcome'].startswith('late:')  # nor an attempt that failed before
    assert fresh(order.id).status == 'paid'


def test_a_refund_stripe_could_not_be_reached_for_is_sent_again_once(stripe, admin, monkeypatch) -> None:
    order = an_order()
    paid_through_stripe(stripe, order)
    monkeypatch.setenv('BACKOFFICE_STRIPE_API_BASE', 'http://127.0.0.1:9')  # nothing listens: the network is down
    reload_settings()
    with session_scope() as session:
        row = gateway_payments.request_refund(
            session=session, actor=admin, order_id=order.id, amount='5.00', reason='x'
        )
    assert (row.status, row.message) == ('requested', 'Stripe could not be reached; try again in a moment')
    assert gateway_payments.outcome_said(row, 'EUR') == (
        'Refund of €5.00 not confirmed: Stripe could not be reached; try again in a moment Use "Send again".',
        'warning',
    )
    monkeypatch.setenv('BACKOFFICE_STRIPE_API_BASE', stripe.url)
    reload_settings()
    for _ in range(2):  # a double click: the same key, one refund
        with session_scope() as session:
            row = gateway_payments.send_refund(session=session, actor=admin, refund_id=row.id)
    assert row.status == 'succeeded' and len(stripe.refunds_made()) == 1
    assert fresh(order.id).refunded_total == Decimal('5.00')


async def test_a_body_that_is_not_json_or_a_cancelled_payment_over_http(stripe) -> None:
    refused = await deliver(b'not json at all')  # malformed input: refused by the API's strict reading (422)
    assert refused.status_code == 422
    order = an_order()
    intent = stripe.add_intent(order_id=order.id, amount=6000, status='requires_capture')
    intent.update(status='canceled', cancellation_reason='abandoned')
    answer = await deliver(stripe.event('payment_intent.canceled', intent))
    assert answer.status_code == 200 and answer.json()['outcome'] == f'payment {intent["id"]} canceled'
    with read_session() as session:
        assert session.exec(select(GatewayIntent)).one().status == 'canceled'
        assert session.exec(select(Payment)).all() == []
