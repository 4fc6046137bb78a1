"""The digest's choice on the account page and the reports a company or a customer is sent, in a real browser at a
phone's and a desktop's width: they show, hostile names stay text, nothing overflows sideways; a company whose
contacts were all removed says so, not "yet" (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Customer
from backoffice.services import company_members

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.companies import company_with, member_id
from ..support.factories import make_company, make_customer, make_user

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
    gone = company_with(f'Gone {HOSTILE}', {'gina.gone@acme.example': 'admin', 'gus.gone@acme.example': 'buyer'})
    with session_scope() as session:  # staff move the admin elsewhere, then remove the last member
        gina = session.exec(select(Customer).where(Customer.email == 'gina.gone@acme.example')).one()
        gina.company_id = company.id
        session.add(gina)
        session.commit()
    with session_scope() as session:
        company_members.remove(
            session=session, by=make_user('manager'), member_id=member_id('gus.gone@acme.example'), version=None
        )
    signed_in(driver, server.url, '/account/security')  # signed in before the next address is opened
    pages = {
        'account-digest': ('/account/security', 'Send me one now'),
        'company-reports': (f'/companies/{company.id}', 'Reports sent to this company'),
        'customer-reports': (f'/customers/{buyer.id}', 'Reports sent to this customer'),
        'company-all-removed': (f'/companies/{gone.id}', 'No contact left'),
    }
    for width, height in ((390, 1400), (1440, 1100)):
        set_viewport(driver, width, height)
        for name, (path, text) in pages.items():
            driver.get(f'{server.url}{path}')
            visible_text(driver, text)
            settle(driver)
            driver.execute_script('window.scrollTo(0, document.body.scrollHeight)')
            if name == 'company-all-removed':
                visible_text(driver, 'Nobody of this company uses the portal any more')
            driver.save_screenshot(str(ARTIFACTS / f'{name}-{width}.png'))
            assert no_horizontal_overflow(driver), f'the {name} page overflows sideways at {width} px'
            assert driver.execute_script('return window.__pwned') is None
