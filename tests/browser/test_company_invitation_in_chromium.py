"""A company admin's invitation in a real browser: the invited person opens the emailed link, sees at the top of their
portal who invites them to which company and what accepting shares, and accepts; the card at a phone's and a
desktop's width, nothing overflowing sideways, nothing of the names run as markup (screenshots in tests/artifacts/)."""

from __future__ import annotations

import secrets

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import company_members

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.companies import BASE_URL, actor, company_with
from ..support.portal import last_link

pytestmark = pytest.mark.browser

HOSTILE = 'Ann "O\'Neil" <img src=x onerror="window.__x=1">'


def test_the_invited_person_reads_the_invitation_and_accepts_it(driver: WebDriver, server: RunningServer) -> None:
    db.configure(server.database_url)
    tag = secrets.token_hex(3)
    admin_email, invited = f'ada.{tag}@acme.example', f'carl.{tag}@example.com'
    company_with(f'Acme {tag} "Outfitters": <b>Gmbh</b> & Co. Kommanditgesellschaft', {admin_email: 'admin'})
    with session_scope() as session:  # Ada, as her colleague reads her
        from sqlmodel import select

        from backoffice.models import Customer

        ada = session.exec(select(Customer).where(Customer.email == admin_email)).one()
        ada.name = HOSTILE
        session.add(ada)
        session.commit()
    admin = actor(admin_email)
    with session_scope() as session:
        company_members.invite(
            session=session, by=admin, company_id=admin.company_id, email=invited, role='buyer', base_url=BASE_URL
        )

    set_viewport(driver, 390, 844)
    driver.get(f'{server.url}{last_link(invited)}')
    button(driver, 'Open my account').click()
    wait_for_path(driver, '/portal')
    visible_text(driver, 'If you accept')
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'portal-company-invitation-{width}.png'))
        assert no_horizontal_overflow(driver), f'the invitation overflows sideways at {width} px'
    card = visible(driver, '.q-card').text
    assert f'{HOSTILE} ({admin_email}) invited you to join Acme {tag}' in card
    assert driver.execute_script('return window.__x') is None, 'markup from a name ran'
    assert not driver.find_elements(By.XPATH, '//a[normalize-space(.)="Company"]')  # no tab before accepting

    driver.find_element(By.XPATH, '//button[.//*[starts-with(normalize-space(text()), "Accept and join")]]').click()
    wait_for_path(driver, '/portal/company')
    visible_text(driver, 'Your role: Buyer.')
    assert actor(invited).company_id == admin.company_id
