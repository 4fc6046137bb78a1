"""The VAT rate and shipping terms are settings an admin changes at /settings: new orders are priced with them (in the
service and over the API), orders already placed keep their totals, bad values are refused at the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User

from backoffice.api.orders import router
from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.runtime import ratelimit
from backoffice.services import app_settings

from .support.api import api_client, bearer, make_key
from .support.factories import fresh, make_product, make_user, place
from .support.signin import signed_in


def change(admin, **changes) -> None:
    with session_scope() as session:
        app_settings.save(
            session=session, actor=admin, changes=changes, loaded=app_settings.current_values(session=session)
        )


def test_new_orders_are_priced_with_the_settings_and_old_ones_keep_their_totals() -> None:
    admin, manager = make_user('admin'), make_user('manager')
    make_product('MUG', '20.00', stock_on_hand=10, actor=manager)
    before = place(('MUG', 2))  # 40.00 < 50 → 4.90 shipping; 20 % VAT on 44.90 = 8.98
    assert (before.shipping_total, before.tax_total, before.total) == (
        Decimal('4.90'),
        Decimal('8.98'),
        Decimal('53.88'),
    )
    change(admin, vat_rate='7.5', shipping_fee=6, free_shipping_from='30')
    after = place(('MUG', 1))  # 20.00 < 30 → 6.00 shipping; 7.5 % of 26.00 = 1.95
    assert (after.shipping_total, after.tax_total, after.total) == (Decimal('6.00'), Decimal('1.95'), Decimal('27.95'))
    free = place(('MUG', 2))  # 40.00 ≥ 30 → free; 7.5 % of 40.00 = 3.00
    assert (free.shipping_total, free.tax_total, free.total) == (Decimal('0.00'), Decimal('3.00'), Decimal('43.00'))
    assert fresh(before.id).total == Decimal('53.88')


def test_bad_values_are_refused_at_their_field() -> None:
    admin = make_user('admin')
    with pytest.raises(ValidationFailed) as refused:
        change(admin, vat_rate='101', shipping_fee='-1', free_shipping_from='lots')
    assert refused.value.errors == {
        'vat_rate': 'Enter a number from 0 to 100',
        'shipping_fee': 'Enter 0 or more',
        'free_shipping_from': 'Enter a number, e.g. 4.90',
    }
    with session_scope() as session:
        assert app_settings.current_values(session=session)['vat_rate'] == '20.00'


async def test_the_api_prices_a_new_order_with_the_changed_rate() -> None:
    ratelimit.reset_all()
    admin, manager = make_user('admin'), make_user('manager')
    make_product('MUG', '100.00', stock_on_hand=5, actor=manager)
    secret = make_key(scopes=('orders:write',))[1]
    order = {'email': 'jo@example.com', 'lines': [{'sku': 'MUG', 'quantity': 1}]}
    async with api_client(router) as client:
        first = (
            await client.post('/api/orders', json={**order, 'external_id': 'shop-1'}, headers=bearer(secret))
        ).json()
        change(admin, vat_rate=0)
        second = (
            await client.post('/api/orders', json={**order, 'external_id': 'shop-2'}, headers=bearer(secret))
        ).json()
    assert (Decimal(first['total']), Decimal(second['total'])) == (Decimal('120.00'), Decimal('100.00'))
    assert fresh(second['id']).tax_total == Decimal('0.00')


async def test_an_admin_sets_the_vat_rate_on_the_settings_page(user: User) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('VAT rate (%)')
    await user.should_see('Free shipping from')
    user.find('VAT rate (%)').elements.pop().set_value(120)
    user.find('Save settings').click()
    await user.should_see('Enter a number from 0 to 100')
    user.find('VAT rate (%)').elements.pop().set_value(19)
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    with session_scope() as session:
        assert app_settings.current_values(session=session)['vat_rate'] == '19.00'
