"""Driving Debian's headless Chromium against a real `python main.py`: the server and browser set-up the browser
fixtures use, and the helpers tests use to find, type, click and wait as a person would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait as SeleniumWait

from .waiting import default_timeout

T = TypeVar('T')

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / 'tests' / 'artifacts'  # screenshots for a person to look at (git-ignored)
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
CHROMIUM_FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
)
ADMIN_EMAIL = 'admin@example.com'
ADMIN_PASSWORD = 'Browser-Test-Pass-9431'
STORAGE_SECRET = 'browser-tests-storage-secret-0123456789'
DESKTOP = (1440, 900)
PHONE = (390, 844)
# the screens that show a resource list (a ResourceTable): the only part of a page the server builds differently by the
# width the browser last reported (components/viewport.py). The walk of every screen
# (test_every_screen_with_hostile_text_in_chromium.py) loads each of them fresh at 390 px (the phone's first build:
# cards, no table, no wider than the phone) and widens it to 1440 px; it fails when a screen shows a list this does not
# name, or this names a screen that is not declared or shows none
LIST_SCREENS = (
    '/audit',
    '/canned-replies',
    '/carriers',
    '/categories',
    '/companies',
    '/content',
    '/customers',
    '/finance/bills',
    '/inventory',
    '/invoices',
    '/mailboxes',
    '/orders',
    '/payments',
    '/products',
    '/purchases',
    '/refunds',
    '/requests',
    '/returns',
    '/suppliers',
    '/users',
    '/webhooks',
)
TIMEOUT = default_timeout()  # seconds any browser wait allows (BACKOFFICE_TEST_TIMEOUT)


POLL_SECONDS = 0.1  # how often a wait looks again (Selenium's 0.5 s made every wait that did not pass at once slow)


class WebDriverWait(SeleniumWait):
    """Selenium's wait, which also tries again when the element it looked at was re-rendered meanwhile (a live
    list refreshing between finding a row and asking whether it is displayed), and looks again every 0.1 s."""

    def __init__(self, driver, timeout: float, poll_frequency: float = POLL_SECONDS, ignored_exceptions=None) -> None:
        ignored = (StaleElementReferenceException, *(ignored_exceptions or ()))
        super().__init__(driver, timeout, poll_frequency=poll_frequency, ignored_exceptions=ignored)


@dataclass(frozen=True)
class RunningServer:
    url: str
    log: Path
    database_url: str  # tests may put data there through the services (e.g. an order to open)


def launch_chromium() -> tuple[WebDriver, str]:
    profile = tempfile.mkdtemp(prefix='backoffice-chromium-')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={profile}')
    options.add_argument(f'--window-size={DESKTOP[0]},{DESKTOP[1]}')
    options.set_capability('goog:loggingPrefs', {'browser': 'SEVERE'})
    driver = PatientChrome(options=options, service=Service(CHROMEDRIVER))  # both paths given: no Selenium Manager
    # every element this browser finds (find_element, a wait's, a script's) clicks as a person does: waiting while a
    # dialog growing in, a menu or a toast passes over it (`PatientElement`); a raw `.click()` right after a dialog
    # opened failed on a loaded machine with "element click intercepted" by the dialog's own scrolling body
    driver._web_element_cls = PatientElement
    return driver, profile


def says_its_width(driver: WebDriver, width: int) -> None:
    """Wait until the open page has told the server its window's width (the cookie the next page request reads)."""
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: f'bo_width={width}' in d.execute_script('return document.cookie'), f'the page does not say {width} px'
    )


def set_viewport(driver: WebDriver, width: int, height: int) -> None:
    """Make the page's viewport (window.innerWidth × innerHeight) exactly this size, and write the width cookie as the
    open page's resize handler does 200 ms later (components/shell.py's WIDTH_JS): a test that loads the next page at
    once would otherwise send the old width, be served the other layout's first paint and click while the rest is
    built in (the audit entry test opened the wrong row at 1440 px that way)."""
    resized(driver, width, height)
    inner_width, inner_height = driver.execute_script('return [window.innerWidth, window.innerHeight]')
    if (inner_width, inner_height) != (width, height):
        resized(driver, 2 * width - inner_width, 2 * height - inner_height)
    driver.execute_script(SAY_WIDTH)


def resized(driver: WebDriver, width: int, height: int) -> None:
    """The window at this size, once the page has seen it (its resize event): read at once, a loaded machine's page
    still gave the old size, and a desktop turned into a phone was then asked to be -660 px wide ("'width' out of
    range"), or the width cookie said the old width."""
    if driver.get_window_size() == {'width': width, 'height': height}:
        return
    driver.execute_script(RESIZE_SEEN)
    driver.set_window_size(width, height)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script('return window.__boResized === true'), f'the page did not see {width}×{height}'
    )


RESIZE_SEEN = """
    window.__boResized = false;
    window.addEventListener('resize', () => { window.__boResized = true; }, {once: true});
"""


# what WIDTH_JS writes after a resize; about:blank and other pages without cookies refuse it, which is fine
SAY_WIDTH = """
    try {
        document.cookie = 'bo_width=' + Math.round(window.innerWidth) + '; path=/; max-age=31536000; samesite=lax';
    } catch (error) {}
"""


def resize_and_settle(driver: WebDriver, width: int, height: int) -> None:
    """Turn the open page's window to this size and wait until its layout is the one that width gives, as a fresh load
    at that width would lay it out: Quasar has seen the new width (it reads it debounced), no transition is running
    (the drawer sliding in or out), every chart has been redrawn to its box's new width (a chart resized with the
    window is first drawn at the window's width, before the drawer takes its place: wider than the page for a moment),
    and the page's width, the drawer's and the content's boxes read the same twice in a row."""
    set_viewport(driver, width, height)
    seen: list = [None]

    def laid_out(d: WebDriver) -> bool:
        now = d.execute_script(LAID_OUT, width)
        if now is None or now != seen[0]:
            seen[0] = now
            return False
        return True

    WebDriverWait(driver, TIMEOUT).until(laid_out, f'the page did not settle at {width}×{height}')


def phone_again(driver: WebDriver, width: int = 390, height: int = 844) -> None:
    """Before the next page load, after a page was turned wide: the window at a phone's size again, with the width
    cookie a shell page writes after a resize (components/shell.py's WIDTH_JS) saying so, so that the next page is
    served as a phone's (a list without its folded filters). The open page is left for about:blank first: narrowing it
    would lay it out (and redraw its charts) once more for nothing, ~0.2 s of CPU (tests/README.md)."""
    next_load_at(driver, width, height)


def next_load_at(driver: WebDriver, width: int, height: int) -> None:
    """Before the next page load: the window at this size, and the width cookie saying so as the open page would after a
    resize, without laying the open page out at that size first (it is left for about:blank)."""
    driver.add_cookie({'name': 'bo_width', 'value': str(width), 'path': '/', 'sameSite': 'Lax'})
    driver.get('about:blank')
    set_viewport(driver, width, height)


def first_load_at(driver: WebDriver, base_url: str, width: int, height: int) -> None:
    """Before the test's first load of the app (the `driver` fixture left the browser on about:blank with no cookie):
    the window at this size and the width cookie saying so, put in through DevTools (no page of the site needs to be
    open), so that the first page, signing in on the way included, is served as a browser of that width's would be,
    and no load is spent only to sign in (issue 12)."""
    driver.execute_cdp_cmd(
        'Network.setCookie', {'name': 'bo_width', 'value': str(width), 'path': '/', 'sameSite': 'Lax', 'url': base_url}
    )
    set_viewport(driver, width, height)


LAID_OUT = """
    const width = arguments[0];
    if (window.innerWidth !== width) return null;
    if (typeof mounted_app !== 'undefined' && mounted_app.$q.screen.width !== width) return null;
    if (document.fonts.status !== 'loaded') return null;
    const running = document.getAnimations().some(
        animation => animation.playState === 'running' && animation.effect?.getTiming().iterations !== Infinity
    );
    if (running) return null;
    const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(plot => plot.offsetParent);
    const stale = plots.some(plot => {
        const drawn = plot.querySelector('.main-svg');
        return drawn && Math.abs(drawn.getBoundingClientRect().width - plot.clientWidth) > 1;
    });
    if (stale) return null;
    const box = (element) => {
        if (!element) return null;
        const rect = element.getBoundingClientRect();
        return [Math.round(rect.left), Math.round(rect.right)];
    };
    return JSON.stringify([
        document.documentElement.scrollWidth,
        box(document.querySelector('aside.q-drawer')),
        box(document.querySelector('.q-page-container')),
    ]);
"""


def sign_in(driver: WebDriver, email: str, password: str) -> None:
    """Type into the sign-in form and press the button, as a person would."""
    visible(driver, 'input[type=email]').send_keys(email)
    visible(driver, 'input[type=password]').send_keys(password)
    driver.find_element(By.XPATH, '//button[normalize-space(.)="Log in"]').click()


def _through_the_form(driver: WebDriver, base_url: str, path: str, email: str, password: str) -> None:
    """The page at `path`, signed in on the way: asked for signed out, it sends to the sign-in page, which sends back
    to it (one page load less than signing in on the dashboard and then opening the page)."""
    driver.get(f'{base_url}{path}')
    sign_in(driver, email, password)
    wait_for_path(driver, urlparse(path).path)


SESSION_COOKIE = 'session'  # Starlette's signed cookie: the browser's id, which NiceGUI keys its user storage by
# the session cookie a real sign-in through the form gave a browser, by (that browser's WebDriver session, the server's
# address, the account): the server is one per worker session (tests/browser/conftest.py), and so is `chromium`
_SESSIONS: dict[tuple[str, str, str], dict] = {}


def signed_in(
    driver: WebDriver, base_url: str, path: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> None:
    """The page at `path` in a browser signed in as `email`, for a test whose point is not signing in (issue 12: one
    page load, not two). The first time in this browser on this server, through the sign-in form (`path` asked for
    signed out sends to the sign-in page, which sends back to it), keeping the session cookie that sign-in gave the
    browser; later (the `driver` fixture deletes every cookie before each test) that cookie is put back and `path`
    is loaded directly. It is the real session of a real sign-in, back in the browser it was given to: the server's
    storage for it holds the sign-in only (components/session.py's keys); no other cookie comes back (not the
    window's width, `bo_width`, nor the known-browser cookie). When the server sends to the sign-in page anyway
    (another test signed the account out everywhere, ended its sessions, changed its password, or signed this
    browser in as someone else, which empties the old session), the form signs in there and the new cookie is kept.
    Tests of signing in, sessions, two-factor and the sign-in page type the form themselves (`sign_in`)."""
    key = (driver.session_id or '', base_url, email)
    saved = _SESSIONS.pop(key, None)
    if saved is None:
        _through_the_form(driver, base_url, path, email, password)
    else:
        # put into the browser's cookie store for the site, from whatever page is open (about:blank): no page load
        driver.execute_cdp_cmd('Network.setCookie', {**saved, 'url': base_url})
        driver.get(f'{base_url}{path}')
        if urlparse(driver.current_url).path == '/login':  # the session was ended meanwhile
            sign_in(driver, email, password)
        wait_for_path(driver, urlparse(path).path)
    cookie = driver.get_cookie(SESSION_COOKIE)
    assert cookie is not None, 'signed in without a session cookie'
    _SESSIONS[key] = {
        'name': cookie['name'],
        'value': cookie['value'],
        'path': cookie.get('path', '/'),
        'httpOnly': cookie.get('httpOnly', False),
        'sameSite': cookie.get('sameSite', 'Lax'),
        **({'expires': cookie['expiry']} if 'expiry' in cookie else {}),
    }


def wait_for_path(driver: WebDriver, path: str) -> None:
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: urlparse(d.current_url).path == path, f'expected to arrive at {path}'
    )


def visible(driver: WebDriver, css: str) -> WebElement:
    def find(d: WebDriver) -> WebElement | None:
        return next((element for element in d.find_elements(By.CSS_SELECTOR, css) if element.is_displayed()), None)

    return WebDriverWait(driver, TIMEOUT).until(find, f'nothing visible matches {css}')


def visible_text(driver: WebDriver, text: str) -> WebElement:
    xpath = f'//*[text()[contains(normalize-space(.), "{text}")]]'

    def find(d: WebDriver) -> WebElement | None:
        return next((element for element in d.find_elements(By.XPATH, xpath) if element.is_displayed()), None)

    return WebDriverWait(driver, TIMEOUT).until(find, f'"{text}" is not visible')


def search_list(driver: WebDriver, text: str) -> None:
    """Type `text` into the open list's search: on a list other tests' rows share (one database per worker for the
    run), searching for what only one's own record holds (its email, its SKU) makes it certain to be on page one,
    whatever the other files added before."""
    replace_text(visible(driver, '.bo-list-search input'), text)


def heading(driver: WebDriver) -> WebElement:
    return visible(driver, '[role=heading][aria-level="1"]')


ON_SCREEN = """
    return [...document.querySelectorAll(arguments[0])].filter(
        element => element.checkVisibility({opacityProperty: true, visibilityProperty: true})
    );
"""


def on_screen(driver: WebDriver, css: str) -> list:
    """The elements on screen that match, asked in one script (Selenium's is_displayed is a round trip and a large
    script an element: 25 cards looked at every 0.1 s were a wait's CPU)."""
    return driver.execute_script(ON_SCREEN, css)


def cards(driver: WebDriver) -> list:
    """A list's cards on screen (a phone's rows; an empty list while the list is being redrawn)."""
    return on_screen(driver, '.bo-card')


def page_width(driver: WebDriver) -> int:
    return driver.execute_script('return document.scrollingElement.scrollWidth')


def drawer_box(driver: WebDriver) -> dict:
    return driver.execute_script(
        'const box = document.querySelector("aside.q-drawer").getBoundingClientRect();'
        'return {left: box.left, right: box.right, width: box.width};'
    )


def drawer_entry(driver: WebDriver, title: str) -> WebElement:
    return driver.find_element(By.XPATH, f'//aside[contains(@class, "q-drawer")]//*[normalize-space(text())="{title}"]')


def no_horizontal_overflow(driver: WebDriver) -> bool:
    return driver.execute_script('return document.documentElement.scrollWidth <= window.innerWidth')


LIST_COUNTS = r"""
    const table = document.querySelector('.resource-table');
    const bottom = table && table.querySelector('.q-table__bottom');
    const footer = (bottom?.innerText.match(/([\d,]+)–([\d,]+) of (?:about )?([\d,]+)/) || []).slice(1)
        .map(n => Number(n.replace(/,/g, '')));
    const caption = [...document.querySelectorAll('div')].map(d => d.textContent.trim())
        .find(t => new RegExp(`^[\\d,]+ ${arguments[0]}s?$`).test(t));
    const rows = [...(table?.querySelectorAll('tbody tr, .bo-card') || [])].filter(e => e.offsetParent !== null);
    return {footer, caption: caption ? Number(caption.split(' ')[0].replace(/,/g, '')) : null, rows: rows.length};
"""


def list_counts(driver: WebDriver, noun: str) -> dict:
    """What a list on its first page says of its size: the table's footer ([first, last, total] of '1–3 of 3'), the
    caption over it ('3 requests': 3) and how many rows (or a phone's cards) it shows."""
    return driver.execute_script(LIST_COUNTS, noun)


def footer_agrees(driver: WebDriver, noun: str) -> bool:
    """The footer says '1–<rows shown> of <the caption's count>' (it said '1-0 of 0' beside live rows)."""
    said = list_counts(driver, noun)
    return said['rows'] > 0 and said['footer'] == [1, said['rows'], said['caption']]


def settle(driver: WebDriver) -> None:
    """Before a screenshot: web fonts (icons) loaded, so icons show as icons and not as their names, and no
    transition that ends still running (a dialog fading in; a spinner's endless turn does not count)."""
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(SETTLED))


SETTLED = """
    return document.fonts.status === 'loaded' && document.getAnimations().every(
        animation => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity
    )
"""


def field(driver: WebDriver, label: str) -> WebElement:
    """The input of the visible Quasar field with this label."""
    xpath = (
        f'//label[contains(@class, "q-field")][.//div[contains(@class, "q-field__label")]'
        f'[normalize-space(.)="{label}"]]//input'
    )

    def find(d: WebDriver) -> WebElement | None:
        return next((e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed()), None)

    return WebDriverWait(driver, TIMEOUT).until(find, f'no visible field "{label}"')


class PatientElement(WebElement):
    """An element whose click waits while something passes over it (a dialog fading or growing in or out, a menu, a
    toast), as a person would wait, instead of failing with "element click intercepted". Every element the tests'
    browsers find is one (`launch_chromium`): a click that stays intercepted still fails, after TIMEOUT.

    An element found by `find_element` (the first that matches, on the page or in an element) is read as a person
    reads: when the page has redrawn it since (a live list refreshed, Plotly redrawing its axis, a dialog's content
    drawn again), its text, attributes, display, size, children and clicks are those of the first element matching
    now, instead of "stale element reference" (two clean CI runs failed on one such read each). Elements picked out
    of `find_elements` by position or content are not looked up again: a redraw may have changed which one that is."""

    refind: Callable[[], WebElement] | None = None  # the same element found again, once the page has redrawn it

    def click(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        element: WebElement = self
        while True:
            try:
                _still(element)
                return WebElement.click(element)
            except ElementClickInterceptedException as intercepted:
                if time.monotonic() > deadline:
                    raise
                if 'q-header' in str(intercepted.msg):  # under the fixed page header (a table's head after paging):
                    # a person scrolls it into sight; the header never moves away by itself
                    element.parent.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
                time.sleep(0.1)  # polling interval, not a correctness wait
            except StaleElementReferenceException:  # redrawn between being found and clicked (a list refreshed by
                # a live change): a person clicks the button now shown, with the same text at the same place
                if self.refind is None or time.monotonic() > deadline:
                    raise
                element = self.refind()

    def find_element(self, by: str | By = By.ID, value: str | None = None) -> WebElement:
        return _refindable(WebElement.find_element(self, by, value), lambda: self.find_element(by, value))

    def get_attribute(self, name: str) -> str | None:  # Selenium reads it (and display) with a script, not _execute
        return self._now(lambda: WebElement.get_attribute(self, name))

    def is_displayed(self) -> bool:
        return self._now(lambda: WebElement.is_displayed(self))

    def _execute(self, command, params=None):
        return self._now(lambda: WebElement._execute(self, command, params))

    def _now(self, read: Callable[[], T]) -> T:
        """`read()`, once more on the element shown now if the page redrew this one since it was found."""
        try:
            return read()
        except StaleElementReferenceException:
            if self.refind is None:
                raise
            try:
                self._id = self.refind().id
            except (NoSuchElementException, StaleElementReferenceException):
                raise StaleElementReferenceException('redrawn, and nothing matches it now') from None
            return read()


class PatientChrome(webdriver.Chrome):
    """Chromium whose `find_element` gives an element that finds itself again after a redraw (`PatientElement`)."""

    def find_element(self, by: str | By = By.ID, value: str | None = None) -> WebElement:
        return _refindable(super().find_element(by, value), lambda: self.find_element(by, value))


def _refindable(element: WebElement, again: Callable[[], WebElement]) -> WebElement:
    if isinstance(element, PatientElement):
        element.refind = again
    return element


def _still(element: WebElement) -> None:
    """Wait (a few seconds at most) until nothing around the element is moving: a dialog growing in moves its buttons,
    and ChromeDriver checks what is under the click's point before it sends the click, so a button that moved between
    the two took no click and raised nothing (the dashboard's Cancel, pressed as its dialog scaled in, on a loaded
    machine: the dialog stayed open). A person presses what stands still."""
    deadline = time.monotonic() + STILL_TIMEOUT
    while element.parent.execute_script(MOVING, element) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling interval, not a correctness wait


STILL_TIMEOUT = 5.0  # seconds: then the click goes anyway (an animation that never ends is not a reason to fail)
MOVING = """
    const element = arguments[0];
    return document.getAnimations().some(animation => animation.playState === 'running'
        && animation.effect?.getTiming().iterations !== Infinity
        && animation.effect?.target instanceof Element && animation.effect.target.contains(element));
"""


def button(driver: WebDriver, text: str, *, topmost: bool = False) -> WebElement:
    """The first visible, enabled button with this text; `topmost`: the last one, as a dialog opened over a form with a
    button of the same name has it (an action's confirmation says "Ban" over the record's own "Ban")."""
    xpath = f'//button[.//*[normalize-space(text())="{text}"]]'

    def find(d: WebDriver) -> WebElement | None:
        shown = [e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed() and e.is_enabled()]
        return (shown[-1] if topmost else shown[0]) if shown else None

    found = WebDriverWait(driver, TIMEOUT).until(find, f'no visible button "{text}"')
    found.__class__ = PatientElement  # already patient (`launch_chromium`); `refind` makes it survive a redraw
    found.refind = lambda: WebDriverWait(driver, TIMEOUT).until(find, f'no visible button "{text}"')
    return found


def read_whole(driver: WebDriver, read: Callable[[WebDriver], T]) -> T:
    """What `read(driver)` gives, read again from the start when the page redrew what it was reading meanwhile: a list
    read element by element (cells, hits, cards) is the list one drawing of the page showed, not a failure with "stale
    element reference" halfway (the dashboard's axis ticks, read one by one as Plotly redrew them, failed a CI run)."""
    return WebDriverWait(driver, TIMEOUT).until(lambda d: (read(d),), 'the page kept redrawing what was read')[0]


def patient(element: WebElement) -> WebElement:
    """The same element, with a click that waits while something passes over it (a dialog still growing in, its
    scrolling body over the field for a moment), as `button`'s: every element the tests' browsers find already is
    (`launch_chromium`); this says so where a test clicks right after a dialog opened."""
    element.__class__ = PatientElement
    return element


def replace_text(element: WebElement, text: str) -> None:
    element.send_keys(Keys.CONTROL, 'a')
    element.send_keys(text)


STARTUP_STUCK = 60.0  # seconds the starting server may use no CPU at all before it counts as stuck, not slow
STARTUP_LIMIT = 900.0  # seconds: even a start that keeps working ends here (a loop that never serves)


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    """Wait until the server answers /healthz, for as long as it is working its way there (using CPU): a fixed 90 s
    was too short for four fresh servers starting at once at load ~16 (the import and the first start's migrations
    took 22 + 14 s for one alone at load 15; every server printed its start lines after the tests had given up, and a
    session's failed `server` fixture fails every browser test of its worker). It fails at once when the process
    exits, and when it has used no CPU for STARTUP_STUCK seconds (waiting on something that does not come)."""
    started = time.monotonic()
    progress_at, cpu = started, _cpu_seconds(process.pid)
    problem = 'no answer'
    while True:
        if process.poll() is not None:
            problem = f'it exited with code {process.returncode}'
            break
        try:
            with urllib.request.urlopen(f'{url}/healthz', timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            problem = str(error)
        now, used = time.monotonic(), _cpu_seconds(process.pid)
        if used != cpu:
            progress_at, cpu = now, used
        elif now - progress_at > STARTUP_STUCK:
            problem = f'no 200 from /healthz and no CPU used for {STARTUP_STUCK:.0f} s (last: {problem})'
            break
        if now - started > STARTUP_LIMIT:
            problem = f'no 200 from /healthz within {STARTUP_LIMIT:.0f} s (last: {problem})'
            break
        time.sleep(0.1)  # polling interval, not a correctness wait
    output = log.read_text(errors='replace')
    print(f'--- server log ({log}) ---\n{output}', file=sys.stderr)
    pytest.fail(f'`python main.py` did not become ready: {problem}\n--- server log ---\n{output}', pytrace=False)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far; 0 when it is gone (the next poll sees it exit)."""
    try:
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')  # utime, stime: fields 14 and 15


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def open_customers(driver: WebDriver, base_url: str) -> None:
    """The customers list, signed in as the admin (`signed_in`)."""
    signed_in(driver, base_url, '/customers')
    visible_text(driver, 'The people who use the product')
