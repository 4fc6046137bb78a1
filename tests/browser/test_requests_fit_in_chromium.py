"""The requests list as an agent opens it on a 1440 px laptop: every column of the default queue in sight, the subject
wrapped over lines, no sideways scroll in the table or the page (the Snoozed queue's "Snoozed until" too); on a 390 px
phone, cards without sideways scroll."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import col, select, update

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Role, Ticket
from backoffice.models.base import utcnow
from backoffice.services import ticket_snooze, tickets

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.factories import make_user, submit_request
from ..support.french_staff import french_manager

pytestmark = pytest.mark.browser

MARK = 'Fit1440'
LONG_SUBJECT = (
    f'{MARK} "quoted": colon <script>window.__x=1</script> <img src=x onerror="window.__x=2"> my parcel never '
    'arrived, tracking says delivered to a neighbour ' + 'Z9' * 20
)
LONG_NAME = 'Bartholomew-Maximilian "Max" <img src=x onerror="window.__x=3"> O\'Donnell-Featherstonehaugh: Jr.'
FRENCH_EMAIL, FRENCH_PASSWORD = 'amelie.requests@example.com', 'Une-phrase-de-passe-solide-44'
AGENT_NAME = 'Anastasia-Konstantina "Kiki" <b>Papadopoulou</b>: Senior Agent'

# what the table shows past its box: its scroller's width against its box, and each heading's right edge against the
# window and the scroller's (a column cut at the table's right end: 'Updated')
TABLE_FIT = """
    const table = document.querySelector('.resource-table');
    const middle = table && table.querySelector('.q-table__middle');
    if (!middle || !table.querySelector('tbody tr')) return null;
    const box = middle.getBoundingClientRect();
    const headings = [...table.querySelectorAll('thead th')].filter((th) => th.offsetParent !== null)
        .map((th) => { const r = th.getBoundingClientRect();
            return {text: th.textContent.trim(), right: Math.round(r.right), left: Math.round(r.left),
                    width: Math.round(r.width)}; });
    return {scroll: middle.scrollWidth, width: middle.clientWidth, right: Math.round(box.right),
            window: window.innerWidth, headings};
"""


# the requests' numbers as the rows show them, top to bottom
FIRST_CELLS = """
    return [...document.querySelectorAll('.resource-table tbody tr')]
        .map((tr) => tr.querySelectorAll('td')[1].textContent.trim()).filter((text) => /^[0-9]+$/.test(text));
"""


@pytest.fixture(scope='module')
def requests_made(server: RunningServer) -> None:
    db.configure(server.database_url)
    agent = make_user(Role.agent, name=AGENT_NAME)
    for n in range(3):
        made = submit_request(
            f'{LONG_SUBJECT} {n}',
            email=f'max.featherstonehaugh.{n}@a-very-long-domain-name.example.com',
            name=LONG_NAME,
        )
        with session_scope() as session:
            changed = tickets.change(
                session=session, actor=agent, ticket_id=made.id, version=made.version, assignee_id=agent.id
            )
        if n == 1:  # the longest SLA words a list shows: overdue by years ('en retard de 1234 j 23 h')
            with session_scope() as session:
                session.exec(
                    update(Ticket)
                    .where(col(Ticket.id) == made.id)
                    .values(sla_due_at=utcnow() - timedelta(days=1234, hours=23, minutes=30))
                )
                session.commit()
        if n == 0:  # the longest status and priority words (French: 'En attente du client', 'Urgente')
            with session_scope() as session:
                tickets.change(
                    session=session,
                    actor=agent,
                    ticket_id=made.id,
                    version=changed.version,
                    status='waiting',
                    priority='urgent',
                )
    for made in list_made(agent):  # put aside: the Snoozed queue shows them, with when each comes back
        with session_scope() as session:
            ticket_snooze.snooze(
                session=session,
                actor=agent,
                ticket_id=made.id,
                version=made.version,
                until=utcnow() + timedelta(days=2),
            )
    french_manager(FRENCH_EMAIL, FRENCH_PASSWORD)


def list_made(agent) -> list[Ticket]:
    with session_scope() as session:
        return list(session.exec(select(Ticket).where(col(Ticket.subject).startswith(MARK)).order_by(col(Ticket.id))))


def only_this_files_requests(driver: WebDriver) -> None:
    """The list searched for this file's requests alone: its widths are those of the rows made here, whatever other
    files left on the worker's database (a longer SLA text or name widened the French table by 5 px in CI)."""
    visible(driver, '.bo-list-search input').send_keys(MARK)
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: (
            (rows := d.find_elements(By.CSS_SELECTOR, '.resource-table tbody tr'))
            and all(MARK in row.text for row in rows)
        ),
        'the list shows only the requests made here',
    )


def test_the_requests_list_fits_a_laptop_and_a_phone(driver: WebDriver, base_url: str, requests_made: None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, 1440, 900)
    signed_in(driver, base_url, '/requests')
    visible_text(driver, MARK)
    only_this_files_requests(driver)
    settle(driver)
    fit = WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(TABLE_FIT), 'the list shows no rows')
    driver.save_screenshot(str(ARTIFACTS / 'requests-fit-1440.png'))
    assert no_horizontal_overflow(driver), 'the page scrolls sideways at 1440 px'
    assert fit['scroll'] <= fit['width'], f'the table scrolls sideways at 1440 px: {fit}'
    headings = {h['text'].split('\n')[0]: h for h in fit['headings']}
    updated = next(h for text, h in headings.items() if text.startswith('Updated'))
    assert updated['right'] <= min(fit['right'], fit['window']), f'"Updated" is cut at 1440 px: {fit}'
    # what an agent reads a request by, in sight by default
    for wanted in ('No.', 'SLA due', 'Subject', 'Customer', 'Priority', 'Status', 'Assignee', 'Updated'):
        assert any(text.startswith(wanted) for text in headings), f'{wanted} is not shown: {list(headings)}'
    # the subject wraps over lines rather than widening the table: its cell is taller than one line
    cell = next(td for td in driver.find_elements(By.CSS_SELECTOR, '.resource-table tbody td') if MARK in td.text)
    assert cell.size['height'] > 30, 'the subject is kept on one line'
    assert driver.execute_script('return window.__x') is None
    # a heading still sorts on a click (its words and arrow are drawn by the list's own heading template)
    number = next(th for th in driver.find_elements(By.CSS_SELECTOR, '.resource-table thead th') if th.text == 'No.')
    shown = [int(n) for n in driver.execute_script(FIRST_CELLS)]
    assert len(shown) == 3 and shown != sorted(shown), f'the newest change first, not by number: {shown}'
    number.click()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: (numbers := [int(n) for n in d.execute_script(FIRST_CELLS)]) and numbers == sorted(numbers),
        'a click on "No." sorts the list by number',
    )
    assert number.find_element(By.CSS_SELECTOR, '.bo-head-end .q-table__sort-icon').is_displayed()

    # the Snoozed queue: when each comes back is in sight, the table still fits
    driver.get(f'{base_url}/requests?queue=snoozed')
    visible_text(driver, MARK)
    only_this_files_requests(driver)
    settle(driver)
    fit = WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(TABLE_FIT), 'the Snoozed queue is empty')
    driver.save_screenshot(str(ARTIFACTS / 'requests-fit-1440-snoozed.png'))
    assert fit['scroll'] <= fit['width'], f'the Snoozed queue scrolls sideways at 1440 px: {fit}'
    snoozed = next(h for h in fit['headings'] if h['text'].startswith('Snoozed until'))
    assert snoozed['right'] <= min(fit['right'], fit['window']), f'"Snoozed until" is cut at 1440 px: {fit}'

    # a French reader's words are longer ('Échéance SLA', 'En attente du client'): the same table still fits
    driver.delete_all_cookies()
    signed_in(driver, base_url, '/requests', FRENCH_EMAIL, FRENCH_PASSWORD)
    visible_text(driver, MARK)
    only_this_files_requests(driver)
    settle(driver)
    fit = WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(TABLE_FIT), 'the list shows no rows')
    driver.save_screenshot(str(ARTIFACTS / 'requests-fit-1440-fr.png'))
    assert no_horizontal_overflow(driver), 'the page scrolls sideways at 1440 px in French'
    assert fit['scroll'] <= fit['width'], f'the table scrolls sideways at 1440 px in French: {fit}'
    assert fit['headings'][-1]['right'] <= min(fit['right'], fit['window']), f'the last column is cut: {fit}'

    next_load_at(driver, 390, 844)
    driver.get(f'{base_url}/requests')
    visible_text(driver, MARK)
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'requests-fit-390.png'))
    assert no_horizontal_overflow(driver), 'the page scrolls sideways at 390 px'
    assert driver.find_elements(By.CSS_SELECTOR, '.bo-card'), 'no cards on a phone'
    assert driver.execute_script('return window.__x') is None
