"""A connection that drops for a few seconds (a busy server, a train tunnel) comes back to the same page: what the
agent was typing is still there and the page did not reload (NiceGUI keeps the page's client for reconnect_timeout)."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import TIMEOUT, WebDriverWait, field, open_customers

pytestmark = pytest.mark.browser


def test_a_dropped_connection_comes_back_without_a_reload_and_keeps_typed_text(
    driver: WebDriver, base_url: str
) -> None:
    open_customers(driver, base_url)
    search = field(driver, 'Search customers')
    search.send_keys('Zed "<b>": half-typed')
    driver.execute_script('window.__samePage = true; window.socket.disconnect();')
    time.sleep(4)  # longer than NiceGUI's default reconnect window (3 s), after which the page used to reload
    driver.execute_script('window.socket.connect();')
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script('return window.socket.connected'), 'no reconnect')
    time.sleep(1)  # a reload, if one were coming, starts right after the handshake
    assert driver.execute_script('return window.__samePage === true'), 'the page reloaded'
    assert field(driver, 'Search customers').get_attribute('value') == 'Zed "<b>": half-typed'
