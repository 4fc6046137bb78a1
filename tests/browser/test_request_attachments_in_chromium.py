"""An agent attaches a file to a reply in a real browser (Chromium's own file input, at a phone's and a desktop's
width): the file waits in the box with a word on drafts, goes with the reply, and shows in the thread as text with its
size; screenshots in tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

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
    next_load_at,
    no_horizontal_overflow,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import PASSWORD, make_user, submit_request, tiny_png

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
    for width, height in ((1440, 900), (390, 844)):
        if width == 390:  # the next load as a phone's (the width cookie is set from the open page of the site)
            next_load_at(driver, width, height)
        signed_in(driver, server.url, f'/requests/{request.number}', agent.email, PASSWORD)
        visible_text(driver, 'It has been two weeks.')
        name = NAME.format(width=width)
        path = tmp_path / name
        path.write_bytes(tiny_png())
        picker = driver.find_element(By.CSS_SELECTOR, 'input[type=file]')
        picker.send_keys(str(path))
        visible_text(driver, 'Files are not kept with the draft')
        driver.find_element(By.CSS_SELECTOR, 'textarea').send_keys(f'The new label, at {width} px.')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-attachment-picked-{width}.png'))
        assert no_horizontal_overflow(driver), f'the reply box overflows sideways at {width} px'
        button(driver, 'Send reply').click()
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: any(
                'new' in b.text and f'{width}.png' in b.text
                for b in d.find_elements(By.CSS_SELECTOR, '.q-card button')
                if b.is_displayed()
            ),
            f'the reply\'s file is not in the thread at {width} px',
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
