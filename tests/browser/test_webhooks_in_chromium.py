"""The webhooks page in a real browser with endpoints and a delivery log (delivered, retrying, failed), at a phone's
and a desktop's width: nothing overflows sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db, outbound
from backoffice.db import session_scope
from backoffice.models import utcnow
from backoffice.services import webhooks

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    first_load_at,
    next_load_at,
    no_horizontal_overflow,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user
from ..support.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.browser
# the open dialog's visible pickers: a select's dropdown arrow, a field's clear button, a day's calendar icon
PICKERS_SHOWN = """
    const card = [...document.querySelectorAll('.q-dialog .q-card')].pop();
    return [...card.querySelectorAll('.q-select__dropdown-icon, .q-field__focusable-action, .bo-date-input i')]
        .filter(element => element.offsetParent !== null)
        .map(element => element.textContent);
"""


def test_the_webhooks_page_with_a_delivery_log_at_390_and_1440(
    driver: WebDriver, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    monkeypatch.setattr(
        outbound, 'private_allowed', lambda: True
    )  # BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS=1: a local receiver
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    admin = make_user('admin', email='webhooks.admin@example.com')
    with webhook_receiver() as receiver:
        receiver.answers = [200, 500, 200, 503]  # one delivered at once, one after a retry, one still retrying
        with session_scope() as session:
            shop, _ = webhooks.create_endpoint(
                session=session,
                actor=admin,
                data={'name': 'Shop front (order updates)', 'url': receiver.url, 'events': 'order.paid, order.shipped'},
            )
            webhooks.create_endpoint(
                session=session,
                actor=admin,
                data={
                    'name': 'CRM',
                    'url': 'https://crm.example.com/api/hooks/backoffice-events-endpoint',
                    'events': '*',
                    'is_active': False,
                },
            )
        for number in range(3):
            webhooks.enqueue('order.paid', f'order.paid:{number}', {'order': {'number': str(100001 + number)}})
        webhooks.dispatch_due()
        webhooks.dispatch_due(now=utcnow() + timedelta(minutes=2))

    first_load_at(driver, server.url, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/webhooks')
    visible_text(driver, 'Shop front (order updates)')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/webhooks')
        visible_text(driver, 'Shop front (order updates)')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'webhooks-{width}.png'))
        assert no_horizontal_overflow(driver), f'the webhooks page overflows sideways at {width} px'
        driver.execute_script("[...document.querySelectorAll('.resource-table')].pop().scrollIntoView()")
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'webhooks-log-{width}.png'))

        # a delivery, read-only: its webhook, status and days show no dropdown arrow, clear button or calendar icon
        # inviting a click that does nothing
        driver.execute_script(
            "[...document.querySelectorAll('.resource-table')].pop()"
            ".querySelector('tbody tr td:nth-child(2), .bo-card').click()"
        )
        button(driver, 'Close')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'webhooks-delivery-{width}.png'))
        assert driver.execute_script(PICKERS_SHOWN) == [], f'a read-only delivery offers pickers at {width} px'
        assert no_horizontal_overflow(driver), f'the delivery dialog overflows sideways at {width} px'
        button(driver, 'Close').click()
