"""A short delivery received in a real browser, on a phone and then on a desktop: the purchase's dialog shows each
line's unit cost and an "Arrived" quantity, the warehouse types what came, and the order shows what is still due
(screenshots in tests/artifacts/partial-receipt-*.png); nothing overflows sideways."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import col, select

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.models import StockLevel
from backoffice.services import purchases

from ..support.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    RunningServer,
    button,
    field,
    no_horizontal_overflow,
    replace_text,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import PASSWORD, make_product, make_user

pytestmark = pytest.mark.browser


def test_a_short_delivery_at_390_then_the_rest_at_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    manager = make_user('manager', email='pr.manager@example.com')
    kettle = make_product('PR-KETTLE', actor=manager, name='Gooseneck kettle, 0.9 l')
    lid = make_product('PR-LID', actor=manager, name='Spare lid "steel": <b>x</b>')
    with session_scope() as session:
        purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Kettle Works Ltd',
            reference='PO-PR-1',
            received=False,
            lines=[
                {'product_id': kettle.id, 'quantity': 24, 'unit_cost': '31.5'},
                {'product_id': lid.id, 'quantity': 6},
            ],
        )

    set_viewport(driver, *PHONE)
    signed_in(driver, server.url, '/purchases', manager.email, PASSWORD)
    visible_text(driver, 'PO-PR-1').click()
    visible_text(driver, '31.50 each')
    arrived = field(driver, 'Arrived')  # the kettles' line first
    assert arrived.get_attribute('value') == '24'
    replace_text(arrived, '10')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'partial-receipt-dialog-390.png'))
    assert no_horizontal_overflow(driver), 'the purchase dialog overflows sideways at 390 px'
    button(driver, 'Receive now').click()
    visible_text(driver, 'Received 16 items of purchase PO-PR-1: the rest is still due')
    assert on_hand(kettle.id, lid.id) == [10, 6]

    resize_and_settle(driver, *DESKTOP)  # the same list turned wide: no second load (issue 12)
    visible_text(driver, 'Partly received')
    visible_text(driver, 'PO-PR-1').click()
    visible_text(driver, 'partly received: 14 items still due')
    visible_text(driver, '31.50 each · 10 received, 14 still due')
    assert field(driver, 'Arrived').get_attribute('value') == '14'  # the rest, by default; the lids are all here
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'partial-receipt-dialog-1440.png'))
    assert no_horizontal_overflow(driver), 'the purchase dialog overflows sideways at 1440 px'
    button(driver, 'Receive now').click()
    visible_text(driver, 'Purchase PO-PR-1 received: its goods are in stock')
    assert on_hand(kettle.id, lid.id) == [24, 6]


def on_hand(*product_ids: int) -> list[int]:
    with read_session() as session:
        levels = {
            level.product_id: level.on_hand
            for level in session.exec(select(StockLevel).where(col(StockLevel.product_id).in_(product_ids)))
        }
    return [levels.get(product_id, 0) for product_id in product_ids]
