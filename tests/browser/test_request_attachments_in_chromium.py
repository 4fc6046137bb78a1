"""An agent attaches a file to a reply in a real browser (Chromium's own file input, at a phone's and a desktop's
width): the file waits in the box with a word on drafts, goes with the reply, and shows in the thread as text with its
size; the customer then sees the replies' files in the portal and not a note's. Screenshots in tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Customer
from backoffice.services import tickets

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    no_horizontal_overflow,
    resize_and_settle,
    settle,
    signed_in,
    visible_text,
    wait_for_path,
)
from ..support.factories import PASSWORD, make_user, submit_request, tiny_png
from ..support.portal import invite

pytestmark = pytest.mark.browser

# what a file may be named on a disk: quotes, ':' and markup, no '/'
NAME = 'Label "new": <img src=x onerror=window.__x=1> {width}.png'


def test_an_agent_attaches_a_file_to_a_reply_and_sees_it_in_the_thread(
    driver: WebDriver, server: RunningServer, tmp_path: Path
) -> None:
    db.configure(server.database_url)
    agent = make_user('agent', email='attach.agent@example.com', name='Ava Attach')
    request = submit_request('Broken mug: label please', email='attach.customer@example.com')
    ARTIFACTS.mkdir(exist_ok=True)
    signed_in(driver, server.url, f'/requests/{request.number}', agent.email, PASSWORD)
    for width, height in ((1440, 900), (390, 844)):  # loaded once at a desk, then turned to a phone's width
        if width == 390:
            resize_and_settle(driver, width, height)
        visible_text(driver, 'It has been two weeks.')
        driver.find_element(By.CSS_SELECTOR, 'textarea').send_keys(f'The new label, at {width} px.')
        fake = tmp_path / f'not-a-pdf-{width}.pdf'  # a web page named .pdf: the server reads its bytes and says no
        fake.write_bytes(b'<html><script>window.__x=2</script></html>')
        driver.find_element(By.CSS_SELECTOR, 'input[type=file]').send_keys(str(fake))
        visible_text(driver, 'Files are not kept with the draft')
        button(driver, 'Send reply').click()
        visible_text(driver, f'not-a-pdf-{width}.pdf is not an image (PNG, JPEG, WebP, GIF) or a PDF')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-attachment-refused-{width}.png'))
        assert no_horizontal_overflow(driver), f'the refused file overflows sideways at {width} px'
        driver.find_element(By.CSS_SELECTOR, '.q-chip .q-chip__icon--remove').click()
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: not d.find_elements(By.CSS_SELECTOR, '.q-chip'), 'the removed file stays in the box'
        )
        name = NAME.format(width=width)
        path = tmp_path / name
        path.write_bytes(tiny_png())
        driver.find_element(By.CSS_SELECTOR, 'input[type=file]').send_keys(str(path))
        visible_text(driver, 'Files are not kept with the draft')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-attachment-picked-{width}.png'))
        assert no_horizontal_overflow(driver), f'the reply box overflows sideways at {width} px'
        button(driver, 'Send reply').click()
        WebDriverWait(driver, TIMEOUT).until(
            lambda d, width=width: any(
                'new' in b.text and f'{width}.png' in b.text
                for b in d.find_elements(By.CSS_SELECTOR, '.q-card button')
                if b.is_displayed()
            ),
            f"the reply's file is not in the thread at {width} px",
        )
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: not any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, '.q-chip')),
            'the sent file stays in the box',
        )
        shown = [
            b.text
            for b in driver.find_elements(By.CSS_SELECTOR, '.q-card button')
            if f'{width}.png' in b.text and b.is_displayed()
        ]
        assert any('<img src=x onerror=window.__x=1>' in text and '69 bytes' in text for text in shown), shown
        assert driver.execute_script('return window.__x') is None, 'the file name ran as markup'
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-attachment-sent-{width}.png'))
        assert no_horizontal_overflow(driver), f'the thread overflows sideways at {width} px'

    with session_scope() as session:  # a colleague's note with a file: the staff's alone
        tickets.add_note(
            session=session,
            actor=agent,
            ticket_id=request.id,
            body='Internal',
            files=[('internal-only.png', tiny_png())],
        )
        customer = session.exec(select(Customer).where(Customer.email == 'attach.customer@example.com')).one()
    driver.get(f'{server.url}{invite(customer)}')  # the customer, in the portal, on a phone
    button(driver, 'Open my account').click()
    wait_for_path(driver, '/portal')
    driver.get(f'{server.url}/portal/requests/{request.number}')
    visible_text(driver, 'The new label, at 390 px.')
    page = driver.find_element(By.TAG_NAME, 'body').text
    assert '1440.png' in page and '390.png' in page and 'internal-only.png' not in page
    assert driver.execute_script('return window.__x') is None
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'portal-request-attachment-390.png'))
    assert no_horizontal_overflow(driver), 'the portal thread overflows sideways at 390 px'
