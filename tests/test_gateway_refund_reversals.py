"""Money going back by card (issue #15), against the local Stripe server: a return's refund goes through Stripe with
an idempotency key; a refund that fails after Stripe said it succeeded is reversed once (the credit note stays) and
can be paid back again, never beyond what is refundable; permissions are checked on the server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlmodel import col, select

from backoffice import events
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.events import Topic
from backoffice.models import GatewayRefund, Invoice, Refund, Return
from backoffice.services import gateway_payments, orders, returns

from .support.factories import fresh, make_user
from .support.refunds import card_order, deliver_webhook, received_return_of_card_order, refunded_then_failed
from .support.stripe_server import StripeServer, set_up_stripe


@pytest.fixture
def admin():
    return make_user('admin')


@pytest.fixture
def stripe(admin, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, admin, monkeypatch)
        yield server


def credit_notes(order_id: int) -> list[Invoice]:
    with read_session() as session:
        return list(
            session.exec(
                select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == 'credit_note').order_by(Invoice.id)
            )
        )


def refund_rows(order_id: int) -> list[tuple[Decimal, int | None]]:
    with read_session() as session:
        rows = session.exec(select(Refund).where(Refund.order_id == order_id).order_by(col(Refund.id)))
        return [(r.amount, r.return_id) for r in rows]


def timeline(actor, order_id: int) -> list[str]:
    with read_session() as session:
        return [orders.timeline_text(e) for e in orders.timeline(session=session, actor=actor, order_id=order_id)]


# --- 1. a return's refund through the gateway ------------------------------------------------------------------------


def test_a_returns_refund_of_a_card_order_goes_back_through_stripe_once(stripe, admin) -> None:
    manager = make_user('manager')
    order, rma = received_return_of_card_order(stripe, manager)
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund', amount='30.00')
    with read_session() as session:
        sent = gateway_payments.refund_of_return(session=session, actor=manager, return_id=rma.id)
        closed = session.get(Return, rma.id)
    assert sent is not None and (sent.status, sent.amount, sent.return_id) == ('succeeded', Decimal('30.00'), rma.id)
    posts = [s for s in stripe.state.seen if s.path == '/v1/refunds' and s.method == 'POST']
    assert [p.idempotency_key for p in posts] == [f'backoffice-refund-{sent.id}']
    assert [(r['amount'], r['metadata']) for r in stripe.refunds_made()] == [
        (3000, {'backoffice_refund_id': str(sent.id)})
    ]
    assert (closed.status, closed.resolution) == ('closed', 'refund')
    assert fresh(order.id).refunded_total == Decimal('30.00')
    assert refund_rows(order.id) == [(Decimal('30.00'), rma.id)]  # the return's refund, for the returns report
    assert len(credit_notes(order.id)) == 1 and sent.credit_note_id == credit_notes(order.id)[0].id


def test_a_returns_refund_stripe_refuses_closes_the_return_says_why_and_can_be_paid_back_again(stripe, admin) -> None:
    manager = make_user('manager')
    order, rma = received_return_of_card_order(stripe, manager)
    stripe.state.next_refund_status = 'failed'
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund')
    with read_session() as session:
        sent = gateway_payments.refund_of_return(session=session, actor=manager, return_id=rma.id)
    assert sent is not None and sent.status == 'failed'
    said, kind = gateway_payments.outcome_said(sent, 'EUR')
    assert kind == 'negative' and 'The card expired or was cancelled' in said
    assert fresh(order.id).refunded_total == 0 and credit_notes(order.id) == []
    stripe.state.next_refund_status = 'succeeded'
    with session_scope() as session:
        again = gateway_payments.pay_back_again(session=session, actor=manager, refund_id=sent.id)
    assert (again.status, again.return_id, again.retry_of_id) == ('succeeded', rma.id, sent.id)
    assert fresh(order.id).refunded_total == Decimal('30.00')
    assert len(credit_notes(order.id)) == 1  # never booked before: its credit note is issued now


def test_a_returns_refund_paid_by_hand_stays_a_manual_refund(admin) -> None:
    from .support.factories import advance, make_product, pay, place, receive_return, start_return

    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    rma = receive_return(manager, start_return(manager, order))
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund')
        assert gateway_payments.refund_of_return(session=session, actor=manager, return_id=rma.id) is None
    assert fresh(order.id).refunded_total == Decimal('12.00')


# --- 2. a refund that fails after it was made ------------------------------------------------------------------------


def test_a_refund_failing_after_it_succeeded_is_reversed_once_and_the_credit_note_stays(stripe, admin) -> None:
    order, _intent = card_order(stripe)
    heard: list[dict] = []
    events.subscribe(Topic.invoices, heard.append, key='test.reversal')
    row = refunded_then_failed(stripe, admin, order)
    # /invoices is told: what the order's documents say is open changed (it was told of payments, not of reversals)
    invoiced = {invoice.id for invoice in credit_notes(order.id)}
    assert any(e['action'] == 'refund_reversed' and invoiced <= set(e['ids']) for e in heard), heard
    order = fresh(order.id)
    assert (order.paid_total, order.refunded_total) == (Decimal('60.00'), Decimal('0.00'))
    assert refund_rows(order.id) == [(Decimal('20.00'), None), (Decimal('-20.00'), None)]
    assert len(credit_notes(order.id)) == 1  # a legal document: it stays
    with read_session() as session:
        failed = session.get(GatewayRefund, row.id)
    assert failed.status == 'failed' and failed.reversed_at is not None
    assert failed.message == 'The card was reported lost or stolen: the bank refused the refund'
    note = credit_notes(order.id)[0].number
    assert timeline(admin, order.id)[-1] == (
        'Stripe refund of €20.00 failed after it was made: The card was reported lost or stolen: the bank refused '
        f'the refund. The amount is owed to the customer again; credit note {note} stands'
    )
    # Stripe resends the same event, and tells the same failure again as charge.refund.updated: applied once
    made = stripe.state.refunds[row.reference]
    assert deliver_webhook('refund.failed', made, stripe, event_id=f'evt_failed_{row.id}').startswith('replay')
    deliver_webhook('charge.refund.updated', made, stripe)
    with session_scope() as session:
        gateway_payments.sync_order(session=session, actor=admin, order_id=order.id)
    assert fresh(order.id).refunded_total == Decimal('0.00')
    assert len(refund_rows(order.id)) == 2 and len(credit_notes(order.id)) == 1


def test_pay_back_again_sends_a_new_refund_under_the_same_credit_note(stripe, admin) -> None:
    order, _intent = card_order(stripe)
    failed = refunded_then_failed(stripe, admin, order)
    with session_scope() as session:
        again = gateway_payments.pay_back_again(session=session, actor=admin, refund_id=failed.id)
    assert (again.status, again.amount, again.retry_of_id) == ('succeeded', Decimal('20.00'), failed.id)
    keys = [s.idempotency_key for s in stripe.state.seen if s.path == '/v1/refunds' and s.method == 'POST']
    assert keys == [f'backoffice-refund-{failed.id}', f'backoffice-refund-{again.id}']
    assert fresh(order.id).refunded_total == Decimal('20.00')
    notes = credit_notes(order.id)
    assert len(notes) == 1 and again.credit_note_id == notes[0].id
    assert 'paid back again' in timeline(admin, order.id)[-1] and notes[0].number in timeline(admin, order.id)[-1]
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        gateway_payments.pay_back_again(session=session, actor=admin, refund_id=failed.id)
    assert refused.value.errors == {'': 'This refund was paid back again already'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        gateway_payments.pay_back_again(session=session, actor=admin, refund_id=again.id)
    assert refused.value.errors == {'': 'Only a refund that failed can be paid back again'}
    with read_session() as session:
        picture = gateway_payments.picture_of(session=session, actor=admin, order_id=order.id)
    assert [gateway_payments.may_pay_back_again(r, picture) for r in picture.refunds] == [False]


def test_pay_back_again_beyond_what_is_refundable_is_refused(stripe, admin) -> None:
    order, _intent = card_order(stripe)
    failed = refunded_then_failed(stripe, admin, order)
    with session_scope() as session:  # meanwhile, most of the order was refunded another way
        gateway_payments.request_refund(session=session, actor=admin, order_id=order.id, amount='50.00', reason='x')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        gateway_payments.pay_back_again(session=session, actor=admin, refund_id=failed.id)
    assert refused.value.errors == {
        'amount': 'Only €10.00 can still be refunded on order 100001: paying back €20.00 again is more than that'
    }
    assert len(stripe.refunds_made()) == 2 and fresh(order.id).refunded_total == Decimal('50.00')


def test_pay_back_again_needs_orders_write_on_the_server(stripe, admin) -> None:
    order, _intent = card_order(stripe)
    failed = refunded_then_failed(stripe, admin, order)
    for role in ('viewer', 'agent'):
        with session_scope() as session, pytest.raises(PermissionDenied):
            gateway_payments.pay_back_again(session=session, actor=make_user(role), refund_id=failed.id)
    assert len(stripe.refunds_made()) == 1


def test_the_accounting_books_the_failed_refund_back_into_the_bank(stripe, admin) -> None:
    from backoffice.kpi.days import today as shop_today
    from backoffice.services import accounting, app_settings, fec

    order, _intent = card_order(stripe)
    refunded_then_failed(stripe, admin, order)
    day = shop_today(app_settings.time_zone())
    with read_session() as session:
        entries = fec.entries_of(session, first=day, last=day)
    bank = [sorted((line.account, line.debit, line.credit) for line in e.lines) for e in entries]
    assert [
        ('account_bank', Decimal('20.00'), Decimal('0')),
        ('account_customers', Decimal('0'), Decimal('20.00')),
    ] in (bank)
    assert all(entry.balanced() for entry in entries)
    with read_session() as session:
        figures = accounting.period(session=session, actor=admin, first=day, last=day)
    assert [(r['amount'], r['kind']) for r in figures.refunds] == [
        (Decimal('20.00'), 'refund'),
        (Decimal('-20.00'), 'reversal'),
    ]
    [sheet] = [t for t in accounting.tables(figures) if t.name == 'refunds']
    assert sheet.header[-1] == 'kind' and [row[-1] for row in sheet.rows] == ['refund', 'reversal']


def test_two_failure_events_and_two_clicks_at_once_reverse_once_and_pay_back_once(stripe, admin) -> None:
    import threading

    from .support.stripe_server import sign

    order, _intent = card_order(stripe)
    with session_scope() as session:
        row = gateway_payments.request_refund(
            session=session, actor=admin, order_id=order.id, amount='20.00', reason='x'
        )
    made = stripe.state.refunds[row.reference]
    made.update(status='failed', failure_reason='declined')
    events = [stripe.event('refund.failed', made), stripe.event('charge.refund.updated', made)]

    def at_once(work) -> None:
        start = threading.Barrier(2)

        def run(i: int) -> None:
            start.wait()
            try:
                with session_scope() as session:
                    work(session, i)
            except ValidationFailed:
                pass

        workers = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)

    at_once(
        lambda s, i: gateway_payments.apply_webhook(
            session=s, provider_key='stripe', payload=events[i], headers={'stripe-signature': sign(events[i])}
        )
    )
    assert fresh(order.id).refunded_total == Decimal('0.00')
    assert len(refund_rows(order.id)) == 2
    at_once(lambda s, i: gateway_payments.pay_back_again(session=s, actor=admin, refund_id=row.id))
    assert len(stripe.refunds_made()) == 2 and fresh(order.id).refunded_total == Decimal('20.00')


def test_a_card_order_whose_return_became_store_credit_is_not_paid_back_that_again(stripe, admin) -> None:
    manager = make_user('manager')
    order, rma = received_return_of_card_order(stripe, manager)  # €60.00 by card, one €30.00 mug back
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='credit_note')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        gateway_payments.request_refund(session=session, actor=manager, order_id=order.id, amount='60.00', reason='All')
    assert refused.value.errors == {'amount': 'At most €30.00 can be refunded on order 100001'}
    assert stripe.refunds_made() == []
