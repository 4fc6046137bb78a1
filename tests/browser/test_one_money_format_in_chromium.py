"""Money written one way in a real browser, at a phone's and a desktop's width: the dashboard's turnover card and its
chart's money axis (€ before the ticks), and an order's totals, all as English writes money (€1,234.50; a big card's
whole number €21,620); nothing overflows sideways. Screenshots: tests/artifacts/ money-dashboard-*, money-order-*."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice import db
from backoffice.db import read_session
from backoffice.kpi import refresh
from backoffice.models import KpiJobRun

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.dashboard import charts_drawn, seed_history
from ..support.factories import make_product, make_user, pay, place

pytestmark = pytest.mark.browser

MONEY = re.compile(r'^-?€\d{1,3}(,\d{3})*(\.\d\d)?$|^€\d+\.\d\dM$')  # €750.00, €21,620, €1.23M
MONEY_TICK = re.compile(r'^\u2212?€(\d{1,3}(,\d{3})*|\d+(\.\d+)?[kM])$')  # −€500, €1,000, €20k


def turnover_card(driver: WebDriver) -> str:
    card = next(c for c in driver.find_elements(By.CSS_SELECTOR, '.kpi-card') if c.text.startswith('Turnover'))
    return [line for line in card.text.split('\n') if '€' in line][0]  # under the name: the value


def money_ticks(driver: WebDriver) -> list[str]:
    """The tick labels of the first chart's left axis (the turnover bars)."""
    return driver.execute_script(
        "const plot = document.querySelectorAll('.js-plotly-plot')[0];"
        "return [...plot.querySelectorAll('.yaxislayer-above .ytick text')].map(t => t.textContent);"
    )


def test_the_dashboard_and_an_order_write_money_one_way_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    seed_history(server.database_url)
    db.configure(server.database_url)
    manager = make_user('manager')
    make_product('MONEY-LAMP-1', '1234.50', stock_on_hand=10, actor=manager, name='Brass desk lamp')
    order = place(('MONEY-LAMP-1', 2), shipping_name='Cleo "Stone": <script>alert(1)</script>')
    pay(manager, order)

    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/')
    wait = WebDriverWait(driver, TIMEOUT)
    wait.until(lambda d: charts_drawn(d) >= 4, 'every chart is drawn')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
            wait.until(lambda d: charts_drawn(d) >= 4)
        settle(driver)
        assert MONEY.match(turnover_card(driver)), turnover_card(driver)
        ticks = money_ticks(driver)
        # the money axis says its currency as amounts do, thousands grouped (€1,000 and €20k, never €1000)
        assert ticks and all(MONEY_TICK.match(t) for t in ticks), ticks
        assert 'EUR' not in driver.find_element(By.CSS_SELECTOR, '.dashboard-content').text
        assert no_horizontal_overflow(driver), f'the dashboard overflows sideways at {width} px'
        driver.save_screenshot(str(ARTIFACTS / f'money-dashboard-{width}.png'))
        driver.execute_script("document.querySelector('.js-plotly-plot').scrollIntoView({block: 'center'})")
        driver.save_screenshot(str(ARTIFACTS / f'money-dashboard-{width}-chart.png'))
        driver.execute_script('window.scrollTo(0, 0)')

    driver.get(f'{server.url}/orders/{order.number}')  # at a desk, then turned to a phone's width
    for width, height in ((1440, 900), (390, 844)):
        if width != 1440:
            resize_and_settle(driver, width, height)
        visible_text(driver, 'Brass desk lamp')
        visible_text(driver, '€2,469.00')  # the subtotal, as every screen writes money
        visible_text(driver, f'€{order.total:,.2f}')  # the total, VAT included
        shipping = driver.find_element(By.TAG_NAME, 'body').text
        assert 'Cleo "Stone": <script>alert(1)</script>' in shipping  # hostile text stays text
        settle(driver)
        assert no_horizontal_overflow(driver), f'the order page overflows sideways at {width} px'
        lines = driver.execute_script(  # the lines' amounts in view without scrolling the table (no SKU on a phone)
            "const t = document.querySelector('.q-table__middle');"
            'return {scrolls: t.scrollWidth > t.clientWidth + 1, text: t.innerText};'
        )
        assert not lines['scrolls'] and '€1,234.50' in lines['text'] and '€2,469.00' in lines['text'], lines
        driver.save_screenshot(str(ARTIFACTS / f'money-order-{width}.png'))


def pick_currency(driver: WebDriver, label: str) -> None:
    driver.find_element(
        By.XPATH, '//label[.//div[contains(@class, "q-field__label")][normalize-space(.)="Currency"]]'
    ).click()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: next((o for o in d.find_elements(By.CSS_SELECTOR, '.q-menu .q-item') if o.text == label), None),
        f'the option {label}',
    ).click()
    button(driver, 'Save settings').click()
    visible_text(driver, 'Settings saved')


def recomputes_finished() -> bool:
    with read_session() as session:
        runs = session.exec(select(KpiJobRun).where(KpiJobRun.job == refresh.RECOMPUTE)).all()
    return all(run.finished_at is not None for run in runs)


def test_a_currency_change_says_what_it_recomputes_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    """Switched to dollars and back: the note under the currency says the KPI history is recomputed and what is not
    converted, readable on a phone; the shop's currency and its dashboard history are put back for the next tests."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/settings')
    shown = False
    try:
        pick_currency(driver, 'US dollar (USD)')
        note = visible_text(driver, 'The KPI history is being recomputed in USD')
        assert 'goal targets and alert thresholds on amounts' in note.text
        for width, height in ((390, 844), (1440, 900)):
            if width != 390:
                resize_and_settle(driver, width, height)
            driver.execute_script('arguments[0].scrollIntoView({block: "center"})', note)
            settle(driver)
            assert no_horizontal_overflow(driver), f'/settings overflows sideways at {width} px'
            driver.save_screenshot(str(ARTIFACTS / f'money-settings-note-{width}.png'))
        shown = True
    finally:
        if not shown:  # put back from a fresh page; otherwise on the page open
            driver.get(f'{server.url}/settings')
        pick_currency(driver, 'Euro (EUR)')
        WebDriverWait(driver, 10 * TIMEOUT).until(lambda d: recomputes_finished(), 'the recomputes finish')
        seed_history(server.database_url)  # the dashboard's plausible history, as the other browser tests expect it
