"""A real browser remembers that its person signed in (an HttpOnly cookie for the sign-in page only), and then gets in
with the right password even while sign-in from its address is locked; a new browser at that address waits."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import auth, db, known_browser

from ..support.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    sign_in,
    visible,
    visible_text,
    wait_for_path,
)

pytestmark = pytest.mark.browser
LOCKS = ('pair:127.0.0.1 admin@example.com', 'address:127.0.0.1')


def test_a_known_browser_gets_in_while_its_address_is_locked(
    driver: WebDriver, second_browser: WebDriver, server: RunningServer, base_url: str
) -> None:
    driver.get(f'{base_url}/login')
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')
    cookie = WebDriverWait(driver, TIMEOUT).until(lambda d: remembered(d), 'the browser is remembered')
    assert cookie['httpOnly'] and cookie['path'] == '/login' and cookie['sameSite'] == 'Lax'
    visible(driver, 'button[aria-label="Account"]').click()
    visible_text(driver, 'Log out').click()
    wait_for_path(driver, '/login')

    db.configure(server.database_url)  # someone at the same address fails on the admin's email and twenty others
    try:
        for _ in range(auth.ADDRESS_LIMIT):
            for key in LOCKS:
                auth.count_failure(key)

        second_browser.get(f'{base_url}/login')  # a browser the admin never signed in from waits
        sign_in(second_browser, ADMIN_EMAIL, ADMIN_PASSWORD)
        visible_text(second_browser, 'Too many failed sign-ins. Try again in')

        sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)  # the known one gets in
        wait_for_path(driver, '/')
        visible_text(driver, 'Welcome, Administrator')
    finally:
        for key in LOCKS:  # the other browser tests sign in from this address too
            auth.forget_failures(key)


def remembered(driver: WebDriver) -> dict | None:
    # the cookie is scoped to /login, so only the DevTools protocol sees it from another page
    cookies = driver.execute_cdp_cmd('Network.getAllCookies', {})['cookies']
    return next((cookie for cookie in cookies if cookie['name'] == known_browser.COOKIE), None)
