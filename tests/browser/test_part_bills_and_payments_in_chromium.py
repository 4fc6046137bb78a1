"""The bookkeeper's part bills and part payments in a real browser, at a phone's and a desktop's width: a purchase
order received in part shows per line what is received and billed, its bill dialog offers what arrived and is not
billed yet; a bank line is suggested the pending order it pays part of, the split pays that part and the order says
what is left (screenshots in tests/artifacts/part-*.png); hostile text shown as text, nothing overflowing sideways."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlmodel import select

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.models import Order, PurchaseLine
from backoffice.services import bank_rules, purchases

from ..support.bank import Line, camt053, import_file, make_account
from ..support.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    RunningServer,
    button,
    field,
    next_load_at,
    no_horizontal_overflow,
    replace_text,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import PASSWORD, make_product, make_user, place
from ..support.finance import mugs
from ..support.payables import make_supplier

pytestmark = pytest.mark.browser

HOSTILE = 'F "2026": <img src=x onerror="window.__x=1">'


def assert_message_on_one_line_inside_the_dialog(driver: WebDriver) -> None:
    """The Qty to bill field's message reads on one line (it wrapped on three under the 112-px box) and stays inside
    the dialog's card."""
    box = driver.execute_script(
        "const field = [...document.querySelectorAll('.q-dialog .q-field')].find(f => f.textContent.includes('Qty'));"
        "const message = field.querySelector('.q-field__messages div');"
        "const card = field.closest('.q-card').getBoundingClientRect(); const m = message.getBoundingClientRect();"
        'const line = parseFloat(getComputedStyle(message).lineHeight) || 16;'
        'return {height: m.height, line: line, left: m.left, right: m.right,'
        '        cardLeft: card.left, cardRight: card.right};'
    )
    assert box['height'] < 1.5 * box['line'], box
    assert box['cardLeft'] <= box['left'] and box['right'] <= box['cardRight'], box


def test_a_part_bill_at_390_then_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager', email='pb.manager@example.com')
    supplier = make_supplier('Kettle Works "Ltd"')
    kettle = make_product('PB-KETTLE', actor=manager, name='Gooseneck kettle, 0.9 l')
    lid = make_product('PB-LID', actor=manager, name='Spare lid "steel": <b>x</b>')
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session, actor=manager, supplier_id=supplier.id, reference='PO-PB-1', received=False,
            lines=[{'product_id': kettle.id, 'quantity': 24, 'unit_cost': '31.5'},
                   {'product_id': lid.id, 'quantity': 6, 'unit_cost': '2'}],
        )  # fmt: skip
    with read_session() as session:
        kettles = session.exec(select(PurchaseLine).where(PurchaseLine.product_id == kettle.id)).one()
    with session_scope() as session:
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id, quantities={kettles.id: 10})

    set_viewport(driver, *PHONE)
    signed_in(driver, server.url, '/purchases', manager.email, PASSWORD)
    visible_text(driver, 'PO-PB-1').click()
    visible_text(driver, '10 received, 0 billed')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'part-bill-purchase-390.png'))
    assert no_horizontal_overflow(driver), 'the purchase dialog overflows sideways at 390 px'
    button(driver, 'Enter its bill').click()
    quantity = field(driver, 'Qty to bill')
    assert quantity.get_attribute('value') == '10'  # the kettles that arrived; no lid arrived: not offered
    replace_text(field(driver, "Supplier's bill number"), HOSTILE)
    replace_text(quantity, '11')
    button(driver, 'Create bill').click()
    visible_text(driver, 'At most 10: 10 received, 0 billed already')
    settle(driver)
    assert_message_on_one_line_inside_the_dialog(driver)
    driver.save_screenshot(str(ARTIFACTS / 'part-bill-dialog-390.png'))
    assert no_horizontal_overflow(driver), 'the bill dialog overflows sideways at 390 px'
    replace_text(quantity, '4')
    button(driver, 'Create bill').click()
    WebDriverWait(driver, 15).until(lambda d: '/finance/bills/' in d.current_url)  # the new bill's page

    # the next load as a desktop's: the width cookie says so before it (the window resized on the bill's page still
    # said 390 px when /purchases was asked for, and the list drawn for a phone was redrawn under the click)
    next_load_at(driver, *DESKTOP)
    driver.get(f'{server.url}/purchases')
    visible_text(driver, 'PO-PB-1').click()
    visible_text(driver, '10 received, 4 billed')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'part-bill-purchase-1440.png'))
    assert no_horizontal_overflow(driver), 'the purchase dialog overflows sideways at 1440 px'
    button(driver, 'Bill what was received').click()
    assert field(driver, 'Qty to bill').get_attribute('value') == '6'
    replace_text(field(driver, "Supplier's bill number"), HOSTILE + ' 2')
    replace_text(field(driver, 'Qty to bill'), '7')
    button(driver, 'Create bill').click()
    visible_text(driver, 'At most 6: 10 received, 4 billed already')
    settle(driver)
    assert_message_on_one_line_inside_the_dialog(driver)
    driver.save_screenshot(str(ARTIFACTS / 'part-bill-dialog-1440.png'))
    assert driver.execute_script('return window.__x') is None


def test_a_part_payment_of_a_pending_order_from_the_bank_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager', email='pp.manager@example.com')
    with session_scope() as session:  # this screen's story is the suggestions: no matching rule left by another file
        for rule in bank_rules.rules(session=session, actor=manager):
            bank_rules.switch_rule(session=session, actor=manager, rule_id=rule.id, active=False)
    mugs(manager, '25.00', sku='PP-MUG')
    order = place(('PP-MUG', 2), email='pp.buyer@example.com')
    part = order.total - 20
    import_file(
        manager,
        make_account(manager, name='Crédit Agricole — compte des acomptes'),
        camt053([Line(f'{part}', f'ACOMPTE COMMANDE {order.number} {HOSTILE}', 'PP BUYER')]),
        'releve-acompte.xml',
    )
    set_viewport(driver, *PHONE)
    signed_in(driver, server.url, '/finance/bank', manager.email, PASSWORD)
    for width, height in (PHONE, DESKTOP):  # loaded once on a phone, then turned wide
        if width != PHONE[0]:
            resize_and_settle(driver, width, height)
        visible_text(driver, 'order number in the label, customer name, pays part of it')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'part-payment-bank-{width}.png'))
        assert no_horizontal_overflow(driver), f'bank overflows sideways at {width} px'
    replace_text(field(driver, 'Search label, counterpart, reference'), 'ACOMPTE COMMANDE')  # this line alone
    visible_text(driver, '1 of 1 lines')
    button(driver, 'Split or choose…').click()
    # its part's field, by the order's number (the due amount's wording is the dialog's; the PostgreSQL run, other
    # files' data on the worker's database, once found no field of this exact label)
    amount = part_field(driver, f'Order {order.number} awaiting payment')
    replace_text(amount, f'{part}')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'part-payment-split-1440.png'))
    button(driver, 'Match', topmost=True).click()
    visible_text(driver, 'Matched: payment recorded.')
    with read_session() as session:
        assert session.get(Order, order.id).paid_total == part
    driver.get(f'{server.url}/orders/{order.number}')  # at a desk, then turned to a phone's width
    for width, height in (DESKTOP, PHONE):  # the order says what is paid and what is left
        if width != DESKTOP[0]:
            resize_and_settle(driver, width, height)
        visible_text(driver, 'Left to pay')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'part-payment-order-{width}.png'))
        assert no_horizontal_overflow(driver), f'the order overflows sideways at {width} px'
    assert driver.execute_script('return window.__x') is None


def part_field(driver: WebDriver, begins: str):
    """The input of the visible field whose label begins with these words."""
    xpath = (
        '//label[contains(@class, "q-field")][.//div[contains(@class, "q-field__label")]'
        f'[starts-with(normalize-space(.), "{begins}")]]//input'
    )

    def find(d: WebDriver):
        return next((e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed()), None)

    return WebDriverWait(driver, 30).until(find, f'no visible field beginning "{begins}"')
