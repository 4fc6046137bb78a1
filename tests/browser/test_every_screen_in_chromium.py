"""Every declared screen, as the admin sees it, at a phone's and a desktop's width: it renders without a console or
server error and nothing overflows the page sideways. Screenshots land in tests/artifacts/ to be looked at."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

import pages  # noqa: F401  (declares every screen)
from components.screens import SCREENS

from ..support.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ARTIFACTS,
    DESKTOP,
    TIMEOUT,
    WebDriverWait,
    heading,
    no_horizontal_overflow,
    open_signed_in,
    resize_and_settle,
    set_viewport,
    settle,
    sign_in,
    wait_for_path,
)

pytestmark = pytest.mark.browser

# a screen with a path parameter (/requests/{number}) is opened with real data by its own browser test
PHONE = (390, 844)
SIGNED_IN = sorted(path for path, declared in SCREENS.items() if not declared.public and '{' not in path)


def test_every_screen_at_390_and_1440(driver: WebDriver, base_url: str) -> None:
    """Each screen is opened on a phone (390 px), then the same page is turned into a desktop's window (1440 px) and
    back: one page load a screen, not two (Chromium's page loads are the browser tests' cost). A fresh desktop load of
    every screen, free of console and server errors, is test_hostile_text_in_chromium.py's walk (at 1440 px)."""
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, *PHONE)
    driver.get(f'{base_url}/login')
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')
    for path in SIGNED_IN:
        if path != '/':  # signing in landed on the dashboard
            driver.get(f'{base_url}{path}')
            wait_for_path(driver, path)
        assert heading(driver).text == SCREENS[path].title
        settle(driver)
        for width, height in (PHONE, DESKTOP):
            if width != PHONE[0]:
                resize_and_settle(driver, width, height)  # the drawer slid in, the charts redrawn to their boxes
                assert heading(driver).text == SCREENS[path].title
            assert no_horizontal_overflow(driver), f'{path} overflows sideways at {width} px'
            name = path.strip('/') or 'home'
            driver.save_screenshot(str(ARTIFACTS / f'screen-{name}-{width}.png'))
        set_viewport(driver, *PHONE)  # the next screen loads as a phone's: the page has said so (its width cookie)
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: f'bo_width={PHONE[0]}' in d.execute_script('return document.cookie'), 'the page says its width'
        )


def test_secondary_text_stays_readable_in_dark_mode(driver: WebDriver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    def dark() -> bool:
        return 'body--dark' in driver.find_element(By.TAG_NAME, 'body').get_attribute('class')

    set_viewport(driver, 1440, 900)
    open_signed_in(driver, base_url, '/system')  # grey secondary text and a tinted notice
    settle(driver)
    was_dark = dark()
    if not was_dark:
        driver.find_element(By.CSS_SELECTOR, '[aria-label="Dark mode"]').click()
        WebDriverWait(driver, 10).until(lambda _: dark())
    try:
        colors = driver.execute_script(
            "return [...document.querySelectorAll('.text-gray-500, .text-gray-600, .text-gray-700')]"
            '.map(e => getComputedStyle(e).color.match(/\\d+/g).slice(0, 3).map(Number))'
        )
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / 'screen-system-dark-1440.png'))
        assert colors, 'no secondary text found to check'
        # light enough on the dark background: every channel well above the middle grey of the light theme
        assert all(min(rgb) >= 150 for rgb in colors), colors
    finally:
        if not was_dark:  # the choice is remembered for the user: leave it as it was for the other tests
            driver.find_element(By.CSS_SELECTOR, '[aria-label="Dark mode"]').click()
            WebDriverWait(driver, 10).until(lambda _: not dark())


def test_settings_with_api_keys_fit_a_phone(driver: WebDriver, server) -> None:
    from backoffice import db
    from backoffice.db import session_scope
    from backoffice.services import api_keys

    from ..support.factories import make_user

    db.configure(server.database_url)  # the browser's server database: the key is made through the service
    with session_scope() as session:
        api_keys.create_key(
            session=session,
            actor=make_user('admin'),
            name='Web shop with a long name',
            scopes=['requests:write', 'events:write', 'orders:write'],
        )
    set_viewport(driver, 390, 844)
    open_signed_in(driver, server.url, '/settings')
    settle(driver)
    assert 'Web shop with a long name' in driver.find_element('tag name', 'body').text
    driver.save_screenshot(str(ARTIFACTS / 'screen-settings-with-key-390.png'))
    assert no_horizontal_overflow(driver), '/settings overflows sideways at 390 px with an API key listed'
