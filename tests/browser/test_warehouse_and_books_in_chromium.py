"""A day in the warehouse and at the books, in a real browser: what Chromium itself does to a typed number, and
dialogs whose fields the browser laid out too narrow to read (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice import db
from backoffice.db import read_session
from backoffice.models import StockLevel

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    field,
    replace_text,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.factories import advance, make_product, make_user, pay, place

pytestmark = pytest.mark.browser
PHONE, DESKTOP = (390, 844), (1440, 900)
HOSTILE = 'Inventaire "annuel": <script>alert(1)</script>'


def on_hand(sku: str) -> int:
    with read_session() as session:
        level = session.exec(select(StockLevel).where(StockLevel.sku == sku)).one()
        return level.on_hand


def test_a_stock_change_typed_with_a_comma_is_refused_not_read_as_fifteen(driver: WebDriver, server: RunningServer):
    """Chromium's number input read "1,5" as 15 (a thousands comma, in English): the stock went up by 15 without a
    word. Now the field is text and the service says "Enter a whole number"; a whole change still goes through."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager', email='wb.manager@example.com')
    make_product('WB-CANISTER', '12.00', stock_on_hand=10, actor=manager, name='Vacuum canister, 500 g')
    set_viewport(driver, *DESKTOP)
    signed_in(driver, server.url, '/inventory')
    field(driver, 'Search stock').send_keys('WB-CANISTER')
    WebDriverWait(driver, TIMEOUT).until(  # the search has run: a row clicked before would be rebuilt under the dialog
        lambda d: (
            len([r for r in d.find_elements(By.CSS_SELECTOR, '.resource-table tbody tr') if r.is_displayed()]) == 1
        ),
        'the search did not leave one row',
    )
    visible_text(driver, 'WB-CANISTER').click()
    visible(driver, '.q-dialog .q-card')
    settle(driver)  # the record's dialog has finished opening: a click while it scales in can land on its backdrop
    button(driver, 'Adjust stock').click()
    settle(driver)
    field(driver, 'Change (negative takes out) *').send_keys('1,5')
    field(driver, 'Reason *').send_keys(HOSTILE)
    button(driver, 'Adjust stock', topmost=True).click()
    visible_text(driver, 'Enter a whole number')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'stock-change-with-a-comma-1440.png'))
    assert on_hand('WB-CANISTER') == 10

    replace_text(field(driver, 'Change (negative takes out) *'), '-3')
    button(driver, 'Adjust stock', topmost=True).click()
    visible_text(driver, 'Stock of WB-CANISTER is now 7')
    assert on_hand('WB-CANISTER') == 7


def test_the_ship_dialog_shows_its_carrier_field_whole(driver: WebDriver, server: RunningServer) -> None:
    """The Ship dialog's carrier select took its content's width: empty, it shrank to its arrow, its label hidden."""
    db.configure(server.database_url)
    manager = make_user('manager', email='wb.shipper@example.com')
    make_product('WB-KETTLE', '59.00', stock_on_hand=5, actor=manager, name='Gooseneck kettle')
    order = place(('WB-KETTLE', 1), email='wb.buyer@example.com', shipping_name='Zoé "Quote"')
    pay(manager, order)
    order = advance(manager, order, 'pack')
    set_viewport(driver, *PHONE)
    signed_in(driver, server.url, f'/orders/{order.number}')
    for width, height in (PHONE, DESKTOP):  # the page loaded on a phone, then turned wide (issue 12: one load)
        if width != PHONE[0]:  # closed first: a dialog open while the page widens keeps the drawer shut behind it
            button(driver, 'Close', topmost=True).click()
            resize_and_settle(driver, width, height)
        button(driver, 'Ship').click()
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: d.execute_script(CARRIER_WHOLE), f'the carrier field is cut to its content at {width} px'
        )
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'ship-dialog-{width}.png'))


# the dialog's carrier select spans the dialog's card, and its label "Carrier" has room to show
CARRIER_WHOLE = """
    const label = [...document.querySelectorAll('.q-dialog .q-field__label')].find(l => l.textContent === 'Carrier');
    if (!label) return false;
    const select = label.closest('.q-select'), card = label.closest('.q-card');
    return select.offsetWidth > card.offsetWidth * 0.8 && label.offsetWidth > 40;
"""
