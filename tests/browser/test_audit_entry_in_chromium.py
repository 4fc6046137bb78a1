"""An audit entry opened in a real browser at a phone's and a desktop's width: the sentence, the fields before and
after and the link to the record are visible, hostile text in a changed field stays text (screenshots in
tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.resources import resource
from backoffice.services import crud

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    next_load_at,
    no_horizontal_overflow,
    read_whole,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.factories import advance, make_customer, make_product, make_user, pay, place

pytestmark = pytest.mark.browser
HOSTILE = 'Zoë "Z": <img src=x onerror="window.__x=1">'


def open_entry(driver: WebDriver, summary: str) -> None:
    def row(d: WebDriver):
        cells = d.find_elements(By.XPATH, f'//td[normalize-space(.)="{summary}"]')  # the table on a desktop
        cells += d.find_elements(  # the card on a phone
            By.XPATH, f'//*[contains(@class, "bo-card")][.//*[normalize-space(.)="{summary}"]]'
        )
        return next((td for td in cells if td.is_displayed()), None)

    WebDriverWait(driver, TIMEOUT).until(row, f'no row "{summary}"').click()
    visible(driver, '.q-dialog .q-card')


def test_an_audit_entry_reads_in_words_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the changes are made through the services
    maria = make_user('manager', name='Maria Lopez')
    make_product('MUG-AUDIT', '12.50', stock_on_hand=5, actor=maria)
    order = place(('MUG-AUDIT', 1), email='zoe.wisniewski@example.com')
    pay(maria, order)
    advance(maria, order, 'pack')
    customer = make_customer('zoe.audit@example.com', name='Zoë')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=maria,
            resource=resource('customers'),
            record_id=customer.id,
            version=customer.version,
            changes={'name': HOSTILE},
        )

    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/audit')  # signed in: only now may the test go elsewhere
    sentence = f'Maria Lopez changed the status of order {order.number} from Paid to Packed'
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/audit')
        open_entry(driver, f'Order {order.number}: Packed')
        visible_text(driver, sentence)
        visible_text(driver, 'Packed')
        link = driver.find_element(By.XPATH, f'//a[normalize-space(.)="Open order {order.number}"]')
        assert link.is_displayed() and link.get_attribute('href') == f'{server.url}/orders/{order.number}'
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'audit-entry-{width}.png'))
        assert no_horizontal_overflow(driver), f'the audit entry overflows sideways at {width} px'

    driver.get(f'{server.url}/audit')
    open_entry(driver, 'Updated zoe.audit@example.com')
    visible_text(driver, 'Maria Lopez changed the name of customer zoe.audit@example.com from Zoë to')
    cells = read_whole(driver, lambda d: [td.text for td in d.find_elements(By.CSS_SELECTOR, '.q-dialog td')])
    assert HOSTILE in cells, cells  # shown as text: the markup is what one reads
    assert driver.execute_script('return window.__x') is None
    driver.save_screenshot(str(ARTIFACTS / 'audit-entry-hostile-1440.png'))
    driver.find_element(By.XPATH, '//a[normalize-space(.)="Open customer zoe.audit@example.com"]').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: '/customers?open=' in d.current_url)
    visible_text(driver, 'Save changes')  # the customers list opened the customer
