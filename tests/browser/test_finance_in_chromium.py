"""The finance overview and the accounting export in a real browser at a phone's and a desktop's width: the cards, the
accounts, both charts drawn, hostile names shown as text (no script runs), nothing overflowing sideways (screenshots
in tests/artifacts/)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.kpi.days import today as shop_today
from backoffice.services import app_settings

from ..support.bank import Line, camt053, import_file, make_account
from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    next_load_at,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_user
from ..support.finance import due_days_ago, invoiced_on_terms, mugs

pytestmark = pytest.mark.browser

HOSTILE = 'Zoé Martin "L\'Atelier": <img src=x onerror="window.__x=1">'


def test_finance_screens_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager')
    mugs(manager, '12.50', sku='FIN-MUG')
    _o, late = invoiced_on_terms(manager, 'zoe@example.com', 8, 30, name=HOSTILE, sku='FIN-MUG')
    due_days_ago(late, 20)
    invoiced_on_terms(manager, 'ann@acme.example', 12, 15, name='Ann Acme', sku='FIN-MUG')
    invoiced_on_terms(manager, 'bob@acme.example', 30, 30, name='Bob Acme', sku='FIN-MUG')
    today = shop_today(app_settings.time_zone())
    lines = []
    for week in range(12):
        day = (today - timedelta(weeks=week)).isoformat()
        lines.append(Line(f'{900 + 37 * week}.00', f'VIR CLIENT S{week}', day=day))
        lines.append(Line(f'-{400 + 23 * (week % 5)}.50', f'PRLV FOURNISSEUR S{week}', day=day))
    account = make_account(manager, name='Crédit Agricole — compte courant (finance)')
    import_file(manager, account, camt053(lines, opening='8200.00', balance_day=today.isoformat()), 'releve.xml')
    make_account(manager, name=f'{HOSTILE} (finance)', iban='')
    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/finance')
    # each screen loaded once, on a phone, then turned wide (issue 12: a turn costs about half a load)
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's
            driver.execute_script('window.scrollTo(0, 0)')
            resize_and_settle(driver, width, height)
        visible_text(driver, 'Cash position')
        visible_text(driver, 'No statement yet')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'finance-{width}.png'))
        assert no_horizontal_overflow(driver), f'/finance overflows sideways at {width} px'
        driver.execute_script('window.scrollTo(0, document.body.scrollHeight)')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'finance-bottom-{width}.png'))
        assert driver.execute_script('return document.querySelectorAll(".js-plotly-plot .bars").length') >= 2
    for width, height in ((390, 844), (1440, 900)):
        if width == 390:
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/finance/export')
            visible_text(driver, 'VAT summary for the VAT return')
            button(driver, 'This month').click()
        else:
            resize_and_settle(driver, width, height)
        visible_text(driver, 'Invoices')  # the sales table's rows
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'finance-export-{width}.png'))
        assert no_horizontal_overflow(driver), f'/finance/export overflows sideways at {width} px'
    assert driver.execute_script('return window.__x') is None
