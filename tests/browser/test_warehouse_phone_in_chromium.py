"""The warehouse on a phone (390 px) and at a desk (1440 px): an order's lines say each item's SKU (the shelf's label),
the return dialog says in full how many of a line can still come back, and the low-stock notifications fit the
phone (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import notifications

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import PASSWORD, advance, make_product, make_user, pay, place

pytestmark = pytest.mark.browser

HOSTILE = 'Tasse "bleue": <img src=x onerror="window.__x=1">'

# whether an element's text is cut (ellipsis, or wider than its box)
CUT = 'const e = arguments[0]; return e.scrollWidth > e.clientWidth + 1;'


def test_a_phone_in_the_warehouse_reads_skus_return_lines_and_notifications(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the order is made through the services
    manager = make_user('manager')
    make_product('WH-CUP-BLUE-330', '12.00', stock_on_hand=20, actor=manager, name=HOSTILE)
    order = place(('WH-CUP-BLUE-330', 2), email='wh.phone@example.com', shipping_name='Ines Phone')
    pay(manager, order)
    advance(manager, order, 'pack', 'ship', 'deliver')
    with session_scope() as session:
        notifications.notify(
            session,
            user_id=manager.id,
            text=f'Low stock: WH-CUP-BLUE-330 {HOSTILE} has 2 available (minimum 5)',
            link='/inventory',
        )
        session.commit()

    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, f'/orders/{order.number}', manager.email, PASSWORD)
    visible_text(driver, 'Ines Phone')
    visible_text(driver, 'WH-CUP-BLUE-330')  # under the item: the SKU column is hidden on a phone
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'warehouse-order-390.png'))
    assert no_horizontal_overflow(driver)

    button(driver, 'Start a return').click()
    said = visible_text(driver, 'WH-CUP-BLUE-330 · Tasse')  # the whole line: its SKU, name and how many can
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'warehouse-return-dialog-390.png'))
    assert said.text.endswith('(bought 2)')
    assert not driver.execute_script(CUT, said), 'the return line is cut on a phone'
    assert driver.execute_script('return window.__x') is None
    button(driver, 'Cancel', topmost=True).click()

    driver.find_element(By.XPATH, '//button[.//i[normalize-space(.)="notifications"]]').click()
    mark_all = visible_text(driver, 'Mark all read')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'warehouse-notifications-390.png'))
    menu = driver.find_element(By.CSS_SELECTOR, '.q-menu')
    assert not driver.execute_script(CUT, menu), 'the notifications scroll sideways on a phone'
    assert mark_all.rect['x'] + mark_all.rect['width'] <= 390

    driver.find_element(By.TAG_NAME, 'body').send_keys(Keys.ESCAPE)  # the menu closed, the page turned wide
    resize_and_settle(driver, 1440, 900)
    visible_text(driver, 'Ines Phone')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'warehouse-order-1440.png'))
    skus = [e for e in driver.find_elements(By.XPATH, '//td[normalize-space(.)="WH-CUP-BLUE-330"]') if e.is_displayed()]
    assert len(skus) == 1  # at a desk: its own column, not said twice
    assert no_horizontal_overflow(driver)
