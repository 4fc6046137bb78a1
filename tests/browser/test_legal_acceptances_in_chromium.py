"""The customer's "Legal acceptances" section in a real browser at a phone's and a desktop's width: the document and
version, when, and whether it is the version in force; a hostile title stays text; nothing overflows sideways
(screenshots in tests/artifacts/); a row opens the text of the version accepted. And Unpublish's dialog on a legal
document, in French: what it will do, a short line each under its heading."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver, WebElement

from backoffice import db
from backoffice.models import utcnow

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    first_load_at,
    next_load_at,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    sign_in,
    signed_in,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.factories import edit_content, make_customer, publish_content
from ..support.french_staff import french_manager
from ..support.legal import accept, terms_with_versions

pytestmark = pytest.mark.browser

# the values of a dialog's fields (the version's text is in its read-only text box)
FIELDS = "return [...arguments[0].querySelectorAll('input, textarea')].map((field) => field.value).join(' | ')"
HOSTILE = 'Terms <script>window.__pwned=1</script>: "quoted"'


def test_the_legal_acceptances_section_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the records are made through the services
    terms_with_versions('chromium-terms', 4, title=HOSTILE)
    terms_with_versions('chromium-privacy', 1, title='Privacy policy')
    customer = make_customer('chromium-legal@example.com', name='Lea Legal')
    accept('chromium-legal@example.com', 'chromium-terms', 3, ip='203.0.113.7')
    accept('chromium-legal@example.com', 'chromium-privacy', 1)
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, f'/customers/{customer.id}')  # on a phone: the section, then the row's link
    section = the_section(driver, 390)
    # the row is a link to the version accepted: a click shows its text, v3's, not the one in force (v4); looked at
    # on the phone, then turned wide (a dialog narrowed from 1440 px keeps the drawer open beside it: not a phone's)
    section.find_element(By.LINK_TEXT, f'{HOSTILE} v3').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: '/content?version=' in d.current_url)
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        dialog = visible(driver, '.q-dialog')
        WebDriverWait(driver, TIMEOUT).until(
            lambda d, shown=dialog: 'Version 3' in d.execute_script(FIELDS, shown), 'the version accepted is not shown'
        )
        assert 'Version 4' not in driver.execute_script(FIELDS, dialog)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'legal-version-accepted-{width}.png'))
        assert no_horizontal_overflow(driver), f'the version accepted overflows sideways at {width} px'
        assert driver.execute_script('return window.__pwned') is None
    next_load_at(driver, 1440, 900)  # the customer's page at a desk
    driver.get(f'{server.url}/customers/{customer.id}')
    the_section(driver, 1440)


def the_section(driver: WebDriver, width: int) -> WebElement:
    """The open customer page's "Legal acceptances" section: each version accepted, the hostile title as text,
    superseded or current; nothing overflows sideways (screenshot customer-legal-acceptances-{width}.png)."""
    visible_text(driver, 'Legal acceptances')
    visible_text(driver, 'Accepted via the shop · current is v4')
    section = next(c for c in driver.find_elements(By.CSS_SELECTOR, '.q-card') if 'Legal acceptances' in c.text)
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', section)
    settle(driver)
    assert f'{HOSTILE} v3' in section.text  # as text, quotes and all (the XPath of visible_text cannot hold them)
    assert 'Superseded' in section.text and 'Current version' in section.text
    driver.save_screenshot(str(ARTIFACTS / f'customer-legal-acceptances-{width}.png'))
    assert no_horizontal_overflow(driver), f'the customer page overflows sideways at {width} px'
    assert driver.execute_script('return window.__pwned') is None
    return section


def test_the_unpublish_dialog_of_a_legal_document_in_french_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    """What Unpublish will do was one paragraph of five sentences, read by nobody: now what customers see, what becomes
    of the acceptances and that it can be published again, each a short line under its heading, on a phone too."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    email, password = 'margaux.legal@example.com', 'Une-phrase-solide-pour-les-CGV-42'
    manager = french_manager(email, password, name='Margaux "M" <b>Legal</b>: x')
    terms = terms_with_versions('chromium-unpublish', 2, title=HOSTILE)
    later = utcnow() + timedelta(days=20)
    publish_content(edit_content(terms, manager, body='Version 3', publish_at=later), actor=manager)

    first_load_at(driver, server.url, 390, 844)  # signing in is the phone's load (issue 12)
    driver.get(f'{server.url}/content?open={terms.id}')
    sign_in(driver, email, password)
    wait_for_path(driver, '/content')
    settle(driver)
    button(driver, 'Dépublier').click()
    visible_text(driver, 'Ce que voient les clients')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        dialog = [d for d in driver.find_elements(By.CSS_SELECTOR, '.q-dialog') if 'Acceptations' in d.text][-1]
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'unpublish-legal-fr-{width}.png'))
        headings = [e.text for e in dialog.find_elements(By.CSS_SELECTOR, '[role=heading][aria-level="3"]')]
        assert headings == ['Ce que voient les clients', 'Acceptations', 'Republier']
        lines = [e.text for e in dialog.find_elements(By.CSS_SELECTOR, 'li')]
        assert len(lines) == 7 and lines[0] == 'La version 2 cesse d’être en vigueur maintenant.', lines
        assert no_horizontal_overflow(driver), f'the dialog overflows sideways at {width} px'
        assert driver.execute_script('return window.__pwned') is None
