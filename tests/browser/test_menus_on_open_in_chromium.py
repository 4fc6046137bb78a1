"""The menus built on their first click (issue 20, first paint), opened in a real browser on /orders at 390 and 1440
px: each opens on the first click with its content, whole on screen, and opens again on a later click (screenshots in
tests/artifacts/). The header's account button keeps to its size with a 60-character hostile name (cut with an
ellipsis, whole in its tooltip), at 390, 768 and 1440 px."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlmodel import select

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import User
from backoffice.services import notifications

from ..support.browser import (
    ADMIN_EMAIL,
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__x=1">Parcel <b>lost</b>'
LONG_NAME = 'Maximiliana "Max" O\'Brien-Ruz: <script>window.__y=1</script>'  # 60 characters


def open_menu(driver: WebDriver) -> WebElement:
    """The menu on screen (Quasar's .q-menu), once its transition is over."""
    menu = visible(driver, '.q-menu')
    settle(driver)
    return menu


def inside_the_window(driver: WebDriver, element: WebElement) -> bool:
    return driver.execute_script(
        'const b = arguments[0].getBoundingClientRect();'
        'return b.left >= 0 && b.top >= 0 && b.right <= window.innerWidth + 1 && b.bottom <= window.innerHeight + 1'
        ' && b.width > 100;',
        element,
    )


def close_menu(driver: WebDriver) -> None:
    driver.find_element(By.TAG_NAME, 'body').send_keys(Keys.ESCAPE)
    WebDriverWait(driver, TIMEOUT).until(  # asked in the page: a closing menu leaves the DOM while Selenium looks
        lambda d: d.execute_script("return !document.querySelectorAll('.q-menu').length"), 'the menu closes'
    )


def named(name: str) -> str:
    """Give the first admin this name; returns the one they had."""
    with session_scope() as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        before, admin.name = admin.name, name
        session.commit()
    return before


def header_keeps_the_long_name_short(driver: WebDriver, width: int) -> None:
    """The account button at most ~a fifth of the header, its name (shown from 600 px) cut with an ellipsis, the whole
    name in its tooltip as text; nothing wider than the window."""
    button = visible(driver, 'button[aria-label="Account"]')
    box = driver.execute_script('return arguments[0].getBoundingClientRect().toJSON()', button)
    assert box['right'] <= width + 1 and box['width'] <= 260, box
    assert driver.execute_script('return document.documentElement.scrollWidth') <= width
    assert button.find_element(By.CSS_SELECTOR, '.q-avatar').text == 'MM'  # not 'M"' (the quote of "Max")
    label = button.find_elements(By.CSS_SELECTOR, '.ellipsis')
    if width >= 600:
        assert label and label[0].is_displayed()
        assert driver.execute_script('return arguments[0].scrollWidth > arguments[0].clientWidth', label[0])  # cut
    ActionChains(driver).move_to_element(button).perform()
    tooltip = visible(driver, '.q-tooltip')
    assert tooltip.text == LONG_NAME
    assert driver.execute_script('return window.__y') is None
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / f'menus-on-open-header-long-name-{width}.png'))
    ActionChains(driver).move_by_offset(0, 300).perform()  # the tooltip away


@pytest.mark.parametrize('width', [390, 1440])
def test_the_header_and_list_menus_open_on_the_first_click_with_their_content(
    driver: WebDriver, server: RunningServer, base_url: str, width: int
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    with session_scope() as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        notifications.notify(session, user_id=admin.id, text=HOSTILE)
        session.commit()
    set_viewport(driver, width, 844 if width == 390 else 900)
    signed_in(driver, base_url, '/orders')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, '[aria-label="Notifications"] .q-badge').is_displayed(),
        'the bell counts the unread notice once the page is served',
    )

    before = named(LONG_NAME)
    try:
        for seen in (width, 768) if width == 1440 else (width,):
            set_viewport(driver, seen, 844 if seen == 390 else 900)
            signed_in(driver, base_url, '/orders')
            header_keeps_the_long_name_short(driver, seen)
    finally:
        named(before)
    set_viewport(driver, width, 844 if width == 390 else 900)
    signed_in(driver, base_url, '/orders')

    visible(driver, 'button[aria-label="Account"]').click()
    menu = open_menu(driver)
    assert ADMIN_EMAIL in menu.text and 'Log out' in menu.text and 'Français' in menu.text
    assert inside_the_window(driver, menu)
    driver.save_screenshot(str(ARTIFACTS / f'menus-on-open-account-{width}.png'))
    close_menu(driver)
    visible(driver, 'button[aria-label="Account"]').click()  # a second opening: the menu's own, in the browser
    assert 'Log out' in open_menu(driver).text
    close_menu(driver)

    visible(driver, 'button[aria-label="Notifications"]').click()
    menu = open_menu(driver)
    assert 'Parcel <b>lost</b>' in menu.text and 'Mark all read' in menu.text  # the notice's text, as text
    assert driver.execute_script('return window.__x') is None
    assert inside_the_window(driver, menu)
    driver.save_screenshot(str(ARTIFACTS / f'menus-on-open-bell-{width}.png'))
    close_menu(driver)

    visible(driver, 'button[aria-label="Columns"]').click()
    menu = open_menu(driver)
    assert 'Columns shown' in menu.text
    assert inside_the_window(driver, menu)
    driver.save_screenshot(str(ARTIFACTS / f'menus-on-open-columns-{width}.png'))
    close_menu(driver)

    visible(driver, 'button[aria-label="Export"]').click()
    menu = open_menu(driver)
    assert 'Export to CSV' in menu.text
    assert inside_the_window(driver, menu)
    driver.save_screenshot(str(ARTIFACTS / f'menus-on-open-export-{width}.png'))
    close_menu(driver)

    if width == 390:
        visible_text(driver, 'Filters').click()  # folded away on a phone
    visible(driver, 'i[aria-label="Placed from"]').click()  # a day filter's calendar (its icon, not its input)
    calendar = visible(driver, '.q-date')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / f'menus-on-open-calendar-{width}.png'))
    assert inside_the_window(driver, calendar)
