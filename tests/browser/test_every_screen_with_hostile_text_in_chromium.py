"""Every declared screen in a real browser, as the admin sees it with hostile text stored everywhere, at a desktop's and
a phone's width: one walk, one page load a screen (Chromium's page loads are the browser tests' cost).

Every text a person can set holds quotes, a `:` prop, script tags, an onerror handler, a backtick and `{{ }}`
(support/markup.py `store_everywhere`, the same data as the page test test_hostile_text_on_every_screen.py). Each
signed-in screen, an order's, a request's, a customer's and a company's page, is loaded once and looked at at both
widths (lists and other screens taken in turn, so each is loaded at the width the one before was left at). At
1440 px it shows its title, every hostile text stored for it literally (table cells included), and no script ran
(`window.__pwned` stays undefined); nothing overflows sideways; a screenshot is saved
(tests/artifacts/screen-<path>-1440.png). At 390 px: title, no script, no overflow, screenshot -390.png (a card shows a
record's main values, not every column, so the texts are looked for at 1440 px). A screen with a resource list
(`LIST_SCREENS`, support/browser.py) is loaded fresh at 390 px and then widened to 1440 px (`resize_and_settle`: the
drawer in, cards turned to the table); every other screen is loaded fresh at 1440 px and then narrowed. The dialogs and
menus that list such names (the segment's delete dialog, the Views menu, the canned replies menu) are opened on their
page at 1440 px. The browser console and the server log must stay free of errors (the `driver` and
`server_logs_no_error` fixtures).

Why a list is loaded on a phone first: the server builds a page by the width the browser last reported (the `bo_width`
cookie, components/viewport.py), and only a resource list differs (on a phone its filters are built once the page is
connected and its phone sort with the page; on a desktop the reverse). So the phone's first build of every list is
this walk's fresh load, checked as a phone shows it: its records as cards (or its empty state), no `<table>`, no wider
than the phone. Widened, the same page shows the desktop's layout of the same rows (every column, so every table cell
a stored text is in) and the filters the phone built once connected. This walk fails when a screen shows a list that
LIST_SCREENS does not name (it would be loaded as a desktop's) and when LIST_SCREENS names a screen that is not
declared or shows none. A screen without a list is built alike at any width: it is loaded as a desktop's (the first
build most people get), and narrowing it shows the phone's layout as a fresh load would.

What a list loses here is its fresh desktop build (the filters built with the page, the phone sort after it, the table
painted first rather than turned from cards). Other Chromium files load lists fresh on a desktop:
test_audit_entry_in_chromium.py (/audit at 1440 px, an entry opened from its table), test_requests_in_chromium.py
(/requests at 1440 px, its SLA countdown in sight), test_customers_in_chromium.py (the customers list in two
browsers)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import pages  # noqa: F401  (declares every screen)
from backoffice import db
from components.screens import SCREENS

from ..support.browser import (
    ARTIFACTS,
    DESKTOP,
    LIST_SCREENS,
    PHONE,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    cards,
    heading,
    next_load_at,
    no_horizontal_overflow,
    on_screen,
    page_width,
    resize_and_settle,
    says_its_width,
    search_list,
    set_viewport,
    settle,
    signed_in,
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
    signed_in(driver, server.url, '/')

    assert len(SIGNED_IN) > 10
    order_page, request_page = f'/orders/{stored.order_number}', f'/requests/{stored.ticket_number}'
    record_pages = [path for path in stored.screens if path.startswith(('/customers/', '/companies/'))]
    assert len(record_pages) == 2
    # the dialogs and menus that list such names, opened on their page at 1440 px while it is open (no second load)
    opened_there = {'/segments': segment_dialogs, '/customers': views_menu, request_page: canned_replies_menu}
    undeclared = set(LIST_SCREENS) - set(SIGNED_IN)
    assert not undeclared, f'LIST_SCREENS names screens that are not declared (or not signed-in screens): {undeclared}'
    with_a_list = set()
    shown_at = DESKTOP[0]  # the open page's width: signing in landed on the dashboard at 1440 px
    walk = [*SIGNED_IN, order_page, request_page, *record_pages]
    assert walk[0] == '/', 'the dashboard, where signing in landed, comes first (a desktop screen, at 1440 px)'
    while walk:
        # next, a screen whose first width is the open page's: a list after a screen left at 390 px, another screen
        # after a list left at 1440 px, so that no load is spent on about:blank to change the width (issue 12: 30
        # such changes in the sorted walk, 2 in this one)
        path = next((path for path in walk if first_width(path) == shown_at), walk[0])
        walk.remove(path)
        # a list's first build is the phone's (its fresh load at 390 px), any other screen's the desktop's
        first, then = (PHONE, DESKTOP) if path in LIST_SCREENS else (DESKTOP, PHONE)
        if path != '/':  # signing in landed on the dashboard
            if shown_at != first[0]:  # the cookie and the window at the first width (the open page is not laid out)
                next_load_at(driver, *first)
            driver.get(f'{server.url}{path}')
            wait_for_path(driver, path)
        settle(driver)
        if path in SCREENS and driver.find_elements(By.CSS_SELECTOR, '.resource-table'):
            with_a_list.add(path)
        for width, height in (first, then):
            if (width, height) != first:
                resize_and_settle(driver, width, height)  # the drawer in or out, cards or table, charts redrawn
            elif width == PHONE[0] and path in with_a_list:
                phones_first_build_of_a_list(driver, path)
            if path in SCREENS:
                assert heading(driver).text == SCREENS[path].title, f'{path} at {width} px'
            if width == DESKTOP[0]:  # a phone's card shows a record's main values, not every column the text is in
                if path in stored.searches:  # its own row on page one, whatever other files' rows sort before it
                    search_list(driver, stored.searches[path])
                for text in stored.screens.get(path, []):
                    shows_literally(driver, text, path)
            assert_no_script_ran(driver, f'{path} at {width} px')
            assert no_horizontal_overflow(driver), f'{path} overflows sideways at {width} px'
            name = path.strip('/').replace('/', '-') or 'home'
            driver.save_screenshot(str(ARTIFACTS / f'screen-{name}-{width}.png'))
            if path == '/segments' and width == PHONE[0]:
                segment_members_on_a_phone(driver)
        shown_at = then[0]
        if path in opened_there:
            if shown_at != DESKTOP[0]:
                resize_and_settle(driver, *DESKTOP)  # as a desktop shows them
                shown_at = DESKTOP[0]
            opened_there.pop(path)(driver)
        # the page's own report of its width is in before the next load: nothing overwrites next_load_at's cookie
        says_its_width(driver, shown_at)
    assert not opened_there, f'not on the walk: {list(opened_there)}'
    unnamed, without = with_a_list - set(LIST_SCREENS), set(LIST_SCREENS) - with_a_list
    assert not unnamed, f'screens show a list that LIST_SCREENS does not name (not loaded on a phone first): {unnamed}'
    assert not without, f'LIST_SCREENS names screens that show no list: {without}'


def first_width(path: str) -> int:
    """The width a screen is loaded at first on the walk: a list's first build is the phone's, any other's the
    desktop's."""
    return PHONE[0] if path in LIST_SCREENS else DESKTOP[0]


def phones_first_build_of_a_list(driver: WebDriver, path: str) -> None:
    """A list loaded fresh on a phone: its records as cards, or its empty state ("There are no … yet."), no table, and
    nothing wider than the phone."""
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: cards(d) or d.find_elements(By.XPATH, '//*[contains(normalize-space(text()), " yet.")]'),
        f'{path} shows neither cards nor its empty state at {PHONE[0]} px',
    )
    settle(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, '.resource-table table'), f'{path} shows a table on a phone'
    assert page_width(driver) <= PHONE[0], f'{path} is {page_width(driver)} px wide on a {PHONE[0]} px phone'


def segment_members_on_a_phone(driver: WebDriver) -> None:
    """/segments at 390 px: the saved segment's members (a hostile name among them) fit the dialog as a list, no
    sideways scroll (the email, name, consent and last-seen columns were wider than the phone, then broke names letter
    by letter; a long segment name pushed the Close button out); the dialog closes again."""
    name = hostile('Seg', 80)
    driver.execute_script(
        'const card = [...document.querySelectorAll(".q-card")].find(c => c.innerText.includes(arguments[0]));'
        'card.querySelector(".text-sm").click()',
        ' '.join(name.split()),
    )
    members = visible(driver, '.q-dialog .q-list')  # a phone: one entry a customer (columns broke names letter-wise)
    settle(driver)
    assert not on_screen(driver, '.q-dialog .q-table__middle'), 'the four-column table shows on a phone'
    shows_literally(driver, hostile('Mallory', 120), 'the members dialog')
    for box, what in ((members, 'the members list'), (visible(driver, '.q-dialog .q-card'), 'the members dialog')):
        width, room = driver.execute_script('return [arguments[0].scrollWidth, arguments[0].clientWidth]', box)
        assert width <= room, f'{what} scrolls sideways on a phone ({width} px in {room} px)'
    driver.save_screenshot(str(ARTIFACTS / 'segment-members-390.png'))
    search_members(driver, 390)
    visible(driver, '.q-dialog [aria-label="Close"]').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: not on_screen(d, '.q-dialog'), 'the members dialog stays open')


def search_members(driver: WebDriver, width: int) -> None:
    """The members dialog's search (a segment of 3,000 could not be checked): text typed is searched as text, the
    dialog says no member matches it, in its words, and how many of how many it shows; nothing wider than the dialog."""
    typed = 'Nobody "q": <script>window.__pwned=1</script>'
    search = visible(driver, '.q-dialog input[placeholder="Search by name or email"]')
    search.send_keys(typed)
    shows_literally(driver, f'No customer of this segment matches “{typed}”.', 'the members search')
    shows_literally(driver, '0 of 0', 'the members count')
    assert_no_script_ran(driver, 'the members search')
    settle(driver)
    card = visible(driver, '.q-dialog .q-card')
    scrolled, room = driver.execute_script('return [arguments[0].scrollWidth, arguments[0].clientWidth]', card)
    assert scrolled <= room, f'the members dialog scrolls sideways at {width} px ({scrolled} px in {room} px)'
    driver.save_screenshot(str(ARTIFACTS / f'segment-members-search-{width}.png'))


def segment_dialogs(driver: WebDriver) -> None:
    """/segments at 1440 px: the saved segment's members in their table, searched, then its delete dialog."""
    name = hostile('Seg', 80)
    driver.execute_script(
        'const card = [...document.querySelectorAll(".q-card")].find(c => c.innerText.includes(arguments[0]));'
        'card.querySelector(".text-sm").click()',
        ' '.join(name.split()),
    )
    visible(driver, '.q-dialog .q-table__middle')  # a desktop: the four columns
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'segment-members-1440.png'))
    search_members(driver, 1440)
    visible(driver, '.q-dialog [aria-label="Close"]').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: not on_screen(d, '.q-dialog'), 'the members dialog stays open')
    segment_edit(driver)
    segment_delete_dialog(driver)


def segment_edit(driver: WebDriver) -> None:
    """/segments: the saved segment's pencil (its name as a label) opens it in the builder, headed with its name as
    text, at 1440 px and on a phone; nothing wider than the page; Stop editing frees the builder again."""
    name = hostile('Seg', 80)
    labelled = {
        b.get_attribute('aria-label'): b for b in driver.find_elements(By.CSS_SELECTOR, '[aria-label^="Edit segment"]')
    }
    assert f'Edit segment {name}' in labelled, f'no edit button labelled with the name among {list(labelled)}'
    labelled[f'Edit segment {name}'].click()
    shows_literally(driver, f'Edit segment “{name}”', 'the builder editing a segment')
    assert not on_screen(driver, '.q-dialog'), 'the pencil opened the members too'
    assert_no_script_ran(driver, 'the builder editing a segment')
    for width, height in (DESKTOP, PHONE):
        resize_and_settle(driver, width, height)
        driver.execute_script(
            '[...document.querySelectorAll(".q-card")].find(c => c.innerText.includes("Stop editing"))'
            '.scrollIntoView({block: "start"})'
        )
        settle(driver)
        assert no_horizontal_overflow(driver), f'/segments editing a segment overflows sideways at {width} px'
        driver.save_screenshot(str(ARTIFACTS / f'segment-edit-{width}.png'))
    resize_and_settle(driver, *DESKTOP)
    next(b for b in driver.find_elements(By.CSS_SELECTOR, '.q-btn') if b.text.strip() == 'Stop editing').click()
    shows_literally(driver, 'Build a segment', 'the builder once editing stopped')


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
    shows_literally(driver, f'Delete the segment “{name}”?', 'the delete dialog')
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
    signed_in(driver, base_url, '/system')  # grey secondary text and a tinted notice
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
    signed_in(driver, server.url, '/settings')
    settle(driver)
    assert 'Web shop with a long name' in driver.find_element('tag name', 'body').text
    driver.save_screenshot(str(ARTIFACTS / 'screen-settings-with-key-390.png'))
    assert no_horizontal_overflow(driver), '/settings overflows sideways at 390 px with an API key listed'
