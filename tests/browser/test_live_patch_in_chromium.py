"""A request POSTed by the front office, then changed over the API, reaches an agent's open /requests list as a patch:
only that row travels (a method call on the table, no `update` of the page's elements), the rows already shown stay
the same DOM nodes, the count over the list follows, markup in the subject stays text; on a phone, as a card."""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import backoffice.resources  # noqa: F401  (their scopes: write:tickets)
from backoffice import db
from backoffice.db import session_scope
from backoffice.services import api_keys

from ..support.api import make_key
from ..support.browser import (
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    read_whole,
    set_viewport,
    signed_in,
    visible_text,
    wait_for_path,
)
from ..support.factories import make_user
from ..support.server_cli import post_request

pytestmark = pytest.mark.browser

AGENT = ('Agent Patch', 'patch.agent@example.com', 'Agent-Patch-Pass-3917')
OTHER = ('Agent Other', 'other.agent@example.com', 'Agent-Other-Pass-6402')
HOSTILE = '<script>window.__x=1</script> "quoted": <img src=x onerror="window.__x=2">'

# the websocket messages the page gets from now on, by type ('update' would mean NiceGUI renders the whole page)
LISTEN = 'window.__kinds = []; window.socket.onAny((kind) => window.__kinds.push(kind));'


@pytest.fixture(scope='module')
def keys(server: RunningServer) -> dict:
    """Two agents, a front-office key (`requests:write`) and a key that changes requests as the first agent, made
    through the services in the server's database, as the command line makes them (its own tests cover it)."""
    db.configure(server.database_url)
    agent = make_user('agent', email=AGENT[1], name=AGENT[0], password=AGENT[2])
    make_user('agent', email=OTHER[1], name=OTHER[0], password=OTHER[2])
    with session_scope() as session:
        _, agent_key = api_keys.create_key(
            session=session,
            actor=None,
            system=True,
            name='Agent tool (patch test)',
            scopes=['write:tickets'],
            acting_as=agent,
        )
    return {'front': make_key('Front office (patch test)', ('requests:write',))[1], 'agent': agent_key}


def call(base_url: str, path: str, method: str, key: str, payload: dict | None = None) -> dict:
    request = urllib.request.Request(
        f'{base_url}{path}',
        data=json.dumps(payload).encode() if payload is not None else None,
        method=method,
        headers={'Authorization': f'Bearer {key}', 'Content-Type': 'application/json'},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return json.loads(response.read())


def open_list(driver: WebDriver, base_url: str) -> None:
    signed_in(driver, base_url, '/requests', AGENT[1], AGENT[2])
    visible_text(driver, 'Mine')
    driver.execute_script('window.__loaded = "once"')  # a reload would forget this
    WebDriverWait(driver, TIMEOUT).until(lambda d: count_over_the_list(d) > 0, 'the list did not load')
    quiet(driver)


def quiet(driver: WebDriver) -> None:
    """Listen to the page's websocket messages once it has had none for a second (the page has settled)."""
    driver.execute_script(LISTEN)
    heard = [-1]

    def settled(d: WebDriver) -> bool:
        count = len(d.execute_script('return window.__kinds'))
        if count != heard[0]:
            heard[0] = count
            return False
        return True

    WebDriverWait(driver, TIMEOUT, poll_frequency=1).until(settled, 'the page kept getting messages')
    driver.execute_script('window.__kinds = []')


def row_with(driver: WebDriver, marker: str, css: str = 'tbody tr'):
    return WebDriverWait(driver, TIMEOUT).until(
        lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, css) if marker in r.text), None),
        f'no row shows {marker}',
    )


def new_request(base_url: str, keys: dict, marker: str, subject: str = '', email: str = '') -> dict:
    return post_request(
        base_url,
        keys['front'],
        {
            'email': email or f'{secrets.token_hex(3)}@example.com',
            'name': 'Front Office Customer',
            'subject': f'{marker} {subject}'.strip(),
            'body': 'Patched in.',
            'type': 'question',
        },
    )


def count_over_the_list(driver: WebDriver) -> int:
    text = driver.execute_script(
        "return [...document.querySelectorAll('div')].find(d => /^\\d[\\d,]* requests?$/.test(d.textContent.trim()))"
        '?.textContent.trim()'
    )
    return int(text.split()[0].replace(',', '')) if text else -1


def test_a_new_then_changed_request_is_patched_into_the_open_list_as_text(
    driver: WebDriver, base_url: str, keys: dict
) -> None:
    before = f'Already shown {secrets.token_hex(3)}'
    new_request(base_url, keys, before)
    open_list(driver, base_url)
    kept = row_with(driver, before)
    driver.execute_script('arguments[0].__kept = true;', kept)
    count = count_over_the_list(driver)

    marker = f'Patched {secrets.token_hex(3)}'
    created = new_request(base_url, keys, marker, HOSTILE)
    cells = read_whole(  # the row as one drawing shows it: the live list patches it in and may draw it again
        driver, lambda d: [cell.text for cell in row_with(d, marker).find_elements(By.TAG_NAME, 'td')]
    )
    assert f'{marker} {HOSTILE}' in cells, cells  # character for character, as text
    first = read_whole(driver, lambda d: d.find_elements(By.CSS_SELECTOR, 'tbody tr')[0].text)
    assert marker in first, 'the newest request goes first (the default order)'
    WebDriverWait(driver, TIMEOUT).until(lambda d: count_over_the_list(d) == count + 1, 'the count did not follow')
    kinds = driver.execute_script('return window.__kinds')
    assert 'update' not in kinds, kinds  # the page was not rendered again: the table was patched
    assert driver.execute_script('return arguments[0].__kept === true', row_with(driver, before)), 'row remounted'

    ticket = call(base_url, f'/api/v1/tickets/{created["id"]}', 'GET', keys['agent'])
    call(base_url, f'/api/v1/tickets/{created["id"]}', 'PATCH', keys['agent'],
         {'status': 'waiting', 'version': ticket['version']})  # fmt: skip
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: 'Waiting on customer' in row_with(d, marker).text, 'the change did not show'
    )
    assert 'update' not in driver.execute_script('return window.__kinds')
    assert driver.execute_script('return window.__loaded') == 'once', 'the page was reloaded'
    assert driver.execute_script('return window.__x') is None, 'markup from the subject ran'
    assert not driver.find_elements(By.CSS_SELECTOR, 'tbody script, tbody img'), 'the subject became elements'


def test_on_a_phone_a_new_and_a_changed_request_are_patched_in_as_cards(
    driver: WebDriver, base_url: str, keys: dict
) -> None:
    set_viewport(driver, 390, 844)
    open_list(driver, base_url)
    marker = f'Card {secrets.token_hex(3)}'
    created = new_request(base_url, keys, marker, HOSTILE)
    card = row_with(driver, marker, '.bo-card')
    assert HOSTILE in card.text
    card.find_element(By.CSS_SELECTOR, '.bo-card-tick .q-checkbox').click()  # chosen, then changed: still chosen
    visible_text(driver, '1 selected')
    quiet(driver)  # the bulk bar's own messages are over
    ticket = call(base_url, f'/api/v1/tickets/{created["id"]}', 'GET', keys['agent'])
    call(base_url, f'/api/v1/tickets/{created["id"]}', 'PATCH', keys['agent'],
         {'status': 'waiting', 'version': ticket['version']})  # fmt: skip
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: 'Waiting on customer' in row_with(d, marker, '.bo-card').text, 'the card did not change'
    )
    card = row_with(driver, marker, '.bo-card')
    assert 'bo-card--selected' in card.get_attribute('class').split(), 'the changed card lost its selection'
    assert card.find_element(By.CSS_SELECTOR, '.bo-card-tick .q-checkbox').get_attribute('aria-checked') == 'true'
    visible_text(driver, '1 selected')
    assert 'update' not in driver.execute_script('return window.__kinds')
    assert driver.execute_script('return window.__x') is None
    assert not driver.find_elements(By.CSS_SELECTOR, '.bo-card script, .bo-card img')


def is_selected(row) -> bool:
    box = row.find_element(By.CSS_SELECTOR, 'td.q-table--col-auto-width .q-checkbox')
    return 'selected' in row.get_attribute('class').split() and box.get_attribute('aria-checked') == 'true'


def assert_whole(row, subject: str, email: str) -> None:
    """What an agent sees in a row: its selection box, the subject as typed, the customer as a link, the countdown."""
    assert row.find_elements(By.CSS_SELECTOR, 'td.q-table--col-auto-width .q-checkbox'), 'the row lost its checkbox'
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, 'td')]
    assert subject in cells, cells
    link = row.find_element(By.CSS_SELECTOR, 'a[href^="/customers?open="]')
    assert link.text == email, link.text
    assert row.find_elements(By.CSS_SELECTOR, 'td.q-td > span'), 'the SLA countdown cell is not its template'


def test_a_patched_row_keeps_its_checkbox_link_cells_and_selection(
    driver: WebDriver, base_url: str, keys: dict
) -> None:
    chosen, chosen_email = f'Chosen {secrets.token_hex(3)}', f'chosen.{secrets.token_hex(3)}@example.com'
    picked = new_request(base_url, keys, chosen, HOSTILE, email=chosen_email)
    open_list(driver, base_url)
    row_with(driver, chosen).find_element(By.CSS_SELECTOR, '.q-checkbox').click()
    visible_text(driver, '1 selected')
    WebDriverWait(driver, TIMEOUT).until(lambda d: is_selected(row_with(d, chosen)), 'the row was not selected')

    marker, email = f'Fresh {secrets.token_hex(3)}', f'fresh.{secrets.token_hex(3)}@example.com'
    new_request(base_url, keys, marker, HOSTILE, email=email)
    assert_whole(row_with(driver, marker), f'{marker} {HOSTILE}', email)
    assert not is_selected(row_with(driver, marker))
    assert is_selected(row_with(driver, chosen)), 'a new row above it dropped the selection'

    ticket = call(base_url, f'/api/v1/tickets/{picked["id"]}', 'GET', keys['agent'])
    call(base_url, f'/api/v1/tickets/{picked["id"]}', 'PATCH', keys['agent'],
         {'status': 'waiting', 'version': ticket['version']})  # fmt: skip
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: 'Waiting on customer' in row_with(d, chosen).text, 'the change did not show'
    )
    patched = row_with(driver, chosen)
    assert_whole(patched, f'{chosen} {HOSTILE}', chosen_email)
    assert is_selected(patched), 'the changed row lost its selection'
    visible_text(driver, '1 selected')

    row_with(driver, marker).find_element(By.CSS_SELECTOR, '.q-checkbox').click()  # the new row is selectable
    visible_text(driver, '2 selected')
    row_with(driver, chosen).find_element(By.CSS_SELECTOR, '.q-checkbox').click()  # and the changed one unselectable
    visible_text(driver, '1 selected')
    assert not is_selected(row_with(driver, chosen))
    assert driver.execute_script('return window.__x') is None, 'markup from the subject ran'

    row_with(driver, chosen).find_elements(By.TAG_NAME, 'td')[3].click()  # a changed row still opens its request
    wait_for_path(driver, f'/requests/{ticket["number"]}')
