"""A payment gateway's failure is stored in English (its msgid) whoever asked, and read in each reader's language: a
refund a French manager sent that Stripe refused reads in English to an English reader and in French to a French
one, on the refund row, its outcome and the order's timeline; a row stored translated before reads in the reader's
language too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.models import GatewayRefund, OrderEvent, Refund
from backoffice.payment_providers import base
from backoffice.services import gateway_payments, orders

from .support.factories import make_product, make_user, place
from .support.refunds import refunded_then_failed
from .support.stripe_server import StripeServer, paid_through_stripe, set_up_stripe

REASON = 'Chipped "mug": <script>x</script> <img src=x onerror="window.__x=1">'
EXPIRED_EN = 'The card expired or was cancelled: the bank refused the refund'
EXPIRED_FR = 'La carte a expiré ou a été annulée\u00a0: la banque a refusé le remboursement'
EXPIRED_FR_BEFORE = EXPIRED_FR.replace('\u00a0', ' ')  # as the French catalog wrote it before: a plain space


@pytest.fixture
def admin():
    return make_user('admin')


@pytest.fixture
def stripe(admin, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, admin, monkeypatch)
        yield server


def card_order(stripe: StripeServer):
    make_product('MUG', '25.00', stock_on_hand=5, actor=make_user('manager'))
    order = place(('MUG', 2), name='Zoé "Z": <b>x</b>')  # 60.00 with VAT
    paid_through_stripe(stripe, order, 6000)
    return order


def refund_as_french(admin, order, amount: str = '20.00') -> GatewayRefund:
    with i18n.use('fr'), session_scope() as session:
        return gateway_payments.request_refund(
            session=session, actor=admin, order_id=order.id, amount=amount, reason=REASON
        )


def timeline_in(locale: str, admin, order_id: int) -> list[str]:
    with i18n.use(locale), read_session() as session:
        return [orders.timeline_text(e) for e in orders.timeline(session=session, actor=admin, order_id=order_id)]


def test_a_refusal_a_french_manager_got_is_stored_in_english_and_read_in_each_language(stripe, admin) -> None:
    order = card_order(stripe)
    stripe.state.next_refund_status = 'failed'
    row = refund_as_french(admin, order)
    assert (row.status, row.message) == ('failed', EXPIRED_EN)
    with i18n.use('en'):
        assert gateway_payments.message_shown(row) == EXPIRED_EN
        assert gateway_payments.outcome_said(row, 'EUR')[0] == f'Refund of €20.00 failed: {EXPIRED_EN}'
    with i18n.use('fr'):
        assert gateway_payments.message_shown(row) == EXPIRED_FR
        assert gateway_payments.outcome_said(row, 'EUR')[0].endswith(EXPIRED_FR)
    assert timeline_in('en', admin, order.id)[-1] == f'Stripe refund of €20.00 failed: {EXPIRED_EN}'
    assert timeline_in('fr', admin, order.id)[-1].endswith(EXPIRED_FR)


def test_stripe_refusing_outright_is_stored_in_english_with_its_own_words(stripe, admin) -> None:
    order = card_order(stripe)
    stripe.state.intents[next(iter(stripe.state.intents))]['amount_received'] = 1000  # Stripe holds less
    row = refund_as_french(admin, order)
    english = 'Stripe: Refund amount (€20.00) is greater than unrefunded amount on charge (€10.00)'
    assert (row.status, row.message) == ('failed', english)
    with i18n.use('fr'):
        assert gateway_payments.message_shown(row) == english.replace('Stripe:', 'Stripe\u00a0:')
    assert timeline_in('en', admin, order.id)[-1] == f'Stripe refund of €20.00 failed: {english}'


def test_a_refund_failing_after_it_was_made_says_the_bank_in_the_readers_language(stripe, admin) -> None:
    order = card_order(stripe)
    with i18n.use('fr'):
        row = refunded_then_failed(stripe, admin, order)
    lost = 'The card was reported lost or stolen: the bank refused the refund'
    with read_session() as session:
        row = session.get(GatewayRefund, row.id)
        reversal = session.exec(select(Refund).where(Refund.amount < 0)).one()
    assert row.message == lost
    assert reversal.reason == f'Refund {row.reference} failed: {lost}'
    assert lost in timeline_in('en', admin, order.id)[-1]
    with i18n.use('fr'):
        assert gateway_payments.message_shown(row) != lost
        assert 'perdue ou volée' in gateway_payments.message_shown(row)


def test_a_failure_stored_translated_before_reads_in_the_readers_language(stripe, admin) -> None:
    order = card_order(stripe)
    stripe.state.next_refund_status = 'failed'
    row = refund_as_french(admin, order)
    with session_scope() as session:  # as the app stored it before: in the asker's language
        stored = session.get(GatewayRefund, row.id)
        stored.message = EXPIRED_FR_BEFORE
        session.add(stored)
        session.commit()
        session.refresh(stored)
        row = stored
    with i18n.use('en'):
        assert gateway_payments.message_shown(row) == EXPIRED_EN
    with i18n.use('fr'):
        assert gateway_payments.message_shown(row) == EXPIRED_FR
    row.message = 'Stripe : Votre carte a été refusée'  # an old French "Stripe: {message}"
    with i18n.use('en'):
        assert gateway_payments.message_shown(row) == 'Stripe: Votre carte a été refusée'
    with i18n.use('fr'):
        assert gateway_payments.message_shown(row) == 'Stripe\u00a0: Votre carte a été refusée'
    row.message = REASON  # anything else: as stored
    with i18n.use('fr'):
        assert gateway_payments.message_shown(row) == REASON


def test_every_known_gateway_message_has_its_french() -> None:
    french = i18n.translations('fr')
    for msgid in base.known_messages():
        assert french.gettext(msgid) != msgid, msgid


def test_a_timeline_entry_stored_with_a_failure_in_french_before_reads_in_each_language(admin) -> None:
    """An entry written before failures were stored in English: its sentence has its msgid, the failure inside it the
    words of the French manager who asked; an English reader reads it in English, a French one in French, the
    gateway's own words (or anything else) as stored."""
    make_product('MUG', '25.00', stock_on_hand=5, actor=make_user('manager'))
    order = place(('MUG', 1), name=REASON)
    key = '{gateway} refund of {amount} failed: {message}'
    with session_scope() as session:
        for message in (EXPIRED_FR_BEFORE, 'Stripe : Votre carte a été refusée', REASON):
            params = {'gateway': 'Stripe', 'amount': {'money': '20.00', 'currency': 'EUR'}, 'message': message}
            session.add(
                OrderEvent(order_id=order.id, kind='refund_failed', text='stored', text_key=key, text_params=params)
            )
        session.commit()
    assert timeline_in('en', admin, order.id)[-3:] == [
        f'Stripe refund of €20.00 failed: {EXPIRED_EN}',
        'Stripe refund of €20.00 failed: Stripe: Votre carte a été refusée',
        f'Stripe refund of €20.00 failed: {REASON}',
    ]
    assert timeline_in('fr', admin, order.id)[-3:] == [
        f'Échec du remboursement Stripe de 20,00\u00a0€\u00a0: {EXPIRED_FR}',
        'Échec du remboursement Stripe de 20,00\u00a0€\u00a0: Stripe\u00a0: Votre carte a été refusée',
        f'Échec du remboursement Stripe de 20,00\u00a0€\u00a0: {REASON}',
    ]
