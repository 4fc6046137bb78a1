"""The reports as a manager uses them: the hub lists each report; the sales report shows this month's figures by
product (a hostile product name as text), regroups by category and by week, refuses a day it cannot read at its
field, and downloads CSV, XLSX and PDF; an agent may not open them."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from backoffice.db import get_engine

from .support.factories import make_category, make_product, make_user, pay, place
from .support.finance import round_prices
from .support.plans import reading, statements_during
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Mug "Deluxe": <script>alert(1)</script>'


def table(user: User) -> ui.table:
    return next(iter(user.find(marker='report-table').elements))


def labels(user: User) -> list[str]:
    rows = table(user).rows
    first = table(user).columns[0]['field'] if table(user).columns else 'label'
    return [row[first] for row in rows]


async def test_a_manager_reads_sales_regroups_them_and_downloads_each_format(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    kitchen = make_category('Kitchen: <b>pots</b>')
    make_product('MUG', '12.50', name=HOSTILE, category_id=kitchen.id, stock_on_hand=50, actor=admin)
    order = place(('MUG', 2))
    pay(manager, order)

    await signed_in(user, manager.email, path='/reports')
    for title in ('Sales', 'VAT collected', 'Stock valuation', 'Returns by reason', 'Support performance'):
        await user.should_see(title)
    user.find(marker='report-sales').click()
    await eventually(lambda: labels(user) == [f'{HOSTILE} (MUG)', 'Total'])
    assert table(user).rows[0]['net'] == '€25.00'

    user.find('Show').click()
    user.find('By category').click()
    await eventually(lambda: labels(user) == ['Kitchen: <b>pots</b>', 'Total'])
    user.find('Show').click()
    user.find('By period').click()
    await eventually(lambda: table(user).columns[0]['label'] == 'Month')

    user.find('From').clear().type('not a day 2026')
    await user.should_see('Enter a date', retries=40)
    user.find('From').clear()

    for fmt, start in (('csv', b'\xef\xbb\xbf'), ('xlsx', b'PK'), ('pdf', b'%PDF')):
        user.find(marker=f'export-{fmt}').click()
        download = await user.download.next(timeout=20)
        assert download.content.startswith(start)


async def test_every_report_opens_for_a_viewer(user: User) -> None:
    viewer = make_user('viewer')
    await signed_in(user, viewer.email, path='/reports')
    for key, column in (
        ('vat', 'VAT rate'),
        ('stock', 'Stock value'),
        ('returns', 'Reason'),
        ('support', 'Agent'),
        ('cohorts', 'Cohort'),
    ):
        await user.open(f'/reports/{key}')
        await eventually(lambda c=column: any(col['label'] == c for col in table(user).columns))
        await user.should_see('Nothing to report over this period.')


async def test_a_report_reads_the_staff_only_where_it_needs_them(user: User) -> None:
    """The sales report filters by category, not by agent, and has no schedule yet: its build reads the staff only to
    check the session (at the request and as the page connects), not all of them for a filter it does not show nor
    for the names of schedules it does not have; the support report reads them for its agent filter."""
    manager = make_user('manager')
    make_category('Kitchen: <b>pots</b>')
    await signed_in(user, manager.email, path='/reports')
    with statements_during(get_engine()) as seen:
        await user.open('/reports/sales')
        await eventually(lambda: table(user).columns != [])
    assert len(reading(seen, 'users')) == 2
    assert len(reading(seen, 'categories')) == 1
    with statements_during(get_engine()) as seen:
        await user.open('/reports/support')
        await eventually(lambda: table(user).columns != [])
    assert len(reading(seen, 'users')) == 4  # the session twice, the agent filter, the report's own agents
    assert reading(seen, 'categories') == []
    user.find('Agent').click()
    await user.should_see(manager.name)


async def test_an_agent_may_not_open_the_reports(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/reports/sales')
    await user.should_see("You don't have access to this page")
