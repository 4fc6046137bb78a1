"""The customer portal in a real browser: a customer opens it from the invitation's link, replies to a request and the
agent (in another browser) sees it live; the agent's answer appears in the portal live, their note never does. Every
portal screen at a phone's and a desktop's width, nothing overflowing sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import orders, payments

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    no_horizontal_overflow,
    resize_and_settle,
    settle,
    sign_in,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.factories import (
    PASSWORD,
    advance,
    fresh,
    make_customer,
    make_product,
    make_user,
    pay,
    place,
    submit_request,
)
from ..support.portal import delivered_order, invite

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__x=1">'


def test_a_customer_replies_in_the_portal_and_the_agent_sees_it_live_and_back(
    driver: WebDriver, second_browser: WebDriver, server: RunningServer
) -> None:
    db.configure(server.database_url)  # the browser's server database: the records are made through the services
    customer = make_customer('rosa.portal@example.com', name='Rosa Portal')
    order = delivered_order(customer.email, sku='PORTAL-MUG', tracking='JJD777')
    request = submit_request('Mug arrived chipped', email=customer.email, order_number=order.number)
    agent = make_user('agent', name='Alex Agent')
    link = invite(customer)
    manager = make_user('manager')  # a second order, shipped in two parcels: the first has left
    make_product('PORTAL-TEE', '20.00', name='Tee "<b>x</b>"', stock_on_hand=5, actor=manager)
    partly = place(('PORTAL-MUG', 3), ('PORTAL-TEE', 1), email=customer.email)
    pay(manager, partly)
    partly = advance(manager, partly, 'pack')
    with session_scope() as session:
        mug_line = orders.order_lines(session, partly.id)[0].id
        orders.ship(
            session=session,
            actor=manager,
            order_id=partly.id,
            version=fresh(partly.id).version,
            lines={mug_line: 2},
            tracking_number=f'JJD778{HOSTILE}',
        )

    driver.get(f'{server.url}{link}')
    button(driver, 'Open my account').click()
    wait_for_path(driver, '/portal')
    visible_text(driver, f'Order {order.number}')

    second_browser.get(f'{server.url}/requests/{request.number}')
    sign_in(second_browser, agent.email, PASSWORD)
    wait_for_path(second_browser, f'/requests/{request.number}')
    visible_text(second_browser, 'Mug arrived chipped')
    second_browser.execute_script('window.__loaded = "once"')

    driver.get(f'{server.url}/portal/requests/{request.number}')
    driver.execute_script('window.__loaded = "once"')
    visible(driver, 'textarea').send_keys(f'Photo attached {HOSTILE}')
    button(driver, 'Send reply').click()
    visible_text(second_browser, 'Photo attached')  # live on the agent's screen
    assert second_browser.execute_script('return window.__loaded') == 'once', 'the agent page was reloaded'

    second_browser.find_element(By.CSS_SELECTOR, 'textarea').send_keys('Internal: check the batch')
    button(second_browser, 'Add note').click()
    visible_text(second_browser, 'Internal: check the batch')
    second_browser.find_element(By.CSS_SELECTOR, 'textarea').send_keys('Sorry! A new mug is on its way.')
    button(second_browser, 'Send reply').click()
    visible_text(driver, 'Sorry! A new mug is on its way.')  # live in the portal
    visible_text(driver, 'Waiting for your answer')
    assert driver.execute_script('return window.__loaded') == 'once', 'the portal page was reloaded'
    assert 'Internal: check the batch' not in driver.find_element(By.TAG_NAME, 'body').text
    assert driver.execute_script('return window.__x') is None, 'markup from the reply ran'
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: f'Photo attached {HOSTILE}' in d.find_element(By.TAG_NAME, 'body').text
    )

    with session_scope() as session:  # a gesture for the chipped mug: the order and its documents say so
        payments.refund(session=session, actor=make_user('manager'), order_id=order.id, amount='5', reason='Chipped')
    ARTIFACTS.mkdir(exist_ok=True)
    screens = {
        'orders': ('/portal', 'Delivered · Partly refunded'),
        'order': (f'/portal/orders/{order.number}', 'JJD777'),
        'parcels': (f'/portal/orders/{partly.number}', 'Parcel 1'),  # partly shipped: each parcel with its items
        'invoices': ('/portal/invoices', '-€5.00'),  # the credit note takes back
        'requests': ('/portal/requests', 'Mug arrived chipped'),
        'request': (f'/portal/requests/{request.number}', 'Sorry! A new mug is on its way.'),
        'new-request': ('/portal/requests/new', 'Your message'),
        'account': ('/portal/account', 'Save password'),
    }
    # each portal page loads once, at the width the page before was left at, and is then turned into the other's
    # window (one load a page, not two; the portal is built alike at any width, components/viewport.py is for lists),
    # so that no page is laid out at the next one's width before it is left (issue 12)
    sizes = [(1440, 900), (390, 844)]  # the reply above was read in the desktop's window
    for name, (path, shown) in screens.items():
        driver.get(f'{server.url}{path}')
        visible_text(driver, shown)
        for width, height in sizes:
            if (width, height) != sizes[0]:
                resize_and_settle(driver, width, height)
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / f'portal-{name}-{width}.png'))
            assert no_horizontal_overflow(driver), f'the portal page {path} overflows sideways at {width} px'
        sizes.reverse()
    button(driver, 'Sign out').click()
    wait_for_path(driver, '/portal/login')  # the sign-in page signing out sent to: looked at at either width
    visible_text(driver, 'Email me a link')
    for width, height in sizes:
        if (width, height) != sizes[0]:
            resize_and_settle(driver, width, height)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'portal-sign-in-{width}.png'))
        assert no_horizontal_overflow(driver)
