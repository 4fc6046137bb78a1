"""The receivables screen in a real browser at a phone's and a desktop's width: the ageing on top, the accounts, the
open invoices and the reminders waiting for review, with hostile names shown as text and nothing overflowing sideways
(screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import dunning

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_company, make_user, pay
from ..support.finance import due_days_ago, invoiced_on_terms, mugs

pytestmark = pytest.mark.browser

HOSTILE = 'Acme "Labs": <img src=x onerror="window.__x=1">'


def test_receivables_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager')
    mugs(manager, '12.50', sku='RCV-MUG')
    acme = make_company(HOSTILE)
    for email, quantity, late in (('ann@acme.example', 2, 45), ('bob@acme.example', 8, 5)):
        _order, invoice = invoiced_on_terms(manager, email, quantity, 30, company_id=acme.id, sku='RCV-MUG')
        due_days_ago(invoice, late)
    order, invoice = invoiced_on_terms(manager, 'cleo@example.com', 3, 30, name='Cléo Dupont', sku='RCV-MUG')
    due_days_ago(invoice, 120)
    pay(manager, order, '10.00')
    invoiced_on_terms(manager, 'dan@example.com', 1, 60, name='Dan Li', sku='RCV-MUG')
    with session_scope() as session:
        dunning.queue_reminders(session=session)

    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/finance/receivables')
    visible_text(driver, 'Reminders to review')
    assert driver.execute_script('return window.__x') is None
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the same page turned wide (issue 12)
            driver.execute_script('window.scrollTo(0, 0)')
            resize_and_settle(driver, width, height)
        visible_text(driver, 'Total open')
        visible_text(driver, 'Cléo Dupont')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'receivables-{width}.png'))
        assert no_horizontal_overflow(driver), f'receivables overflow sideways at {width} px'
        driver.execute_script('window.scrollTo(0, document.body.scrollHeight)')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'receivables-bottom-{width}.png'))
    assert driver.execute_script('return window.__x') is None
