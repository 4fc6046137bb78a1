"""Goals, the dashboard's goals strip and alerts in a real browser at a phone's and a desktop's width: what a person
sees (progress, status, what fired and who was told), hostile text shown as text, nothing overflowing sideways
(screenshots in /tmp)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import AlertDelivery
from backoffice.services import alert_checks

from ..support.browser import (
    RunningServer,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user
from ..support.goals import make_objective, make_rule, put_daily, today

pytestmark = pytest.mark.browser
SHOTS = Path('/tmp')
HOSTILE = 'Grow "fast": <img src=x onerror="window.__x=1">'
LONG_TITLE = 'Partners: "signed" <script>window.__x=3</script> in Lisbon, Porto and Faro before the quarter ends'
STRIP_TITLE = '//a//div[contains(@class, "q-card")]/div[contains(text(), "Porto and Faro")]'


def test_goals_strip_and_alerts_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    manager = make_user('manager', email='goals.manager@example.com', name='Maria Lopez')
    put_daily('turnover', {ago: 400.0 for ago in range(0, 20)})
    put_daily('orders', {ago: 9.0 for ago in range(0, 20)})
    put_daily('open_requests', {0: 18.0})
    first, last = today() - timedelta(days=19), today() + timedelta(days=20)
    make_objective(
        manager,
        HOSTILE,
        first,
        last,
        {'title': 'Turnover 20,000 this quarter', 'kpi': 'turnover', 'baseline': 0, 'target': 20000},
        {'title': 'Orders 250', 'kpi': 'orders', 'baseline': 0, 'target': 250},
        {
            'title': 'Open requests down to 5',
            'kpi': 'open_requests',
            'baseline': 30,
            'target': 5,
            'direction': 'decrease',
        },
        {'title': 'Partners signed', 'baseline': 0, 'target': 4},
        {'title': LONG_TITLE, 'baseline': 0, 'target': 3},
    )
    make_rule(
        manager, name='Turnover under 500 a day', kpi='turnover', kind='below', threshold=500, recipients=[manager.id]
    )
    make_rule(manager, name='No visits for a day', kpi='visits', kind='no_data', threshold=24)
    alert_checks.evaluate()
    with session_scope() as session:  # the delivery log: the app's error from its msgid, a receiver's as it came
        for error, key in (('could not connect', 'could not connect'), (f'HTTP 500 {HOSTILE}', None)):
            session.add(
                AlertDelivery(
                    channel='slack',
                    target='Slack',
                    text=HOSTILE,
                    status='failed',
                    attempts=3,
                    error=error,
                    error_key=key,
                )
            )
        session.commit()

    set_viewport(driver, 390, 844)  # signing in loads /goals on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/goals')
    visible_text(driver, 'Turnover 20,000 this quarter')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            next_load_at(driver, width, height)
        for path, text in (('/goals', 'Orders 250'), ('/', 'Open requests down to 5'), ('/alerts', 'What fired')):
            if (width, path) != (390, '/goals'):  # the phone's /goals is open: signing in loaded it
                driver.get(f'{server.url}{path}')
            visible_text(driver, text)
            if path == '/alerts':
                logged = visible_text(driver, 'last error: could not connect')
                driver.execute_script('arguments[0].scrollIntoView({block: "center"})', logged)
                settle(driver)
                driver.save_screenshot(str(SHOTS / f'alerts-log-{width}.png'))
                visible_text(driver, 'last error: HTTP 500 Grow')  # the rest of the hostile text stays text
            if path == '/':  # a long title in the strip wraps over its lines, readable, not cut to one line
                title = driver.find_element(By.XPATH, STRIP_TITLE)
                driver.execute_script('arguments[0].scrollIntoView({block: "nearest", inline: "center"})', title)
                lines = driver.execute_script(
                    'const s = getComputedStyle(arguments[0]); '
                    'return arguments[0].clientHeight / parseFloat(s.lineHeight);',
                    title,
                )
                assert lines >= 1.9, f'the strip cuts a long title to one line at {width} px ({lines:.1f} lines)'
                if width == 1440:  # its whole title on hover (a tap opens /goals, where it is whole)
                    ActionChains(driver).move_to_element(title).perform()
                    WebDriverWait(driver, 10).until(
                        lambda d: any(t.text == LONG_TITLE for t in d.find_elements(By.CSS_SELECTOR, '.q-tooltip')),
                        'hovering a cut title does not show the whole of it',
                    )
            settle(driver)
            name = {'/goals': 'goals', '/': 'dashboard-strip', '/alerts': 'alerts'}[path]
            driver.save_screenshot(str(SHOTS / f'{name}-{width}.png'))
            assert no_horizontal_overflow(driver), f'{path} overflows sideways at {width} px'
            assert driver.execute_script('return window.__x') is None  # the hostile title stayed text
