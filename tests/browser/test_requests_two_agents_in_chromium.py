"""Two agents, each in their own Chromium, have /requests open; a front office POSTs a request to the API with a Bearer
key; it appears on both screens without a reload, and the markup in its subject shows as text and never runs. Both
open it: what one types in the reply box shows on the other's screen as them writing, gone once the box is empty."""

from __future__ import annotations

import secrets

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db

from ..support.api import make_key
from ..support.browser import TIMEOUT, RunningServer, WebDriverWait, sign_in, visible_text, wait_for_path
from ..support.factories import make_user
from ..support.server_cli import post_request

pytestmark = pytest.mark.browser

AGENTS = (
    ('Agent Ada', 'ada.agent@example.com', 'Agent-Ada-Pass-5710'),
    ('Agent Bo', 'bo.agent@example.com', 'Agent-Bo-Pass-8264'),
)
SCRIPT = '<script>window.__x=1</script>'
IMAGE = '<img src=x onerror="window.__x=2">'


@pytest.fixture(scope='module')
def agents_and_key(server: RunningServer) -> str:
    """Two agent accounts and an API key with `requests:write`, made through the services in the server's database, as
    the command line makes them (its own tests cover it); returns the key."""
    db.configure(server.database_url)
    for name, email, password in AGENTS:
        make_user('agent', email=email, name=name, password=password)
    return make_key('Front office (two-agents test)', ('requests:write',))[1]


def test_a_request_posted_to_the_api_appears_on_two_agents_screens_as_text(
    driver: WebDriver, second_browser: WebDriver, server: RunningServer, base_url: str, agents_and_key: str
) -> None:
    screens = (driver, second_browser)
    for browser, (name, email, password) in zip(screens, AGENTS, strict=True):
        browser.get(f'{base_url}/requests')
        sign_in(browser, email, password)
        wait_for_path(browser, '/requests')
        visible_text(browser, 'Mine')  # the queues: the list is open
        visible_text(browser, name)  # signed in as that agent (the account's name in the header)
        browser.execute_script('window.__loaded = "once"')  # a reload would forget this

    marker = f'Two agents {secrets.token_hex(3)}'
    subject = f'{marker} {SCRIPT} {IMAGE}'
    created = post_request(
        base_url,
        agents_and_key,
        {
            'email': 'front.office.customer@example.com',
            'name': 'Front Office Customer',
            'subject': subject,
            'body': f'Seen by two agents. {SCRIPT}',
            'type': 'question',
        },
    )

    for browser in screens:
        cells = WebDriverWait(browser, TIMEOUT).until(  # read in the wait: the live list may redraw the row meanwhile
            lambda d: next(
                (
                    [c.text for c in r.find_elements(By.TAG_NAME, 'td')]
                    for r in d.find_elements(By.XPATH, '//tbody/tr')
                    if marker in r.text
                ),
                None,
            ),
            'the new request did not appear in the open list',
        )
        assert str(created['number']) in cells, cells
        assert f'{marker} {SCRIPT} {IMAGE}' in cells, cells  # the markup, character for character, as text
        assert browser.execute_script('return window.__loaded') == 'once', 'the page was reloaded'
        assert browser.execute_script('return window.__x') is None, 'markup from the subject ran'
        assert not browser.find_elements(By.CSS_SELECTOR, 'tbody script, tbody img'), 'the subject became elements'

    # both open it; Ada starts a reply: Bo sees her writing before either sends (keystrokes, as a browser sends them)
    for browser in screens:
        browser.get(f'{base_url}/requests/{created["number"]}')
        wait_for_path(browser, f'/requests/{created["number"]}')
    box = WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_element(By.CSS_SELECTOR, 'textarea'))
    box.send_keys(f'Refunded "today" {SCRIPT}')
    writing = 'Agent Ada is writing a reply or a note'
    visible_text(second_browser, writing)
    box.send_keys(Keys.CONTROL, 'a', Keys.DELETE)  # she thinks better of it
    WebDriverWait(second_browser, TIMEOUT).until(
        lambda d: not any(e.is_displayed() for e in d.find_elements(By.XPATH, f'//*[text()="{writing}"]')),
        'the colleague still shows as writing with an empty box',
    )
    assert second_browser.execute_script('return window.__x') is None
