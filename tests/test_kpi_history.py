"""KPI history: the aggregates reach back to the shop's first order (filled once, then kept by every refresh), and a
card never shows a percentage against a period the shop has no data, or only part of its data, for."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.kpi import days, read, refresh
from backoffice.models import EventType, KpiDaily, KpiJobRun, UsageEvent
from backoffice.runtime.scheduler import JOBS
from components.kpi_widgets import NO_EARLIER_DATA, change_text

from .support.factories import make_customer, paid_order


def add_order(days_ago: int, number: str, total: str = '40.00') -> None:
    paid_order(make_customer(f'buyer{number}@example.com'), early_on(days_ago), total, number=number)


def add_visit(days_ago: int, name: str) -> None:
    with session_scope() as session:
        session.add(UsageEvent(client_id=name, type=EventType.visit, ts=early_on(days_ago), anonymous_id=name))
        session.commit()


def early_on(days_ago: int):
    """A minute into that day (UTC, the shop's default zone): on that day whatever the time the test runs."""
    return days.bounds(days.today('UTC') - timedelta(days=days_ago), 'UTC')[0] + timedelta(minutes=1)


def orders_by_day() -> dict:
    with read_session() as session:
        return {row.day: row.value for row in session.exec(select(KpiDaily).where(KpiDaily.kpi == 'orders'))}


def cards(length: int) -> dict[str, read.Card]:
    with read_session() as session:
        period = read.period_ending_today(length, session=session)
        return {card.key: card for card in read.cards(session=session, period=period)}


def test_the_aggregates_reach_back_to_the_first_order_and_are_kept() -> None:
    add_order(200, '300001')  # the shop's first order, long before the nightly window
    add_order(0, '300002')
    refresh.recompute()  # what a shop had before: the last weeks only
    today = days.today('UTC')
    first_day = today - timedelta(days=200)
    assert first_day not in orders_by_day()

    refresh.backfill_history()

    history = orders_by_day()
    assert history[first_day] == 1  # the first order's day is covered
    assert min(history) == first_day  # and nothing before it: no run of zeros before the shop had data
    assert set(history) == set(days.span(first_day, today))  # every day since, none missing
    assert refresh.backfill_history() == 0  # once done, nothing more to do

    refresh.refresh_incremental()  # the minute's refresh and the nightly recompute never trim it
    refresh.recompute()
    assert min(orders_by_day()) == first_day


def test_the_backfill_runs_as_a_job_once_the_app_starts_and_every_night() -> None:
    add_order(100, '300003')
    backfill = next(job for job in JOBS if job.name == 'kpi-backfill')
    assert backfill.trigger == 'date'  # once, when this process starts running the jobs

    backfill.run(get_settings())

    assert days.today('UTC') - timedelta(days=100) in orders_by_day()
    with read_session() as session:
        assert [run.job for run in session.exec(select(KpiJobRun))] == ['kpi-backfill']


def test_no_percentage_against_an_earlier_period_without_data() -> None:
    add_order(0, '300004')  # a shop whose first order is today
    add_visit(0, 'v-today')
    refresh.backfill_history()

    for card in cards(90).values():
        assert card.previous is None and card.change is None
        assert change_text(card) == NO_EARLIER_DATA and '%' not in change_text(card)


def test_no_percentage_against_an_earlier_period_with_only_part_of_its_days() -> None:
    # orders for 60 days, visits for the last 2 only (the tracking was installed later): at 30 days the orders have a
    # whole earlier period, the visits none of its days, and at 90 days the orders only part of it
    for ago in (0, 1, 10, 35, 59):
        add_order(ago, f'3100{ago:02d}')
    add_visit(0, 'v0')
    add_visit(1, 'v1')
    refresh.backfill_history()

    month = cards(30)
    assert month['orders'].previous == 2 and change_text(month['orders']) == '▲ 50.0%'  # 3 against 2
    assert change_text(month['visits']) == NO_EARLIER_DATA
    assert change_text(month['conversion']) == NO_EARLIER_DATA  # needs both: begins with the visits
    quarter = cards(90)
    assert change_text(quarter['orders']) == NO_EARLIER_DATA  # 60 days of data, none in the 90 days before
    assert quarter['orders'].value == 5


def test_the_backfill_writes_the_newest_days_first(monkeypatch) -> None:
    """A year of history takes minutes on a small machine: the month before today (what the dashboard compares with)
    is written first, so its cards stop saying "no earlier data" long before the oldest days are done."""
    add_order(200, '300011')
    add_order(0, '300012')
    refresh.recompute()
    asked: list[tuple] = []
    real = refresh.recompute

    def recording(**options):
        asked.append((options['first'], options['last']))
        return real(**options)

    monkeypatch.setattr(refresh, 'recompute', recording)
    refresh.backfill_history()
    today = days.today('UTC')
    lasts = [last for _first, last in asked]
    assert lasts == sorted(lasts, reverse=True) and asked[0][1] > today - timedelta(days=40)
    assert all((last - first).days < refresh.BACKFILL_DAYS for first, last in asked)
    assert set(orders_by_day()) == set(days.span(today - timedelta(days=200), today))  # every day, as before
