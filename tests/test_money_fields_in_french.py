"""A money field is filled in as the reader types amounts: 1234,50 for a French reader, 1234.50 in English (no
grouping, no currency: what the services read back). A French manager who edits a product's name leaves its price
as it was (the field's text is not taken for a change), and a changed price in French is read exactly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.models import AuditEntry, Product
from backoffice.resources import FormField
from backoffice.services import app_settings
from components import resource_form

from .support.factories import make_product, make_user
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Mug "Q": <script>alert(1)</script> <img src=x onerror="window.__x=1">'


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


def price_field(user: User) -> ui.input:
    return user.find(kind=ui.input, content='Prix').elements.pop()


async def test_a_french_manager_sees_the_price_as_typed_in_french_and_keeps_it(
    user: User, in_french: Callable[[], None]
) -> None:
    product = make_product('MUG-FR', '1234.50', name='Mug')
    manager = make_user('manager')
    in_french()
    await signed_in(user, manager.email, path=f'/products?open={product.id}')
    await user.should_see('MUG-FR')
    assert price_field(user).value == '1234,50'
    name = user.find(kind=ui.input, content='Nom').elements.pop()
    name.set_value(HOSTILE)
    user.find('Enregistrer les modifications').click()
    await eventually(lambda: _stored('MUG-FR').name == HOSTILE)
    assert _stored('MUG-FR').price == Decimal('1234.50')
    with read_session() as session:
        saved = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity_id == product.id, col(AuditEntry.action).endswith('.updated'))
            .order_by(col(AuditEntry.id))
        ).all()
    assert saved and set(saved[-1].changes) == {'name'}, saved[-1].changes

    await user.open(f'/products?open={product.id}')
    await user.should_see('MUG-FR')
    price_field(user).set_value('99,90')
    user.find('Enregistrer les modifications').click()
    await eventually(lambda: _stored('MUG-FR').price == Decimal('99.90'))


def test_a_money_field_is_filled_in_the_readers_way_and_other_decimals_are_not() -> None:
    price = FormField('price', 'Price', kind='money')
    with i18n.use('fr'):
        assert resource_form.typed(price, Decimal('1234.50')) == '1234,50'
    with i18n.use('en'):
        assert resource_form.typed(price, Decimal('1234.5')) == '1234.50'
    assert resource_form.typed(FormField('weight', 'Weight'), Decimal('0.125')) == '0.125'


def _stored(sku: str) -> Product:
    with read_session() as session:
        return session.exec(select(Product).where(Product.sku == sku)).one()


async def test_a_french_admin_reads_and_types_the_settings_amounts_in_french(
    user: User, in_french: Callable[[], None]
) -> None:
    """/settings showed a French admin '20.00' and '1000.00' (an English number in a French form): the VAT rate and the
    amounts read 20,00 and 4,90 as they are typed; a changed rate typed in French is saved exactly, the untouched
    amounts are not taken for changes, and the shop's name with hostile text saves beside them."""
    admin = make_user('admin')
    in_french()
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('Taux de TVA (%)')
    vat = user.find(kind=ui.input, content='Taux de TVA (%)').elements.pop()
    shipping = user.find(kind=ui.input, content='Frais de livraison').elements.pop()
    assert (vat.value, shipping.value) == ('20,00', '4,90')
    vat.set_value('19,60')
    user.find(kind=ui.input, content='Nom de l’entreprise').elements.pop().set_value(HOSTILE)
    user.find('Enregistrer les paramètres').click()
    await user.should_see('Paramètres enregistrés')
    with session_scope() as session:
        saved = app_settings.current_values(session=session)
        changed = session.exec(select(AuditEntry).where(AuditEntry.action == 'settings.changed')).all()
    assert (saved['vat_rate'], saved['company_name']) == ('19.60', HOSTILE)
    assert changed and set(changed[-1].changes) == {'vat_rate', 'company_name'}, changed[-1].changes
