"""The reasons the app writes itself, as a French manager reads them in a real browser at a phone's and a desktop's
width: a return's refund on the order page and its movement in the stock ledger say « Retour R-… » (stored in English
with its msgid, migration 0050); the customer's own hostile reason stays text. Screenshots:
tests/artifacts/reasons-*."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    next_load_at,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import (
    advance,
    make_product,
    make_user,
    pay,
    place,
    receive_return,
    refund_return,
    start_return,
)
from ..support.french_staff import french_manager

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = 'amelie.reasons@example.com', 'Une-phrase-de-passe-solide-44'
HOSTILE = 'Trop "petit": <img src=x onerror="window.__x=1">'


def test_a_french_manager_reads_a_returns_reasons_in_french_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager')
    make_product('REASON-VASE-1', '25.00', stock_on_hand=5, actor=manager, name='Vase "bleu"')
    order = place(('REASON-VASE-1', 2), email='reasons@example.com')
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    rma = start_return(manager, order, reason=HOSTILE)
    receive_return(manager, rma)
    refund_return(manager, rma)
    french_manager(EMAIL, PASSWORD)

    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, f'/orders/{order.number}', EMAIL, PASSWORD)
    for width, height in ((390, 844), (1440, 900)):  # the order loaded once on a phone, then turned wide
        if width != 390:
            resize_and_settle(driver, width, height)
        refund = visible_text(driver, f'Retour {rma.number}')  # the refund's reason, in French
        assert f'Return {rma.number}' not in driver.find_element(By.TAG_NAME, 'body').text
        visible_text(driver, 'Motif\u00a0: Trop ')  # why it came back, under the return, as text
        assert f'Motif\u00a0: {HOSTILE}' in driver.execute_script('return document.body.innerText')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', refund)
        settle(driver)
        assert no_horizontal_overflow(driver), f'the order page overflows sideways at {width} px'
        driver.save_screenshot(str(ARTIFACTS / f'reasons-order-fr-{width}.png'))

    def the_return_row(d: WebDriver):
        rows = [
            el
            for el in d.find_elements(By.CSS_SELECTOR, '.q-table__middle tr, .q-table__grid-content .q-card')
            if el.is_displayed() and f'Retour {rma.number}' in el.text
        ]
        return rows[0] if rows else None

    next_load_at(driver, 390, 844)  # the stock ledger loaded once on a phone too, then turned wide
    driver.get(f'{server.url}/inventory')
    visible_text(driver, 'Mouvements').click()
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        row = WebDriverWait(driver, TIMEOUT).until(the_return_row, 'the return movement, its reason in French')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', row)
        settle(driver)
        assert no_horizontal_overflow(driver), f'/inventory overflows sideways at {width} px'
        driver.save_screenshot(str(ARTIFACTS / f'reasons-movements-fr-{width}.png'))
    assert driver.execute_script('return window.__x') is None
