"""The header's search as a person uses it: type, see each hit's record type, open one; the drawer's entries are links;
a record's link opens it."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from .support.factories import make_customer, make_product, make_user, place
from .support.lists import rows_show
from .support.menu import menu_entries
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Mia "<script>alert(1)</script>": O\'Neil'


def hits(user: User) -> list[tuple[str, str]]:
    """(record type, title) of each hit shown, in order."""
    found = []
    for link in user.find(marker='search-hit').elements:
        texts = [e.text for e in link.descendants() if isinstance(e, ui.label)]
        found.append((texts[0], texts[1]))
    return found


async def test_a_manager_finds_a_customer_and_an_order_and_opens_the_customer(user: User) -> None:
    customer = make_customer('mia.search@example.com', name=HOSTILE)
    admin = make_user('admin')
    make_product('MIA-1', stock_on_hand=3, actor=admin)
    order = place(('MIA-1', 1), email='mia.search@example.com')
    manager = make_user('manager')
    await signed_in(user, manager.email)
    user.find(marker='global-search').type('mia.search')
    await eventually(lambda: ('Customer', HOSTILE) in hits(user), message='the customer is a hit')
    assert ('Order', f'Order {order.number}') in hits(user)
    user.find(marker='search-hit').click()  # the first hit: the customer
    await eventually(lambda: user.back_history[-1] == f'/customers?open={customer.id}', message='the hit is followed')
    await user.should_see('Save changes')  # the customer's record is open
    await user.should_see('mia.search@example.com')


async def test_enter_opens_the_first_hit_and_nothing_found_says_what_to_try(user: User) -> None:
    make_product('LAMP-42', name='Desk lamp "Nova"')
    agent = make_user('agent')
    await signed_in(user, agent.email)
    search = user.find(marker='global-search')
    search.type('no such thing')
    await user.should_see('Nothing found. Try a number, an email, a name, a SKU or a tracking number.')
    search.clear().type('lamp-4')
    await eventually(lambda: hits(user) == [('Product', 'Desk lamp "Nova"')], message='the product is the hit')
    search.trigger('keydown.enter')
    await eventually(lambda: '/products?open=' in user.back_history[-1], message='Enter opened the product')
    await user.should_see('History')  # the product's record is open (read-only for an agent)


async def test_the_drawer_entries_are_links(user: User) -> None:
    await signed_in(user, make_user('agent').email, path='/customers')
    await user.should_see('Customers')
    entries = menu_entries(user)  # each drawn as <a href> (tests/browser/test_keyboard_and_search_in_chromium.py)
    assert {'/', '/customers', '/requests', '/orders'} <= {e.path for e in entries}
    assert [e.path for e in entries if e.current] == ['/customers']


async def test_the_orders_list_links_each_order_to_its_customer(user: User) -> None:
    admin = make_user('admin')
    make_product('LINK-1', stock_on_hand=3, actor=admin)
    order = place(('LINK-1', 1), email='lina.link@example.com')
    await signed_in(user, make_user('agent').email, path='/orders')
    await rows_show(user, 'lina.link@example.com')
    row = next(r for r in user.find(ui.table).elements.pop().rows if r['email'] == 'lina.link@example.com')
    assert row['_link_email'] == f'/customers?open={order.customer_id}'  # the cell is <a href> to the customer


async def test_a_name_typed_without_its_accents_finds_the_customer(user: User) -> None:
    accented = 'Zoé López: "<script>alert(1)</script>"'
    make_customer('zoe.page.accents@example.com', name=accented)
    await signed_in(user, make_user('agent').email)
    search = user.find(marker='global-search')
    search.type('zoe lopez: "<scr')
    await eventually(lambda: ('Customer', accented) in hits(user), message='the customer is found without accents')
    search.clear().type('ZOË LÖPEZ')  # other accents, in capitals
    await eventually(lambda: ('Customer', accented) in hits(user), message='the customer is found with other accents')


async def test_a_name_typed_surname_first_finds_the_customer_and_the_product_its_words_in_any_order(
    user: User,
) -> None:
    """The header's search reads several words as the lists do: as typed, else each word in any order ('Smith Anna'
    found nobody: the names were read as one prefix)."""
    named = 'Anna Smith: "<script>alert(1)</script>"'
    make_customer('a.smith.order@example.com', name=named)
    make_customer('anna.other@example.com', name='Anna Karenina')  # the first name alone is not enough
    make_product('MUG-77', name='Mug "Ocean" <b>blue</b>')
    await signed_in(user, make_user('agent').email)
    search = user.find(marker='global-search')
    search.type('Smith Anna')
    await eventually(lambda: hits(user) == [('Customer', named)], message='the surname first finds the customer')
    search.clear().type('ocean" mug')  # a word that starts the name, the other anywhere in it
    await eventually(lambda: hits(user) == [('Product', 'Mug "Ocean" <b>blue</b>')], message='the product by words')
    search.trigger('keydown.enter')
    await eventually(lambda: '/products?open=' in user.back_history[-1], message='Enter opened the product')
