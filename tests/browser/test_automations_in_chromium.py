"""Automations and the jobs' run history in a real browser at a phone's and a desktop's width: the rules in order
with their conditions and actions, the rule form, a dry run, the run log with an error, and /system's job runs;
hostile text shown as text, nothing overflowing sideways (screenshots in /tmp)."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.services import automation_runner, job_runs

from ..support.automations import make_automation
from ..support.browser import (
    RunningServer,
    button,
    no_horizontal_overflow,
    phone_again,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user, submit_request

pytestmark = pytest.mark.browser
SHOTS = Path('/tmp')
HOSTILE = 'Triage "fast": <img src=x onerror="window.__x=1">'


def test_automations_and_job_runs_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    automation_runner.wire()  # the triggers of the requests made below are written here, run below
    manager = make_user('manager', email='auto.manager@example.com', name='Maria Lopez')
    agent = make_user('agent', email='auto.agent@example.com', name='Ana Agent')
    sample = submit_request('Refund for order 100042: "broken" <b>')
    make_automation(
        manager,
        name=HOSTILE,
        event='request.created',
        conditions=[
            {'field': 'subject', 'operator': 'contains', 'value': 'refund'},
            {'field': 'priority', 'operator': 'not_equals', 'value': 'urgent'},
        ],
        actions=[
            {'kind': 'assign', 'target': str(agent.id)},
            {'kind': 'set_priority', 'value': 'high'},
            {'kind': 'add_note', 'text': 'Refund: check the parcel photos <img src=x onerror="window.__x=2">'},
        ],
        stop=True,
        enable_on=sample.id,
    )
    make_automation(
        manager,
        name='Close spam',
        event='request.created',
        conditions=[{'field': 'subject', 'operator': 'starts_with', 'value': 'spam'}],
        actions=[{'kind': 'set_status', 'value': 'closed'}, {'kind': 'set_status', 'value': 'open'}],
        enable_on=sample.id,
    )
    submit_request('Refund please', email='rita@example.com')
    submit_request('Spam: cheap watches', email='spam@example.com')
    automation_runner.run_pending()
    job_runs.record('send-outbox', lambda: {'sent': 2, 'failed': 0})
    try:
        job_runs.record('backup', lambda: 1 / 0)
    except ZeroDivisionError:
        pass

    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/automations')
    visible_text(driver, 'Close spam')
    # each page loads once, on a phone, and is then turned into a desktop's window (one load a page, not two)
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        visible_text(driver, 'This request is closed, which is final')  # the failed action, in the run log
        settle(driver)
        driver.save_screenshot(str(SHOTS / f'automations-{width}.png'))
        assert no_horizontal_overflow(driver), f'/automations overflows sideways at {width} px'
        assert driver.execute_script('return window.__x') is None  # the hostile texts stayed text

        button(driver, 'New rule').click()
        visible_text(driver, 'Then (in this order)')
        button(driver, 'Add a condition').click()
        visible_text(driver, 'Comparison')
        settle(driver)
        driver.save_screenshot(str(SHOTS / f'automation-form-{width}.png'))
        assert no_horizontal_overflow(driver), f'the rule form overflows sideways at {width} px'
        button(driver, 'Cancel').click()
        settle(driver)

        button(driver, 'Dry run').click()
        button(driver, 'Run the dry run').click()
        visible_text(driver, 'Nothing was changed.')
        settle(driver)
        driver.save_screenshot(str(SHOTS / f'automation-dry-run-{width}.png'))
        assert no_horizontal_overflow(driver), f'the dry run overflows sideways at {width} px'
        button(driver, 'Close').click()
        settle(driver)

    phone_again(driver)
    driver.get(f'{server.url}/system')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        failed = visible_text(driver, 'ZeroDivisionError: division by zero')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', failed)
        settle(driver)
        driver.save_screenshot(str(SHOTS / f'system-jobs-{width}.png'))
        assert no_horizontal_overflow(driver), f'/system overflows sideways at {width} px'
