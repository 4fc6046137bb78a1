"""A customer's page and a company's page in a real browser at a phone's and a desktop's width: every section shows,
its rows are real links, hostile names stay text, nothing overflows sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice import db
from backoffice.db import read_session
from backoffice.models import Invoice

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.picture import EMAIL, a_customer_with_everything

pytestmark = pytest.mark.browser


def test_the_customer_and_company_pages_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the records are made through the services
    p = a_customer_with_everything()
    set_viewport(driver, 390, 844)  # signing in loads the customer's page on a phone: one load less (issue 12)
    signed_in(driver, server.url, f'/customers/{p.customer.id}')
    visible_text(driver, 'Invoices and credit notes')
    link = driver.find_element(By.LINK_TEXT, f'Order {p.paid.number}')
    assert link.get_attribute('href') == f'{server.url}/orders/{p.paid.number}'  # a real link: opens in a new tab
    assert driver.execute_script('return window.__pwned') is None  # the hostile names stayed text
    see_all = driver.find_element(By.CSS_SELECTOR, f'a[href="/invoices?customer_id={p.customer.id}"]')
    assert see_all.text == 'See all'  # under the invoices and credit notes, as under the payments
    driver.find_element(By.CSS_SELECTOR, f'a[href="/payments?customer_id={p.customer.id}"]')
    with read_session() as session:
        invoice = session.exec(select(Invoice.number).where(Invoice.order_id == p.paid.id)).one()
    pages = {
        'customer': (f'/customers/{p.customer.id}', 'Recent activity'),
        # the customer's "See all": the lists filtered to them, the filter shown as if chosen
        'customer-invoices': (f'/invoices?customer_id={p.customer.id}', invoice),
        'customer-payments': (f'/payments?customer_id={p.customer.id}', p.paid.number),
        'company': (f'/companies/{p.company_id}', "Contacts' requests"),
    }
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            next_load_at(driver, width, height)
        for name, (path, last_section) in pages.items():
            if (width, name) != (390, 'customer'):  # the phone's customer page is open: signing in loaded it
                driver.get(f'{server.url}{path}')
            visible_text(driver, last_section)
            if not name.startswith('customer-') or width > 390:  # a phone's card shows the customer's name
                visible_text(driver, EMAIL)
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / f'{name}-page-{width}.png'))
            assert no_horizontal_overflow(driver), f'the {name} page overflows sideways at {width} px'
            assert driver.execute_script('return window.__pwned') is None
    # the company's page is open, at 1440 px
    driver.find_element(By.LINK_TEXT, f'Order {p.pending.number}').click()
    visible_text(driver, f'Order {p.pending.number}')
    driver.find_element(By.CSS_SELECTOR, f'a[href="/customers/{p.customer.id}"]').click()
    visible_text(driver, 'Invoices and credit notes')
