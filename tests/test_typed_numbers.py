"""Numbers typed as text, read by the server: Chromium's `<input type=number>` read '1,5' as 15 in English (a thousands
comma) without a word. Every field a person types a number into is text now; a whole number that is not one ('1,5',
'12,50', 'abc', hostile text) is refused at its field with a message and nothing is saved; a decimal field reads
12,50 and 12.50 alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session
from backoffice.listing.filters import typed_number
from backoffice.models import AlertRule, KpiDefinition, Order, OrderLine, Return
from backoffice.services import app_settings
from backoffice.validation import whole

from .support.factories import make_product, make_user, place
from .support.goals import make_rule
from .support.lists import listed
from .support.portal import delivered_order, enter_portal
from .support.signin import signed_in
from .support.waiting import eventually

NOT_WHOLE = ('1,5', '12,50', 'abc', '"', ':', '<script>alert(1)</script>', '1.5')


def only(user: User, marker: str) -> ui.element:
    return next(iter(user.find(marker=marker).elements))


def test_a_whole_number_is_read_strictly_and_a_decimal_by_comma_or_point() -> None:
    assert [whole(v) for v in ('15', ' 3 ', '1 234', '1\u202f234', 7, 2.0)] == [15, 3, 1234, 1234, 7, 2]
    for typed in (*NOT_WHOLE, '', None, 1.5, True):
        with pytest.raises(ValueError, match='Enter a whole number'):
            whole(typed)
    assert [typed_number(v) for v in ('12,50', '12.50', '1.234,50', '1,234.50', '', None, 3)] == [
        Decimal('12.50'),
        Decimal('12.50'),
        Decimal('1234.50'),
        Decimal('1234.50'),
        None,
        None,
        Decimal('3'),
    ]
    for typed in ('abc', '"', ':', '<script>alert(1)</script>', 'NaN', 'Infinity', '1,2,3'):
        with pytest.raises(ValueError, match='Enter a number'):
            typed_number(typed)
    with i18n.use('fr'), pytest.raises(ValueError, match='Saisissez un nombre entier'):
        whole('1,5')
    with i18n.use('fr'), pytest.raises(ValueError, match='Saisissez un nombre'):
        typed_number('1,2,3')


async def test_a_draft_orders_quantity_of_1_5_is_refused_not_read_as_15(user: User) -> None:
    manager = make_user('manager')
    make_product('TYPED-1', stock_on_hand=50, actor=manager)
    await signed_in(user, manager.email, path='/orders')
    user.find(marker='new-draft').click()
    await user.should_see('New draft order')
    user.find(marker='draft-email').type('typed@example.com')
    product = only(user, 'draft-product-0')
    product.value = next(key for key, text in product.options.items() if 'TYPED-1' in str(text))
    quantity = only(user, 'draft-quantity-0')
    for typed in NOT_WHOLE:
        quantity.value = typed
        user.find(marker='create-draft').click()
        await eventually(lambda: quantity.error == 'Enter a whole number', message=f'{typed!r} refused at its field')
    with read_session() as session:
        assert session.exec(select(Order)).first() is None  # nothing saved
    quantity.value = '2'
    user.find(marker='create-draft').click()
    await user.should_see('created', retries=40)
    with read_session() as session:
        assert [line.quantity for line in session.exec(select(OrderLine))] == [2]


async def test_a_customer_returning_1_5_items_is_told_and_nothing_is_requested(user: User) -> None:
    order = delivered_order('typed-return@example.com', sku='TYPED-RET')
    await enter_portal(user, 'typed-return@example.com')
    await user.open(f'/portal/orders/{order.number}')
    user.find('Return items').click()
    quantity = only(user, 'portal-return-quantity')
    user.find(marker='portal-return-reason').type('Too small')
    for typed in NOT_WHOLE:
        quantity.value = typed
        user.find(marker='portal-request-return').click()
        await eventually(lambda: quantity.error == 'Enter a whole number', message=f'{typed!r} refused at its field')
    with read_session() as session:
        assert session.exec(select(Return)).first() is None
    quantity.value = '1'
    user.find(marker='portal-request-return').click()
    await user.should_see(marker='portal-return-requested', retries=200)


async def test_an_integer_setting_and_a_kpi_definition_refuse_1_5(user: User) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('Days in the trash')
    days = only(user, 'trash_days')
    with read_session() as session:
        before = app_settings.current_values(session=session)['trash_days']
    assert days.value == str(before)  # the stored number, as text
    for typed in NOT_WHOLE:
        days.value = typed
        user.find('Save settings').click()
        await eventually(lambda: days.error == 'Enter a whole number', message=f'{typed!r} refused at its field')
    with read_session() as session:
        assert app_settings.current_values(session=session)['trash_days'] == before  # nothing saved
    days.value = '0'
    user.find('Save settings').click()
    await eventually(lambda: days.error == 'Enter a number from 1 to 3650')  # the bounds stay a message
    days.value = '14'
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    with read_session() as session:
        assert app_settings.current_values(session=session)['trash_days'] == 14

    hours = next(e for e in user.find(kind=ui.input).elements if e.props.get('label') == 'Abandonment window (hours)')
    for typed in NOT_WHOLE:
        hours.value = typed
        user.find('Save definitions').click()
        await eventually(lambda: hours.error == 'Enter a whole number', message=f'{typed!r} refused at its field')
    with read_session() as session:
        assert session.exec(select(KpiDefinition)).first() is None  # never changed


async def test_segment_thresholds_refuse_1_5_days_and_read_a_turnover_of_12_50(user: User) -> None:
    await signed_in(user, make_user('manager').email, path='/segments')
    orders_field = only(user, 'segment-min_orders')
    for typed in NOT_WHOLE:
        orders_field.value = typed
        await user.should_see('Check the filters', retries=40)
        user.find('Show customers').click()
        await eventually(lambda: orders_field.error == 'Enter a whole number', message=f'{typed!r} refused')
    orders_field.value = ''
    turnover = only(user, 'segment-min_turnover')
    for typed in ('abc', '"', ':', '<script>alert(1)</script>'):
        turnover.value = typed
        user.find('Show customers').click()
        await eventually(lambda: turnover.error == 'Enter a number', message=f'{typed!r} refused')
    turnover.value = '12,50'
    await user.should_see('0 customers match', retries=40)  # read as 12.50: a filter, not an error
    user.find('Show customers').click()
    await eventually(lambda: not turnover.error)


async def test_an_alert_rules_window_refuses_1_5_days(user: User) -> None:
    manager = make_user('manager')
    rule = make_rule(manager, name='Low sales', kind='below', threshold=1500, window_days=7)
    await signed_in(user, manager.email, path='/alerts')
    user.find(marker=f'edit-rule-{rule.id}').click()
    await user.should_see('Edit rule')
    window = only(user, 'rule-window')
    assert window.value == '7'
    for typed in NOT_WHOLE:
        window.value = typed
        user.find(marker='save-rule').click()
        await eventually(lambda: window.error == 'Enter a whole number', message=f'{typed!r} refused at its field')
    window.value = '120'
    user.find(marker='save-rule').click()
    await eventually(lambda: window.error == 'Enter a number from 1 to 90')
    threshold = only(user, 'rule-threshold')
    threshold.value = '12,50'
    window.value = '3'
    user.find(marker='save-rule').click()
    await user.should_see('Rule saved.')
    with read_session() as session:
        stored = session.get(AlertRule, rule.id)
        assert (stored.window_days, float(stored.threshold)) == (3, 12.5)


async def test_the_orders_total_filter_reads_12_50_and_refuses_what_is_not_a_number(user: User) -> None:
    manager = make_user('manager')
    make_product('TYPED-F', '10.00', stock_on_hand=20, actor=manager)
    small, big = place(('TYPED-F', 1), email='small@example.com'), place(('TYPED-F', 9), email='big@example.com')
    await signed_in(user, manager.email, path='/orders')
    await eventually(lambda: sorted(listed(user, 'number')) == sorted([small.number, big.number]))
    low = only(user, 'filter-total-from')
    for typed in ('abc', '"', ':', '<script>alert(1)</script>', '1,2,3'):
        low.value = typed
        await eventually(lambda: low.error == 'Enter a number', message=f'{typed!r} refused at its field')
        assert sorted(listed(user, 'number')) == sorted([small.number, big.number])  # filters nothing
    low.value = '50,50'  # a comma decimal: 50.50, between the two totals (never 5050)
    await eventually(lambda: not low.error)
    await eventually(lambda: listed(user, 'number') == [big.number])
