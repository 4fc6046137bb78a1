"""An empty date field's format example reads as an example, not as a day typed in: 'e.g. 2026-12-31' (French
'p. ex. 31/12/2026'), grey and in italics once the label floats above it, and hidden under a label still in the field
(screenshots in tests/artifacts/date-example-*.png); the new bill's dates shown whole at a desk (new-bill-1440.png)."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    field,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
)

pytestmark = pytest.mark.browser

# the field's text (its day, or the format shown as a placeholder) and its label fit in it, not cut off
WHOLE = """
    const input = arguments[0];
    const label = input.closest('.q-field').querySelector('.q-field__label');
    return input.scrollWidth <= input.clientWidth && label.scrollWidth <= label.clientWidth + 1;
"""
PLACEHOLDER = "const s = getComputedStyle(arguments[0], '::placeholder'); return [s.color, s.fontStyle];"


def test_an_empty_due_date_shows_its_example_greyed_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, *PHONE)
    signed_in(driver, server.url, '/finance/bills')
    for width, height in (PHONE, DESKTOP):  # the page loaded on a phone, then turned wide (issue 12: one load)
        if width != PHONE[0]:  # closed first: a dialog open while the page widens keeps the drawer shut behind it
            button(driver, 'Cancel', topmost=True).click()
            resize_and_settle(driver, width, height)
        button(driver, 'Enter a bill').click()
        due = field(driver, 'Due')  # empty, its label above it (stack-label): the example shows
        assert (due.get_attribute('value'), due.get_attribute('placeholder')) == ('', 'e.g. 2026-12-31')
        WebDriverWait(driver, TIMEOUT).until(
            lambda d, due=due: d.execute_script(PLACEHOLDER, due) == ['rgb(156, 163, 175)', 'italic'],
            f'the example is not grey and italic at {width} px',
        )
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'date-example-{width}.png'))
    # at a desk the bill's dates do not shrink beside the number: "2026-12-" and "Unit pri…" were what showed
    for name in ('Date of the bill', 'Due', 'Unit price'):
        shown = field(driver, name)
        WebDriverWait(driver, TIMEOUT).until(
            lambda d, shown=shown: d.execute_script(WHOLE, shown), f'"{name}" is too narrow for its label or its value'
        )
    driver.save_screenshot(str(ARTIFACTS / 'new-bill-1440.png'))

    driver.get(f'{server.url}/orders')  # a filter's empty day, its label still in the field: no example over it
    until = field(driver, 'to')
    color, _style = driver.execute_script(PLACEHOLDER, until)
    assert color == 'rgba(0, 0, 0, 0)', color
    until.click()  # focused, the label floats: the example shows, greyed
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script(PLACEHOLDER, until) == ['rgb(156, 163, 175)', 'italic'], 'the focused example'
    )
