"""An order's page in a real browser, with its lines, payment, invoice and tracking link, and a team note typed on a
phone (hostile, one long word), at a phone's and a desktop's width: nothing overflows sideways, the note shows as
text; the order ships in two parcels, the second through the Ship dialog, "Cancel what is not shipped" offered between
them (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.models import Carrier
from backoffice.services import orders, payments

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    button,
    field,
    next_load_at,
    no_horizontal_overflow,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import advance, make_product, make_user, pay, place, ship_with

pytestmark = pytest.mark.browser


def test_an_order_page_shows_its_story_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the order is made through the services
    manager = make_user('manager')
    make_product('BEANS-ETH', '14.90', stock_on_hand=50, actor=manager, name='Ethiopia Yirgacheffe, whole beans')
    make_product('GRINDER-C2', '129.00', stock_on_hand=5, actor=manager, name='Hand grinder C2')
    with session_scope() as session:
        carrier = Carrier(code='dhl-b', name='DHL', tracking_url_template='https://track.example/{tracking}')
        session.add(carrier)
        session.commit()
    order = place(
        ('BEANS-ETH', 2),
        ('GRINDER-C2', 1, '10'),
        email='zoe.wisniewski@example.com',
        shipping_name='Zoë Wiśniewski',
        external_id='shop-77',
        # typed on the phone by the customer: markup, quotes and a pasted code with no space to break it at
        shipping_address='1 Main St: "back door" <img src=x onerror="window.__x=1">\n' + 'BERLIN-10115-' * 12,
        note='Leave it with "Anna" <script>window.__x=2</script> ' + 'https://maps.example/' + 'X' * 120,
    )
    # the bank statement line pasted as the reference: quotes, a colon, markup and one long word
    pay(manager, order, reference='SEPA: "Zoë" <b>x</b> ' + 'RF18' * 24)  # 117 of the 120 a payment keeps
    with session_scope() as session:  # a gesture, its reason a pasted link: one long word
        payments.refund(session=session, actor=manager, order_id=order.id, amount='0.50', reason='Late: ' + 'QX' * 60)
    order = advance(manager, order, 'pack')
    with read_session() as session:  # what was on the shelf first: one bag of beans of two
        beans = orders.order_lines(session, order.id)[0]
    ship_with(manager, order, carrier_id=carrier.id, tracking_number='JJD000390007', lines={beans.id: 1})

    set_viewport(driver, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, f'/orders/{order.number}')
    visible_text(driver, 'Hand grinder C2')
    link = driver.find_element(By.LINK_TEXT, 'JJD000390007')
    assert link.get_attribute('href') == 'https://track.example/JJD000390007'
    # a team note typed on the phone: a tracking link pasted whole (one long word) and markup, shown as typed
    note = 'Customer: "parcel" ' + 'https://track.example/' + 'JJD' * 30 + ' <img src=x onerror="window.__x=1">'
    driver.find_element(By.CSS_SELECTOR, 'textarea[placeholder="Add a note for the team"]').send_keys(note)
    button(driver, 'Add note').click()
    visible_text(driver, 'Note added')
    visible_text(driver, 'Note: Customer:')
    assert f'Note: {note}' in driver.execute_script('return document.body.innerText')  # as text: no image, no script
    assert driver.execute_script('return window.__x') is None
    visible_text(driver, 'Partly shipped')
    visible_text(driver, 'Still to ship: 1 × BEANS-ETH Ethiopia Yirgacheffe, whole beans, 1 × GRINDER-C2')
    # the rest, in a second parcel: the dialog offers what remains of each line
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/orders/{order.number}')
        # what is not shipped may be called off instead: its dialog says what and what it cost (closed unused here)
        rest = button(driver, 'Cancel what is not shipped')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', rest)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'order-cancel-rest-action-{width}.png'))
        rest.click()
        visible_text(driver, 'Not shipped, will not be sent: 1 × BEANS-ETH, 1 × GRINDER-C2')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'order-cancel-rest-dialog-{width}.png'))
        assert no_horizontal_overflow(driver), f'the Cancel what is not shipped dialog overflows sideways at {width} px'
        button(driver, 'Close').click()
        ship = button(driver, 'Ship')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', ship)  # not under the header
        ship.click()
        visible_text(driver, 'In this parcel')
        assert field(driver, 'GRINDER-C2 Hand grinder C2').get_attribute('value') == '1'
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'order-ship-dialog-{width}.png'))
        assert no_horizontal_overflow(driver), f'the Ship dialog overflows sideways at {width} px'
        if width == 390:
            button(driver, 'Close').click()
    field(driver, 'Tracking number').send_keys('JJD 000390008 <b>"x"</b>')
    button(driver, 'Ship', topmost=True).click()
    visible_text(driver, 'Parcel 2')
    for width, height in ((1440, 900), (390, 844)):
        if width != 1440:  # the desktop's page is the one the parcel was shipped from
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/orders/{order.number}')
        parcel = visible_text(driver, 'Parcel 1')
        visible_text(driver, 'Parcel 2')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', parcel)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'order-parcels-{width}.png'))
        driver.execute_script('window.scrollTo(0, 0)')
        assert 'JJD000390008<b>"x"</b>' in driver.execute_script('return document.body.innerText')  # as text
        visible_text(driver, 'Zoë Wiśniewski')
        visible_text(driver, 'Note: Customer:')
        visible_text(driver, 'BERLIN-10115-BERLIN')  # the address as typed, wrapped inside the page
        visible_text(driver, 'Shipped · Partly refunded')  # not "Shipped" alone: money went back
        visible_text(driver, '· -€0.50')  # its credit note, beside the invoice, takes back
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'order-{width}.png'))
        assert no_horizontal_overflow(driver), f'the order page overflows sideways at {width} px'
