"""The roles screen in a real browser at a phone's and a desktop's width: the built-in roles and custom ones with what
each allows, the role dialog with its permissions by area, hostile names shown as text, nothing overflowing sideways
(screenshots in /tmp)."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db

from ..support.browser import (
    RunningServer,
    button,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_role, make_user

pytestmark = pytest.mark.browser
# how many parts of the open dialog scroll now (their content taller than their box)
SCROLLING_PARTS = """
    const card = [...document.querySelectorAll('.q-dialog .q-card')].pop();
    return [card, ...card.querySelectorAll('*')].filter(element =>
        ['auto', 'scroll'].includes(getComputedStyle(element).overflowY) && element.scrollHeight > element.clientHeight
    ).length;
"""
SHOTS = Path('/tmp')
HOSTILE = 'Night "desk": <img src=x onerror="window.__x=1">'


def test_the_roles_screen_and_its_dialog_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    night = make_role(
        'tickets.read',
        'tickets.write',
        'tickets.receive',
        'customers.read',
        name=HOSTILE,
        description='Answers requests at night; <b>never</b> refunds. A long description that wraps on a phone.',
    )
    make_role('finance.read', 'finance.manage', 'invoices.read', 'orders.read', name='Accounts')
    make_user(night.key, email='night.one@example.com')

    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/roles')
    visible_text(driver, 'Accounts')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/roles')
        visible_text(driver, 'Accounts')
        visible_text(driver, '<img src=x onerror=')  # the hostile name, as text
        settle(driver)
        driver.save_screenshot(str(SHOTS / f'roles-{width}.png'))
        assert no_horizontal_overflow(driver), f'/roles overflows sideways at {width} px'

        button(driver, 'New role').click()
        visible_text(driver, 'Receive new requests when they are handed out automatically')
        settle(driver)
        driver.save_screenshot(str(SHOTS / f'roles-dialog-{width}.png'))
        assert no_horizontal_overflow(driver), f'the role dialog overflows sideways at {width} px'
        assert driver.execute_script('return window.__x') is None  # the hostile name stayed text
        # some 40 permissions scroll under the title; Save stays in sight (the whole dialog scrolled, Save far below)
        assert scrolling_parts(driver) == 1 and in_sight(driver, button(driver, 'Save'))
        button(driver, 'Cancel').click()

        # the other admin screens' Add dialogs: New user fits without a scrollbar of its own at a desktop's size (a
        # field 1 px past the body scrolled it at 1440×900) and at a phone's; New API key scrolls once (a scroll inside
        # a scroll at 1440×900), its Create key in sight
        for path, opens, fits, confirm in (
            ('/users', 'New user', True, 'Create user'),
            ('/settings', 'New API key', False, 'Create key'),
        ):
            driver.get(f'{server.url}{path}')
            button(driver, opens).click()
            confirming = button(driver, confirm)
            settle(driver)
            driver.save_screenshot(str(SHOTS / f'{path.strip("/")}-dialog-{width}.png'))
            assert no_horizontal_overflow(driver), f'{opens} overflows sideways at {width} px'
            assert scrolling_parts(driver) == (0 if fits else 1), (opens, width)
            assert in_sight(driver, confirming), (opens, width)


def scrolling_parts(driver: WebDriver) -> int:
    return driver.execute_script(SCROLLING_PARTS)


def in_sight(driver: WebDriver, element) -> bool:
    """Whether the element is wholly inside the window (not below it, to be scrolled to)."""
    box = element.rect
    return box['y'] >= 0 and box['y'] + box['height'] <= driver.execute_script('return window.innerHeight')
