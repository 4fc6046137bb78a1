"""A list's date filter read from its address (/orders?placed_at=2026-12-04..2026-12-04), in the shop's days and shown
in the date fields as if typed; and a KPI card's "See these in the list", which opens the list filtered as the KPI
counts its records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from nicegui.testing import User

from backoffice.db import read_session, session_scope
from backoffice.kpi import days, read, refresh
from backoffice.kpi.registry import KPIS
from backoffice.listing.filters import day_range_from_address
from backoffice.models import AppSetting, utcnow
from backoffice.resources import RESOURCES
from backoffice.services import app_settings

from .support import lists
from .support.factories import make_customer, make_user, paid_order
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = ["'<script>alert(1)</script>", '2026-13-45', '..', '2026-12-05..2026-12-04', '2026-12-04..x', 'é' * 500]


def in_paris() -> None:
    with session_scope() as session:
        session.add(AppSetting(key='time_zone', value='Europe/Paris'))
        session.commit()
    app_settings.forget_cached()


def orders_around_the_4th() -> None:
    jo = make_customer('jo@example.com')
    paid_order(jo, datetime(2026, 12, 3, 22, 59, tzinfo=UTC), number='LATE-3RD')  # 23:59 on the 3rd in Paris
    paid_order(jo, datetime(2026, 12, 3, 23, 5, tzinfo=UTC), number='EARLY-4TH')  # 00:05 on the 4th
    paid_order(jo, datetime(2026, 12, 4, 22, 30, tzinfo=UTC), number='LATE-4TH')  # 23:30 on the 4th (UTC: the 4th)
    paid_order(jo, datetime(2026, 12, 4, 22, 45, tzinfo=UTC), number='PENDING-4TH', status='pending')
    paid_order(jo, datetime(2026, 12, 4, 23, 10, tzinfo=UTC), number='EARLY-5TH')  # 00:10 on the 5th (UTC: the 4th)


def date_fields(user: User, name: str) -> tuple[str, str]:
    first = user.find(marker=f'filter-{name}-from').elements.pop()
    last = user.find(marker=f'filter-{name}-to').elements.pop()
    return first.value, last.value


async def test_the_orders_list_opens_on_the_day_its_address_names_in_the_shops_days(user: User) -> None:
    in_paris()
    orders_around_the_4th()
    await signed_in(user, make_user('manager').email, path='/orders?placed_at=2026-12-04..2026-12-04')
    await eventually(lambda: sorted(lists.listed(user, 'number')) == ['EARLY-4TH', 'LATE-4TH', 'PENDING-4TH'])
    assert date_fields(user, 'placed_at') == ('2026-12-04', '2026-12-04')  # as if typed

    # one day alone, with the statuses a KPI counts (several of one choice filter)
    await user.open('/orders?status=paid&status=shipped&placed_at=2026-12-04')
    await eventually(lambda: sorted(lists.listed(user, 'number')) == ['EARLY-4TH', 'LATE-4TH'])
    assert date_fields(user, 'placed_at') == ('2026-12-04', '2026-12-04')
    assert user.find(marker='filter-status').elements.pop().value == ['paid', 'shipped']


@pytest.mark.parametrize('value', HOSTILE)
async def test_a_date_in_the_address_that_is_no_day_filters_nothing(user: User, value: str) -> None:
    in_paris()
    orders_around_the_4th()
    await signed_in(user, make_user('manager').email, path=f'/orders?placed_at={quote(value)}')
    await eventually(lambda: len(lists.listed(user, 'number')) == 5)
    assert date_fields(user, 'placed_at') == ('', '')


async def test_the_widest_range_in_the_address_keeps_every_order(user: User) -> None:
    in_paris()
    orders_around_the_4th()
    await signed_in(user, make_user('manager').email, path='/orders?placed_at=0001-01-01..9999-12-31')
    await eventually(lambda: len(lists.listed(user, 'number')) == 5)
    assert date_fields(user, 'placed_at') == ('0001-01-01', '9999-12-31')


def test_the_address_format_of_a_date_filter() -> None:
    day = date(2026, 12, 6)
    assert day_range_from_address('2026-12-06..2026-12-06') == (day, day)
    assert day_range_from_address('2026-12-06') == (day, day)
    assert day_range_from_address('..2026-12-06') == (None, day)
    assert day_range_from_address('2026-12-06..') == (day, None)
    assert all(day_range_from_address(value) is None for value in [*HOSTILE, '', None])


def test_each_kpi_listed_names_filters_its_list_has() -> None:
    listed = [kpi for kpi in KPIS if kpi.listed is not None]
    assert {kpi.key for kpi in listed} >= {'turnover', 'orders', 'average_basket', 'open_requests', 'low_stock'}
    for kpi in listed:
        assert kpi.listed is not None
        declared = {f.name: f for f in RESOURCES[kpi.listed.resource].filters}
        if kpi.listed.day is not None:
            assert declared[kpi.listed.day].kind == 'date_range'
        for name, values in kpi.listed.choices:
            spec = declared[name]
            assert spec.kind == 'bool' and values == ('yes',) or set(values) <= set(spec.choices or {}), kpi.key


def test_the_list_behind_today_is_the_shops_today_and_the_statuses_counted() -> None:
    in_paris()
    manager = make_user('manager')
    today = days.today('Europe/Paris').isoformat()
    with read_session() as session:
        assert read.list_behind_today(session=session, key='turnover', user=manager) == (
            '/orders?status=paid&status=packed&status=shipped&status=delivered&status=partly_shipped'
            '&source=api&source=staff&source=seed'
            f'&currency=EUR&placed_at={today}..{today}'
        )
        assert read.list_behind_today(session=session, key='open_requests', user=manager) == (
            '/requests?status=new&status=open&status=waiting'
        )
        assert read.list_behind_today(session=session, key='visits', user=manager) is None  # events: no list
        assert read.list_behind_today(session=session, key='turnover', user=None) is None


async def test_a_kpi_card_links_to_todays_orders_in_the_list(user: User) -> None:
    jo = make_customer('jo@example.com')
    now = utcnow()
    paid_order(jo, now - timedelta(minutes=1), '80.00', number='TODAY-PAID')
    paid_order(jo, now - timedelta(minutes=2), '20.00', number='TODAY-PENDING', status='pending')
    paid_order(jo, now - timedelta(days=2), '30.00', number='BEFORE')
    refresh.refresh_incremental()
    await signed_in(user, make_user('manager').email)
    user.find(marker='kpi-turnover').click()
    await user.should_see("Behind today's number")
    user.find(marker='behind-list').click()
    await user.should_see(marker='filter-placed_at-from')  # the orders list, not the card's rows
    await eventually(lambda: lists.listed(user, 'number') == ['TODAY-PAID'])
    today = days.today(app_settings.time_zone()).isoformat()
    assert date_fields(user, 'placed_at') == (today, today)
