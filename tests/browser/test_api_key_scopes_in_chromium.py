"""The API key dialog in a real browser: a hostile name, read and write chosen per resource, the key created and
listed with its scopes as text; the dialog at a phone's and a desktop's width with nothing overflowing sideways
(screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    field,
    no_horizontal_overflow,
    replace_text,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)

pytestmark = pytest.mark.browser

# one word, no space to wrap at: it pushed Revoke past the list's right edge at 1440 px and the revoke dialog
# scrolled sideways at 390 px
HOSTILE = 'ERP"<script>window.__x=1</script>":<img/src=x/onerror="window.__x=1">'


def test_an_admin_scopes_a_key_per_resource_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, 390, 844)  # the page built for the phone it is first looked at on
    signed_in(driver, server.url, '/settings')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        new = button(driver, 'New API key')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', new)
        settle(driver)
        new.click()
        visible_text(driver, 'Records over /api/v1')
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'api-key-scopes-{width}.png'))
        if width == 390:
            button(driver, 'Cancel').click()
            settle(driver)
    replace_text(field(driver, 'Name'), HOSTILE)
    path = driver.find_element(By.XPATH, '//*[normalize-space(.)="/api/v1/customers"]')
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', path)
    settle(driver)
    row = path.find_element(By.XPATH, './ancestor::div[contains(@class, "nicegui-row")][1]')
    row.find_element(By.XPATH, './/button[normalize-space(.)="Read and write"]').click()
    button(driver, 'Create key').click()
    visible_text(driver, 'Shown only now. Pass it on safely.')
    button(driver, 'Done').click()
    visible_text(driver, 'requests:write, write:customers')
    assert HOSTILE in driver.find_element(By.TAG_NAME, 'body').text  # shown as typed, as text
    assert driver.execute_script('return window.__x') is None
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'api-keys-list-1440.png'))
    assert _revoke_in_sight(driver), 'a long name pushed Revoke out of the list at 1440 px'
    # at a phone's width the keys are stacked, each with its buttons at its foot: Revoke is on screen, nothing scrolls
    # sideways (the table scrolled and Revoke was past the right edge)
    resize_and_settle(driver, 390, 844)
    revoke = driver.find_element(By.XPATH, '//button[normalize-space(.)="Revoke"]')
    assert _revoke_in_sight(driver)
    assert no_horizontal_overflow(driver)
    assert 'Last used' in driver.find_element(By.CSS_SELECTOR, '.bo-api-keys').text  # each value says what it is
    driver.save_screenshot(str(ARTIFACTS / 'api-keys-list-390.png'))
    revoke.click()  # the dialog names the key; its whole question wraps inside the card
    confirm = visible_text(driver, 'Whatever uses it stops working at once. This cannot be undone.')
    settle(driver)
    card = confirm.find_element(By.XPATH, './ancestor::div[contains(@class, "q-card")][1]')
    assert HOSTILE in card.text
    assert driver.execute_script('return arguments[0].scrollWidth <= arguments[0].clientWidth', card)
    driver.save_screenshot(str(ARTIFACTS / 'api-key-revoke-390.png'))
    button(driver, 'Cancel').click()


def _revoke_in_sight(driver: WebDriver) -> bool:
    """The first key's Revoke inside the window, its list not scrolling sideways."""
    revoke = driver.find_element(By.XPATH, '//button[normalize-space(.)="Revoke"]')
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', revoke)
    settle(driver)
    box = driver.execute_script(
        'const r = arguments[0].getBoundingClientRect(), list = arguments[0].closest(".bo-api-keys").parentElement;'
        'return {left: r.left, right: r.right, width: innerWidth, sideways: list.scrollWidth > list.clientWidth};',
        revoke,
    )
    return box['left'] >= 0 and box['right'] <= box['width'] and not box['sideways']
