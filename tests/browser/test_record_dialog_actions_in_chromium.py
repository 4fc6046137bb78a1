"""A record's dialog keeps its actions in reach: the product form, new and open, at a laptop's 1440×900 and a phone's
390×844, shows its Save button inside the viewport without any scrolling; the long form scrolls inside the dialog."""

from __future__ import annotations

from uuid import uuid4

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver, WebElement

from backoffice import db

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    field,
    no_horizontal_overflow,
    replace_text,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.factories import make_product

pytestmark = pytest.mark.browser
SIZES = ((390, 844), (1440, 900))

# where a button is: inside the viewport, and the element a click at its middle reaches is the button (not covered)
IN_REACH = """
    const button = arguments[0];
    const box = button.getBoundingClientRect();
    const inside = box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {inside, reached: !!hit && button.contains(hit), bottom: box.bottom, height: window.innerHeight};
"""
# how far the page and the dialog's parts have been scrolled: nothing, the form was just opened
SCROLLED = """
    const scrolled = [...document.querySelectorAll('.q-dialog *')].filter(e => e.scrollTop > 0).length;
    return window.scrollY + scrolled;
"""


def test_the_product_form_shows_its_save_button_without_scrolling(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the product is made through the services
    sku = f'TALL-{uuid4().hex[:6]}'.upper()  # SKUs are saved in upper case
    make_product(sku, name='Mug "tall": <script>alert(1)</script>')
    set_viewport(driver, *SIZES[0])
    signed_in(driver, server.url, '/products')  # loaded once on a phone, then turned wide (issue 12)
    for width, height in SIZES:
        if width != SIZES[0][0]:
            button(driver, 'Cancel', topmost=True).click()
            resize_and_settle(driver, width, height)
            driver.execute_script('window.scrollTo(0, 0)')  # the phone's card was scrolled to: the header is back
        button(driver, 'New product').click()
        in_reach(driver, 'Create product', f'new-product-{width}')
        button(driver, 'Cancel', topmost=True).click()

        open_product(driver, sku)
        save = in_reach(driver, 'Save changes', f'product-{width}')
        assert driver.execute_script('return window.__x') is None

        # an action pressed with unsaved edits asks to save first: its message covered the Save button it asks for
        replace_text(field(driver, 'Name *'), 'Mug "taller": <script>alert(2)</script>')
        button(driver, 'Adjust stock').click()
        visible_text(driver, 'Save your changes first')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'record-dialog-save-first-{width}.png'))
        where = driver.execute_script(IN_REACH, save)
        assert where['inside'] and where['reached'], f'the message covers Save changes at {width}: {where}'

    driver.find_element(
        By.XPATH, '//div[@role="tab"][normalize-space(.)="HISTORY" or normalize-space(.)="History"]'
    ).click()
    WebDriverWait(driver, TIMEOUT).until(lambda _d: not save.is_displayed(), "the form's actions stay under History")
    driver.find_element(
        By.XPATH, '//div[@role="tab"][normalize-space(.)="DETAILS" or normalize-space(.)="Details"]'
    ).click()
    WebDriverWait(driver, TIMEOUT).until(lambda _d: save.is_displayed(), "the form's actions are back with Details")


def in_reach(driver: WebDriver, label: str, shot: str) -> WebElement:
    visible(driver, '.q-dialog .q-card')
    save = button(driver, label)
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / f'record-dialog-{shot}.png'))
    assert driver.execute_script(SCROLLED) == 0, 'nothing was scrolled'
    where = driver.execute_script(IN_REACH, save)
    assert where['inside'] and where['reached'], f'{label} is out of reach at {shot}: {where}'
    assert no_horizontal_overflow(driver), f'the dialog overflows sideways at {shot}'
    return save


def open_product(driver: WebDriver, sku: str) -> None:
    def row(d: WebDriver):
        cells = d.find_elements(By.XPATH, f'//td[normalize-space(.)="{sku}"]')  # a desktop's table
        cells += d.find_elements(  # the card on a phone
            By.XPATH, f'//*[contains(@class, "bo-card")][.//*[normalize-space(.)="{sku}"]]'
        )
        return next((cell for cell in cells if cell.is_displayed()), None)

    WebDriverWait(driver, TIMEOUT).until(row, f'no row {sku}').click()
