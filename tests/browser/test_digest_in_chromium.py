"""The digest's choice on the account page and the reports a company or a customer is sent, in a real browser at a
phone's and a desktop's width: they show, hostile names stay text, nothing overflows sideways (screenshots in
tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_company, make_customer

pytestmark = pytest.mark.browser

HOSTILE = 'Zoë "<img src=x onerror=window.__pwned=1>": l\'équipe'


def test_the_digest_company_and_customer_report_panels_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the records are made through the services
    company = make_company(f'Acme {HOSTILE}')
    make_customer('ann.digest@acme.example', name=f'Ann {HOSTILE}', company_id=company.id)
    buyer = make_customer('dana.report@buyer.example', name=f'Dana {HOSTILE}')  # no company: her own report
    signed_in(driver, server.url, '/account/security')  # signed in before the next address is opened
    pages = {
        'account-digest': ('/account/security', 'Send me one now'),
        'company-reports': (f'/companies/{company.id}', 'Reports sent to this company'),
        'customer-reports': (f'/customers/{buyer.id}', 'Reports sent to this customer'),
    }
    for width, height in ((390, 1400), (1440, 1100)):
        set_viewport(driver, width, height)
        for name, (path, text) in pages.items():
            driver.get(f'{server.url}{path}')
            visible_text(driver, text)
            settle(driver)
            driver.execute_script('window.scrollTo(0, document.body.scrollHeight)')
            driver.save_screenshot(str(ARTIFACTS / f'{name}-{width}.png'))
            assert no_horizontal_overflow(driver), f'the {name} page overflows sideways at {width} px'
            assert driver.execute_script('return window.__pwned') is None
