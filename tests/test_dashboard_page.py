"""The dashboard as the owner uses it: KPI cards with the change against the previous period (or "no earlier data"),
each definition one tap away, a card opened to see the rows behind today's number (statuses by their labels), the
period switch (a cancelled "Custom" puts back what was shown), and the freshness of the data."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice import formatting
from backoffice.db import get_engine
from backoffice.kpi import days, read, refresh
from backoffice.models import utcnow
from components.lean_plotly import LeanPlotly, bundle_url
from pages import dashboard as dashboard_page

from .support.factories import make_customer, make_user, paid_order
from .support.kpi_history import seed_turnover
from .support.plans import let_the_page_run, reading, settings_cache_held, statements_during
from .support.signin import signed_in
from .support.waiting import eventually


async def test_the_owner_sees_each_kpi_with_its_change_and_definition(user: User, monkeypatch) -> None:
    seed_turnover({0: 300.0, 1: 200.0, 8: 100.0, 9: 150.0})  # this week 500, the week before 250
    owner = make_user('manager')
    settings_cache_held(monkeypatch)
    with statements_during(get_engine()) as seen:
        await signed_in(user, owner.email)
        await let_the_page_run()
    # the page's build reads the settings once (the time zone and the currency together; the goals strip and the
    # periods read ahead use them) and the job runs once (how fresh the figures are: not again as the page connects)
    assert len(reading(seen, 'app_settings')) == 1
    assert len(reading(seen, 'kpi_job_runs')) == 1
    await user.should_see('Dashboard')
    await user.should_see('Turnover')
    await user.should_see('Open requests')
    await user.should_see('€750.00')  # the last 30 days
    charts = user.find(LeanPlotly).elements  # on the lighter plotly.js bundle: bars and lines (the funnel too)
    assert len(charts) == 4 and {c.figure['data'][0]['type'] for c in charts} == {'bar', 'scatter'}
    assert f'<link rel="modulepreload" href="{bundle_url()}">' in user.client.head_html  # fetched with the page
    next(iter(user.find(ui.toggle).elements)).value = 7  # the period switch (the simulation cannot tap it)
    await user.should_see('€500.00')
    await user.should_see('▲ 100.0%')
    next(iter(user.find(ui.toggle).elements)).value = 30  # 14 days of history: none for the 30 days before
    await user.should_see('€750.00')
    await user.should_see('no earlier data')
    await user.should_not_see(content='▲')

    await user.should_not_see('minus the refunds made that day')
    user.find(marker='define-turnover').click()
    await user.should_see(
        'Total of the orders paid that day, VAT and shipping included (by the day they were placed), minus the '
        'refunds made that day; a cancelled order counts in neither.'
    )


async def test_opening_a_card_shows_the_orders_behind_todays_number(user: User) -> None:
    jo = make_customer('jo@example.com')
    paid_order(jo, utcnow() - timedelta(minutes=1), '80.00', number='100042')
    paid_order(jo, utcnow() - timedelta(minutes=2), '1200.00', number='100043', currency='GBP')
    refresh.refresh_incremental()
    owner = make_user('manager')
    await signed_in(user, owner.email)
    await user.should_see(content=' s ago')  # how fresh the numbers are, e.g. "Updated 3 s ago"

    user.find(marker='kpi-orders').click()
    await user.should_see("Behind today's number")
    rows = user.find(ui.table).elements.pop().rows
    assert [(row['Order'], row['Status'], row['Total']) for row in rows] == [
        ('100042', 'Paid', '€80.00'),
        ('100043', 'Paid', '£1,200.00'),  # counted as an order; its pounds are not in the euros of the turnover
    ]


async def test_the_rows_behind_today_say_how_many_there_are_and_show_more(user: User) -> None:
    """The rows behind a busy day's number stopped at 25 with no total and no way to see more: they say "25 of 32" and
    a button adds the next ones; on a phone the table leaves out the status column (it scrolled sideways)."""
    jo = make_customer('jo@example.com')
    hostile = '<b>"Zoë": 1</b>'
    now = utcnow()
    for n in range(32):
        paid_order(jo, now - timedelta(seconds=n + 1), '10.00', number=hostile if n == 31 else f'1{n:05d}')
    refresh.refresh_incremental()
    await signed_in(user, make_user('manager').email)
    user.find(marker='kpi-orders').click()
    await user.should_see('25 of 32')
    table = user.find(marker='behind-rows').elements.pop()
    assert len(table.rows) == 25 and table.rows[0]['Order'] == '100000'  # the newest first
    status = next(c for c in table.columns if c['name'] == 'Status')
    assert status['classes'] == status['headerClasses'] == 'gt-xs'  # not on a phone
    assert 'wrap-cells' in table.props

    user.find(marker='behind-more').click()
    await user.should_not_see('25 of 32')
    assert len(table.rows) == 32 and table.rows[-1]['Order'] == hostile  # as text, the last one
    await user.should_not_see(marker='behind-more')


async def test_every_role_lands_on_the_dashboard(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email)
    await user.should_see('Welcome')
    await user.should_see('Conversion funnel')


async def test_cancelling_a_custom_period_puts_back_the_period_shown(user: User) -> None:
    seed_turnover({0: 300.0, 1: 200.0, 8: 100.0, 9: 150.0})
    await signed_in(user, make_user('manager').email)
    await user.should_see('€750.00')
    switch = next(iter(user.find(ui.toggle).elements))
    switch.value = 7
    await user.should_see('€500.00')
    today = days.today('UTC')
    shown = f'{formatting.days(today - timedelta(days=6), today)}, compared with the 7 days before'
    await user.should_see(shown)

    switch.value = 0  # Custom
    await user.should_see('Choose the days')
    user.find('Cancel').click()

    await eventually(lambda: switch.value == 7, message='the switch is back on 7 days')
    await user.should_see(shown)  # the same days as before
    await user.should_see('€500.00')


async def test_a_custom_period_can_be_chosen_again(user: User) -> None:
    await signed_in(user, make_user('manager').email)
    await user.should_see('Turnover')
    switch = next(iter(user.find(ui.toggle).elements))
    switch.value = 0  # Custom
    await user.should_see('Choose the days')
    user.find('Show').click()  # the days proposed: the period shown
    await eventually(lambda: not any(d.value for d in user.find(ui.dialog).elements), message='the dialog closed')

    user.find(ui.toggle).trigger('click')  # "Custom" again, already selected: no value change

    await eventually(lambda: any(d.value for d in user.find(ui.dialog).elements), message='the days can be chosen')
    assert switch.value == 0


async def test_a_period_switch_shows_it_is_busy_then_the_new_cards_and_charts(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_turnover({0: 300.0, 1: 200.0, 8: 100.0, 9: 150.0})
    release = threading.Event()
    reading = dashboard_page._read

    def slow_read(
        period, currency
    ):  # the read of the new period waits (in its worker thread) until the test lets it go
        if period.length == 7:
            assert release.wait(10), 'the test let the read go'
        return reading(period, currency)

    monkeypatch.setattr(dashboard_page, '_read', slow_read)
    await signed_in(user, make_user('manager').email)
    await user.should_see('€750.00')
    charts = sorted(user.find(LeanPlotly).elements, key=lambda chart: chart.id)  # in the page's order
    assert len(charts[0].figure['data'][0]['x']) == 30
    await user.should_not_see(marker='dashboard-busy')

    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see(marker='dashboard-busy')  # a spinner while the period is read
    busy_parts = [e for e in user.find(ui.column).elements if 'dashboard-content' in e.classes]
    assert busy_parts and busy_parts[0].props.get('aria-busy') == 'true'  # the cards and charts dimmed
    await user.should_see('€750.00')  # the old numbers stay until the new ones are read
    release.set()

    await user.should_see('€500.00')
    await user.should_see('▲ 100.0%')
    await user.should_not_see(marker='dashboard-busy')  # gone once the new period shows
    assert busy_parts[0].props.get('aria-busy') == 'false'
    now = sorted(user.find(LeanPlotly).elements, key=lambda chart: chart.id)
    assert [id(chart) for chart in now] == [id(chart) for chart in charts]  # redrawn in place, not rebuilt
    turnover = now[0].figure['data'][0]
    assert len(turnover['x']) == 7 and sum(v or 0 for v in turnover['y']) == 500.0


async def test_a_card_opened_says_the_period_before_and_downloads_its_days(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A founder comparing periods saw only "▲ 100.0 %": the card opened says what it was the days before, and its
    days come as a CSV for a spreadsheet (raw numbers, every day of the period, none missing)."""
    noon = datetime.combine(days.today('UTC'), time(12, 0), UTC)
    monkeypatch.setattr(read, 'utcnow', lambda: noon)  # the days before count up to the same time of day: noon
    seed_turnover({0: 300.0, 1: 200.0, 8: 100.0, 9: 150.0})  # this week 500, the week before 250
    owner = make_user('manager')
    await signed_in(user, owner.email)
    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see('▲ 100.0%')
    user.find(marker='kpi-turnover').click()
    await user.should_see('€500.00 over the period')
    before = formatting.day(days.today('UTC') - timedelta(days=7))
    await user.should_see(f'€250.00 the 7 days before, up to 12:00 on {before} (▲ 100.0%)')

    user.find(marker='kpi-csv').click()
    download = await user.download.next(timeout=20)
    today = days.today('UTC')
    lines = download.content.decode('utf-8-sig').splitlines()
    assert lines == ['day,turnover'] + [
        f'{today - timedelta(days=ago):%Y-%m-%d},{value}' for ago, value in ((6, 0), (5, 0), (4, 0), (3, 0), (2, 0))
    ] + [f'{today - timedelta(days=1):%Y-%m-%d},200', f'{today:%Y-%m-%d},300']


async def test_the_7_days_up_to_now_are_compared_with_the_7_days_before_up_to_the_same_time(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every morning the 7 days' turnover fell: today so far against whole days. At noon the days before count up to
    noon on their last day: its order of 09:00, not the one of 15:00; the card opened and the period line say so."""
    today = days.today('UTC')
    noon = datetime.combine(today, time(12, 0), UTC)
    monkeypatch.setattr(read, 'utcnow', lambda: noon)  # the dashboard's clock: noon today
    seed_turnover({0: 300.0, 1: 200.0, 7: 80.0, 8: 100.0, 9: 150.0})  # the 7th day back: €80 over the whole day
    jo = make_customer('jo@example.com')
    last_before = today - timedelta(days=7)
    for number, hour, total in (('100001', 9, '30.00'), ('100002', 15, '50.00')):
        paid_order(jo, datetime.combine(last_before, time(hour, 0), UTC), total, number=number)
    await signed_in(user, make_user('manager').email)
    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see('▲ 78.6%')  # €500 against €280 (250 + 30), not ▲ 51.5 % against the whole day's €330
    await user.should_see(
        f'{formatting.days(today - timedelta(days=6), today)}, compared with the 7 days before, both up to 12:00'
    )
    user.find(marker='kpi-turnover').click()
    await user.should_see(f'€280.00 the 7 days before, up to 12:00 on {formatting.day(last_before)} (▲ 78.6%)')


async def test_a_custom_period_past_today_is_refused_at_the_calendar(user: User) -> None:
    """Next week's days could be chosen and showed as a fall to nothing: the calendar offers days up to today only,
    and days after it are refused at the calendar, which stays open with what was shown behind it."""
    seed_turnover({0: 300.0, 1: 200.0, 8: 100.0, 9: 150.0})
    await signed_in(user, make_user('manager').email)
    await user.should_see('€750.00')
    switch = next(iter(user.find(ui.toggle).elements))
    switch.value = 0  # Custom
    await user.should_see('Choose the days')
    picker = next(iter(user.find(ui.date).elements))
    today = days.today('UTC')
    assert picker.props[':options'] == f"day => day <= '{today:%Y/%m/%d}'"  # no day after today to tap
    picker.value = {'from': (today - timedelta(days=1)).isoformat(), 'to': (today + timedelta(days=5)).isoformat()}
    user.find('Show').click()

    await user.should_see(f'Days after today have no figures yet: choose days up to today ({formatting.day(today)}).')
    assert any(d.value for d in user.find(ui.dialog).elements)  # the calendar stays, to choose again
    await user.should_see('€750.00')  # the period shown behind it is unchanged

    picker.value = {'from': (today - timedelta(days=1)).isoformat(), 'to': today.isoformat()}
    user.find('Show').click()
    await eventually(lambda: not any(d.value for d in user.find(ui.dialog).elements), message='the dialog closed')
    await user.should_see('€500.00')


async def test_one_day_chosen_as_a_custom_period_shows_that_day(user: User) -> None:
    """A founder tapped yesterday twice (the calendar then gives the day alone, not a range) and pressed Show: the
    dialog closed without a word and the dashboard kept its 7 days. One day is a period; nothing chosen is said."""
    seed_turnover({0: 300.0, 1: 200.0, 8: 100.0, 9: 150.0})
    await signed_in(user, make_user('manager').email)
    await user.should_see('€750.00')
    switch = next(iter(user.find(ui.toggle).elements))
    switch.value = 0  # Custom
    await user.should_see('Choose the days')
    picker = next(iter(user.find(ui.date).elements))
    picker.value = None  # the one day tapped again: nothing chosen
    user.find('Show').click()
    await user.should_see('Choose the days: tap the first and the last, or one day twice.')
    assert any(d.value for d in user.find(ui.dialog).elements)  # the calendar stays

    yesterday = days.today('UTC') - timedelta(days=1)
    picker.value = yesterday.isoformat()
    user.find('Show').click()
    await eventually(lambda: not any(d.value for d in user.find(ui.dialog).elements), message='the dialog closed')
    await user.should_see('€200.00')
    await user.should_see(f'{formatting.day(yesterday)}, compared with the day before')  # the day, said once
    assert switch.value == 0


async def test_the_money_cards_opened_say_how_many_paid_orders_in_other_currencies_they_leave_out(user: User) -> None:
    """Turnover added the euro orders only and said nothing of the pound and franc ones (the sales report says so):
    a founder selling abroad read a total without them. The Turnover and Average basket cards opened say how many
    paid orders of the period they leave out; Orders counts them all and says nothing."""
    now = utcnow() - timedelta(minutes=5)
    customer = make_customer('abroad@example.com', name='Zoë "Z": <script>x</script>')
    paid_order(customer, now, '40.00', number='EUR-1')
    paid_order(customer, now - timedelta(days=2), '30.00', number='GBP-1', currency='GBP')
    paid_order(customer, now, '20.00', number='CHF-1', currency='CHF')
    paid_order(customer, now, '90.00', number='CHF-2', currency='CHF', status='pending')  # not paid: not said
    refresh.refresh_incremental()
    await signed_in(user, make_user('manager').email)
    user.find(marker='kpi-turnover').click()
    await user.should_see('€40.00 over the period')
    await user.should_see('2 paid orders in other currencies are not in this figure.')
    user.find(marker='kpi-orders').click()
    await user.should_see(marker='kpi-csv')
    assert len(user.find(marker='left-out').elements) == 1  # the turnover's dialog only, not the Orders card's
