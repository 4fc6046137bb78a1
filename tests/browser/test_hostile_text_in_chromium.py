"""Stored XSS, in a real browser: every text a person can set holds quotes, a `:` prop, script tags, an onerror
handler, a backtick and `{{ }}`; the admin opens every screen (lists, detail pages, the dialogs that list such
names) and no script runs — `window.__pwned` stays undefined — while each text is shown literally."""

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
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    open_signed_in,
    settle,
    sign_in,
    visible,
    wait_for_path,
)
from ..support.factories import make_user
from ..support.markup import PWNED, hostile, store_everywhere

pytestmark = pytest.mark.browser

SIGNED_IN = sorted(path for path, declared in SCREENS.items() if not declared.public and '{' not in path)


def test_no_script_runs_on_any_screen_that_shows_hostile_text(driver: WebDriver, server: RunningServer) -> None:
    db.configure(server.database_url)  # the browser's server database: everything is stored through the services
    stored = store_everywhere(make_user('admin', name=hostile('Admin', 120)))
    driver.get(f'{server.url}/login')
    sign_in(driver, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_for_path(driver, '/')

    assert len(SIGNED_IN) > 10
    order_page, request_page = f'/orders/{stored.order_number}', f'/requests/{stored.ticket_number}'
    record_pages = [path for path in stored.screens if path.startswith(('/customers/', '/companies/'))]
    assert len(record_pages) == 2
    # the dialogs and menus that list such names, opened on their page while it is open (no second load of it)
    opened_there = {'/segments': segment_delete_dialog, '/customers': views_menu, request_page: canned_replies_menu}
    for path in [*SIGNED_IN, order_page, request_page, *record_pages]:
        if path != '/':  # signing in landed on the dashboard
            driver.get(f'{server.url}{path}')
            wait_for_path(driver, path)
        settle(driver)
        for text in stored.screens.get(path, []):
            shows_literally(driver, text, path)
        assert_no_script_ran(driver, path)
        if path in opened_there:
            opened_there.pop(path)(driver)
    assert not opened_there, f'not on the walk: {list(opened_there)}'


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


def test_an_overdue_due_time_is_still_red_with_the_constant_cell_template(
    driver: WebDriver, server: RunningServer
) -> None:
    """The 'due' cell's template no longer has the column name formatted in; the row's flag still colours it."""
    from datetime import timedelta

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
    open_signed_in(driver, server.url, '/requests')
    cell = visible(driver, 'span.text-red-8')
    assert cell.text.startswith('overdue')
