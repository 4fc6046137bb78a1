"""Goals tied to live KPIs: progress from the daily aggregates, the expected progress for today and the status, checked
against hand-computed figures; check-ins keep their history; only managers and admins change goals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backoffice import formatting, i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.permissions import PermissionDenied
from backoffice.services import goals

from .support.factories import make_user
from .support.goals import make_objective, put_daily, today

HOSTILE = 'Grow "fast": <script>alert(1)</script>'


def test_quarters_and_the_expected_progress_by_hand() -> None:
    assert goals.quarter(date(2026, 12, 3)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert goals.quarter(date(2026, 2, 28)) == (date(2026, 1, 1), date(2026, 3, 31))
    # a 10-day period: on its 3rd day 3/10 of it has gone by the evening
    assert goals.expected_progress(date(2026, 1, 1), date(2026, 1, 10), date(2026, 1, 3)) == pytest.approx(0.3)
    assert goals.expected_progress(date(2026, 1, 1), date(2026, 1, 10), date(2025, 12, 31)) == 0
    assert goals.expected_progress(date(2026, 1, 1), date(2026, 1, 10), date(2026, 2, 1)) == 1
    assert goals.progress(100, 200, 150) == 0.5
    assert goals.progress(10, 4, 7) == 0.5  # a decrease: from 10 down to 4, at 7 is half way
    assert goals.progress(100, 200, 50) == 0 and goals.progress(100, 200, 500) == 1
    # thresholds: within 10 points on track, 10–25 behind at risk, further off track
    assert goals.status(0.45, 0.5) == 'on_track'
    assert goals.status(0.35, 0.5) == 'at_risk'
    assert goals.status(0.2, 0.5) == 'off_track'


def test_a_key_result_bound_to_a_kpi_reads_its_progress_from_the_daily_aggregates() -> None:
    manager = make_user('manager')
    first, last = today() - timedelta(days=4), today() + timedelta(days=5)  # 10 days; today is the 5th
    put_daily('turnover', {5: 999.0, 4: 100.0, 3: 50.0, 2: 50.0, 1: 0.0, 0: 100.0})  # 5 days ago is outside
    put_daily('open_requests', {4: 30.0, 1: 12.0, 0: 14.0})  # a level: the last known value counts
    objective, _ids = make_objective(
        manager,
        HOSTILE,
        first,
        last,
        {'title': 'Sell 1000', 'kpi': 'turnover', 'baseline': 0, 'target': 1000},
        {'title': 'Fewer open requests', 'kpi': 'open_requests', 'baseline': 30, 'target': 10, 'direction': 'decrease'},
        {'title': 'Partners signed', 'kpi': None, 'baseline': 0, 'target': 4},
    )
    with read_session() as session:
        [goal] = goals.board(session=session, actor=make_user('agent'), current_only=True)
    assert goal.title == HOSTILE
    sold, requests, partners = goal.results
    assert sold.current == 300 and sold.progress == pytest.approx(0.3)  # 100+50+50+0+100 of 1000
    assert sold.expected == pytest.approx(0.5) and sold.status == 'at_risk'  # 30 % against 50 %: 20 points behind
    assert requests.current == 14 and requests.progress == pytest.approx(0.8)  # 30 → 14 of 30 → 10
    assert requests.status == 'on_track'
    assert partners.current is None and partners.progress == 0 and partners.status == 'off_track'


def test_check_ins_keep_the_history_and_move_a_manual_key_result() -> None:
    manager = make_user('manager')
    first, last = today() - timedelta(days=9), today()  # the last day: 100 % expected
    _objective, [partners] = make_objective(
        manager, 'Partners', first, last, {'title': 'Partners signed', 'baseline': 0, 'target': 4}
    )
    for value, comment in ((1, 'First one: "Acme"'), (3, HOSTILE)):
        with session_scope() as session:
            goals.check_in(
                session=session, actor=manager, key_result_id=partners, comment=comment, confidence=7, value=value
            )
    with read_session() as session:
        [goal] = goals.board(session=session, actor=manager, current_only=True)
        history = goals.check_ins(session=session, actor=manager, key_result_id=partners)
    result = goal.results[0]
    assert result.current == 3 and result.progress == 0.75 and result.comment == HOSTILE
    assert result.status == 'at_risk'  # 75 % against 100 % expected: 25 points behind
    assert [(c.value, c.progress, c.comment) for c in history] == [(3, 0.75, HOSTILE), (1, 0.25, 'First one: "Acme"')]


def test_only_managers_and_admins_change_goals_and_bad_input_is_refused_per_field() -> None:
    agent, admin = make_user('agent'), make_user('admin')
    with session_scope() as session, pytest.raises(PermissionDenied):
        goals.create_objective(
            session=session,
            actor=agent,
            data={'title': 'Mine', 'first_day': today(), 'last_day': today()},
        )
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        goals.create_objective(
            session=session,
            actor=admin,
            data={'title': ' ', 'first_day': today(), 'last_day': today() - timedelta(days=1)},
        )
    assert set(refused.value.errors) == {'title', 'last_day'}
    objective, _ids = make_objective(admin, 'Grow', today(), today())
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        goals.add_key_result(
            session=session,
            actor=admin,
            objective_id=objective.id,
            data={'title': 'x', 'kpi': 'nope', 'baseline': 10, 'target': 5, 'direction': 'increase'},
        )
    assert set(refused.value.errors) == {'kpi', 'target'}
    with session_scope() as session, pytest.raises(PermissionDenied):
        goals.delete_objective(session=session, actor=agent, objective_id=objective.id)


def test_a_rate_reads_the_same_on_goals_the_dashboard_alerts_and_the_digest() -> None:
    """Goals wrote "9.7%" where the dashboard's card wrote "9.6 %" for the same conversion (193 orders of 2,000
    visits: 9.65 %): the dashboard rounded 9.65 half to even, goals 9.65 / 100 = 0.09649…; and English put a space
    only on the dashboard. One writing everywhere, rounded as a person rounds, in both languages."""
    from backoffice.kpi import periods
    from backoffice.kpi.read import Card
    from backoffice.services.alert_checks import _kpi_value
    from backoffice.services.digest_mail import _change
    from backoffice.stored_text import sentence
    from components.kpi_widgets import change_text, format_value

    day = today()
    rate = periods.value_over('conversion', {day: (None, 193.0, 2000.0)}, day, day)
    assert rate == 9.65
    for language, expected in (('en', '9.7%'), ('fr', '9,7\u00a0%')):
        with i18n.use(language):
            card = format_value(rate, 'percent')
            goal = periods.shown('conversion', rate)
            alert = sentence('{value}', value=_kpi_value('conversion', rate)).shown()
            digest = _change(rate)
            assert card == goal == alert == expected, (card, goal, alert)
            assert digest.startswith('+' + expected)
            for value in (0.35, 4.45, 8.65, 9.05):  # each one of those a float divided by 100 rounded the other way
                assert format_value(value, 'percent') == periods.shown('conversion', value)
                assert format_value(value, 'percent') == formatting.kpi_percent(value)
            assert change_text(Card('orders', 'Orders', 'count', 12.0, 10.0, 20.0, True, [], '')).endswith(
                formatting.kpi_percent(20.0)
            )
