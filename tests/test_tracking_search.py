"""An order found by its parcel's tracking number, as a warehouse person holding the parcel (or a customer reading it
out on the phone) would look for it: in the Orders list's search and in the header's search, exact or by its first
characters, in any case and with spaces, read by the index on shipments (migration 0055), only for readers of orders."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.listing import query, search
from backoffice.models import Order
from backoffice.models import User as Staff
from backoffice.permissions import PermissionDenied
from backoffice.resources import resource
from backoffice.services import global_search, orders
from backoffice.services.tracking_search import orders_by_tracking

from .support.factories import fresh, make_product, make_role, make_user, pay, place
from .support.lists import rows_show
from .support.plans import plan_of, statements_of
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = ('1Z"<script>alert(1)</script>', "1Z99' OR '1'='1", '1Z99: "x"', '<img src=x onerror="window.__x=1">', '%_1%')


def shipped(actor: Staff, sku: str, tracking: str, email: str = 'cleo@example.com') -> Order:
    """An order paid, packed and shipped with this tracking number, as staff do from its page."""
    order = place((sku, 1), email=email)
    pay(actor, order)
    with session_scope() as session:
        orders.pack(session=session, actor=actor, order_id=order.id, version=fresh(order.id).version)
    with session_scope() as session:
        orders.ship(
            session=session, actor=actor, order_id=order.id, version=fresh(order.id).version, tracking_number=tracking
        )
    return fresh(order.id)


def listed(actor: Staff, term: str) -> list[str]:
    with read_session() as session:
        page = query.list_page(
            session=session, actor=actor, resource=resource('orders'), request=query.ListRequest(search=term)
        )
    assert (page.total, page.exact) == (len(page.rows), True)
    return [row.number for row in page.rows]


def header(actor: Staff, term: str) -> list[str]:
    with read_session() as session:
        return [
            hit.title for hit in global_search.search(session=session, actor=actor, term=term) if hit.kind == 'Order'
        ]


@pytest.fixture(params=['index', 'like'])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the list's own search runs (its index, or LIKE in list order): the parcels' orders join either."""
    common = 0 if request.param == 'like' else 10**9
    monkeypatch.setattr(search, 'COMMON_TERM', max(common, 1))
    monkeypatch.setattr(search, 'COMMON_TERM_POSTGRESQL', common)
    return request.param


@pytest.mark.usefixtures('search_path')
def test_an_order_is_found_by_its_tracking_number_exact_or_by_its_first_characters() -> None:
    manager = make_user('manager')
    make_product('BOX', stock_on_hand=10, actor=manager)
    ups = shipped(manager, 'BOX', '1Z999AA10123456784')
    dhl = shipped(manager, 'BOX', 'JD014600003828', email='dan@example.com')
    by_email = place(('BOX', 1), email='1z999@example.com')  # not shipped: found by its email only
    for term in ('1Z999AA10123456784', '1z999aa10123456784', '1Z99 9AA1 0123 4567 84', '1Z999AA1'):
        assert listed(manager, term) == [ups.number], term
        assert header(manager, term) == [f'Order {ups.number}'], term
    assert listed(manager, 'JD0146') == [dhl.number]
    assert header(manager, 'jd0146') == [f'Order {dhl.number}']
    assert listed(manager, dhl.number) == [dhl.number]  # its number, as before
    assert listed(manager, '1Z9') == [by_email.number]  # three characters find no parcel, only the email...
    assert listed(manager, '1z999@') == [by_email.number]  # ...and an email is searched as an email
    assert listed(manager, 'JD0146000038289') == []  # longer than the number: not it


@pytest.mark.usefixtures('search_path')
def test_hostile_text_in_the_search_finds_nothing_and_breaks_nothing() -> None:
    manager = make_user('manager')
    make_product('BOX', stock_on_hand=5, actor=manager)
    shipped(manager, 'BOX', '1Z999AA10123456784')
    for term in HOSTILE:
        assert listed(manager, term) == [], term
        assert header(manager, term) == [], term


def test_only_readers_of_orders_find_an_order_by_its_parcel() -> None:
    manager = make_user('manager')
    make_product('BOX', stock_on_hand=5, actor=manager)
    shipped(manager, 'BOX', '1Z999AA10123456784')
    desk_only = make_user(make_role('tickets.read', 'customers.read', name='Desk only').key)
    with read_session() as session:
        hits = global_search.search(session=session, actor=desk_only, term='1Z999AA10123456784')
    assert hits == []
    assert 'Order' not in global_search.readable_kinds(desk_only)
    with read_session() as session, pytest.raises(PermissionDenied):
        query.list_page(
            session=session, actor=desk_only, resource=resource('orders'), request=query.ListRequest(search='1Z999')
        )


def test_a_tracking_number_is_read_by_the_shipments_index() -> None:
    manager = make_user('manager')
    make_product('BOX', stock_on_hand=5, actor=manager)
    order = shipped(manager, 'BOX', '1Z999AA10123456784')
    engine = db.get_engine()
    with read_session() as session:
        seen = statements_of(engine, lambda: orders_by_tracking(session, '1z999aa1'))
        assert orders_by_tracking(session, '1z999aa1') == [order.id]
    assert len(seen) == 1
    assert 'ix_shipments_tracking_lower' in plan_of(engine, *seen[0])


async def test_a_warehouse_person_finds_the_order_of_the_parcel_in_hand(user: User) -> None:
    manager = make_user('manager')
    make_product('BOX', stock_on_hand=5, actor=manager)
    parcel = shipped(manager, 'BOX', '1Z999AA10123456784', email='ups@example.com')
    other = shipped(manager, 'BOX', 'JD014600003828', email='dhl@example.com')
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, parcel.number, other.number, column='number')
    user.find(marker='search').type('1z999aa10123456784')
    await rows_show(user, parcel.number, absent=(other.number,), column='number')
    for term in HOSTILE:  # no error, no row
        user.find(marker='search').elements.pop().set_value(term)
        await eventually(lambda: _numbers(user) == [], message=f'nothing is listed for {term}')
    header_box = user.find(marker='global-search')
    for term in HOSTILE:
        header_box.clear().type(term)
        await user.should_see('Nothing found. Try a number, an email, a name, a SKU or a tracking number.')
    header_box.clear().type('JD 0146 0000 3828')
    await eventually(lambda: _hits(user) == [('Order', f'Order {other.number}')], message='the order is the hit')
    user.find(marker='search-hit').click()
    await eventually(lambda: user.back_history[-1] == f'/orders/{other.number}', message='the hit opens the order')


def _numbers(user: User) -> list[str]:
    table = next(t for t in user.find(ui.table).elements if any(c['name'] == 'number' for c in t.columns))
    return [row['number'] for row in table.rows]


def _hits(user: User) -> list[tuple[str, str]]:
    found = []
    for link in user.find(marker='search-hit').elements:
        texts = [e.text for e in link.descendants() if isinstance(e, ui.label)]
        found.append((texts[0], texts[1]))
    return found


def test_an_order_with_no_parcel_is_not_found_by_another_orders_number() -> None:
    manager = make_user('manager')
    make_product('BOX', stock_on_hand=5, actor=manager)
    order = shipped(manager, 'BOX', '100001999')  # a tracking number that starts like an order number
    with read_session() as session:
        numbers = session.exec(select(Order.number)).all()
    assert listed(manager, '100001999') == [order.number]
    assert sorted(listed(manager, '100001')) == sorted(numbers)


async def test_a_parcel_shipped_meanwhile_shows_live_on_the_searched_list_and_the_orders_page(
    user: User, create_user: Callable[[], User]
) -> None:
    """A parcel leaves while a colleague's Orders list is searched for its tracking number and another has the order
    open: the list shows the order and the page its tracking number without a new search or a reload; and so again
    when the number is put right ('Change tracking')."""
    manager = make_user('manager')
    make_product('BOX', stock_on_hand=5, actor=manager)
    order = place(('BOX', 1), email='live.parcel@example.com')
    pay(manager, order)
    with session_scope() as session:
        orders.pack(session=session, actor=manager, order_id=order.id, version=fresh(order.id).version)
    tracking = '1ZLIVE"<b>:99</b>'.upper()
    wanted = ''.join(tracking.split())
    other = create_user()
    await signed_in(user, manager.email, path='/orders')
    user.find(marker='search').type('1zlive')
    await eventually(lambda: _numbers(user) == [], message='nothing is found by the parcel before it left')
    await signed_in(other, manager.email, path=f'/orders/{order.number}')
    await other.should_see(order.number)

    with session_scope() as session:  # shipped by a colleague elsewhere
        orders.ship(
            session=session, actor=manager, order_id=order.id, version=fresh(order.id).version, tracking_number=tracking
        )
    await eventually(lambda: _numbers(user) == [order.number], message='the searched list shows the shipped order')
    await other.should_see(wanted)

    user.find(marker='search').elements.pop().set_value('1znew')  # the number put right, searched before it is
    await eventually(lambda: _numbers(user) == [], message='nothing is found by the right number yet')
    with session_scope() as session:
        shipment = orders.shipments_of(session=session, actor=manager, order_id=order.id)[0]
        orders.correct_tracking(session=session, actor=manager, shipment_id=shipment.id, tracking_number='1ZNEW 42')
    await eventually(lambda: _numbers(user) == [order.number], message='the list shows the order by its new number')
    await other.should_see('1ZNEW42')
