"""The ban dialog in a real browser: Ban with no reason keeps it open with the message at the field, whose label
stays clear of the text; with a reason the customer is banned."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    WebDriverWait,
    button,
    field,
    open_customers,
    settle,
    visible,
    visible_text,
)

pytestmark = pytest.mark.browser


def test_a_ban_without_a_reason_is_refused_at_the_field(driver: WebDriver, base_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    open_customers(driver, base_url)
    button(driver, 'New customer').click()
    field(driver, 'Email *').send_keys('to.ban@example.com')
    button(driver, 'Create customer').click()
    visible(driver, 'table')
    row = '//tr[td[normalize-space(.)="to.ban@example.com"]]'
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_elements(By.XPATH, row), 'the new customer is not listed')
    driver.find_element(By.XPATH, f'{row}/td[2]').click()
    settle(driver)  # the customer's dialog has finished opening (a click during its entrance went unheard in CI)
    button(driver, 'Ban').click()
    settle(driver)
    button(driver, 'Ban', topmost=True).click()  # the dialog's own
    visible_text(driver, 'Say why: the reason is kept with the ban')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'ban-dialog-empty-reason-1440.png'))
    reason = driver.find_element(
        By.XPATH, '//label[.//div[contains(@class, "q-field__label")][contains(., "Reason")]]//textarea'
    )
    reason.send_keys('Abusive "messages": <script>x</script>')
    driver.save_screenshot(str(ARTIFACTS / 'ban-dialog-reason-1440.png'))
    button(driver, 'Ban', topmost=True).click()  # the dialog's own
    visible_text(driver, 'Ban: done')
