"""Keyboard and links in a real browser: the drawer's entries are links (a Ctrl-click opens a new tab), Ctrl-K
focuses the header's search and Enter opens the first hit, "/" focuses the list's search, Tab reaches a row and Enter
opens it; the search's menu (hits with long names of markup, and "Nothing found") fits a phone's and a desktop's
width without scrolling sideways, with screenshots of each."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    WebDriverWait,
    button,
    field,
    open_customers,
    read_whole,
    set_viewport,
    settle,
    visible,
    visible_text,
)

pytestmark = pytest.mark.browser

HOSTILE = 'Zed "<img src=x onerror=window.__x=1>": O\'Hara'
# a long name of markup and no space to break at: the hit ellipsizes it within the phone's width
LONG_HOSTILE = '"quotes" : <script>alert(1)</script>' + 'Quentinwithaverylongsurnamethatneverbreaks' * 2
# the search's menu fits the window: inside it, no sideways scroll in it, nothing in it reaching past its right edge
MENU_FITS = """
    const menu = document.querySelector('.q-menu.bo-search-hits');
    if (!menu) return 'no menu';
    const box = menu.getBoundingClientRect();
    const width = window.innerWidth;
    if (box.left < 0 || box.right > width) return `menu at ${box.left}..${box.right} of ${width}`;
    if (menu.scrollWidth > menu.clientWidth) return `it scrolls sideways: ${menu.scrollWidth} in ${menu.clientWidth}`;
    const past = [...menu.querySelectorAll('*')].find(e => e.getBoundingClientRect().right > box.right + 0.5);
    if (past) return `"${past.textContent.slice(0, 40)}" reaches ${past.getBoundingClientRect().right} > ${box.right}`;
    return document.documentElement.scrollWidth <= window.innerWidth ? 'fits' : 'the page scrolls sideways';
"""


def make_customer(driver: WebDriver, email: str, name: str) -> None:
    button(driver, 'New customer').click()
    field(driver, 'Email *').send_keys(email)
    field(driver, 'Name').send_keys(name)
    button(driver, 'Create customer').click()
    visible_text(driver, 'Customer created')
    driver.find_element(By.TAG_NAME, 'body').send_keys(Keys.ESCAPE)
    WebDriverWait(driver, TIMEOUT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '.q-dialog'), 'dialog open')


def active(driver: WebDriver, css: str) -> bool:
    return driver.execute_script(
        'return !!(document.activeElement && document.activeElement.closest(arguments[0]))', css
    )


def test_drawer_entries_are_links_that_open_in_a_new_tab(driver: WebDriver, base_url: str) -> None:
    open_customers(driver, base_url)
    entry = driver.find_element(By.CSS_SELECTOR, 'aside.q-drawer a[href="/orders"]')
    assert entry.text.splitlines()[-1] == 'Orders'  # after the icon's name
    current = driver.find_element(By.CSS_SELECTOR, 'aside.q-drawer a[href="/customers"]')
    assert current.get_attribute('aria-current') == 'page'
    tabs = len(driver.window_handles)
    ActionChains(driver).key_down(Keys.CONTROL).click(entry).key_up(Keys.CONTROL).perform()
    WebDriverWait(driver, TIMEOUT).until(lambda d: len(d.window_handles) == tabs + 1, 'no new tab opened')
    opened = driver.window_handles[-1]
    home = driver.current_window_handle
    driver.switch_to.window(opened)
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.current_url.endswith('/orders'), 'the new tab is not /orders')
    visible_text(driver, 'Orders')
    driver.close()
    driver.switch_to.window(home)
    assert driver.current_url.endswith('/customers')  # the page it was opened from stayed


def test_ctrl_k_searches_everything_and_enter_opens_the_first_hit(driver: WebDriver, base_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    open_customers(driver, base_url)
    make_customer(driver, 'quentin.keys@example.com', HOSTILE)
    make_customer(driver, 'quentin.other@example.com', LONG_HOSTILE)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys('k').key_up(Keys.CONTROL).perform()
    WebDriverWait(driver, TIMEOUT).until(lambda d: active(d, '.bo-global-search'), 'Ctrl-K did not focus the search')
    box = driver.switch_to.active_element
    box.send_keys('quentin.')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: any(HOSTILE in e.text for e in d.find_elements(By.CSS_SELECTOR, '.bo-search-hits a[href]')),
        'the customer is not among the hits',
    )
    kinds, titles = read_whole(  # the hits as one drawing of them shows them (the list redraws as the search answers)
        driver,
        lambda d: (
            [e.text for e in d.find_elements(By.CSS_SELECTOR, '.bo-search-hits a[href] .uppercase')],
            [e.get_attribute('textContent') for e in d.find_elements(By.CSS_SELECTOR, '.bo-search-hits .truncate')],
        ),
    )
    assert kinds[:2] == ['CUSTOMER', 'CUSTOMER']
    assert LONG_HOSTILE in titles  # the whole name, as text (ellipsized on screen)
    assert driver.execute_script('return window.__x') is None  # the names are text, not markup
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'global-search-1440.png'))
    assert driver.execute_script(MENU_FITS) == 'fits'
    box.send_keys('zzz')  # nothing found: the menu says what to try
    visible_text(driver, 'Nothing found.')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'global-search-nothing-1440.png'))
    assert driver.execute_script(MENU_FITS) == 'fits'
    set_viewport(driver, 390, 844)  # a phone: the menu opened again where the phone shows it
    box.send_keys(Keys.ESCAPE)
    WebDriverWait(driver, TIMEOUT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '.bo-search-hits'), 'open')
    box.send_keys(Keys.BACKSPACE)  # 'quentin.zz': still nothing
    visible_text(driver, 'Nothing found.')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'global-search-nothing-390.png'))
    assert driver.execute_script(MENU_FITS) == 'fits'  # the sentence wraps within the phone's width
    for _ in range(3):  # 'quentin.': the two customers again
        box.send_keys(Keys.BACKSPACE)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, '.bo-search-hits a[href]')) >= 2, 'the hits are not back'
    )
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'global-search-390.png'))
    assert driver.execute_script(MENU_FITS) == 'fits'  # the long name ellipsized, not pushing the menu wider
    set_viewport(driver, 1440, 900)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, TIMEOUT).until(lambda d: '/customers?open=' in d.current_url, 'Enter opened no record')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: field(d, 'Email *').get_attribute('value') == 'quentin.keys@example.com', 'the record is not open'
    )


def test_slash_focuses_the_list_search_and_enter_opens_a_focused_row(driver: WebDriver, base_url: str) -> None:
    open_customers(driver, base_url)
    make_customer(driver, 'rowan.tab@example.com', 'Rowan Tab')
    visible(driver, '.resource-table tbody tr[tabindex="0"]')
    driver.find_element(By.TAG_NAME, 'body').send_keys('/')
    WebDriverWait(driver, TIMEOUT).until(lambda d: active(d, '.bo-list-search'), '"/" did not focus the list search')
    driver.switch_to.active_element.send_keys('rowan.tab')  # typing "/" in a field types it: focus stays
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, '.resource-table tbody tr')) == 1, 'the search did not narrow'
    )
    tabs = 0
    while not active(driver, '.resource-table tbody tr') and tabs < 30:  # Tab through the controls to the row
        driver.switch_to.active_element.send_keys(Keys.TAB)
        tabs += 1
    assert active(driver, '.resource-table tbody tr'), 'Tab never reached a row'
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: field(d, 'Email *').get_attribute('value') == 'rowan.tab@example.com', 'Enter opened no record'
    )
