"""Signing in with a real browser, and how the signed-in home page looks on a phone and on a desktop.

Screenshots land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import User
from backoffice.services import password_reset

from ..support.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ARTIFACTS,
    DESKTOP,
    PHONE,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    drawer_box,
    drawer_entry,
    heading,
    no_horizontal_overflow,
    read_whole,
    search_list,
    set_viewport,
    settle,
    sign_in,
    signed_in,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.factories import make_user
from ..support.invitations import mails_to, token_in

pytestmark = pytest.mark.browser


def test_anonymous_visitor_signs_in_and_returns_to_the_page_asked_for(driver: WebDriver, base_url: str) -> None:
    driver.get(f'{base_url}/users')
    wait_for_path(driver, '/login')
    assert parse_qs(urlparse(driver.current_url).query) == {'redirect_to': ['/users']}

    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)

    wait_for_path(driver, '/users')
    assert heading(driver).text == 'Staff users'
    search_list(driver, ADMIN_EMAIL)  # other files' staff may fill page one of the name-sorted list
    visible_text(driver, ADMIN_EMAIL)  # the admin's own account is listed


def test_home_page_on_a_phone_and_on_a_desktop(driver: WebDriver, base_url: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    set_viewport(driver, 390, 844)
    driver.get(f'{base_url}/')
    wait_for_path(driver, '/login')
    visible(driver, 'input[type=email]')
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'login-390.png'))

    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')
    assert heading(driver).text == 'Dashboard'
    visible_text(driver, 'Welcome, Administrator')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'home-390.png'))
    assert drawer_box(driver)['right'] <= 0, 'on a phone the navigation drawer starts closed'
    menu = visible(driver, 'button[aria-label="Menu"]')
    assert no_horizontal_overflow(driver), 'nothing is wider than a 390 px phone screen'

    menu.click()  # the menu button opens the drawer, which lists the admin's screens
    WebDriverWait(driver, TIMEOUT).until(lambda d: drawer_box(d)['left'] == 0, 'the drawer slides in')
    assert drawer_entry(driver, 'Staff users').is_displayed()
    driver.save_screenshot(str(ARTIFACTS / 'home-390-menu.png'))

    set_viewport(driver, 1440, 900)
    driver.get(f'{base_url}/')
    visible_text(driver, 'Welcome, Administrator')
    WebDriverWait(driver, TIMEOUT).until(lambda d: drawer_box(d)['left'] == 0, 'on a desktop the drawer is open')
    assert drawer_entry(driver, 'Staff users').is_displayed()
    assert not driver.find_element(By.CSS_SELECTOR, 'button[aria-label="Menu"]').is_displayed()
    assert no_horizontal_overflow(driver)
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'home-1440.png'))

    drawer_entry(driver, 'Staff users').click()
    wait_for_path(driver, '/users')
    WebDriverWait(driver, TIMEOUT).until(lambda d: heading(d).text == 'Staff users')
    search_list(driver, ADMIN_EMAIL)  # its own row on page one, whatever other files' staff sort before it
    visible_text(driver, ADMIN_EMAIL)
    assert no_horizontal_overflow(driver)
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'users-1440.png'))

    visible_text(driver, 'New user').click()  # the form offers to email an invitation, ticked
    visible_text(driver, 'Email an invitation to choose their own password')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'users-new-1440.png'))


def test_an_invitation_link_asks_the_newcomer_to_choose_their_password_on_a_phone_and_a_desktop(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the invitation is written through the service
    base_url = server.url
    admin = make_user('admin', name='Ada "<b>Admin</b>"')
    newcomer = make_user('agent', email='chromium.newcomer@example.com', name="Nia <i>O'Newton</i>")
    with session_scope() as session:
        password_reset.email_invitation(
            session, user=session.get(User, newcomer.id), admin=session.get(User, admin.id), base_url=base_url
        )
        session.commit()
    link = f'{base_url}/reset-password?token={token_in(mails_to(newcomer.email)[-1])}'
    for width, height in ((390, 844), (1440, 900)):
        set_viewport(driver, width, height)
        driver.get(link)
        visible_text(driver, 'Choose your password')
        visible_text(driver, newcomer.email)
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'invitation-{width}.png'))


@pytest.mark.browser
def test_logging_out_sends_the_other_browsers_open_page_to_sign_in(
    driver: WebDriver, second_browser: WebDriver, base_url: str
) -> None:
    for browser in (driver, second_browser):
        browser.get(f'{base_url}/users')
        sign_in(browser, ADMIN_EMAIL, ADMIN_PASSWORD)
        wait_for_path(browser, '/users')
        visible_text(browser, 'Staff users')

    visible(driver, 'button[aria-label="Account"]').click()
    visible_text(driver, 'Log out').click()
    wait_for_path(driver, '/login')
    wait_for_path(second_browser, '/login')  # no reload: the open page was told its session ended
    visible(second_browser, 'input[type=password]')


REDRAW = 'arguments[0].replaceWith(arguments[0].cloneNode(true));'  # the element drawn again, as Vue or Plotly does


def test_an_element_read_after_the_page_redrew_it_is_read_as_shown_now(driver: WebDriver, base_url: str) -> None:
    """The tests' own browser (tests/support/browser.py): elements found on the sign-in page, then drawn again by the
    page (as Vue redraws a live list, Plotly an axis, a dialog its content), are read, looked into and typed into as the
    ones shown now, not failed with "stale element reference" (CI runs failed so)."""
    driver.get(f'{base_url}/login')
    visible(driver, 'input[type=email]')  # the page has drawn its form
    email = driver.find_element(By.CSS_SELECTOR, 'input[type=email]')
    pressed = driver.find_element(By.XPATH, '//button[normalize-space(.)="Log in"]')
    label = pressed.find_element(By.XPATH, './/*[normalize-space(text())="Log in"]')
    for element in (email, pressed):
        driver.execute_script(REDRAW, element)
    assert pressed.text == 'Log in' and label.text == 'Log in'  # the label found again inside the button shown now
    assert pressed.is_displayed() and email.get_attribute('type') == 'email'
    email.send_keys(ADMIN_EMAIL)
    assert driver.execute_script('return document.querySelector("input[type=email]").value') == ADMIN_EMAIL

    redrawn: list[bool] = []

    def kinds_of_fields(d: WebDriver) -> list[str | None]:
        fields = d.find_elements(By.CSS_SELECTOR, 'input[type=email], input[type=password]')
        if not redrawn:  # the page draws the form again halfway through the first read
            redrawn.append(True)
            d.execute_script(REDRAW, fields[0])
        return [field.get_attribute('type') for field in fields]

    assert read_whole(driver, kinds_of_fields) == ['email', 'password']  # a list read as one drawing shows it


# The browser's events to the server held from the page's first moment until `__boSend()`, then sent at once, the last
# first: as a page narrowed before its connection was up sent them (each event waits for it on its own 10-ms timer, so
# Quasar's "close" of the drawer could leave before its "open" of a page loaded wide), and as a loaded server
# (PostgreSQL, right after a load) answered "open, close" with "closed" only, what the browser held already
HOLD_EVENTS = """
(() => {
    const send = WebSocket.prototype.send;
    window.__boHeld = [];
    window.__boSend = () => {
        const held = window.__boHeld;
        window.__boHeld = null;
        held.reverse().forEach(([socket, data]) => send.call(socket, data));
    };
    WebSocket.prototype.send = function (data) {
        if (window.__boHeld && typeof data === 'string' && data.startsWith('42["event"')) {
            window.__boHeld.push([this, data]);
        } else {
            send.call(this, data);
        }
    };
})();
"""

DRAWER_CLOSED = """
const backdrop = document.querySelector('.q-drawer__backdrop');
const hit = document.elementFromPoint(300, 400);
return document.querySelector('aside.q-drawer').getBoundingClientRect().right <= 0
    && (!backdrop || backdrop.classList.contains('hidden'))
    && !!hit && !hit.closest('.q-drawer__backdrop, aside.q-drawer');
"""


def test_a_page_narrowed_as_it_loads_closes_its_drawer_and_takes_taps(driver: WebDriver, base_url: str) -> None:
    """A tablet turned from landscape to portrait right after a page loaded: the drawer, open beside the page, slides
    away and the page takes taps again. It stayed open over the page, its invisible backdrop taking every tap, once
    in 20 loads on PostgreSQL, when the server answered the drawer's "open, close" with "closed" (or got them the
    other way round): its open/closed state now lives in the browser alone (components/shell.py)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    signed_in(driver, base_url, '/account/security')
    hold = driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': HOLD_EVENTS})['identifier']
    try:
        driver.get(f'{base_url}/account/security')
        WebDriverWait(driver, TIMEOUT).until(lambda d: drawer_box(d)['left'] == 0, 'on a desktop the drawer is open')
        visible_text(driver, 'This browser')
        set_viewport(driver, *PHONE)
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: d.execute_script(DRAWER_CLOSED) or d.execute_script('return window.__boHeld.length') >= 2
        )
        driver.execute_script('window.__boSend()')
    finally:
        driver.execute_cdp_cmd('Page.removeScriptToEvaluateOnNewDocument', {'identifier': hold})
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(DRAWER_CLOSED), 'the drawer stays over the page')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'drawer-narrowed-390.png'))

    visible(driver, 'button[aria-label="Menu"]').click()  # the menu button still opens it, a tap beside it closes it
    WebDriverWait(driver, TIMEOUT).until(lambda d: drawer_box(d)['left'] == 0, 'the drawer slides in')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'drawer-open-390.png'))
    backdrop = driver.find_element(
        By.CSS_SELECTOR, '.q-drawer__backdrop'
    )  # the whole window: tapped right of the drawer
    ActionChains(driver).move_to_element_with_offset(backdrop, 140, 0).click().perform()
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(DRAWER_CLOSED), 'a tap beside it closes it')

    set_viewport(driver, *DESKTOP)  # widened again, the drawer beside the page; narrowed, gone
    WebDriverWait(driver, TIMEOUT).until(lambda d: drawer_box(d)['left'] == 0, 'on a desktop the drawer is open')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'drawer-open-1440.png'))
    set_viewport(driver, *PHONE)
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(DRAWER_CLOSED), 'narrowed, the drawer goes')
