"""Secret settings and pending invitations as staff see them in a real browser: an admin types a Slack webhook at
/settings, saves, and the page shows it as a hint only (its secret is not in the page); the company page lists a
company admin's invitation as not accepted yet. At a phone's and a desktop's width (screenshots in tests/artifacts/)."""

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
    field,
    next_load_at,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.companies import BASE_URL, actor, company_with

pytestmark = pytest.mark.browser


def shoot(driver: WebDriver, name: str, text: str) -> None:
    """Both widths, the line with `text` in the middle of the screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            resize_and_settle(driver, width, height)
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', visible_text(driver, text))
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'{name}-{width}.png'))
        assert no_horizontal_overflow(driver), f'{name} overflows sideways at {width} px'


def test_a_saved_webhook_shows_as_a_hint_and_a_pending_invitation_says_so(
    driver: WebDriver, server: RunningServer
) -> None:
    db.configure(server.database_url)
    secret = f'Zq{secrets.token_hex(12)}Sx9'
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/settings')
    slack = field(driver, 'Slack webhook')
    slack.send_keys(f'https://hooks.slack.com/services/T0AAA/B0BBB/{secret}')
    button(driver, 'Save settings').click()
    visible_text(driver, 'Settings saved')
    visible_text(driver, 'Saved: https://hooks.slack.com/services/T…/…Sx9')
    assert secret not in driver.page_source and field(driver, 'Slack webhook').get_attribute('value') == ''
    shoot(driver, 'settings-secret-hint', 'Saved: https://hooks.slack.com/services/T…/…Sx9')

    tag = secrets.token_hex(3)
    company = company_with(f'Acme {tag}', {f'ada.{tag}@acme.example': 'admin'})
    admin = actor(f'ada.{tag}@acme.example')
    with session_scope() as session:
        company_members.invite(
            session=session, by=admin, company_id=company.id, email=f'carl.{tag}@example.com', base_url=BASE_URL
        )
    next_load_at(driver, 390, 844)  # a phone's load, the open page not laid out at 390 first
    driver.get(f'{server.url}/companies/{company.id}')
    visible_text(driver, f'Invited by ada.{tag}@acme.example: not accepted yet')
    assert driver.find_elements(By.XPATH, f'//*[normalize-space(text())="carl.{tag}@example.com"]')
    shoot(driver, 'company-pending-invitation', f'Invited by ada.{tag}@acme.example: not accepted yet')
