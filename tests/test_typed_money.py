"""Money typed the ways people type it: '1,234.50', '1 234,50', '€12', '12 €' are read wherever the app reads a typed
amount (a payment, a refund, a price, a bill line) by one reader (`validation.typed_money`); what is ambiguous is
decided by the reader's language and the refusal says how it was read ('1,234' is 1234 in English, three decimals in
French; '1.234' in French could be either)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User

from backoffice import i18n
from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import ProductCreate
from backoffice.services import payments
from backoffice.validation import typed_money

from .support.factories import fresh, make_product, make_user, place
from .support.signin import signed_in
from .support.waiting import eventually

READ_ALIKE = {
    '1,234.50': '1234.50',
    '1 234,50': '1234.50',
    '1\u202f234,50 €': '1234.50',
    '1.234,50': '1234.50',
    '€12': '12.00',
    '12 €': '12.00',
    '€ 12.5': '12.50',
    '12,50 EUR': '12.50',
    'eur 8,90': '8.90',
    '$1,234,567.89': '1234567.89',
    '8.9': '8.90',
}
NOT_MONEY = ('abc', '12..5', '€', '1,2,3', '1.5.1', '"', ':', '<script>alert(1)</script>', '€€12', '12 € €')


@pytest.mark.parametrize('language', ['en', 'fr'])
def test_the_common_ways_of_typing_money_read_alike_in_both_languages(language: str) -> None:
    with i18n.use(language):
        assert {typed: typed_money(typed) for typed in READ_ALIKE} == {
            typed: Decimal(amount) for typed, amount in READ_ALIKE.items()
        }
        for typed in NOT_MONEY:
            with pytest.raises(ValueError) as refused:
                typed_money(typed)
            assert str(refused.value) == i18n._('Enter an amount, e.g. 12.50'), typed


def test_one_separator_before_three_digits_is_read_in_the_readers_language_and_said() -> None:
    with i18n.use('en'):
        assert typed_money('1,234') == Decimal('1234.00')  # the English thousands comma
        with pytest.raises(ValueError) as refused:
            typed_money('1.234')
        assert str(refused.value) == (
            'Use at most two decimals (in English, the point separates decimals: for 1,234, type 1234)'
        )
    with i18n.use('fr'):
        with pytest.raises(ValueError) as refused:
            typed_money('1,234')  # the French decimal comma: three decimals
        assert str(refused.value) == (
            'Deux décimales au maximum (en français, la virgule sépare les décimales\u00a0: pour 1\u202f234, '
            'tapez 1234)'
        )
        with pytest.raises(ValueError) as refused:
            typed_money('1.234')  # neither the French decimal nor its grouping: asked, never guessed
        assert str(refused.value) == (
            '«\u00a01.234\u00a0»\u00a0: 1\u202f234, ou 1 et des décimales\u00a0? Tapez 1234, ou la virgule pour les '
            'décimales'
        )


def test_a_refund_a_payment_and_a_price_read_typed_money_in_french() -> None:
    manager = make_user('manager')
    with i18n.use('fr'):
        assert ProductCreate.model_validate({'sku': 'P', 'name': 'P', 'price': '1 234,50 €'}).price == Decimal(
            '1234.50'
        )
    make_product('MUG', '1000.00', stock_on_hand=3, actor=manager)
    order = place(('MUG', 1))  # 1,200.00 with VAT, shipping free from the threshold
    total = fresh(order.id).total
    with i18n.use('fr'), session_scope() as session:
        payments.record_payment(
            session=session,
            actor=manager,
            order_id=order.id,
            amount=f'{total:,.2f} €'.replace(',', ' ').replace('.', ','),
        )
    assert fresh(order.id).paid_total == total
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='1.234', reason='Cassé : « x »')
    assert refused.value.errors['amount'].startswith('«\u00a01.234\u00a0»')
    with i18n.use('fr'), session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='€ 1,50', reason='Cassé : « x »')
    assert fresh(order.id).refunded_total == Decimal('1.50')


async def test_a_payment_typed_with_its_currency_and_thousands_is_recorded_from_the_order_page(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '1000.00', stock_on_hand=3, actor=manager)
    order = place(('MUG', 2))
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    user.find(marker='record-payment').click()
    await user.should_see(marker='amount')
    user.find(marker='amount').elements.pop().set_value('€1,000.50')
    user.find(marker='dialog-submit').click()
    await eventually(lambda: fresh(order.id).paid_total == Decimal('1000.50'), message='the payment is recorded')


def test_a_shipping_fee_and_a_free_shipping_threshold_typed_with_currency_and_grouping() -> None:
    from backoffice.db import read_session
    from backoffice.services import app_settings

    admin = make_user('admin')
    with i18n.use('fr'):
        with session_scope() as session:
            app_settings.save(
                session=session,
                actor=admin,
                changes={'shipping_fee': '4,90 €', 'free_shipping_from': '1 234,50'},
                loaded=app_settings.current_values(session=session),
            )
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            app_settings.save(
                session=session,
                actor=admin,
                changes={'free_shipping_from': '1.234'},
                loaded=app_settings.current_values(session=session),
            )
    assert refused.value.errors['free_shipping_from'].startswith('«\u00a01.234\u00a0»')
    with read_session() as session:
        saved = app_settings.current_values(session=session)
    assert (saved['shipping_fee'], saved['free_shipping_from']) == ('4.90', '1234.50')


def test_minus_zero_is_zero() -> None:
    """A price imported or typed as '-0' (a spreadsheet's) was kept as −0.00 and shown as "-€0.00" on the product, its
    orders and invoices."""
    assert [str(typed_money(typed)) for typed in ('-0', '-0,00', '−0.00', Decimal('-0'))] == ['0.00'] * 4
    assert str(ProductCreate.model_validate({'sku': 'A', 'name': 'A', 'price': '-0', 'currency': 'EUR'}).price) == (
        '0.00'
    )
