"""The dashboard in a real browser: one column of KPI cards on a phone, a grid on a desktop, every chart drawn, a
definition shown on tap; screenshots land in tests/artifacts/ to be looked at."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from ..support.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ARTIFACTS,
    TIMEOUT,
    no_horizontal_overflow,
    set_viewport,
    settle,
    sign_in,
    wait_for_path,
)

pytestmark = pytest.mark.browser


def card_columns(driver: WebDriver) -> int:
    cards = driver.find_elements(By.CSS_SELECTOR, '.kpi-card')
    return len({round(card.rect['x']) for card in cards})


def charts_drawn(driver: WebDriver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, '.js-plotly-plot .main-svg'))


def test_the_dashboard_on_a_phone_and_on_a_desktop(driver: WebDriver, base_url: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    set_viewport(driver, 390, 844)
    driver.get(f'{base_url}/login')
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')
    wait = WebDriverWait(driver, TIMEOUT)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '.kpi-card')) == 15, 'every KPI card shows')
    wait.until(lambda d: charts_drawn(d) >= 4, 'every chart is drawn')
    settle(driver)
    assert card_columns(driver) == 1, 'one column of cards on a phone'
    assert no_horizontal_overflow(driver)

    button = driver.find_element(By.CSS_SELECTOR, 'button[aria-label="What is Turnover?"]')
    button.click()
    WebDriverWait(driver, 3 * TIMEOUT).until(  # a round trip to the server: generous on a loaded machine
        lambda d: d.find_element(By.XPATH, '//*[contains(text(), "minus the refunds made that day")]').is_displayed(),
        'the definition shows on tap',
    )
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-390.png'))

    set_viewport(driver, 1440, 900)
    driver.get(f'{base_url}/')
    wait.until(lambda d: charts_drawn(d) >= 4)
    settle(driver)
    assert card_columns(driver) == 4, 'a grid of four columns on a desktop'
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-1440.png'))
