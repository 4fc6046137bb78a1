"""A list and a record in French in a real browser (issue #14): a French manager sees the orders list (cards on a
phone, a table on a desktop) and an order with its statuses, labels, dates and money written the French way, and
nothing overflows. Screenshots at 390 and 1440 px land in tests/artifacts/ to be looked at."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    field,
    first_load_at,
    next_load_at,
    no_horizontal_overflow,
    replace_text,
    resize_and_settle,
    settle,
    sign_in,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.factories import make_product, pay, place
from ..support.french_staff import french_manager, page_text

pytestmark = pytest.mark.browser

FRENCH_AMOUNT = re.compile(r'\d \d{3},\d{2}')  # 1 234,50: a space between thousands, a decimal comma
EMAIL, PASSWORD = 'lucie.martin@example.com', 'Une-autre-phrase-solide-77'


def test_the_orders_list_and_an_order_in_french_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    from backoffice import db

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db.configure(server.database_url)  # the browser's server database
    manager = french_manager(EMAIL, PASSWORD, name='Lucie "L" Martin: <b>x</b>')
    make_product('FR-TASSE', '1234.50', stock_on_hand=5, name='Tasse « Grande ville »', actor=manager)
    order = place(('FR-TASSE', 1), email='zoe.lefevre@example.com')
    pay(manager, order)

    # the session's browser, signed out (no second Chromium to launch: nobody else is signed in), signing in on the
    # phone's load of the list (issue 12)
    first_load_at(driver, server.url, 390, 844)
    driver.get(f'{server.url}/orders')
    sign_in(driver, EMAIL, PASSWORD)
    wait_for_path(driver, '/orders')
    wait = WebDriverWait(driver, TIMEOUT)
    # each page loaded once, on a phone, then turned wide (issue 12: a turn costs about half a load)
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's
            resize_and_settle(driver, width, height)
        visible_text(driver, 'zoe.lefevre@example.com')
        visible_text(driver, 'Payée')  # the status, in French
        wait.until(lambda d: FRENCH_AMOUNT.search(page_text(d)), 'a French amount in the list (1 481,40)')
        settle(driver)
        assert no_horizontal_overflow(driver), f'the orders list overflows sideways at {width} px'
        driver.save_screenshot(str(ARTIFACTS / f'orders-fr-{width}.png'))
    for width, height in ((390, 844), (1440, 900)):
        if width == 390:
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/orders/{order.number}')
        else:
            resize_and_settle(driver, width, height)
        visible_text(driver, f'Commande {order.number}')
        visible_text(driver, 'Total TTC')
        body = page_text(driver)
        assert '1 234,50' in body, 'French money on the order'
        assert 'Subtotal' not in body and 'Paid' not in body, 'English left on the order page'
        settle(driver)
        assert no_horizontal_overflow(driver), f'the order page overflows sideways at {width} px'
        driver.save_screenshot(str(ARTIFACTS / f'order-fr-{width}.png'))

    # a French manager types a price the French way: 12,50 is 12.50 (a number input dropped the comma: 1 250,00)
    driver.get(f'{server.url}/products')
    # found by the list's search first: the list is sorted by name, and the other browser files' products on the
    # worker's database ('Product …', 'Mug …', 'Kettle …': some 30 of them before 'Tasse') may push it past page one
    visible(driver, '.bo-list-search input').send_keys('FR-TASSE')
    wait.until(
        lambda d: (
            (rows := [r for r in d.find_elements(By.CSS_SELECTOR, '.resource-table tbody tr') if r.is_displayed()])
            and all('FR-TASSE' in row.text for row in rows)
        ),
        "the search did not leave this test's product alone",
    )
    visible_text(driver, 'FR-TASSE').click()
    price = field(driver, 'Prix *')
    replace_text(price, '12,50')
    save = driver.find_element(By.XPATH, '//button[.//*[normalize-space(text())="Enregistrer les modifications"]]')
    driver.execute_script(
        'arguments[0].scrollIntoView({block: "center"})', save
    )  # below the image, as a person scrolls
    button(driver, 'Enregistrer les modifications').click()
    wait.until(lambda d: stored_price('FR-TASSE') != Decimal('1234.50'), 'the new price is saved')
    assert stored_price('FR-TASSE') == Decimal('12.50')


def stored_price(sku: str) -> Decimal:
    from backoffice.db import read_session
    from backoffice.models import Product

    with read_session() as session:
        return session.exec(select(Product.price).where(Product.sku == sku)).one()
