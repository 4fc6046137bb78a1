"""The support mailbox in a real browser, at a phone's and a desktop's width: the mailboxes with their log of received
mail, and a mailed request whose quoted history is folded until a click opens it and whose HTML stays text
(screenshots in tests/artifacts/)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.models import Ticket
from backoffice.services import mail_intake, mailboxes

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__x=1">'


def a_mail(subject: str, body: str, sender: str = 'Jo Miller <jo@example.com>', **headers: str) -> bytes:
    message = EmailMessage()
    message['From'] = sender
    message['Subject'] = subject
    for name, value in headers.items():
        message[name.replace('_', '-')] = value
    message.set_content(body)
    return bytes(message)


def test_the_mailboxes_and_a_mailed_request_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the data is made through the services
    admin = make_user('admin', email='mailboxes.admin@example.com')
    with session_scope() as session:
        support = mailboxes.create_mailbox(
            session=session,
            actor=admin,
            data={
                'name': 'Support',
                'host': 'imap.example.com',
                'username': 'support@shop.example',
                'password': 'secret',
            },
        )
        returns = mailboxes.create_mailbox(
            session=session,
            actor=admin,
            data={
                'name': 'Returns and exchanges',
                'host': 'mail.example.com',
                'security': 'starttls',
                'username': 'returns-and-exchanges@a-rather-long-shop-domain.example',
                'password': 'secret',
                'default_type': 'return_exchange',
            },
        )
        mailboxes.mark_checked(session=session, mailbox_id=support.id, error=None)
        mailboxes.mark_checked(session=session, mailbox_id=returns.id, error='sign-in refused: Authentication failed.')
    message = EmailMessage()
    message['From'] = 'Jo Miller <jo@example.com>'
    message['Subject'] = f'Broken mug {HOSTILE}'
    message.set_content(
        f'Hello, the handle came off. {HOSTILE}\nCan you send another one?\n\nJo\n\n'
        'On Mon, 1 Dec 2026 at 10:00, Shop <help@shop.example> wrote:\n> Thanks for your order 100042.\n'
        '> It will ship tomorrow.\n'
    )
    message.add_attachment(b'\x89PNG\r\n\x1a\n' + b'\x00' * 5000, maintype='image', subtype='png', filename='mug.png')
    taken = mail_intake.process(mailbox_id=support.id, uid=1, uid_validity=1, raw=bytes(message))
    mail_intake.process(
        mailbox_id=support.id,
        uid=2,
        uid_validity=1,
        raw=a_mail('Out of office', 'Back on Monday.', Auto_Submitted='auto-replied'),
    )
    mail_intake.process(
        mailbox_id=returns.id,
        uid=1,
        uid_validity=1,
        raw=a_mail('Undelivered Mail Returned to Sender', 'No such user.', sender='MAILER-DAEMON@mx.example.com'),
    )
    with read_session() as session:
        number = session.get(Ticket, taken.ticket_id).number

    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/mailboxes')
    visible_text(driver, 'Returns and exchanges')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/mailboxes')
        visible_text(driver, 'Returns and exchanges')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'mailboxes-{width}.png'))
        assert no_horizontal_overflow(driver), f'the mailboxes page overflows sideways at {width} px'
        driver.execute_script("[...document.querySelectorAll('.resource-table')].pop().scrollIntoView()")
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'mailboxes-log-{width}.png'))
        visible_text(driver, 'Undelivered Mail Returned to Sender').click()  # a received mail's record opens
        button(driver, 'Close')
        settle(driver)
        reason = driver.execute_script("return [...document.querySelectorAll('textarea')].map(t => t.value)")
        assert 'from mailer-daemon@mx.example.com' in reason  # why it opened no request
        driver.save_screenshot(str(ARTIFACTS / f'received-mail-{width}.png'))
        assert no_horizontal_overflow(driver), f'a received mail overflows sideways at {width} px'
        button(driver, 'Close').click()
        settle(driver)
        driver.execute_script('window.scrollTo(0, 0)')
        button(driver, 'New mailbox').click()
        visible_text(driver, 'Type of the requests it opens')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'mailbox-form-{width}.png'))
        assert no_horizontal_overflow(driver), f'the mailbox form overflows sideways at {width} px'

        driver.get(f'{server.url}/requests/{number}')
        visible_text(driver, 'Hello, the handle came off.')
        settle(driver)
        assert not _visible(driver, 'Thanks for your order 100042.')  # folded away
        driver.save_screenshot(str(ARTIFACTS / f'mailed-request-{width}.png'))
        visible_text(driver, 'Quoted text and signature').click()
        visible_text(driver, 'Thanks for your order 100042.')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'mailed-request-unfolded-{width}.png'))
        visible_text(driver, 'mug.png')
        assert no_horizontal_overflow(driver), f'the request overflows sideways at {width} px'
        assert driver.execute_script('return window.__x') is None  # the mail's HTML never ran
        visible_text(driver, '<img src=x onerror=')  # shown as the text it is


def _visible(driver: WebDriver, text: str) -> bool:
    return any(
        element.is_displayed()
        for element in driver.find_elements('xpath', f'//*[text()[contains(normalize-space(.), "{text}")]]')
    )
