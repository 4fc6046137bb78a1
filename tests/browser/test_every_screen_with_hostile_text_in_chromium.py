"""Every declared screen in a real browser, as the admin sees it with hostile text stored everywhere, at a desktop's and
a phone's width: one walk, one page load a screen (Chromium's page loads are the browser tests' cost).

Every text a person can set holds quotes, a `:` prop, script tags, an onerror handler, a backtick and `{{ }}`
(support/markup.py `store_everywhere`, the same data as the page test test_hostile_text_on_every_screen.py). Each
signed-in screen, then an order's, a request's, a customer's and a company's page, is loaded fresh at 1440 px and
shows its title, every hostile text stored for it literally, and no script ran (`window.__pwned` stays undefined);
nothing overflows sideways, a screenshot is saved (tests/artifacts/screen-<path>-1440.png). The same page is then
narrowed to 390 px (`resize_and_settle`: the drawer gone, lists turned to cards, charts redrawn) and checked again
(title, no script, no overflow, screenshot -390.png; a card shows a record's main values, not every column, so the
texts are looked for at 1440 px). The dialogs and menus that list such names (the segment's delete dialog, the Views
menu, the canned replies menu) are opened on their page, widened again. The browser console and the server log must
stay free of errors (the `driver` and `server_logs_no_error` fixtures).

Why the fresh load is the desktop's: the server builds a page by the width the browser last reported (the `bo_width`
cookie, components/viewport.py), and only a resource list differs (on a phone its filters are built once the page is
connected, its phone sort at once; on a desktop the reverse). A fresh desktop load is the first build most people
get, the build the dialogs and menus are opened on, and the one where a list shows every column (table cells are
where stored text is most often templated). The phone's first build of every list is loaded fresh at 390 px by
test_phone_cards_in_chromium.py (cards, no table, no wider than the phone; `LIST_SCREENS` in support/browser.py),
and this walk fails if a screen shows a list that LIST_SCREENS does not name, so none escapes that fresh phone load.
A screen without a list is built alike at any width: narrowing it shows the phone's layout as a fresh load would."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import pages  # noqa: F401  (declares every screen)
from backoffice import db
from components.screens import SCREENS

from ..support.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ARTIFACTS,
    DESKTOP,
    LIST_SCREENS,
    PHONE,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    heading,
    next_load_at,
    no_horizontal_overflow,
    open_signed_in,
    resize_and_settle,
    says_its_width,
    set_viewport,
    settle,
    sign_in,
    visible,
    wait_for_path,
)
from ..support.factories import make_user
from ..support.markup import PWNED, hostile, store_everywhere

pytestmark = pytest.mark.browser

# a screen with a path parameter (/requests/{number}) is opened with the stored records' own pages
SIGNED_IN = sorted(path for path, declared in SCREENS.items() if not declared.public and '{' not in path)


def test_every_screen_at_1440_and_390_shows_hostile_text_literally(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: everything is stored through the services
    stored = store_everywhere(make_user('admin', name=hostile('Admin', 120)))
    set_viewport(driver, *DESKTOP)
    driver.get(f'{server.url}/login')
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')

    assert len(SIGNED_IN) > 10
    order_page, request_page = f'/orders/{stored.order_number}', f'/requests/{stored.ticket_number}'
    record_pages = [path for path in stored.screens if path.startswith(('/customers/', '/companies/'))]
    assert len(record_pages) == 2
    # the dialogs and menus that list such names, opened on their page while it is open (no second load of it)
    opened_there = {'/segments': segment_delete_dialog, '/customers': views_menu, request_page: canned_replies_menu}
    with_a_list = set()
    for path in [*SIGNED_IN, order_page, request_page, *record_pages]:
        if path != '/':  # signing in landed on the dashboard
            driver.get(f'{server.url}{path}')
            wait_for_path(driver, path)
        settle(driver)
        if path in SCREENS and driver.find_elements(By.CSS_SELECTOR, '.resource-table'):
            with_a_list.add(path)
        for width, height in (DESKTOP, PHONE):
            if width != DESKTOP[0]:
                resize_and_settle(driver, width, height)  # the drawer slid out, lists turned to cards, charts redrawn
            if path in SCREENS:
                assert heading(driver).text == SCREENS[path].title, f'{path} at {width} px'
            if width == DESKTOP[0]:  # a phone's card shows a record's main values, not every column the text is in
                for text in stored.screens.get(path, []):
                    shows_literally(driver, text, path)
            assert_no_script_ran(driver, f'{path} at {width} px')
            assert no_horizontal_overflow(driver), f'{path} overflows sideways at {width} px'
            name = path.strip('/').replace('/', '-') or 'home'
            driver.save_screenshot(str(ARTIFACTS / f'screen-{name}-{width}.png'))
        if path in opened_there:
            resize_and_settle(driver, *DESKTOP)  # as a desktop shows them
            opened_there.pop(path)(driver)
            says_its_width(driver, DESKTOP[0])  # the next screen loads as a desktop's: the page has said so
        else:  # the next screen loads as a desktop's, without laying this one out wide again first (Chromium's CPU)
            says_its_width(driver, PHONE[0])  # the page's own report is in: nothing overwrites the desktop's below
            next_load_at(driver, *DESKTOP)
    assert not opened_there, f'not on the walk: {list(opened_there)}'
    assert with_a_list == set(LIST_SCREENS), 'LIST_SCREENS (loaded fresh on a phone by the phone cards test) differs'


def segment_delete_dialog(driver: WebDriver) -> None:
    """/segments: the saved segment's delete button carries its name as a label, and its dialog names it."""
    name = hostile('Seg', 80)
    shows_literally(driver, name, '/segments')
    labelled = {
        b.get_attribute('aria-label'): b
        for b in driver.find_elements(By.CSS_SELECTOR, '[aria-label^="Delete segment"]')
    }
    assert f'Delete segment {name}' in labelled, f'no delete button labelled with the name among {list(labelled)}'
    button = labelled[f'Delete segment {name}']
    assert not driver.execute_script('return arguments[0].hasAttribute("title")', button)  # `:title` stayed text
    button.click()  # the dialog that names it
    shows_literally(driver, f'Delete the segment "{name}"?', 'the delete dialog')
    assert_no_script_ran(driver, 'the delete dialog')


def views_menu(driver: WebDriver) -> None:
    """/customers: the Views menu lists the saved view's name."""
    visible(driver, '.q-select').click()
    shows_literally(driver, hostile('View', 80), 'the Views menu')
    assert_no_script_ran(driver, 'the Views menu')


def canned_replies_menu(driver: WebDriver) -> None:
    """A request's page: the canned replies menu lists their titles."""
    shows_literally(driver, hostile('Subject', 200), 'the request page')
    driver.find_element(By.XPATH, '//label[.//*[normalize-space(text())="Canned reply"]]').click()
    shows_literally(driver, hostile('Canned', 120), 'the canned replies menu')
    assert_no_script_ran(driver, 'the canned replies menu')


def shows_literally(driver: WebDriver, text: str, where: str) -> None:
    """The text appears as typed (quotes, tags and braces included) in what the page shows, or in a field."""
    wanted = ' '.join(text.split())
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: wanted in ' '.join(d.execute_script(SHOWN).split()), f'{where} does not show {text!r} as text'
    )


SHOWN = (
    'return document.body.innerText + " " + [...document.querySelectorAll("input, textarea")]'
    '.map(e => e.value).join(" ")'
)


def assert_no_script_ran(driver: WebDriver, where: str) -> None:
    assert driver.execute_script(f'return typeof {PWNED}') == 'undefined', f'a stored payload ran on {where}'


def test_secondary_text_stays_readable_in_dark_mode(driver: WebDriver, base_url: str) -> None:
    def dark() -> bool:
        return 'body--dark' in driver.find_element(By.TAG_NAME, 'body').get_attribute('class')

    set_viewport(driver, *DESKTOP)
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
    from backoffice.db import session_scope
    from backoffice.services import api_keys

    db.configure(server.database_url)  # the browser's server database: the key is made through the service
    with session_scope() as session:
        api_keys.create_key(
            session=session,
            actor=make_user('admin'),
            name='Web shop with a long name',
            scopes=['requests:write', 'events:write', 'orders:write'],
        )
    set_viewport(driver, *PHONE)
    open_signed_in(driver, server.url, '/settings')
    settle(driver)
    assert 'Web shop with a long name' in driver.find_element('tag name', 'body').text
    driver.save_screenshot(str(ARTIFACTS / 'screen-settings-with-key-390.png'))
    assert no_horizontal_overflow(driver), '/settings overflows sideways at 390 px with an API key listed'
