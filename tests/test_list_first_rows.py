"""A list's first rows come with the page: the HTML the server answers already holds them (issue 20, "first rows"),
so the browser shows them without waiting for the websocket; the list then pages, filters and updates as before."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from components import page_work

from .support.factories import make_customer, make_product, make_user, place
from .support.lists import rows_show
from .support.signin import signed_in


async def test_the_orders_page_is_served_with_its_first_rows(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    first = place(('MUG', 1), email='ann.first@example.com')
    second = place(('MUG', 2), email='bob.second@example.com')
    await signed_in(user, manager.email, path='/orders')

    served = await user.http_client.get('/orders')

    assert served.status_code == 200
    for order in (first, second):
        assert f'"{order.number}"' in served.text  # in the table's rows, not only somewhere in a script
    assert 'ann.first@example.com' in served.text and 'bob.second@example.com' in served.text
    assert '2 orders' in served.text  # the caption over the list, too
    # the opened page still pages and searches over the websocket as before
    user.find(marker='search').type('bob.second')
    await rows_show(user, second.number, absent=(first.number,), column='number')


async def test_the_customers_page_is_served_with_its_first_rows_in_the_readers_filter(user: User) -> None:
    manager = make_user('manager')
    make_customer('cara.kept@example.com', name='Cara Kept', status='active')
    make_customer('dan.unfinished@example.com', name='Dan Unfinished', status='unfinished')
    await signed_in(user, manager.email, path='/customers')

    everyone = await user.http_client.get('/customers')
    unfinished = await user.http_client.get('/customers?status=unfinished')  # a choice filter named in the address

    assert 'cara.kept@example.com' in everyone.text and 'dan.unfinished@example.com' in everyone.text
    assert 'dan.unfinished@example.com' in unfinished.text and 'cara.kept@example.com' not in unfinished.text


async def test_a_page_built_slowly_on_a_busy_server_is_served_late_not_as_an_error(user: User, monkeypatch) -> None:
    """NiceGUI answers 500 ("took longer than the response_timeout of 3 seconds") for a page built slowly: a busy
    server must serve it late instead (a CI run at load 30 got that 500 for /requests)."""
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/orders')
    settle = page_work.settle

    async def slowly() -> None:
        await asyncio.sleep(3.5)  # what a starved CPU makes of building the page and reading its rows
        await settle()

    monkeypatch.setattr(page_work, 'settle', slowly)
    served = await user.http_client.get('/orders', timeout=30)

    assert served.status_code == 200
    assert 'response_timeout' not in served.text
