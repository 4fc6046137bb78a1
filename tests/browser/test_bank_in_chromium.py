"""The bank screen in a real browser at a phone's and a desktop's width: the account with its balance, statement lines
as cards with their suggestions, hostile labels shown as text (no script runs), nothing overflowing sideways
(screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import bank_rules, receivables

from ..support.bank import Line, camt053, import_file, make_account
from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user
from ..support.finance import invoiced_on_terms, mugs

pytestmark = pytest.mark.browser

BY_HAND = 'RF18 5390 0754 "BO": <img src=x onerror="window.__x=2">'
HOSTILE = 'Zoé Martin "L\'Atelier": <img src=x onerror="window.__x=1">'


def test_bank_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager')
    with session_scope() as session:  # this screen's story is the suggestions: no matching rule left by another file
        for rule in bank_rules.rules(session=session, actor=manager):
            bank_rules.switch_rule(session=session, actor=manager, rule_id=rule.id, active=False)
    mugs(manager, '12.50', sku='BNK-MUG')
    _o1, first = invoiced_on_terms(manager, 'ann@acme.example', 2, name='Ann Acme', sku='BNK-MUG')
    _o2, second = invoiced_on_terms(manager, 'zoe@example.com', 4, name='Zoé Martin', sku='BNK-MUG')
    _o3, by_hand = invoiced_on_terms(manager, 'bo@example.com', 3, name='Bo Durand', sku='BNK-MUG')
    with session_scope() as session:  # recorded by hand from its bank line: the card says so and offers a link
        receivables.settle(session=session, actor=manager, amounts={by_hand.id: str(by_hand.total)}, reference=BY_HAND)
    account = make_account(manager, name='Crédit Agricole — compte courant professionnel')
    import_file(
        manager,
        account,
        camt053(
            [
                Line(
                    f'{first.total}', f'VIR SEPA RECU FACTURE {first.number} MERCI', 'ANN ACME', 'E2E-2026-11-30-000042'
                ),
                Line(f'{second.total}', 'VIREMENT', HOSTILE),
                Line('-18.90', 'FRAIS TENUE DE COMPTE NOVEMBRE 2026 ' + 'X' * 60),
                Line('120.00', 'REMISE CHEQUE 1234567'),
                Line(f'{by_hand.total}', 'VIR BO DURAND', 'BO DURAND', BY_HAND),
            ]
        ),
        'releve-novembre.xml',
    )
    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/finance/bank')
    visible_text(driver, 'Recent statements')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the same page turned wide (issue 12)
            driver.execute_script('window.scrollTo(0, 0)')
            resize_and_settle(driver, width, height)
        visible_text(driver, 'ANN ACME')
        visible_text(driver, second.number)
        visible_text(driver, 'Link to what was recorded')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'bank-{width}.png'))
        assert no_horizontal_overflow(driver), f'bank overflows sideways at {width} px'
        driver.execute_script('window.scrollTo(0, document.body.scrollHeight)')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'bank-bottom-{width}.png'))
    assert driver.execute_script('return window.__x') is None
