"""The portal's B2B screens in a real browser: a company admin's Company tab (members, roles, the invitation form), the
address book and the legal documents (a new version to read and accept, counted on the Legal tab), at a phone's and a
desktop's width, nothing overflowing sideways, a member's hostile name and a document's hostile title shown as text,
its Markdown formatted and sanitized, the current tab marked on an order's page (screenshots in tests/artifacts/)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Customer, utcnow
from backoffice.services import customer_addresses

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    no_horizontal_overflow,
    set_viewport,
    settle,
    visible_text,
    wait_for_path,
)
from ..support.companies import actor, company_with
from ..support.factories import edit_content, make_content, make_customer, make_user, publish_content
from ..support.legal import accept
from ..support.portal import delivered_order, invite

pytestmark = pytest.mark.browser

HOSTILE = 'Zoë <img src=x onerror="window.__x=1"> "O\'Brien"'
# markup in a legal text (Markdown, rendered sanitized): no image, whose made-up address the browser would fetch
HOSTILE_MARKUP = 'Zoë <script>window.__x=1</script><b onclick="window.__x=1">"O\'Brien"</b>'
# one word longer than a desktop's page is wide (a compound, a pasted address): the text wraps it, the page stays put
LONG_WORD = 'Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt' * 3
NEW_TERMS = (
    '# Terms: "v2"\n\nSecond version: **what changed**.\n\n'
    '1. Delivery within 5 working days across France; 10 abroad.\n'
    '2. Returns within 30 days of delivery, the parcel unopened: we refund the goods and the first shipping.\n'
    f'3. Disputes: {HOSTILE_MARKUP} — the courts of Paris.\n'
    f'4. Notices: {LONG_WORD}'
)


def test_the_company_tab_and_the_address_book_at_a_phones_and_a_desktops_width(
    driver: WebDriver, server: RunningServer
) -> None:
    db.configure(server.database_url)
    make_customer('zoe@acme.com', name=HOSTILE)
    company_with('Acme Trading', {'ada@acme.com': 'admin', 'bob@acme.com': 'buyer', 'zoe@acme.com': 'viewer'})
    order = delivered_order('bob@acme.com', sku='B2B-MUG', tracking='JJD778')
    terms = make_content('chromium-portal-terms', title=f'Terms {HOSTILE}', kind='legal', body=f'Text {HOSTILE}')
    terms = publish_content(terms, actor=make_user('manager'), now=utcnow() - timedelta(days=40))
    accept('ada@acme.com', 'chromium-portal-terms', 1, at=utcnow() - timedelta(days=30))
    publish_content(edit_content(terms, make_user('manager'), body=NEW_TERMS), actor=make_user('manager'))
    ada = actor('ada@acme.com')
    with session_scope() as session:
        customer_addresses.save(
            session=session,
            by=ada,
            customer_id=ada.customer_id,
            address_id=None,
            version=None,
            data={
                'label': 'Head office',
                'name': 'Ada Lovelace',
                'line1': "12 rue de l'Église",
                'postcode': '75004',
                'city': 'Paris',
                'country': 'France',
                'phone': '+33 1 23 45 67 89',
                'default_shipping': True,
                'default_billing': True,
            },
        )
    with db.read_session() as session:
        customer = session.exec(select(Customer).where(Customer.email == 'ada@acme.com')).one()
    driver.get(f'{server.url}{invite(customer)}')
    button(driver, 'Open my account').click()
    wait_for_path(driver, '/portal')
    visible_text(driver, f'Order {order.number}')  # a buyer's order, seen by the company admin

    ARTIFACTS.mkdir(exist_ok=True)
    screens = {
        'company': ('/portal/company', 'Invite a colleague'),
        'addresses': ('/portal/account', 'Head office'),
        'company-order': (f'/portal/orders/{order.number}', 'JJD778'),
        'home': ('/portal', 'New terms to accept'),
        'legal': ('/portal/legal', 'I accept version 2'),
    }
    for width, height in ((390, 844), (1440, 900)):
        set_viewport(driver, width, height)
        for name, (path, shown) in screens.items():
            driver.get(f'{server.url}{path}')
            visible_text(driver, shown)
            settle(driver)
            if name == 'legal':  # this file's document (other files' may be listed too): its title and text as text
                card = next(c for c in driver.find_elements(By.CSS_SELECTOR, '.q-card') if f'Terms {HOSTILE}' in c.text)
                driver.execute_script('arguments[0].scrollIntoView({block: "start"})', card)
                settle(driver)
                assert 'Version 2 is new: read it and accept it.' in card.text
                # the text, open to read, formatted as the staff previewed its Markdown ('# Terms' and '**' were shown
                # as typed), sanitized: the hostile tag is inert, its words are there; the heading at a reading size
                shown = card.find_element(By.CSS_SELECTOR, '.bo-legal-text')
                assert 'Disputes: Zoë' in shown.text and '"O\'Brien"' in shown.text and '**' not in shown.text
                heading = shown.find_element(By.TAG_NAME, 'h1')
                assert heading.text == 'Terms: "v2"'
                assert float(heading.value_of_css_property('font-size').removesuffix('px')) <= 24
                assert shown.find_element(By.TAG_NAME, 'strong').text == 'what changed'
                assert not shown.find_elements(By.CSS_SELECTOR, '[onclick], script')
                card.find_element(By.XPATH, ".//*[text()='Your acceptance (1)']").click()  # the history, unfolded
                settle(driver)
                assert 'Version 1: accepted on ' in card.text and ', via the shop' in card.text
            driver.save_screenshot(str(ARTIFACTS / f'portal-b2b-{name}-{width}.png'))
            assert no_horizontal_overflow(driver), f'the portal page {path} overflows sideways at {width} px'
            current = driver.find_elements(By.CSS_SELECTOR, 'nav a[aria-current="page"]')
            assert len(current) == 1 and current[0].is_displayed(), path
    driver.get(f'{server.url}/portal/company')
    visible_text(driver, 'Zoë')
    assert driver.execute_script('return window.__x') is None, 'markup from a member name ran'
