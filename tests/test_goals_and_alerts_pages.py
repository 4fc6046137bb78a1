"""The goals and alerts pages as a person uses them: a manager adds an objective, a key result on a KPI and checks in
(hostile text shows as text); the dashboard shows the current key results on top; a manager adds an alert rule and
sends a test message to a real receiver; an agent reads both pages but has no buttons to change them."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.testing import User

from backoffice.config import reload_settings
from backoffice.db import session_scope
from backoffice.services import alert_checks, alerts, app_settings, goals
from pages import alerts as alerts_page

from .support.factories import make_user
from .support.goals import make_objective, make_rule, put_daily, today
from .support.signin import signed_in
from .support.stale_page import click_as_shown
from .support.waiting import eventually
from .support.webhook_receiver import webhook_receiver

HOSTILE = 'Grow "fast": <script>alert(1)</script>'


async def test_a_manager_sets_an_objective_with_a_key_result_and_checks_in(user: User) -> None:
    manager = make_user('manager')
    put_daily('orders', {0: 25.0})
    await signed_in(user, manager.email, path='/goals')
    await user.should_see('No objectives for this period yet.', retries=30)
    user.find('New objective').click()
    user.find(marker='objective-title').type(HOSTILE)
    user.find(marker='save-objective').click()
    await user.should_see('Objective added.', retries=30)
    await user.should_see(HOSTILE)
    user.find(kind=ui.button, marker='add-key-result-1').click()
    user.find(marker='key-result-title').type('Orders: 100 "this quarter"')
    user.find(marker='key-result-kpi').click()
    user.find(marker='key-result-kpi').elements.pop().set_value('orders')
    user.find(marker='key-result-target').type('abc')
    user.find(marker='save-key-result').click()
    await user.should_see('Enter a number', retries=30)
    user.find(marker='key-result-target').clear().type('100')
    user.find(marker='save-key-result').click()
    await user.should_see('Key result added.', retries=30)  # said, as the objective and a check-in are
    await user.should_see('Orders: 100 "this quarter"', retries=30)
    await user.should_see('Orders: 25 (from 0 to 100)')
    user.find(marker='check-in-1').click()
    user.find(marker='check-in-comment').type(HOSTILE + ' comment')
    user.find(marker='save-check-in').click()
    await user.should_see('Check-in saved.', retries=30)
    await user.should_see(f'Confidence 5/10: {HOSTILE} comment')

    await user.open('/')
    await user.should_see('Orders: 100 "this quarter"', retries=30)
    assert user.find(marker='goals-strip').elements


async def test_deleting_an_objective_asks_first_and_a_typed_check_in_survives_a_tap_beside_it(user: User) -> None:
    """One tap on the bin beside "Add a key result" deleted the objective with its key results and check-ins (no
    screen brings them back), and a tap beside a check-in's dialog closed it with its comment."""
    manager = make_user('manager')
    objective, (result_id,) = make_objective(
        manager,
        HOSTILE,
        today() - timedelta(days=5),
        today() + timedelta(days=20),
        {'title': 'Calls: "x"', 'target': 10},
    )
    await signed_in(user, manager.email, path='/goals')
    await user.should_see(HOSTILE, retries=30)

    user.find(marker=f'check-in-{result_id}').click()
    with user:
        dialog = list(ElementFilter(kind=ui.dialog))[-1]  # the one just opened
    assert not dialog.props.get('persistent')
    user.find(marker='check-in-comment').type(HOSTILE + ' 🎉 ' + 'long ' * 80)
    assert dialog.props.get('persistent'), 'a tap beside it no longer closes it with the comment'
    dialog.close()

    user.find(marker=f'delete-objective-{objective.id}').click()
    await user.should_see(f'Delete the objective "{HOSTILE}" and its 1 key result?')
    user.find(marker='confirm-no').click()
    with session_scope() as session:
        assert [g.title for g in goals.board(session=session, actor=manager)] == [HOSTILE]
    user.find(marker=f'delete-objective-{objective.id}').click()
    user.find(marker='confirm-yes').click()
    await user.should_see('Objective deleted.', retries=30)
    with session_scope() as session:
        assert goals.board(session=session, actor=manager) == []


async def test_an_agent_reads_goals_and_alerts_without_changing_them(user: User) -> None:
    manager, agent = make_user('manager'), make_user('agent')
    make_objective(
        manager,
        'Grow',
        today() - timedelta(days=1),
        today() + timedelta(days=1),
        {'title': 'Sell', 'kpi': 'turnover', 'target': 10},
    )
    make_rule(manager, name=HOSTILE)
    await signed_in(user, agent.email, path='/goals')
    await user.should_see('Sell', retries=30)
    await user.should_not_see('New objective')
    await user.open('/alerts')
    await user.should_see(HOSTILE, retries=30)
    await user.should_not_see('New rule')
    await user.should_not_see('Send a test message')


async def test_a_manager_adds_a_rule_and_sends_a_test_message(user: User, monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1
    reload_settings()
    admin = make_user('admin')
    with webhook_receiver() as mattermost:
        with session_scope() as session:
            loaded = app_settings.current_values(session=session)
            app_settings.save(
                session=session, actor=admin, changes={'mattermost_webhook_url': mattermost.url}, loaded=loaded
            )
        await signed_in(user, admin.email, path='/alerts')
        await user.should_see('No alert rules yet.', retries=30)
        user.find('New rule').click()
        user.find(marker='rule-name').type(HOSTILE)
        user.find(marker='rule-threshold').type('50')
        user.find(marker='save-rule').click()
        await user.should_see('Rule added.', retries=30)
        await user.should_see(HOSTILE)
        user.find('Send a test message').click()
        user.find(marker='test-channel').elements.pop().set_value('mattermost')
        user.find(marker='send-test').click()
        await user.should_see('The test message was delivered.', retries=30)
        assert 'Test message' in json.loads(mattermost.received[0].body)['text']


async def test_an_open_alerts_page_shows_a_firing_as_it_happens(user: User) -> None:
    manager = make_user('manager')
    make_rule(manager, name='Turnover too high', threshold=10, recipients=[manager.id])
    await signed_in(user, manager.email, path='/alerts')
    await user.should_see('Nothing has fired yet.', retries=30)
    put_daily('turnover', {0: 50.0})
    alert_checks.evaluate()  # what the refresh job does after each refresh
    await user.should_see('Firing', retries=30)
    await user.should_see('Told: In the app', retries=30)


async def test_muting_a_rule_a_colleague_deletes_meanwhile_says_so(user: User, monkeypatch) -> None:
    manager, colleague = make_user('manager'), make_user('manager')
    rule = make_rule(manager, name='Backlog too long')
    mute = alerts_page._set_muted  # noqa: SLF001

    def deleted_meanwhile(actor, rule_id: int, muted: bool) -> None:
        with session_scope() as session:
            alerts.delete_rule(session=session, actor=colleague, rule_id=rule_id)
        time.sleep(1)  # the open page hears of the deletion and rebuilds its cards, the clicked button with them
        mute(actor, rule_id, muted)

    monkeypatch.setattr(alerts_page, '_set_muted', deleted_meanwhile)
    await signed_in(user, manager.email, path='/alerts')
    await user.should_see('Backlog too long', retries=30)
    user.find(marker=f'mute-{rule.id}').click()
    await user.should_see('This alert rule no longer exists.', retries=30)
    await user.should_see('No alert rules yet.', retries=30)


async def test_a_mute_clicked_as_another_rule_fires_still_mutes(user: User) -> None:
    """The browser sends "Mute" on one rule from the cards it shows while the server redraws them for another rule
    firing: the muted rule's card shows the same as before, so the click still reaches it."""
    manager = make_user('manager')
    quiet = make_rule(manager, name=HOSTILE, threshold=1000)
    make_rule(manager, name='Turnover: "too" <b>high</b>', threshold=10, recipients=[manager.id])
    await signed_in(user, manager.email, path='/alerts')
    await user.should_see(HOSTILE, retries=30)
    mute = click_as_shown(user, user.find(marker=f'mute-{quiet.id}').elements.pop())  # as the browser shows it
    put_daily('turnover', {0: 50.0})
    alert_checks.evaluate()  # the other rule fires: the page hears of it
    await user.should_see('Firing', retries=30)
    mute()
    await user.should_see('Muted', retries=30)
    assert user.find(marker=f'mute-{quiet.id}').elements.pop().text == 'Unmute'


async def test_add_a_key_result_clicked_as_a_colleague_adds_an_objective_still_opens_its_dialog(user: User) -> None:
    """The browser sends "Add a key result" from the board it shows while the server redraws the board for a
    colleague's new objective: the clicked objective's card is the same as before, so the click still reaches it."""
    manager, colleague = make_user('manager'), make_user('manager')
    first, last = goals.quarter(today())
    mine, _ids = make_objective(manager, HOSTILE, first, last)
    await signed_in(user, manager.email, path='/goals')
    await user.should_see(HOSTILE, retries=30)
    add = click_as_shown(user, user.find(marker=f'add-key-result-{mine.id}').elements.pop())  # as the browser shows it
    make_objective(colleague, 'Ship: "faster" <b>now</b>', first, last)
    await user.should_see('Ship: "faster" <b>now</b>', retries=30)  # the board was drawn again
    add()
    await user.should_see(marker='key-result-title', retries=30)


async def test_a_title_too_long_is_refused_at_its_field_with_the_services_limit_and_counted(user: User) -> None:
    """An objective's or a key result's title past the service's limit is refused at the title with the limit in
    words (the dialog stays open with what was typed), and the field counts its characters up to that limit."""
    manager = make_user('manager')
    first, last = goals.quarter(today())
    objective, _ids = make_objective(manager, HOSTILE, first, last)
    await signed_in(user, manager.email, path='/goals')
    await user.should_see(HOSTILE, retries=30)
    too_long = (HOSTILE + ' ') * (goals.TITLE_LENGTH // len(HOSTILE) + 1)
    limit = f'Use at most {goals.TITLE_LENGTH} characters'

    user.find('New objective').click()
    title = user.find(marker='objective-title')
    (field,) = title.elements
    assert field.props.get('counter') is True and field.props.get('maxlength') == goals.TITLE_LENGTH
    title.type(too_long)
    user.find(marker='save-objective').click()
    await eventually(lambda: field.error == limit)
    assert field.value == too_long

    await user.open('/goals')
    await user.should_see(HOSTILE, retries=30)
    user.find(kind=ui.button, marker=f'add-key-result-{objective.id}').click()
    title = user.find(marker='key-result-title')
    (field,) = title.elements
    assert field.props.get('counter') is True and field.props.get('maxlength') == goals.TITLE_LENGTH
    title.type(too_long)
    user.find(marker='key-result-target').type('10')
    user.find(marker='save-key-result').click()
    await eventually(lambda: field.error == limit)
    assert field.value == too_long
