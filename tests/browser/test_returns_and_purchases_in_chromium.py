"""Returns, purchases, an order with a return, the orders list's bulk bar and the Orders settings in a real browser at a
phone's and a desktop's width: each renders and nothing overflows sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import orders, purchases, returns

from ..support.browser import (
    ARTIFACTS,
    LIST_SCREENS,
    RunningServer,
    button,
    next_load_at,
    no_horizontal_overflow,
    phone_again,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import advance, make_product, make_user, pay, place
from ..support.refunds import received_return_of_card_order
from ..support.stripe_server import StripeServer, set_up_stripe

pytestmark = pytest.mark.browser
PHONE, DESKTOP = (390, 844), (1440, 900)


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch, server: RunningServer) -> Iterator[StripeServer]:
    """A card order's return is refunded here, in the test's process: Stripe refuses it (the server only shows it)."""
    db.configure(server.database_url)
    with StripeServer() as local:
        set_up_stripe(local, make_user('admin', email='rp.admin@example.com'), monkeypatch)
        yield local


def test_returns_purchases_and_order_settings_at_390_and_1440(
    driver: WebDriver, server: RunningServer, stripe: StripeServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    manager = make_user('manager', email='rp.manager@example.com')
    # a return refunded by card that Stripe refused: /returns shows the failure in red, on the phone's card too
    # (its own SKU: the browser files share their server's database, and others make a 'MUG')
    card_order, refused = received_return_of_card_order(stripe, manager, 'RP-MUG')
    stripe.state.next_refund_status = 'failed'
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=refused.id, resolution='refund')
    kettle = make_product('RP-KETTLE', '59.00', stock_on_hand=10, actor=manager, name='Gooseneck kettle, 0.9 l')
    order = place(('RP-KETTLE', 2), email='ines.rp@example.com', shipping_name='Inês Duarte')
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship')
    with session_scope() as session:
        line = orders.order_lines(session, order.id)[0]
        returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            reason='Lid does not close',
            lines=[{'order_line_id': line.id, 'quantity': 1, 'reason': 'Faulty lid'}],
        )
    with session_scope() as session:
        purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Kettle Works Ltd',
            reference='PO-RP-1',
            received=False,
            lines=[{'product_id': kettle.id, 'quantity': 24, 'unit_cost': '31.5'}],
        )

    with session_scope() as session:
        draft = orders.create_draft(
            session=session,
            actor=manager,
            data={'email': 'draft.rp@example.com', 'lines': [{'sku': 'RP-KETTLE', 'quantity': 1}]},
        )

    set_viewport(driver, *PHONE)
    signed_in(driver, server.url, '/returns')
    # each page loads once and is then turned into the other width's window (one load a page, not two): a list on a
    # phone first (its phone's build, components/viewport.py), any other page (built alike at any width) at the width
    # the list before it was left at, so that no load goes to about:blank to change the width (issue 12)
    shown_at = PHONE[0]
    for path, shown, name in (
        ('/returns', 'R-', 'returns'),
        # the return's own view, on its order: its refund failed, in red, with the retry beside it
        (f'/orders/{card_order.number}', 'Refund €30.00 · Failed: the money has not gone back', 'order-with-return'),
        ('/purchases', 'PO-RP-1', 'purchases'),
        ('/settings', 'Free shipping from', 'settings-orders'),
    ):
        sizes = (PHONE, DESKTOP) if path in LIST_SCREENS else (DESKTOP, PHONE)
        if path != '/returns':  # signing in landed on the returns
            if shown_at != sizes[0][0]:
                next_load_at(driver, *sizes[0])
            driver.get(f'{server.url}{path}')
        visible_text(driver, shown)
        for width, height in sizes:
            if (width, height) != sizes[0]:
                resize_and_settle(driver, width, height)
            if name == 'returns':  # the failed refund reads in red, in the row's cell or on the phone's card
                failure = visible_text(driver, 'Failed: pay back again on the order')
                red, green, blue = (int(v) for v in failure.value_of_css_property('color')[5:-1].split(',')[:3])
                assert red > 150 and green < 80 and blue < 80, f'the failed refund is not red at {width} px'
            if name == 'settings-orders':
                driver.execute_script('arguments[0].scrollIntoView()', visible_text(driver, 'VAT rate'))
            if name == 'order-with-return':  # the return's row, with its refund's state and the retry
                driver.execute_script('arguments[0].scrollIntoView()', visible_text(driver, 'Refund €30.00 ·'))
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / f'{name}-{width}.png'))
            if name == 'settings-orders':  # the settings card itself (the API keys panel below it is not ours)
                card = driver.execute_script(
                    "return document.evaluate(\"//*[contains(text(), 'VAT rate')]/"
                    "ancestor::div[contains(@class, 'q-card')][1]\", document, null, 9, null)"
                    '.singleNodeValue.getBoundingClientRect().right'
                )
                assert card <= width, f'the settings card overflows sideways at {width} px'
            else:
                assert no_horizontal_overflow(driver), f'{path} overflows sideways at {width} px'
            if name == 'purchases':  # the new purchase order's dialog, at this width
                visible_text(driver, 'New purchase order').click()
                visible_text(driver, 'Unit cost')
                settle(driver)  # the dialog's fade-in too
                driver.save_screenshot(str(ARTIFACTS / f'purchase-dialog-{width}.png'))
                assert no_horizontal_overflow(driver), f'the purchase dialog overflows sideways at {width} px'
                button(driver, 'Cancel').click()
                settle(driver)  # the dialog's fade-out: the page alone is turned wide
        shown_at = sizes[-1][0]

    if shown_at != PHONE[0]:  # the settings were left on a phone
        phone_again(driver)
    driver.get(f'{server.url}/orders/{draft.number}')
    visible_text(driver, 'Edit draft').click()
    visible_text(driver, 'Customer email')
    for width, height in (PHONE, DESKTOP):
        if width != PHONE[0]:
            resize_and_settle(driver, width, height)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'draft-dialog-{width}.png'))

    # the bulk bar: a box ticked on a phone's card and on a desktop's row, each on its own load
    for width in (DESKTOP[0], PHONE[0]):  # the draft's page was turned wide: the desktop first
        if width == PHONE[0]:
            phone_again(driver)
        driver.get(f'{server.url}/orders')
        visible_text(driver, order.number)
        box = '.bo-card .q-checkbox' if width < 600 else '.q-table tbody .q-checkbox'  # a phone lists cards
        driver.find_element(By.CSS_SELECTOR, box).click()
        visible_text(driver, '1 selected')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'orders-bulk-{width}.png'))
        assert no_horizontal_overflow(driver), f'/orders with its bulk bar overflows sideways at {width} px'
