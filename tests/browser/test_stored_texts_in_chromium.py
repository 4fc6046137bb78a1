"""Stored texts and days in French in a real browser (issue #14): a French manager reads an order's timeline in French
with French amounts (an entry written before, in English, still there), and the orders list's "Placed from" filter
shows and takes 02/12/2026, its calendar in French. Screenshots at 390 and 1440 px land in tests/artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    first_load_at,
    no_horizontal_overflow,
    resize_and_settle,
    settle,
    sign_in,
    visible_text,
    wait_for_path,
)
from ..support.factories import advance, make_product, pay, place
from ..support.french_staff import french_manager, page_text

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = 'camille.roux@example.com', 'Encore-une-phrase-solide-31'
HOSTILE = 'Zoë "Z" O\'Hara: <script>window.__x=1</script>'


def test_an_orders_timeline_and_the_day_filter_in_french_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    from backoffice import db
    from backoffice.db import session_scope
    from backoffice.models import OrderEvent, utcnow

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db.configure(server.database_url)  # the browser's server database
    manager = french_manager(EMAIL, PASSWORD, name='Camille "C" Roux: <b>x</b>')
    make_product('FR-BOL', '1234.50', stock_on_hand=5, name='Bol', actor=manager)
    order = place(('FR-BOL', 1), email='jules@example.com', shipping_name=HOSTILE)
    pay(manager, order)
    advance(manager, order, 'pack')
    with session_scope() as session:  # an entry from before entries kept their msgid
        session.add(OrderEvent(order_id=order.id, kind='note', text=f'Imported: {HOSTILE}', created_at=utcnow()))
        session.commit()

    # the session's browser, signed out (no second Chromium to launch: nobody else is signed in), signing in on the
    # phone's load of the order (issue 12)
    first_load_at(driver, server.url, 390, 844)
    driver.get(f'{server.url}/orders/{order.number}')
    sign_in(driver, EMAIL, PASSWORD)
    wait_for_path(driver, f'/orders/{order.number}')
    wait = WebDriverWait(driver, TIMEOUT)
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the same page turned wide, not loaded again (issue 12)
            resize_and_settle(driver, width, height)
        visible_text(driver, 'Historique')
        wait.until(lambda d: 'Paiement de 1 481,40 € (Virement bancaire' in page_text(d), 'the payment, in French')
        body = page_text(driver)
        assert 'Passée (depuis la boutique) : en attente de paiement' in body and 'Préparée' in body
        assert f'Imported: {HOSTILE}' in body  # the old entry, as stored and as text
        assert 'Payment of' not in body and 'waiting for payment' not in body
        assert driver.execute_script('return window.__x') is None
        heading = driver.find_element(By.XPATH, '//*[normalize-space(text())="Historique"]')
        driver.execute_script('arguments[0].scrollIntoView()', heading)  # the timeline in the screenshot
        settle(driver)
        assert no_horizontal_overflow(driver), f'the order page overflows sideways at {width} px'
        driver.save_screenshot(str(ARTIFACTS / f'order-timeline-fr-{width}.png'))

    driver.get(f'{server.url}/orders')
    visible_text(driver, 'jules@example.com')
    if not driver.find_elements(By.CSS_SELECTOR, 'input[placeholder="p. ex. 31/12/2026"]'):
        driver.find_element(By.XPATH, '//button[normalize-space(.)="Filtres"]').click()  # hidden on a phone
    placed_from = wait.until(
        lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, 'input[placeholder="p. ex. 31/12/2026"]')), None),
        'the day filter, in the French format',
    )
    assert placed_from.get_attribute('type') == 'text'  # not the browser's native date input
    placed_from.send_keys('02/12/2099', Keys.TAB)
    wait.until(lambda d: 'jules@example.com' not in page_text(d), 'the filter keeps only orders from that day on')
    assert placed_from.get_attribute('value') == '02/12/2099'
    driver.find_element(By.XPATH, '//i[normalize-space(.)="event"]').click()  # the calendar
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.q-date'), 'the calendar opens')
    settle(driver)
    calendar = driver.find_element(By.CSS_SELECTOR, '.q-date').text.lower()
    assert 'décembre' in calendar or 'déc' in calendar, calendar  # Quasar's French pack
    driver.save_screenshot(str(ARTIFACTS / 'orders-day-filter-fr-1440.png'))
