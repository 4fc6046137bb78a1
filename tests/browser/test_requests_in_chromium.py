"""The support desk in a real browser: a visitor writes through the public contact form while an agent's list is
open; the request appears there without a reload, opens, and shows what the customer wrote as text, not markup."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    field,
    footer_agrees,
    list_counts,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import submit_request

pytestmark = pytest.mark.browser

# a customer pastes a link: one word longer than a phone is wide, in the subject and the message (no sideways scroll)
LINK = 'https://shop.example.com/track?parcel=' + 'A1' * 40
WIDE_EMAIL = 'visitor.' + 'wide' * 14 + '@example.com'
SUBJECT = f'Parcel arrived damaged <img src=x onerror="window.__x=1"> {LINK}'


def test_a_contact_form_request_appears_live_and_shows_as_text(
    driver: WebDriver, second_browser: WebDriver, base_url: str, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    signed_in(driver, base_url, '/requests')
    visible_text(driver, 'Mine')  # the queues: the list is open

    second_browser.get(f'{base_url}/contact')  # an anonymous visitor
    field(second_browser, 'Your email').send_keys('visitor@example.com')
    field(second_browser, 'Subject').send_keys(SUBJECT)
    second_browser.find_element(By.XPATH, '//textarea').send_keys(
        f'The box was crushed. <script>window.__x=2</script> {LINK}'
    )
    button(second_browser, 'Send').click()
    visible_text(second_browser, 'number')  # "your request number is …"

    row = WebDriverWait(driver, TIMEOUT).until(  # no reload: the list got the new request
        lambda d: next(
            (r for r in d.find_elements(By.XPATH, '//tbody/tr') if 'Parcel arrived damaged' in r.text), None
        ),
        'the new request did not appear in the open list',
    )
    # the footer counts what the caption counts, live (it kept the count the table was drawn with: "1-0 of 0")
    WebDriverWait(driver, TIMEOUT).until(lambda d: footer_agrees(d, 'request'), 'the footer lags the live list')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-live-1440.png'))
    resize_and_settle(driver, 390, 844)  # the same page on a phone: the footer under the cards
    WebDriverWait(driver, TIMEOUT).until(lambda d: footer_agrees(d, 'request'), 'the footer lags under the cards')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-live-390.png'))
    resize_and_settle(driver, 1440, 900)
    field(driver, 'Search requests').send_keys('Parcel arrived damaged')  # a filter change: one request left
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: list_counts(d, 'request') == {'footer': [1, 1, 1], 'caption': 1, 'rows': 1},
        'the footer does not follow the search',
    )
    row = next(r for r in driver.find_elements(By.XPATH, '//tbody/tr') if 'Parcel arrived damaged' in r.text)
    row.find_elements(By.TAG_NAME, 'td')[2].click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: '/requests/' in d.current_url)
    visible_text(driver, 'The box was crushed.')
    assert driver.execute_script('return window.__x') is None  # shown as text: nothing ran
    assert driver.find_elements(By.XPATH, f"//*[contains(text(), '{SUBJECT[:30]}')]")

    request_url = driver.current_url
    db.configure(server.database_url)
    for n in range(6):  # a list longer than a phone's screen
        submit_request(f'Phone list {n}: "long" <script>window.__x=3</script>', email=f'phone.list{n}@example.com')
    # a caller whose address is wider than a phone's dropdown: its option scrolled the dropdown sideways
    submit_request('Wide "caller": <b>é</b>', email=WIDE_EMAIL, name=f'Visitor {WIDE_EMAIL}')
    for width, height in ((390, 844), (1440, 900)):  # each width loaded fresh, as a phone or a desktop would
        set_viewport(driver, width, height)
        for url, name, text in (
            (request_url, 'request', 'The box was crushed.'),
            (f'{base_url}/requests', 'requests', 'Mine'),
        ):
            driver.get(url)
            visible_text(driver, text)
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / f'{name}-{width}.png'))
            assert no_horizontal_overflow(driver), f'{name} overflows sideways at {width} px'
            if name == 'requests':
                # the queues show before the rows (cards on a phone) arrive: wait for the countdown to render
                WebDriverWait(driver, TIMEOUT).until(
                    sla_countdown_in_sight, f'the SLA countdown is out of sight at {width} px'
                )
                # a phone call logged: the caller picked by typing (part of) their email or name
                button(driver, 'New request').click()
                WebDriverWait(driver, TIMEOUT).until(
                    lambda d: next((e for e in d.find_elements(By.XPATH, IN_DIALOG) if e.is_displayed()), None),
                    'the form has no Customer field',
                ).send_keys('visitor')  # the form's, not the list's Customer filter behind it
                visible_text(driver, 'visitor@example.com')
                visible_text(driver, WIDE_EMAIL[:20])
                settle(driver)
                driver.save_screenshot(str(ARTIFACTS / f'requests-new-{width}.png'))
                assert no_horizontal_overflow(driver), f'the new request form overflows sideways at {width} px'
                # nor inside the dialog: its body scrolled sideways while the Customer dropdown was open
                assert driver.execute_script(SIDEWAYS_IN_DIALOG) == [], f'the form scrolls sideways at {width} px'
                button(driver, 'Cancel', topmost=True).click()
        if width == 390:  # ticking the first card shows what to do with it in the window, not 7 cards below
            driver.find_element(By.CSS_SELECTOR, '.bo-card .q-checkbox').click()
            WebDriverWait(driver, TIMEOUT).until(
                lambda d: d.execute_script(BULK_BAR_IN_SIGHT), 'ticking a card showed no bulk bar in the window'
            )
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / 'requests-selected-390.png'))
            assert driver.execute_script('return window.__x') is None


IN_DIALOG = '//div[contains(@class, "q-dialog")]//label[.//div[normalize-space(.)="Customer"]]//input'

# the dialog's elements and its dropdown's that scroll sideways (more content than width, and a scroll bar to show
# it), or a dropdown running past the window's edge
SIDEWAYS_IN_DIALOG = """
    return [...document.querySelectorAll('.q-dialog *, .q-menu, .q-menu *')].filter((el) => {
        const x = getComputedStyle(el).overflowX;
        const scrolls = (x === 'auto' || x === 'scroll') && el.scrollWidth > el.clientWidth + 1;
        const r = el.getBoundingClientRect();  // or runs past the window's edge, cut off
        return scrolls || (el.classList.contains('q-menu') && (r.left < 0 || r.right > window.innerWidth));
    }).map((el) => `${el.tagName}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
"""

BULK_BAR_IN_SIGHT = """
    const edit = [...document.querySelectorAll('button')].find((b) => b.textContent.includes('Edit a field'));
    if (!edit) return false;
    const r = edit.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
"""


def sla_countdown_in_sight(driver: WebDriver) -> bool:
    """The agents' headline: the 'SLA due' heading and a countdown ('in 23 h 59 min') shown within the window, in
    the table on a desktop or on each card on a phone."""
    return driver.execute_script(
        """
        const inside = (el) => { const r = el.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth; };
        const heading = [...document.querySelectorAll('th, .bo-card-label')]
            .find((el) => el.textContent.includes('SLA due'));
        const cell = [...document.querySelectorAll('tbody td, .bo-card-value')]
            .find((el) => /^(in|overdue) /.test(el.textContent.trim()));
        return Boolean(heading && inside(heading) && cell && inside(cell));
        """
    )


def test_an_overdue_due_time_is_still_red_with_the_constant_cell_template(
    driver: WebDriver, server: RunningServer
) -> None:
    """The 'due' cell's template no longer has the column name formatted in; the row's flag still colours it."""
    from datetime import timedelta

    from backoffice import db
    from backoffice.db import session_scope
    from backoffice.models import Ticket, utcnow
    from backoffice.services import tickets

    db.configure(server.database_url)
    with session_scope() as session:
        late = tickets.submit_request(session=session, email='late@example.com', subject='Overdue parcel', body='?')
        stored = session.get(Ticket, late.id)
        stored.sla_due_at = utcnow() - timedelta(hours=2)
        session.add(stored)
        session.commit()
    signed_in(driver, server.url, '/requests')
    # this request's own cell: the other browser files' late requests on the worker's database are red too
    own = '//tbody/tr[.//*[normalize-space(text())="Overdue parcel"]]//span[contains(@class, "text-red-8")]'
    cell = WebDriverWait(driver, TIMEOUT).until(
        lambda d: next((e for e in d.find_elements(By.XPATH, own) if e.is_displayed()), None),
        'the overdue request shows no red due time',
    )
    assert cell.text.startswith('overdue')
