"""Whether a return's money went back (issue: /returns could not say): each return keeps its refund's state — none,
by hand, sent to the gateway with no answer yet, pending at the bank, refunded, failed — from the refunds themselves;
a failed one is paid back again from the order (orders.write, checked by the service); /returns lists and filters it
without a query per row; the order page says it beside the return, with the retry where the failure shows."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied
from backoffice.listing import query
from backoffice.models import Return
from backoffice.payment_providers import GatewayFailed, gateway
from backoffice.resources.purchasing import RETURNS
from backoffice.services import gateway_payments, return_refunds, returns

from .support.factories import advance, make_product, make_user, pay, place, receive_return, start_return
from .support.lists import cards, rows_show, the_list
from .support.refunds import deliver_webhook, received_return_of_card_order
from .support.signin import signed_in
from .support.stripe_server import StripeServer, set_up_stripe
from .support.waiting import eventually

HOSTILE = 'Lid "broken": <script>alert(1)</script>'


@pytest.fixture
def admin():
    return make_user('admin')


@pytest.fixture
def manager():
    return make_user('manager')


@pytest.fixture
def stripe(admin, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, admin, monkeypatch)
        yield server


def stored(return_id: int) -> tuple[str | None, Decimal | None]:
    with read_session() as session:
        rma = session.get(Return, return_id)
        return rma.refund_state, rma.refund_amount


def received_return_paid_by_hand(manager, reason: str = HOSTILE) -> Return:
    make_product('PLATE', '10.00', stock_on_hand=5, actor=manager)
    order = place(('PLATE', 3))
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    return receive_return(manager, start_return(manager, order, 2, reason=reason, line_reason=HOSTILE))


def refund(manager, rma: Return) -> None:
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund')


# --- the state per return --------------------------------------------------------------------------------------------


def test_a_return_not_refunded_has_no_refund_state(manager) -> None:
    rma = received_return_paid_by_hand(manager)
    assert stored(rma.id) == (None, None)
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='credit_note')
    assert stored(rma.id) == (None, None)  # store credit: no money went back


def test_a_return_refunded_by_hand_says_so_with_its_amount(manager) -> None:
    rma = received_return_paid_by_hand(manager)
    refund(manager, rma)
    assert stored(rma.id) == ('manual', Decimal('24.00'))


def test_a_return_refunded_at_the_gateway(stripe, manager) -> None:
    _order, rma = received_return_of_card_order(stripe, manager)
    refund(manager, rma)
    assert stored(rma.id) == ('refunded', Decimal('30.00'))


def test_a_pending_gateway_refund_becomes_refunded_when_the_bank_confirms(stripe, manager) -> None:
    _order, rma = received_return_of_card_order(stripe, manager)
    stripe.state.next_refund_status = 'pending'
    refund(manager, rma)
    assert stored(rma.id) == ('pending', Decimal('30.00'))
    made = stripe.refunds_made()[0]
    made.update(status='succeeded')
    deliver_webhook('charge.refund.updated', made, stripe)
    assert stored(rma.id) == ('refunded', Decimal('30.00'))


def test_a_gateway_refund_with_no_answer_yet_is_sent_then_refunded_when_sent_again(
    stripe, manager, monkeypatch: pytest.MonkeyPatch
) -> None:
    _order, rma = received_return_of_card_order(stripe, manager)
    provider = gateway('stripe')
    with monkeypatch.context() as unreachable:  # the network fails: it may have reached Stripe, so nothing is decided

        def lost(*args, **kwargs):
            raise GatewayFailed('Stripe could not be reached', unreachable=True)

        unreachable.setattr(type(provider), 'send_refund', lost)
        refund(manager, rma)
    assert stored(rma.id) == ('sent', Decimal('30.00'))
    with read_session() as session:
        sent = gateway_payments.refund_of_return(session=session, actor=manager, return_id=rma.id)
    with session_scope() as session:
        gateway_payments.send_refund(session=session, actor=manager, refund_id=sent.id)
    assert stored(rma.id) == ('refunded', Decimal('30.00'))


def test_a_failed_gateway_refund_is_failed_until_paid_back_again_by_someone_allowed(stripe, manager) -> None:
    order, rma = received_return_of_card_order(stripe, manager)
    stripe.state.next_refund_status = 'failed'
    refund(manager, rma)
    assert stored(rma.id) == ('failed', Decimal('30.00'))
    with read_session() as session:
        failed = gateway_payments.refund_of_return(session=session, actor=manager, return_id=rma.id)
    stripe.state.next_refund_status = 'succeeded'
    for role in ('viewer', 'agent'):  # they read orders; the service refuses them, not only a hidden button
        with session_scope() as session, pytest.raises(PermissionDenied):
            gateway_payments.pay_back_again(session=session, actor=make_user(role), refund_id=failed.id)
    assert stored(rma.id) == ('failed', Decimal('30.00')) and stripe.refunds_made()[-1]['status'] == 'failed'
    with session_scope() as session:
        gateway_payments.pay_back_again(session=session, actor=manager, refund_id=failed.id)
    assert stored(rma.id) == ('refunded', Decimal('30.00'))
    with read_session() as session:  # the retry is audited on the order's trail, by whom
        from backoffice.models import AuditEntry

        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == 'order.refund_requested', AuditEntry.entity_id == order.id)
            .order_by(col(AuditEntry.id))  # the newest last (PostgreSQL keeps no order of its own)
        ).all()[-1]
    assert entry.actor_id == manager.id and 'paid back again' in entry.summary


def test_a_refund_that_fails_at_the_bank_after_it_was_made_turns_failed(stripe, manager) -> None:
    _order, rma = received_return_of_card_order(stripe, manager)
    refund(manager, rma)
    made = stripe.refunds_made()[0]
    made.update(status='failed', failure_reason='lost_or_stolen_card')
    deliver_webhook('refund.failed', made, stripe)
    assert stored(rma.id) == ('failed', Decimal('30.00'))


# --- the list --------------------------------------------------------------------------------------------------------


def test_the_returns_list_filters_failed_refunds_in_one_read(stripe, manager) -> None:
    """The state is a column of the return: a page of returns costs no query per row, on SQLite and PostgreSQL."""
    _order, failed = received_return_of_card_order(stripe, manager)
    stripe.state.next_refund_status = 'failed'
    refund(manager, failed)
    by_hand = received_return_paid_by_hand(manager)
    refund(manager, by_hand)
    with read_session() as session:
        page = query.list_page(
            session=session,
            actor=manager,
            resource=RETURNS,
            request=query.ListRequest(filters={'refund_state': 'failed'}),
        )
        everything = query.list_page(session=session, actor=manager, resource=RETURNS, request=query.ListRequest())
    assert [r.number for r in page.rows] == [failed.number]
    assert {r.number: r.refund_state for r in everything.rows} == {failed.number: 'failed', by_hand.number: 'manual'}
    assert set(return_refunds.REFUND_STATES) >= {'manual', 'sent', 'pending', 'refunded', 'failed'}


async def test_returns_shows_the_refund_and_filters_failed_ones_in_one_choice(user: User, stripe, manager) -> None:
    order, failed = received_return_of_card_order(stripe, manager)
    with session_scope() as session:  # hostile text in the reason, shown as it is
        rma = session.get(Return, failed.id)
        rma.reason = HOSTILE
        session.add(rma)
        session.commit()
    stripe.state.next_refund_status = 'failed'
    refund(manager, failed)
    stripe.state.next_refund_status = 'succeeded'
    by_hand = received_return_paid_by_hand(manager)
    refund(manager, by_hand)
    await signed_in(user, manager.email, path='/returns')
    await rows_show(user, failed.number, by_hand.number, column='number')
    rows = {row['number']: row for row in the_list(user, 'number').rows}
    # how much, in its order's currency, and how
    assert rows[failed.number]['refund_state'] == '€30.00 · Failed: pay back again on the order'
    assert rows[failed.number]['_late_refund_state'] is True  # in red
    assert (rows[by_hand.number]['refund_state'], rows[by_hand.number]['_late_refund_state']) == (
        '€24.00 · Refunded by hand',
        False,
    )
    assert rows[failed.number]['reason'] == HOSTILE and rows[by_hand.number]['reason'] == HOSTILE
    # on a phone's card, the failed refund shows although the card lists order, customer and date
    shown = {card['title']: card['lines'] for card in cards(user)}
    assert {'label': 'Refund', 'value': '€30.00 · Failed: pay back again on the order', 'late': True} in shown[
        failed.number
    ]
    assert all(line['label'] != 'Refund' for line in shown[by_hand.number])

    user.find(marker='filter-refund_state').elements.pop().set_value(['failed'])
    await rows_show(user, failed.number, absent=(by_hand.number,), column='number')

    # the return's own view, on its order: the failure in red with what to do, and the retry beside it
    await user.open(f'/orders/{order.number}')
    await user.should_see('Refund €30.00 · Failed: the money has not gone back', retries=40)
    user.find(marker='return-pay-back-again').click()
    await user.should_see('Refund €30.00 · Refunded at the gateway', retries=40)
    await eventually(lambda: stored(failed.id) == ('refunded', Decimal('30.00')))


async def test_the_refund_column_and_filter_read_in_french(
    user: User, stripe, manager, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, failed = received_return_of_card_order(stripe, manager)
    stripe.state.next_refund_status = 'failed'
    refund(manager, failed)
    await signed_in(user, manager.email, path='/returns')
    monkeypatch.setattr(i18n, '_resolver', i18n._resolver)  # noqa: SLF001 (restored by monkeypatch)
    i18n.set_resolver(lambda: 'fr')
    await user.open('/returns')
    await rows_show(user, failed.number, column='number')
    row = the_list(user, 'number').rows[0]
    assert row['refund_state'] == '30,00\u00a0€ · Échec\u00a0: rembourser à nouveau depuis la commande'
    assert row['status'] == 'Clôturé'  # a return ("le retour"), as its order's page says it: clôturé, not Fermée
    await user.open(f'/orders/{order.number}')
    await user.should_see(f'Retour {failed.number} · clôturé · remboursement', retries=40)
    await user.open('/returns')
    await rows_show(user, failed.number, column='number')
    assert 'Remboursement' in [c['label'] for c in the_list(user, 'number').columns]
    choices = user.find(marker='filter-refund_state').elements.pop().options
    assert choices['manual'] == 'Remboursé manuellement' and choices['pending'] == 'En attente à la banque'


async def test_returns_follows_the_banks_answer_without_a_reload(user: User, stripe, manager) -> None:
    _order, rma = received_return_of_card_order(stripe, manager)
    stripe.state.next_refund_status = 'pending'
    refund(manager, rma)
    await signed_in(user, manager.email, path='/returns')
    await rows_show(user, '€30.00 · Pending at the bank', column='refund_state')
    made = stripe.refunds_made()[0]
    made.update(status='failed', failure_reason='lost_or_stolen_card')
    deliver_webhook('refund.failed', made, stripe)  # Stripe's word, while the list is open
    await rows_show(user, '€30.00 · Failed: pay back again on the order', column='refund_state')
