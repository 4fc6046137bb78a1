"""The seller's identity in /settings in a real browser: a hostile VAT number refused at its field, then the section
at a phone's and a desktop's width with nothing overflowing sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import read_session
from backoffice.services import app_settings

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    field,
    no_horizontal_overflow,
    replace_text,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)

pytestmark = pytest.mark.browser


def test_the_seller_identity_is_checked_at_its_field_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    signed_in(driver, server.url, '/settings')
    replace_text(field(driver, 'Legal name'), 'Nordwind "Outfitters": <script>window.__x=1</script>')
    replace_text(field(driver, 'VAT number'), '<img src=x onerror="window.__x=1">')
    replace_text(field(driver, 'IBAN'), 'FR76 3000 6000 0112 3456 7890 189')
    button(driver, 'Save settings').click()
    visible_text(driver, 'Start the VAT number with its EU country code, e.g. FR40303265045 or DE136695976')
    assert driver.execute_script('return window.__x') is None
    for width, height in ((390, 844), (1440, 900)):
        set_viewport(driver, width, height)
        section = driver.find_elements(By.XPATH, '//*[normalize-space(.)="Invoices"]')[-1]
        driver.execute_script('arguments[0].scrollIntoView()', section)
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'settings-invoices-{width}.png'))
        driver.execute_script('arguments[0].scrollIntoView()', field(driver, 'VAT number'))
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'settings-invoices-vat-{width}.png'))
    replace_text(field(driver, 'VAT number'), 'FR40303265045')
    replace_text(field(driver, 'Shipping fee'), '5,90')  # a decimal comma: a number input dropped it (590.00)
    button(driver, 'Save settings').click()
    visible_text(driver, 'Settings saved')
    db.configure(server.database_url)  # the browser's server database
    with read_session() as session:
        assert app_settings.value(session=session, key='shipping_fee') == '5.90'
