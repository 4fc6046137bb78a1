"""A customer's address book through its service: staff with customers.write and the customer themselves edit it; one
default shipping and one default billing address; bad input is refused at its field with nothing written; a stale
edit is refused; nobody reaches another customer's addresses; an order keeps its own address."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, CustomerAddress
from backoffice.permissions import PermissionDenied
from backoffice.services import customer_addresses

from .support.companies import actor
from .support.factories import fresh, make_customer, make_product, make_user, place

HOSTILE = 'Zoë "O\'Brien" <script>alert(1)</script>: ünïcode'
PARIS = {'name': 'Eve', 'line1': '1 rue de Rivoli', 'postcode': '75001', 'city': 'Paris', 'country': 'France'}


def save(by, customer_id: int, data: dict, address_id: int | None = None, version: int | None = None):
    with session_scope() as session:
        return customer_addresses.save(
            session=session, by=by, customer_id=customer_id, address_id=address_id, version=version, data=data
        )


def book(customer_id: int) -> list[CustomerAddress]:
    with read_session() as session:
        return customer_addresses.addresses(session=session, by=make_user('agent'), customer_id=customer_id)


def test_one_default_shipping_and_one_default_billing_address() -> None:
    eve = make_customer('eve@example.com')
    manager = make_user('manager')
    home = save(manager, eve.id, PARIS | {'label': 'Home', 'default_shipping': True, 'default_billing': True})
    office = save(manager, eve.id, PARIS | {'label': 'Office', 'default_shipping': True})
    shown = {a.label: (a.default_shipping, a.default_billing) for a in book(eve.id)}
    assert shown == {'Home': (False, True), 'Office': (True, False)}
    assert [a.id for a in book(eve.id)] == [office.id, home.id]  # the default shipping one first
    with read_session() as session:
        said = session.exec(select(AuditEntry.summary).where(AuditEntry.action == 'customer.address_saved')).all()
    assert any('manager' in line and 'added the address "Office" of eve@example.com' in line for line in said)


def test_bad_input_is_refused_at_its_field_and_nothing_is_written() -> None:
    eve = make_customer('eve@example.com')
    with pytest.raises(ValidationFailed) as refused:
        save(make_user('manager'), eve.id, {'name': 'Eve', 'line1': ' ', 'postcode': '1' * 21, 'phone': 'call me'})
    assert {'line1', 'postcode', 'city', 'country', 'phone'} <= set(refused.value.errors)
    assert book(eve.id) == []


def test_hostile_text_is_kept_as_it_was_typed() -> None:
    eve = make_customer('eve@example.com')
    typed = {**dict.fromkeys(PARIS, HOSTILE), 'label': HOSTILE, 'line2': HOSTILE, 'postcode': '<b>"7:é\''}
    saved = save(actor('eve@example.com'), eve.id, typed)
    assert {name: getattr(saved, name) for name in typed} == typed


def test_a_stale_edit_is_refused() -> None:
    eve = make_customer('eve@example.com')
    manager = make_user('manager')
    first = save(manager, eve.id, PARIS)
    save(actor('eve@example.com'), eve.id, PARIS | {'city': 'Lyon'}, first.id, first.version)
    with pytest.raises(StaleRecord):
        save(manager, eve.id, PARIS | {'city': 'Nice'}, first.id, first.version)
    assert book(eve.id)[0].city == 'Lyon'


def test_nobody_reaches_another_customers_addresses() -> None:
    eve, max_ = make_customer('eve@example.com'), make_customer('max@example.com')
    his = save(make_user('manager'), max_.id, PARIS)
    me = actor('eve@example.com')
    for attempt in (
        lambda s: customer_addresses.addresses(session=s, by=me, customer_id=max_.id),
        lambda s: customer_addresses.save(
            session=s, by=me, customer_id=max_.id, address_id=his.id, version=None, data=PARIS
        ),
        lambda s: customer_addresses.save(
            session=s, by=me, customer_id=eve.id, address_id=his.id, version=None, data=PARIS
        ),
        lambda s: customer_addresses.delete(session=s, by=me, customer_id=eve.id, address_id=his.id, version=None),
    ):
        with session_scope() as session, pytest.raises(NotFound):
            attempt(session)
    reader = make_user('viewer')
    for attempt in (
        lambda s: customer_addresses.save(
            session=s, by=reader, customer_id=max_.id, address_id=None, version=None, data=PARIS
        ),
        lambda s: customer_addresses.delete(session=s, by=reader, customer_id=max_.id, address_id=his.id, version=None),
    ):
        with session_scope() as session, pytest.raises(PermissionDenied):
            attempt(session)
    assert [a.id for a in book(max_.id)] == [his.id]


def test_an_order_keeps_the_address_it_was_sent_to() -> None:
    make_product('ADDR-1', '9.90', stock_on_hand=5, actor=make_user('manager'))
    order = place(('ADDR-1', 1), email='eve@example.com')
    eve = actor('eve@example.com')
    saved = save(eve, eve.customer_id, PARIS)
    save(eve, eve.customer_id, PARIS | {'line1': '9 avenue Foch'}, saved.id, saved.version)
    with session_scope() as session:
        customer_addresses.delete(
            session=session, by=eve, customer_id=eve.customer_id, address_id=saved.id, version=saved.version + 1
        )
    assert fresh(order.id).shipping_address == order.shipping_address
