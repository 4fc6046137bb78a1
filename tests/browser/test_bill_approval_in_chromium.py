"""The bill page in a real browser, for the person who entered the bill: no Approve button to be refused by, and why
in words (a phone shows no tooltip), at 390 and 1440 px."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db

from ..support.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    RunningServer,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import PASSWORD, make_user
from ..support.payables import enter_bill, make_supplier

pytestmark = pytest.mark.browser


def test_the_bill_page_says_in_words_why_its_enterer_may_not_approve(driver: WebDriver, server: RunningServer) -> None:
    """A phone shows no tooltip: whoever entered a bill gets no Approve button to be refused by, and the reason as
    text, at 390 and 1440 px (screenshots in tests/artifacts/bill-approval-refused-*.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    clerk = make_user('manager', email='pr.clerk@example.com')
    supplier = make_supplier('PR Kettle "Works": <b>x</b>')
    bill = enter_bill(clerk, supplier.id, 'PR-F-1')
    set_viewport(driver, *PHONE)
    signed_in(driver, server.url, f'/finance/bills/{bill.id}', clerk.email, PASSWORD)
    for width, height in (PHONE, DESKTOP):
        if width != PHONE[0]:
            resize_and_settle(driver, width, height)
        said = visible_text(driver, 'You entered this bill yourself: another person who may approve bills must')
        assert said.is_displayed()
        assert not [b for b in driver.find_elements(By.XPATH, '//button[.//*[text()="Approve"]]') if b.is_displayed()]
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'bill-approval-refused-{width}.png'))
        assert no_horizontal_overflow(driver), f'the bill page overflows sideways at {width} px'
