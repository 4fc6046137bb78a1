"""French in a real browser (issue #14): a browser asking for French gets the sign-in page in French, Quasar's own
texts included; a staff user whose language is French gets the app in French. Screenshots at 390 and 1440 px land in
tests/artifacts/ to be looked at."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.kpi import days

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    no_horizontal_overflow,
    read_whole,
    set_viewport,
    settle,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.dashboard import charts_drawn, seed_history
from ..support.french_staff import french_manager

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = 'marie@example.com', 'Une-phrase-de-passe-solide-42'


def asks_for_french(driver: WebDriver) -> None:
    """The browser's language preference, as a French Chromium sends it (Accept-Language)."""
    agent = driver.execute_script('return navigator.userAgent')
    driver.execute_cdp_cmd('Network.setUserAgentOverride', {'userAgent': agent, 'acceptLanguage': 'fr-FR,fr;q=0.9'})


def test_the_sign_in_page_and_the_dashboard_in_french(
    second_browser: WebDriver, base_url: str, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seed_history(server.database_url)
    db.configure(server.database_url)
    french_manager(EMAIL, PASSWORD)
    driver = second_browser
    driver.get(f'{base_url}/healthz')
    asks_for_french(driver)

    for width, height in ((390, 844), (1440, 900)):
        set_viewport(driver, width, height)
        driver.get(f'{base_url}/login')
        visible_text(driver, 'Connectez-vous pour continuer')
        assert driver.find_element(By.TAG_NAME, 'html').get_attribute('lang') == 'fr'
        assert driver.execute_script('return Quasar.lang.props.isoName') == 'fr'  # Quasar's pack is French
        assert driver.title == 'Connexion · Backoffice'
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'login-fr-{width}.png'))

    set_viewport(driver, 390, 844)
    visible(driver, 'input[type=email]').send_keys(EMAIL)
    visible(driver, 'input[type=password]').send_keys(PASSWORD)
    driver.find_element(By.XPATH, '//button[normalize-space(.)="Se connecter"]').click()
    wait_for_path(driver, '/')
    wait = WebDriverWait(driver, TIMEOUT)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '.kpi-card')) > 0, 'the KPI cards show')
    wait.until(lambda d: charts_drawn(d) >= 4, 'the charts are drawn')
    assert driver.execute_script('return Quasar.lang.props.isoName') == 'fr'
    assert driver.find_element(By.CSS_SELECTOR, 'button[aria-label="Compte"]')  # the header speaks French
    settle(driver)
    assert no_horizontal_overflow(driver)
    assert not cut_card_lines(driver), cut_card_lines(driver)  # a longer French line stays inside its card
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-fr-390.png'))
    driver.execute_script('document.querySelectorAll(".js-plotly-plot")[1].scrollIntoView()')  # the funnel
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-fr-390-charts.png'))

    set_viewport(driver, 1440, 900)
    driver.get(f'{base_url}/')
    wait.until(lambda d: charts_drawn(d) >= 4)
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-fr-1440.png'))
    french_numbers_and_months(driver)
    driver.execute_script('document.querySelector(".js-plotly-plot").scrollIntoView()')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-fr-1440-charts.png'))
    driver.execute_script('window.scrollTo(0, 0)')
    driver.find_element(By.CSS_SELECTOR, 'button[aria-label="Compte"]').click()
    visible_text(driver, 'Se déconnecter')
    visible_text(driver, 'Français')
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-fr-1440-user-menu.png'))


CUT_CARD_LINES = """
    return [...document.querySelectorAll('.kpi-card .whitespace-nowrap')].filter(line => {
        const card = line.closest('.kpi-card'), padding = parseFloat(getComputedStyle(card).paddingRight);
        return line.getBoundingClientRect().right > card.getBoundingClientRect().right - padding + 0.5;
    }).map(line => line.textContent);
"""


def cut_card_lines(driver: WebDriver) -> list[str]:
    """The one-line texts of the KPI cards (value, change) that run into their card's padding or past its edge."""
    return driver.execute_script(CUT_CARD_LINES)


def french_numbers_and_months(driver: WebDriver) -> None:
    """The cards read French money (21 620 €, not 21,620 EUR) and the charts' date axes French months (nov., déc.)
    in day-first order, as drawn by Plotly with the locale the chart brings."""
    cards = read_whole(driver, lambda d: ' '.join(card.text for card in d.find_elements(By.CSS_SELECTOR, '.kpi-card')))
    assert '€' in cards and 'EUR' not in cards
    assert re.search(r'\d[\u202f\u00a0]\d{3}(,\d\d)?[\u00a0 ]€', cards), cards  # thousands apart, the sign after
    assert re.search(r'\d,\d[\u00a0 ]%', cards), cards  # 10,0 % (conversion)
    ticks = driver.execute_script('return [...document.querySelectorAll(".xtick text")].map(t => t.textContent)')
    months = {format_date(days.today('UTC') - timedelta(days=ago), 'MMM', locale='fr') for ago in range(30)}
    assert any(month in tick for tick in ticks for month in months), ticks  # e.g. '5 nov.', '3 déc.'
    assert not any(re.search(r'\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b', tick) for tick in ticks), ticks
    assert any(re.fullmatch(r'\d{1,2} \S+', tick) for tick in ticks), ticks  # the day first: « 5 nov. »
    funnel = driver.execute_script('return [...document.querySelectorAll("text.bartext")].map(t => t.textContent)')
    assert any(re.fullmatch(r'\d[\u202f\d]*100\u00a0%', text) for text in funnel), funnel  # « 4 960 » then « 100 % »
