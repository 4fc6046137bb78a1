"""Issue #15 in a real browser at a phone's and a desktop's width: a supplier bill's lines editor, and an order whose
card refund failed after it was made (said so, "Pay back again" offered): each renders, hostile text stays text, and
nothing overflows sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.config import reload_settings

from ..support.browser import (
    ARTIFACTS,
    STORAGE_SECRET,
    RunningServer,
    button,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.factories import make_user
from ..support.payables import enter_bill, make_supplier
from ..support.refunds import card_order, refunded_then_failed
from ..support.stripe_server import StripeServer, set_up_stripe

pytestmark = pytest.mark.browser

HOSTILE = 'Ramette "A4": <img src=x onerror="window.__x=1">'


def test_bill_lines_editor_and_a_failed_refund_at_390_and_1440(
    driver: WebDriver, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    manager, admin = make_user('manager'), make_user('admin')
    bill = enter_bill(
        manager,
        make_supplier(f'Papeterie {HOSTILE}').id,
        'MON-2026-001',
        lines=[
            {'description': HOSTILE, 'quantity': '3', 'unit_price': '4.50', 'vat_rate': '20'},
            {
                'description': 'Livraison express, emballage renforcé',
                'quantity': '1',
                'unit_price': '12',
                'vat_rate': '5.5',
            },
        ],
    )
    try:
        with monkeypatch.context() as patched, StripeServer() as stripe:
            # the Stripe keys are stored encrypted: with the server's own secret, so its settings page reads them
            patched.delenv('BACKOFFICE_SECRET_KEY', raising=False)
            patched.setenv('BACKOFFICE_STORAGE_SECRET', STORAGE_SECRET)
            set_up_stripe(stripe, admin, patched)
            order, _intent = card_order(stripe, 'MON-MUG', email='money.card@example.com')
            refunded_then_failed(stripe, admin, order)
    finally:
        reload_settings()
    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, f'/finance/bills/{bill.id}')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/finance/bills/{bill.id}')
        visible_text(driver, 'Bill MON-2026-001')
        button(driver, 'Edit lines').click()
        visible(driver, '.q-dialog')
        visible_text(driver, 'Lines of bill MON-2026-001')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'money-bill-lines-{width}.png'))
        assert no_horizontal_overflow(driver), f'the bill lines editor overflows sideways at {width} px'
        values = driver.execute_script(
            'return [...document.querySelectorAll(".q-dialog input")].map(input => input.value)'
        )
        assert HOSTILE in values  # as typed, in its field
        driver.get(f'{server.url}/orders/{order.number}')
        again = visible_text(driver, 'Pay back again')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', again)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'money-failed-refund-{width}.png'))
        assert no_horizontal_overflow(driver), f'the order with a failed refund overflows sideways at {width} px'
        page = driver.execute_script('return document.body.innerText')
        assert 'failed after it was made' in page and 'The card was reported lost or stolen' in page
    assert driver.execute_script('return window.__x') is None
