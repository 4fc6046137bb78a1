"""The dashboard in a real browser: two compact KPI cards per row on a phone (eight of them on its first screen), a
grid of four on a desktop, every chart drawn, a definition shown on tap; screenshots land in tests/artifacts/ to be
looked at, with the phone page's height."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import backoffice.resources  # noqa: F401  (installs the extensions: their KPIs have cards too)
from backoffice.kpi.registry import KPIS

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    WebDriverWait,
    button,
    field,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.dashboard import TAP_AND_WATCH, charts_drawn, hover_text, seed_history, switch_buttons, switch_state

pytestmark = pytest.mark.browser


def busy_day(database_url: str) -> None:
    """30 orders placed in the last minutes on the browser server's database (numbers this test alone uses)."""
    from datetime import timedelta

    from backoffice import db
    from backoffice.models import utcnow

    from ..support.factories import make_customer, paid_order

    db.configure(database_url)
    buyer = make_customer('busy.day@example.com')
    now = utcnow()
    for n in range(30):
        number = '<b>"Zoë": 7</b>' if n == 0 else f'7{n:05d}'
        paid_order(buyer, now - timedelta(seconds=n + 1), '1234.50', number=number)


def late_and_rated_requests(database_url: str) -> None:
    """A request whose SLA was breached today and one rated today, their subjects hostile, on the browser server's
    database (what the SLA breaches and CSAT cards' lists show)."""
    from backoffice import db
    from backoffice.db import session_scope
    from backoffice.models import utcnow

    from ..support.factories import submit_request

    db.configure(database_url)
    late = submit_request(LATE, email='late.dash@example.com')
    rated = submit_request(RATED, email='rated.dash@example.com')
    with session_scope() as session:
        session.merge(late).sla_breached_at = utcnow()
        stored = session.merge(rated)
        stored.rating, stored.rated_at = 5, utcnow()
        session.commit()


LATE = 'Dash late: "<script>alert(1)</script>"'
RATED = "Dash rated: 'x' <b>bold</b>"


def open_card_and_follow(driver: WebDriver, label: str, path: str) -> None:
    """Open the card labelled so on the dashboard and follow its "See these in the list"."""
    card = f'//div[contains(@class,"kpi-card")][.//*[normalize-space(text())="{label}"]]'
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_elements(By.XPATH, card), f'the {label} card shows')
    driver.find_element(By.XPATH, f'{card}//div[contains(@class,"cursor-pointer")]').click()
    link = '//div[contains(@class,"q-dialog")]//a[normalize-space(.)="See these in the list"]'
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_elements(By.XPATH, link), f'the {label} card opens')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / f'dashboard-{driver.get_window_size()["width"]}-{label}-behind.png'))
    driver.find_element(By.XPATH, link).click()
    wait_for_path(driver, path)


def unfold_filters(driver: WebDriver, says: str) -> None:
    """The phone's Filters button, which says how many filters hold, tapped to show them."""
    xpath = f'//button[.//*[normalize-space(text())="{says}"]]'
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_elements(By.XPATH, xpath), f'"{says}" shows')
    driver.find_element(By.XPATH, xpath).click()


def search_list(driver: WebDriver, text: str) -> None:
    """The list's search, so that only this test's rows show (other tests' rows may fill page 1)."""
    visible(driver, '.bo-list-search input').send_keys(text)  # once the list has drawn it


def today_in_the_shop() -> str:
    from backoffice.kpi import days
    from backoffice.services import app_settings

    return days.today(app_settings.time_zone()).isoformat()


def card_columns(driver: WebDriver) -> int:
    cards = driver.find_elements(By.CSS_SELECTOR, '.kpi-card')
    return len({round(card.rect['x']) for card in cards})


def cards_on_first_screen(driver: WebDriver) -> int:
    return driver.execute_script(
        'return [...document.querySelectorAll(".kpi-card")]'
        '.filter(card => card.getBoundingClientRect().bottom <= window.innerHeight).length'
    )


def test_the_dashboard_on_a_phone_and_on_a_desktop(driver: WebDriver, base_url: str, server) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seed_history(server.database_url)
    set_viewport(driver, 390, 844)
    signed_in(driver, base_url, '/')
    wait = WebDriverWait(driver, TIMEOUT)
    cards = sum(1 for kpi in KPIS if kpi.card)  # the core's 15, and an installed extension's
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '.kpi-card')) == cards, 'every KPI card shows')
    wait.until(lambda d: charts_drawn(d) >= 4, 'every chart is drawn')
    settle(driver)
    assert card_columns(driver) == 2, 'two columns of compact cards on a phone'
    assert cards_on_first_screen(driver) >= 8, 'a founder sees eight KPIs without scrolling'
    assert no_horizontal_overflow(driver)
    assert 'no earlier data' in driver.find_element(By.TAG_NAME, 'body').text  # requests: no history yet
    # today's grey band ends at the plot's right edge: the orders' numbers keep a gap from it (it sat under them)
    band, numbers = driver.execute_script(
        'const chart = document.querySelector(".js-plotly-plot");'
        'const band = chart.querySelector(".shapelayer path").getBoundingClientRect().right;'
        'const lefts = [...chart.querySelectorAll(".y2tick text")].map(t => t.getBoundingClientRect().left);'
        'return [band, Math.min(...lefts)];'
    )
    assert numbers - band >= 4, f"the right-hand axis's numbers start {numbers - band:.1f} px after today's band"
    height = driver.execute_script('return document.documentElement.scrollHeight')
    (ARTIFACTS / 'dashboard-390-height.txt').write_text(f'{height} px\n')
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-390.png'))

    what_is = driver.find_element(By.CSS_SELECTOR, 'button[aria-label="What is Turnover?"]')
    what_is.click()
    WebDriverWait(driver, 3 * TIMEOUT).until(  # a round trip to the server: generous on a loaded machine
        lambda d: d.find_element(By.XPATH, '//*[contains(text(), "minus the refunds made that day")]').is_displayed(),
        'the definition shows on tap',
    )
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-390-definition.png'))

    what_is.click()  # folded again, as a desktop's fresh page shows it
    definition = '//*[contains(text(), "minus the refunds made that day")]'
    WebDriverWait(driver, 3 * TIMEOUT).until(
        lambda d: not any(e.is_displayed() for e in d.find_elements(By.XPATH, definition)), 'the definition folds'
    )

    # a rate's card opened on the phone: what it was the days before, its days as a file, its axis in percent
    conversion = '//div[contains(@class,"kpi-card")][.//*[normalize-space(text())="Conversion"]]'
    driver.find_element(By.XPATH, f'{conversion}//div[contains(@class,"cursor-pointer")]').click()
    dialog = '.q-dialog .q-card'
    wait.until(lambda d: 'the 30 days before' in d.find_element(By.CSS_SELECTOR, dialog).text, 'the period before')
    wait.until(lambda d: charts_drawn(d) >= 5, "the card's chart is drawn")
    opened = driver.find_element(By.CSS_SELECTOR, dialog)
    assert 'Download CSV' in opened.text
    # read in one go: Plotly redraws its axis as the dialog settles (each tick read apart went stale under the read)
    ticks = driver.execute_script(
        'return [...arguments[0].querySelectorAll(".ytick text")].map(tick => tick.textContent)', opened
    )
    assert ticks and all(t.endswith('%') for t in ticks), ticks
    assert opened.rect['x'] >= 0 and opened.rect['x'] + opened.rect['width'] <= 390, 'the dialog fits the phone'
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-390-card-opened.png'))
    driver.find_element(By.CSS_SELECTOR, '.q-dialog button[aria-label="Close"]').click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, dialog), 'the card closes')

    # a busy day's orders behind the Orders card: "25 of …" and a table that fits the phone (it scrolled sideways)
    busy_day(server.database_url)
    orders = '//div[contains(@class,"kpi-card")][.//*[normalize-space(text())="Orders"]]'
    driver.find_element(By.XPATH, f'{orders}//div[contains(@class,"cursor-pointer")]').click()
    wait.until(lambda d: '25 of ' in d.find_element(By.CSS_SELECTOR, dialog).text, 'the rows say how many')
    settle(driver)
    fits = driver.execute_script(
        "const t = document.querySelector('.q-dialog .q-table__middle');return t && t.scrollWidth <= t.clientWidth + 1;"
    )
    assert fits, 'the rows behind the number fit the phone, no sideways scroll'
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-390-orders-behind.png'))
    driver.find_element(By.CSS_SELECTOR, '.q-dialog button[aria-label="Close"]').click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, dialog), 'the card closes')

    resize_and_settle(driver, 1440, 900)  # the same page turned into a desktop's window: its charts redrawn
    wait.until(lambda d: charts_drawn(d) >= 4)
    settle(driver)
    assert card_columns(driver) == 4, 'a grid of four columns on a desktop'
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-1440.png'))
    # the charts on the lighter Plotly bundle still show values on hover, the funnel (drawn with bars) its steps
    turnover, funnel = hover_text(driver, 0), hover_text(driver, 1)
    assert any(ch.isdigit() for ch in turnover) and '€' in turnover, turnover  # a tap on a bar says its money
    assert any(step in funnel for step in ('Visits', 'Product views', 'Added to cart', 'Checkouts', 'Orders')), funnel
    assert '%' in funnel, funnel
    active = hover_text(driver, 2)
    assert any(ch.isdigit() for ch in active) and '(' not in active, active  # not Plotly's "(Nov 29, 2026, 281)"
    driver.execute_script('window.scrollTo(0, 0)')

    # "Custom", then Cancel: one dialog, and the switch is back on the 30 days still shown
    button(driver, 'Custom').click()
    visible_text(driver, 'Choose the days')
    # the calendar opens on the month of the period's last day (today's), not on the first of the 30 days shown
    from datetime import date

    month = date.fromisoformat(today_in_the_shop()).strftime('%B')  # the page is in English
    navigation = '.q-dialog .q-date__navigation'
    wait.until(lambda d: month in d.find_element(By.CSS_SELECTOR, navigation).text.split(), f'the calendar on {month}')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-1440-custom-period.png'))
    assert not driver.execute_script('return !!document.querySelector(".dashboard-content[data-switching]")'), (
        'choosing days reads nothing yet: the cards are not dimmed behind the dialog'
    )
    assert len([d for d in driver.find_elements(By.CSS_SELECTOR, '.q-dialog .q-card') if d.is_displayed()]) == 1
    button(driver, 'Cancel', topmost=True).click()  # the dialog's (the first "Cancel" of the page may be hidden)
    try:
        wait.until(
            lambda d: (
                d.find_element(By.XPATH, '//button[.//*[normalize-space(text())="30 d"]]').get_attribute('aria-pressed')
                == 'true'
            )
        )
    except TimeoutException:  # this wait failed twice in CI and never here: say what it saw
        driver.save_screenshot(str(ARTIFACTS / 'dashboard-switch-after-cancel.png'))
        pytest.fail(f'the switch is back on 30 days after Cancel; {switch_buttons(driver)}')

    # another period: the cards and charts are dimmed from the tap until the 7 days' charts are drawn
    driver.execute_script(TAP_AND_WATCH, '7 d')
    wait.until(lambda d: (s := switch_state(d))['days'] == 7 and not s['busy'], 'the 7 days are drawn')
    assert switch_state(driver)['seen'], 'a busy state showed between the tap and the new charts'
    assert switch_state(driver)['at_tap'], 'the cards dim at the tap itself, before the server has heard of it'
    assert charts_drawn(driver) == 4
    visible_text(driver, 'compared with the 7 days before')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-1440-7-days.png'))

    # the Orders card's "See these in the list": the orders list on today (the shop's day), the field showing it
    driver.find_element(By.XPATH, f'{orders}//div[contains(@class,"cursor-pointer")]').click()
    wait.until(lambda d: '25 of ' in d.find_element(By.CSS_SELECTOR, dialog).text, 'the rows say how many')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'dashboard-1440-orders-behind.png'))
    driver.find_element(
        By.XPATH, '//div[contains(@class,"q-dialog")]//a[normalize-space(.)="See these in the list"]'
    ).click()
    wait_for_path(driver, '/orders')
    visible_text(driver, '700001')
    assert field(driver, 'Placed from').get_attribute('value') == today_in_the_shop(), 'the day, as if typed'
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'orders-1440-from-the-dashboard.png'))
    resize_and_settle(driver, 390, 844)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'orders-390-from-the-dashboard.png'))

    # the New customers card (on the phone): the customers whose first order was today, the day in "First order"
    driver.get(f'{base_url}/')
    open_card_and_follow(driver, 'New customers', '/customers')
    unfold_filters(driver, 'Filters (1)')  # folded on a phone, the button saying the list is filtered
    assert field(driver, 'First order from').get_attribute('value') == today_in_the_shop(), 'the day, as if typed'
    search_list(driver, 'busy.day')
    visible_text(driver, 'busy.day@example.com')  # its first order was placed today
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'customers-390-from-the-dashboard.png'))
    resize_and_settle(driver, 1440, 900)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'customers-1440-from-the-dashboard.png'))

    # the CSAT card (a share, not a count): what its list holds is said under the link; the list: today's ratings
    late_and_rated_requests(server.database_url)
    driver.get(f'{base_url}/')
    open_card_and_follow(driver, 'CSAT', '/requests')
    assert field(driver, 'Rated from').get_attribute('value') == today_in_the_shop()
    search_list(driver, 'Dash ')
    visible_text(driver, "Dash rated: 'x'")
    assert not driver.find_elements(By.XPATH, '//*[contains(text(), "Dash late")]'), 'not rated: not listed'
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-1440-csat-from-the-dashboard.png'))
    resize_and_settle(driver, 390, 844)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-390-csat-from-the-dashboard.png'))

    # the SLA breaches card (on the phone): the requests breached today
    driver.get(f'{base_url}/')
    open_card_and_follow(driver, 'SLA breaches', '/requests')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-390-sla-folded-from-the-dashboard.png'))
    unfold_filters(driver, 'Filters (1)')
    assert field(driver, 'SLA breach from').get_attribute('value') == today_in_the_shop()
    search_list(driver, 'Dash ')
    visible_text(driver, 'Dash late:')
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-390-sla-from-the-dashboard.png'))
    resize_and_settle(driver, 1440, 900)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-1440-sla-from-the-dashboard.png'))
