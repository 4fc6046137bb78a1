"""A saved view opened again shows its filters in their fields, every kind: a number range's bounds (/orders "Total
from / to"), several statuses, a customer beyond the select's first options, a tag typed that no request carries yet,
a yes/no; not only the rows filtered behind empty fields."""

from __future__ import annotations

from datetime import timedelta

from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.models import utcnow
from backoffice.resources import RESOURCES
from backoffice.services import views

from .support import lists
from .support.factories import make_customer, make_user, paid_order, submit_request
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = '"Big" <script>alert(1)</script>: été'


def saved(resource: str, owner, filters: dict) -> str:
    with session_scope() as session:
        views.save_view(
            session=session, actor=owner, resource=RESOURCES[resource], name=HOSTILE, state={'filters': filters}
        )
    return HOSTILE


async def choose_view(user: User, name: str) -> None:
    """The views select offering it (/inventory has two lists, each with its own)."""

    def offering() -> list:
        return [s for s in user.find(marker='views').elements if name in s.options.values()]

    select = (await eventually(offering))[0]
    select.set_value(next(key for key, label in select.options.items() if label == name))


def value_of(user: User, marker: str):
    return user.find(marker=marker).elements.pop().value


def shown_in(user: User, marker: str) -> list[str]:
    """The labels a select shows (a value among no options shows nothing, whatever its `value`)."""
    select = user.find(marker=marker).elements.pop()
    model = select.props[select.VALUE_PROP]
    return [item['label'] for item in (model if isinstance(model, list) else [model] if model else [])]


async def test_an_orders_view_refills_its_total_range_statuses_and_customer(user: User) -> None:
    for n in range(21):  # more customers than the customer filter's first options (20)
        make_customer(f'first{n}@example.com', name=f'A {n}')
    buyer = make_customer('zoe@example.com', name='Zoé "Zed": <b>Last</b>')
    now = utcnow() - timedelta(hours=1)
    paid_order(buyer, now, '50.00', number='ZZ-BIG', status='shipped')
    paid_order(buyer, now, '5.00', number='ZZ-SMALL', status='shipped')
    manager = make_user('manager')
    name = saved(
        'orders',
        manager,
        {'total': ['10', '99.5'], 'status': ['paid', 'shipped'], 'customer_id': buyer.id},
    )
    await signed_in(user, manager.email, path='/orders')
    await eventually(lambda: 'ZZ-SMALL' in lists.listed(user, 'number'))
    await choose_view(user, name)
    await eventually(lambda: lists.listed(user, 'number') == ['ZZ-BIG'])
    assert (value_of(user, 'filter-total-from'), value_of(user, 'filter-total-to')) == ('10', '99.5')
    assert value_of(user, 'filter-placed_at-from') == ''
    assert sorted(value_of(user, 'filter-status')) == ['paid', 'shipped']
    assert value_of(user, 'filter-customer_id') == buyer.id
    assert shown_in(user, 'filter-customer_id') == ['zoe@example.com']


async def test_a_requests_view_refills_a_tag_no_request_carries(user: User) -> None:
    submit_request('Tagged later <script>')
    agent = make_user('agent')
    name = saved('tickets', agent, {'tags': ['vip: "gold"']})
    await signed_in(user, agent.email, path='/requests')
    await eventually(lambda: 'Tagged later <script>' in lists.listed(user, 'subject'))
    await choose_view(user, name)
    await eventually(lambda: lists.listed(user, 'subject') == [])
    assert shown_in(user, 'filter-tags') == ['vip: "gold"']


async def test_an_inventory_view_refills_its_yes_no(user: User) -> None:
    manager = make_user('manager')
    name = saved('stock', manager, {'low_stock': True})
    await signed_in(user, manager.email, path='/inventory')
    await eventually(lambda: user.find(marker='filter-low_stock').elements)
    await choose_view(user, name)
    await eventually(lambda: shown_in(user, 'filter-low_stock') == ['Yes'])
