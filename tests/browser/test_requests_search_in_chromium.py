"""The Requests list's search box in a real browser: an agent types a customer's email (a quote and LIKE's wildcards
in it) and sees that customer's requests; at a desktop's width and on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import tickets

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    field,
    list_counts,
    no_horizontal_overflow,
    read_whole,
    resize_and_settle,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user, submit_request

pytestmark = pytest.mark.browser

EMAIL = "o'hara+%_browser@example.com"
NAME = 'Zoë "Z" O\'Hara: <img src=x onerror="window.__x=1">'


def test_an_agent_finds_a_customers_requests_by_their_email(
    driver: WebDriver, base_url: str, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    for subject in ('Search: parcel lost', 'Search: wrong size', 'Search: refund please'):
        submit_request(subject, email=EMAIL, name=NAME)
    submit_request('Search: someone else', email='someone.else@example.com', name='Someone Else')
    signed_in(driver, base_url, '/requests')
    visible_text(driver, 'Mine')
    field(driver, 'Search requests').send_keys(EMAIL)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: list_counts(d, 'request') == {'footer': [1, 3, 3], 'caption': 3, 'rows': 3},
        "the search did not find the customer's three requests",
    )
    rows = read_whole(driver, lambda d: [r.text for r in d.find_elements(By.XPATH, '//tbody/tr')])
    assert all('Search: someone else' not in row for row in rows)
    assert all(EMAIL in row for row in rows)  # the customer column names them by their email
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-search-customer-1440.png'))
    resize_and_settle(driver, 390, 844)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: list_counts(d, 'request')['rows'] == 3, 'the cards do not show the three requests'
    )
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-search-customer-390.png'))
    assert no_horizontal_overflow(driver)
    assert driver.execute_script('return window.__x') is None


def test_back_from_a_request_returns_to_the_queue_the_agent_was_working(
    driver: WebDriver, base_url: str, server: RunningServer
) -> None:
    """The queue is in the address (history.replaceState): Back from a request shows the Unassigned queue again, not
    every request."""
    db.configure(server.database_url)
    waiting = submit_request('Back: waiting for someone "<b>"', email='back.waiting@example.com')
    taken = submit_request('Back: taken already', email='back.taken@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=make_user('agent'), ticket_id=taken.id, version=taken.version)
    signed_in(driver, base_url, '/requests')
    visible_text(driver, 'Back: taken already')  # every request, to begin with
    driver.find_element(By.XPATH, '//button[.//*[normalize-space(text())="Unassigned"]]').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.current_url.endswith('/requests?queue=unassigned'))
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: 'Back: taken already' not in d.find_element(By.TAG_NAME, 'tbody').text, 'the queue did not apply'
    )
    visible_text(driver, 'Back: waiting for someone').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.current_url.endswith(f'/requests/{waiting.number}'))
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.title.startswith(f'#{waiting.number} Back: waiting'))
    driver.back()
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.current_url.endswith('/requests?queue=unassigned'))
    visible_text(driver, 'Back: waiting for someone')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: 'Back: taken already' not in d.find_element(By.TAG_NAME, 'tbody').text,
        'Back from the request showed every request, not the queue',
    )
