"""The bank screen's matching rules in a real browser at a phone's and a desktop's width: the rules listed with their
conditions, what they do (set aside, match a customer's invoice), firing and missed counts and their on/off switch,
the matching rule's form, a line matched by a rule and one a rule missed with the reason, long hostile names shown as
text, nothing overflowing sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import bank_rules

from ..support.bank import Line, camt053, import_file, make_account
from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user
from ..support.finance import invoiced_on_terms, mugs, round_prices

pytestmark = pytest.mark.browser

HOSTILE = 'Zoé "L\'Atelier": <img src=x onerror="window.__x=1">'


def test_bank_rules_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager')
    account = make_account(manager)
    with session_scope() as session:
        bank_rules.save_rule(
            session=session,
            actor=manager,
            values={
                'name': 'Frais bancaires',
                'reference_contains': 'FRAIS',
                'direction': 'debit',
                'category': 'bank_fees',
            },
        )
    with session_scope() as session:
        bank_rules.save_rule(
            session=session,
            actor=manager,
            values={
                'name': HOSTILE + ' ' + 'X' * (bank_rules.NAME_MAX - len(HOSTILE) - 1),
                'counterparty': HOSTILE,
                'category': 'supplier',
            },
        )
    round_prices(make_user('admin'))
    mugs(manager)
    order, _invoice = invoiced_on_terms(manager, 'ann@acme.example', 3, name=HOSTILE)  # 30.00
    with session_scope() as session:
        bank_rules.save_rule(
            session=session,
            actor=manager,
            values={
                'name': 'Acme ' + HOSTILE,
                'counterparty': 'ACME',
                'outcome': 'invoice',
                'customer_id': order.customer_id,
            },
        )
    import_file(
        manager,
        account,
        camt053(
            [
                Line('-18.90', 'FRAIS TENUE DE COMPTE'),
                Line('-4.00', 'FRAIS CB'),
                Line('30.00', 'VIR SEPA', 'ACME LABS'),
                Line('77.00', 'VIR ' + HOSTILE, 'ACME LABS ' + 'Y' * 60),
            ]
        ),
    )
    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/finance/bank?status=ignored')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/finance/bank?status=ignored')
        visible_text(driver, 'Recent statements')
        visible_text(driver, 'did not apply: no open invoice or order awaiting payment of the customer has this amount')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'bank-rule-lines-{width}.png'))
        assert no_horizontal_overflow(driver), f'a line a rule missed overflows sideways at {width} px'
        for element in driver.find_elements(By.TAG_NAME, 'button'):
            if 'Rules' in element.text:
                element.click()
                break
        visible_text(driver, 'Matching rules')
        visible_text(driver, 'Fired 2 times')
        visible_text(driver, 'Fired 1 time · missed 1 time')
        visible_text(driver, 'Matches the open invoice of')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'bank-rules-{width}.png'))
        assert no_horizontal_overflow(driver), f'bank rules overflow sideways at {width} px'
        edits = [e for e in driver.find_elements(By.TAG_NAME, 'button') if e.is_displayed() and 'Edit' in e.text]
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', edits[-1])
        edits[-1].click()
        visible_text(driver, 'Edit the rule')
        visible_text(driver, "Match to a customer's invoice")
        visible_text(driver, 'The one open invoice or bill whose number is in')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'bank-rule-form-{width}.png'))
        assert no_horizontal_overflow(driver), f'the rule form overflows sideways at {width} px'
    assert driver.execute_script('return window.__x') is None
