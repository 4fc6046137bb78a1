"""Tailwind's classes come from the prebuilt stylesheet (components/prebuilt_tailwind.py), not NiceGUI's runtime: the
committed stylesheet is the one the sources make, and a page's responsive and dark classes take effect with it."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from components import prebuilt_tailwind

from ..support.browser import first_load_at, resize_and_settle, settle, signed_in

pytestmark = pytest.mark.browser


def test_the_committed_stylesheet_has_every_class_of_the_sources(chromium: WebDriver) -> None:
    built = prebuilt_tailwind.build(chromium)  # the worker's Chromium, not a second one (issue 12)
    assert built == prebuilt_tailwind.STYLESHEET.read_text(encoding='utf-8'), (
        'components/tailwind.css is stale: run `make tailwind-css` and commit it'
    )


def test_the_menu_button_shows_on_a_phone_only_and_no_runtime_is_loaded(driver: WebDriver, base_url: str) -> None:
    first_load_at(driver, base_url, 390, 844)  # signing in loads /orders on a phone: not the dashboard first (issue 12)
    signed_in(driver, base_url, '/orders')
    shown = {}
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the same page turned wide (issue 12)
            resize_and_settle(driver, width, height)
        settle(driver)
        menu = driver.find_element(By.CSS_SELECTOR, 'header button[aria-label="Menu"]')
        shown[width] = menu.is_displayed()  # `lg:hidden`: hidden from 1024 px
    assert shown == {390: True, 1440: False}
    scripts = [s.get_attribute('src') or '' for s in driver.find_elements(By.TAG_NAME, 'script')]
    assert not any('tailwindcss' in src for src in scripts)
