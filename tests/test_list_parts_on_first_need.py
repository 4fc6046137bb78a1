"""Parts of a list built when first needed, not with the page (issue 20, first rows): the bulk bar on the first ticked
row, and on a phone (the width the browser last reported) the filters row, folded away there, once the page is
connected. Nothing a person can see or do goes: the filters filter, the bar edits."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from components import viewport

from .support.factories import make_customer, make_user
from .support.lists import rows_show
from .support.signin import signed_in
from .support.waiting import eventually

FILTER_LABEL = 'Signed up from'  # the customers list's date filter: in no column header, only in the filters row


def customers_table(user: User) -> ui.table:
    return next(t for t in user.find(ui.table).elements if any(c['name'] == 'email' for c in t.columns))


def tick(user: User, table: ui.table, rows: list[dict], *, added: bool = True) -> None:
    """A person ticks (or unticks) rows' boxes: the browser's selection event, as Quasar sends it."""
    keys = [row['id'] for row in rows]
    UserInteraction(user, {table}, None).trigger('selection', {'added': added, 'rows': rows, 'keys': keys})


async def test_the_bulk_bar_is_built_on_the_first_ticked_row_and_acts_on_it(user: User) -> None:
    manager = make_user('manager')
    make_customer('cara.kept@example.com', name='Cara Kept', status='active')
    make_customer('dan.ticked@example.com', name='Dan Ticked', status='active')
    await signed_in(user, manager.email, path='/customers')
    await rows_show(user, 'cara.kept@example.com', 'dan.ticked@example.com')

    served = await user.http_client.get('/customers')
    assert 'Edit a field' not in served.text  # not in the served page
    await user.should_not_see('Edit a field')

    table = customers_table(user)
    tick(user, table, [row for row in table.rows if row['email'] == 'dan.ticked@example.com'])
    await user.should_see('1 selected')
    user.find('Edit a field').click()
    await user.should_see('Edit a field on every selected record')


async def test_unticking_every_row_hides_the_bulk_bar_again(user: User) -> None:
    manager = make_user('manager')
    make_customer('eve.once@example.com', name='Eve Once')
    await signed_in(user, manager.email, path='/customers')
    await rows_show(user, 'eve.once@example.com')
    table = customers_table(user)
    rows = list(table.rows)

    tick(user, table, rows)
    await user.should_see('1 selected')
    tick(user, table, rows, added=False)
    await user.should_not_see('1 selected')
    await user.should_not_see('Edit a field')


async def test_on_a_phone_the_filters_come_after_the_first_paint_and_filter(user: User) -> None:
    manager = make_user('manager')
    make_customer('cara.kept@example.com', name='Cara Kept', status='active')
    make_customer('dan.unfinished@example.com', name='Dan Unfinished', status='unfinished')
    await signed_in(user, manager.email, path='/customers')
    wide = await user.http_client.get('/customers')
    user.http_client.cookies.set(viewport.COOKIE, '390')  # what the browser said on its last page
    phone = await user.http_client.get('/customers')

    assert FILTER_LABEL in wide.text
    assert FILTER_LABEL not in phone.text and 'cara.kept@example.com' in phone.text  # the rows are there, not filters

    await user.open('/customers')
    await eventually(lambda: bool(user.find(marker='filter-status').elements), message='the filters are built')
    user.find('Filters').click()  # unfolds them
    user.find(marker='filter-status').elements.pop().set_value(['unfinished'])
    await rows_show(user, 'dan.unfinished@example.com', absent=('cara.kept@example.com',))


async def test_on_a_phone_a_filter_named_in_the_address_is_built_with_the_page_and_shows_its_choice(
    user: User,
) -> None:
    manager = make_user('manager')
    make_customer('cara.kept@example.com', name='Cara Kept', status='active')
    make_customer('dan.unfinished@example.com', name='Dan Unfinished', status='unfinished')
    await signed_in(user, manager.email, path='/customers')
    user.http_client.cookies.set(viewport.COOKIE, '390')

    served = await user.http_client.get('/customers?status=unfinished')
    assert FILTER_LABEL in served.text
    await user.open('/customers?status=unfinished')
    await rows_show(user, 'dan.unfinished@example.com', absent=('cara.kept@example.com',))
    assert user.find(marker='filter-status').elements.pop().value == ['unfinished']


async def test_on_a_wide_screen_the_phone_sort_comes_after_the_first_paint_and_sorts(user: User) -> None:
    manager = make_user('manager')
    make_customer('ann.first@example.com', name='Ann First')
    make_customer('zed.last@example.com', name='Zed Last')
    await signed_in(user, manager.email, path='/customers')
    phone = await user.http_client.get('/customers')
    user.http_client.cookies.set(viewport.COOKIE, '1440')
    wide = await user.http_client.get('/customers')

    assert 'Sort by' in phone.text  # a first visit (no width said yet) builds it with the page
    assert 'Sort by' not in wide.text and 'ann.first@example.com' in wide.text

    await user.open('/customers')
    await eventually(lambda: bool(user.find(marker='phone-sort').elements), message='the phone sort is built')
    user.find(marker='phone-sort').elements.pop().set_value('email')
    emails = lambda: [r['email'] for r in customers_table(user).rows]  # noqa: E731
    await eventually(lambda: emails() == ['zed.last@example.com', 'ann.first@example.com'])  # the list's direction
    user.find(marker='phone-sort-direction').click()
    await eventually(lambda: emails() == ['ann.first@example.com', 'zed.last@example.com'])


async def test_a_width_cookie_that_is_not_a_width_builds_the_whole_page(user: User) -> None:
    manager = make_user('manager')
    make_customer('cara.kept@example.com', name='Cara Kept')
    await signed_in(user, manager.email, path='/customers')
    for hostile in ('9' * 5000, '-390', '390px', '<script>alert(1)</script>'):
        user.http_client.cookies.set(viewport.COOKIE, hostile)
        page = await user.http_client.get('/customers')
        assert page.status_code == 200, (hostile, page.status_code)
        assert FILTER_LABEL in page.text and 'cara.kept@example.com' in page.text, hostile  # as a first visit
