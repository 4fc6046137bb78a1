"""The dashboard's read side: a visit while the aggregates are unchanged reuses what the last one computed; a refresh
or a definition change shows new numbers at once."""

from __future__ import annotations

from datetime import timedelta

from backoffice.db import read_session, session_scope
from backoffice.kpi import days, definitions, read
from backoffice.models import KpiDaily

from .support.factories import make_user


def test_the_dashboard_is_computed_once_per_state_of_the_aggregates() -> None:
    today = days.today('UTC')
    with session_scope() as session:
        session.add(KpiDaily(kpi='turnover', day=today, value=120.0))
        session.commit()
    with read_session() as session:
        period = read.period_ending_today(7, session=session)
        first = read.dashboard(session=session, period=period)
        again = read.dashboard(session=session, period=period)
    assert again is first
    assert next(c for c in first.cards if c.key == 'turnover').value == 120

    with session_scope() as session:  # a refresh writes a value
        session.add(KpiDaily(kpi='turnover', day=today - timedelta(days=1), value=30.0))
        session.commit()
    with read_session() as session:
        refreshed = read.dashboard(session=session, period=period)
    assert next(c for c in refreshed.cards if c.key == 'turnover').value == 150

    with session_scope() as session:  # the owner redefines an active user: the card's definition follows
        definitions.change(session=session, actor=make_user('admin'), values={'active_days': 9})
    with read_session() as session:
        redefined = read.dashboard(session=session, period=period)
    assert '9 days' in next(c for c in redefined.cards if c.key == 'active_users').definition


def test_the_funnel_ends_with_the_orders_placed_online_not_every_order() -> None:
    """An order entered by staff or imported had no checkout: the funnel's last step counts the front office's
    order_placed events, as checkout abandonment does, so Checkouts → Orders placed never grows."""
    today = days.today('UTC')
    with session_scope() as session:
        session.add(KpiDaily(kpi='checkouts', day=today, value=10.0))
        session.add(KpiDaily(kpi='orders_placed_online', day=today, value=7.0))
        session.add(KpiDaily(kpi='orders', day=today, value=25.0))  # 18 of them entered by staff
        session.commit()
    with read_session() as session:
        steps = read.funnel(session=session, period=read.period_ending_today(7, session=session))
    assert steps[-2:] == [('Checkouts', 10.0), ('Orders placed', 7.0)]
