"""A mistyped address shows "Page not found" with a link home, at phone and desktop width, and the link works."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    heading,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    wait_for_path,
)

pytestmark = pytest.mark.browser


def test_a_mistyped_address_offers_the_way_home(driver: WebDriver, base_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    signed_in(driver, base_url, '/')
    for width, height in ((390, 844), (1440, 900)):
        set_viewport(driver, width, height)
        driver.get(f'{base_url}/custmers')
        assert heading(driver).text == 'Page not found'
        assert 'HTTPException' not in driver.page_source
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'not-found-{width}.png'))
        # the console reports the page's own 404 status, which is the point; nothing else may be there
        logged = [entry['message'] for entry in driver.get_log('browser') if entry['level'] == 'SEVERE']
        assert all('/custmers - Failed to load resource' in m and '404' in m for m in logged), logged
    driver.find_element(By.LINK_TEXT, 'Go to the dashboard').click()
    wait_for_path(driver, '/')
