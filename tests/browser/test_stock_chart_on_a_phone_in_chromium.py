"""The stock valuation report's chart (a bar per category, the value across) reads on a phone: its money ticks stand
upright and apart at 390 px as at 1440 (they tilted when amounts by €500 crowded a phone's width).
Screenshots: tests/artifacts/stock-chart-*."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import purchases

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    WebDriverWait,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
)
from ..support.factories import make_category, make_product, make_user
from ..support.french_staff import french_manager

pytestmark = pytest.mark.browser

HOSTILE = 'Rayon "lourd": <img src=x onerror="window.__x=1">'

# each tick's box, its rotation, and whether any two overlap (the values axis of the report's horizontal bars)
TICKS_JS = """
const plot = document.querySelector('.js-plotly-plot');
const ticks = [...plot.querySelectorAll('.xaxislayer-above .xtick text')];
const boxes = ticks.map(t => t.getBoundingClientRect());
const overlap = boxes.some((a, i) => boxes.some((b, j) => j > i && a.right > b.left && b.right > a.left));
return {texts: ticks.map(t => t.textContent), tilted: ticks.some(t => /rotate/.test(t.getAttribute('transform') || '')),
        overlap: overlap, right: Math.max(...boxes.map(b => b.right)), width: window.innerWidth};
"""


def heavy_stock(times: int = 1, prefix: str = '') -> None:
    """Two categories holding about €2,250 and €1,220 of stock (`times` as much), long names: the ticks stepped by
    €500 (€1,500, €2,000) beside the names on a phone and tilted."""
    manager = make_user('manager')
    kitchen, garden = make_category(f'{prefix}0 {HOSTILE}'), make_category(f'{prefix}1 {HOSTILE}')
    for n, (quantity, cost, category) in enumerate(
        ((80, '22.46', kitchen), (60, '20.35', garden), (80, '5.63', kitchen))
    ):
        product = make_product(f'HEAVY-{prefix[:3]}{n}', '50.00', name=f'{HOSTILE} item {n}', category_id=category.id)
        with session_scope() as session:
            purchases.receive_purchase(
                session=session,
                actor=manager,
                supplier='Acme "A": <b>x</b>',
                reference=f'PO-H{n}',
                lines=[{'product_id': product.id, 'quantity': quantity * times, 'unit_cost': cost}],
            )
            session.commit()


def test_the_stock_charts_ticks_stand_upright_and_apart_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    heavy_stock()
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/reports/stock')
    for width, height in ((390, 844), (1440, 900)):  # loaded once on a phone, then turned wide
        if width != 390:
            resize_and_settle(driver, width, height)
        WebDriverWait(driver, 20).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, '.js-plotly-plot .xaxislayer-above .xtick text')
        )
        settle(driver)
        ticks = driver.execute_script(TICKS_JS)
        assert not ticks['tilted'], (width, ticks['texts'])
        assert not ticks['overlap'], (width, ticks['texts'])
        assert len(ticks['texts']) >= 3, (width, ticks['texts'])  # still an axis one reads amounts on
        assert no_horizontal_overflow(driver), f'the stock report overflows sideways at {width} px'
        assert driver.execute_script('return window.__x') is None
        driver.execute_script("document.querySelector('.js-plotly-plot').scrollIntoView({block: 'center'})")
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'stock-chart-{width}.png'))


def test_the_stock_charts_french_ticks_stand_apart_on_a_phone(driver: WebDriver, server: RunningServer) -> None:
    """In French a money tick is the whole amount (20 000 €, never 20k €): beside names cut at 32 characters a phone
    left the bars ~100 px, where 0 €, 10 000 € and 20 000 € ran into each other. The names are cut shorter (whole in
    the hover and the table), so the bars get the room their ticks need."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    heavy_stock(times=10, prefix='MACHINES DE BUREAU ')  # about 22 000 € and 12 000 €, names as wide as a phone
    french_manager('stock.fr@example.com', 'Valeur-du-stock-2026!')
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/reports/stock', 'stock.fr@example.com', 'Valeur-du-stock-2026!')
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '.js-plotly-plot .xaxislayer-above .xtick text')
    )
    settle(driver)
    ticks = driver.execute_script(TICKS_JS)
    assert any('000' in text and '€' in text for text in ticks['texts']), ticks['texts']  # 10 000 €: whole amounts
    assert not ticks['tilted'], ticks['texts']
    assert not ticks['overlap'], ticks['texts']
    assert len(ticks['texts']) >= 3, ticks['texts']
    assert no_horizontal_overflow(driver), 'the stock report overflows sideways at 390 px'
    assert driver.execute_script('return window.__x') is None
    driver.execute_script("document.querySelector('.js-plotly-plot').scrollIntoView({block: 'center'})")
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'stock-chart-fr-390.png'))
