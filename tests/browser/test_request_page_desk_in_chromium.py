"""The request page as an agent uses it, at a phone's and a desktop's width: the thread with files on a reply and a
note, the related requests beside it (subjects hostile and long), the link search that says how many more match, and
a reply's files that make too much for one email, said at the picker before sending. Screenshots in tests/artifacts/
(looked at: the layout stays within the screen, texts show as text)."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import CannedReply
from backoffice.services import ticket_attachments, ticket_links, tickets

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    field,
    next_load_at,
    no_horizontal_overflow,
    read_whole,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import PASSWORD, make_user, submit_request, tiny_png

pytestmark = pytest.mark.browser

HOSTILE = 'Desk: "refund" <img src=x onerror="window.__x=1"> <script>window.__x=2</script>'
LONG = 'Colis: endommagé pendant le transport, la boîte était ouverte et il manque deux articles sur trois'
PDF = b'%PDF-1.4\n%%EOF\n'


def test_the_request_page_with_related_requests_and_files_at_phone_and_desktop_width(
    driver: WebDriver, server: RunningServer, tmp_path: Path
) -> None:
    db.configure(server.database_url)
    agent = make_user('agent', email='desk.agent@example.com', name='Dee Desk')
    ticket = submit_request(HOSTILE, email='desk.customer@example.com', name='Dora: "D" <b>x</b>')
    others = [submit_request(LONG, email='desk.customer@example.com'), submit_request(f'{HOSTILE} (2)')]
    for n in range(13):  # more than a search shows
        submit_request(f'Desk crate #{n}: "dented"', email=f'desk.crate{n}@example.com')
    with session_scope() as session:
        for other in others:
            ticket_links.link(session=session, actor=agent, ticket_id=ticket.id, other_number=other.number)
    with session_scope() as session:
        tickets.reply(
            session=session,
            actor=agent,
            ticket_id=ticket.id,
            version=ticket.version,
            body='Here is the label.',
            files=[('Label "new": <img src=x onerror=window.__x=1>.png', tiny_png()), ('courier report.pdf', PDF)],
        )
    with session_scope() as session:
        tickets.add_note(session=session, actor=agent, ticket_id=ticket.id, body='Courier says: "lost"', files=[])
    big = tmp_path / 'scan "one": <b>1.pdf'
    big.write_bytes(b'%PDF-' + b'0' * (ticket_attachments.MAX_BYTES - 5))
    bigger = tmp_path / 'scan two.pdf'
    bigger.write_bytes(b'%PDF-' + b'0' * (ticket_attachments.MAX_REPLY_BYTES - ticket_attachments.MAX_BYTES))
    with session_scope() as session:  # the picker finds a reply by a word of its text, not only of its title
        session.add(CannedReply(title='Desk label: "return" <b>x</b>', body='Your prepaid courier sticker, señor.'))
        session.add(CannedReply(title='Desk sticker-free', body='Nothing: <i>here</i>'))
        session.commit()
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1440, 900), (390, 844)):
        if width == 390:
            next_load_at(driver, width, height)
        signed_in(driver, server.url, f'/requests/{ticket.number}', agent.email, PASSWORD)
        visible_text(driver, 'Here is the label.')
        visible_text(driver, 'Related requests')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-desk-{width}.png'))
        assert no_horizontal_overflow(driver), f'the request page overflows sideways at {width} px'
        related = visible_text(driver, 'Related requests')
        driver.execute_script('arguments[0].scrollIntoView({block: "start"})', related)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-desk-related-{width}.png'))

        picker = field(driver, 'Canned reply')  # typed into, narrowed, picked by keyboard
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', picker)
        picker.click()
        picker.send_keys('courier sticker')
        visible_text(driver, '<b>x</b> — Your prepaid courier sticker')  # (the xpath takes no double quote)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-desk-canned-{width}.png'))
        shown, highlighted = read_whole(  # one drawing of the menu: it redraws as the typing narrows it
            driver,
            lambda d: (
                [e.text for e in d.find_elements(By.CSS_SELECTOR, '.bo-canned-menu .q-item') if e.is_displayed()],
                [e.text for e in d.find_elements(By.CSS_SELECTOR, '.bo-canned-menu .q-manual-focusable--focused')],
            ),
        )
        assert len(shown) == 1, f'typing narrows the canned replies to the one that says it, not {shown}'
        assert highlighted == shown, 'the one suggestion left is highlighted for Enter to take'
        picker.send_keys(Keys.ENTER)  # no arrow key first: Enter takes the highlighted first suggestion
        reply_box = driver.find_element(
            By.XPATH,
            '//label[contains(@class, "q-field")][.//div[contains(@class, "q-field__label")]'
            '[normalize-space(.)="Reply or note"]]//textarea',
        )
        WebDriverWait(driver, 10).until(
            lambda _d, box=reply_box: 'Your prepaid courier sticker, señor.' in box.get_attribute('value'),
            'the canned reply picked by keyboard is not in the reply box',
        )
        reply_box.send_keys(Keys.CONTROL, 'a')
        reply_box.send_keys(Keys.DELETE)

        button(driver, 'Link a request').click()
        field(driver, 'Request no., subject or customer').send_keys('dented crate')
        visible_text(driver, '3 more — type more to narrow')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-desk-search-{width}.png'))
        assert no_horizontal_overflow(driver), f'the link search overflows sideways at {width} px'
        button(driver, 'Cancel', topmost=True).click()

        inputs = driver.find_elements(By.CSS_SELECTOR, 'input[type=file]')
        inputs[0].send_keys(str(big))
        visible_text(driver, ': <b>1.pdf')
        driver.find_elements(By.CSS_SELECTOR, 'input[type=file]')[0].send_keys(str(bigger))
        warning = visible_text(driver, 'a reply can carry at most 17 MB')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', warning)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'request-desk-too-big-{width}.png'))
        assert no_horizontal_overflow(driver), f'the reply box overflows sideways at {width} px'
        assert driver.execute_script('return window.__x') is None, 'a subject or a file name ran as markup'
