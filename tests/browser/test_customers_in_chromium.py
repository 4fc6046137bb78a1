"""Customers in a real browser: two people edit the same customer and the later save is refused with who changed it;
the list and the record dialog at phone and desktop widths; the merge of a duplicate, its preview at both widths."""

from __future__ import annotations

from uuid import uuid4

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Customer

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    WebDriverWait,
    button,
    field,
    list_counts,
    no_horizontal_overflow,
    open_customers,
    replace_text,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.companies import add_member
from ..support.factories import PASSWORD, make_company, make_customer, make_role, make_user

pytestmark = pytest.mark.browser
CONTESTED = f'contested.{uuid4().hex[:8]}@example.com'  # this run's own: the server's database is shared


def visible_text_of(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, 'body').text


def open_row(driver: WebDriver, email: str) -> None:
    visible(driver, 'table')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_elements(By.XPATH, f'//tr[td[normalize-space(.)="{email}"]]'), f'{email} is not listed'
    )
    driver.find_element(By.XPATH, f'//tr[td[normalize-space(.)="{email}"]]/td[2]').click()
    button(driver, 'Save changes')


def test_two_browsers_editing_one_customer_show_the_conflict(
    driver: WebDriver, second_browser: WebDriver, base_url: str
) -> None:
    open_customers(driver, base_url)
    button(driver, 'New customer').click()
    field(driver, 'Email *').send_keys(CONTESTED)
    field(driver, 'Name').send_keys('Original Name')
    button(driver, 'Create customer').click()
    visible_text(driver, 'Customer created')

    open_customers(second_browser, base_url)
    open_row(driver, CONTESTED)
    open_row(second_browser, CONTESTED)

    replace_text(field(driver, 'Name'), 'Changed in the first browser')
    button(driver, 'Save changes').click()
    visible_text(driver, 'Changes saved')

    replace_text(field(second_browser, 'Phone'), '+41 44 123 45 67')
    button(second_browser, 'Save changes').click()
    visible_text(second_browser, 'changed by Administrator')  # the colleague by their name, not their email
    set_viewport(second_browser, 1440, 900)
    settle(second_browser)
    second_browser.save_screenshot(str(ARTIFACTS / 'customer-conflict-1440.png'))

    button(second_browser, 'Reload').click()
    WebDriverWait(second_browser, TIMEOUT).until(  # theirs shows (a round trip to the server)
        lambda d: field(d, 'Name').get_attribute('value') == 'Changed in the first browser', 'the reload shows theirs'
    )
    assert field(second_browser, 'Phone').get_attribute('value') == '+41 44 123 45 67'  # what was typed is kept
    button(second_browser, 'Save changes').click()
    visible_text(second_browser, 'Changes saved')


def test_the_customer_list_on_a_phone_and_a_desktop(driver: WebDriver, base_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, 390, 844)
    open_customers(driver, base_url)
    visible(driver, '.resource-table')
    settle(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, '.resource-table table'), 'a phone shows cards, not a table'
    assert no_horizontal_overflow(driver)
    # the views and the list's buttons share one row under the search box (the download button wrapped to its own)
    tops = {
        label: driver.find_element(By.CSS_SELECTOR, f'button[aria-label="{label}"]').rect['y']
        for label in ('Save view', 'Export')
    }
    assert tops['Save view'] == tops['Export'], tops
    driver.save_screenshot(str(ARTIFACTS / 'customers-390.png'))
    set_viewport(driver, 1440, 900)
    visible(driver, '.resource-table table')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'customers-1440.png'))


def test_merging_a_duplicate_with_its_preview_at_390_and_1440(driver: WebDriver, server) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the customers are made through the services
    mark = uuid4().hex[:8]
    kept = make_customer(f'kept.{mark}@example.com', name='Jane "<b>Kept</b>"', consent=True)
    twin = make_customer(f'twin.{mark}@example.com', name='Jane Twin: <script>window.__x=1</script>')
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, f'/customers/{kept.id}')
    button(driver, 'Merge with…').click()
    picker = visible(driver, '.q-dialog .q-select input')
    picker.send_keys(f'twin.{mark}')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, '.q-menu .q-item') if f'twin.{mark}' in o.text],
        'the duplicate is offered',
    )[0].click()
    visible_text(driver, 'Marketing consent after the merge: No')
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'customer-merge-preview-390.png'))
    resize_and_settle(driver, 1440, 900)
    driver.save_screenshot(str(ARTIFACTS / 'customer-merge-preview-1440.png'))
    button(driver, 'Merge').click()
    WebDriverWait(driver, TIMEOUT).until(  # the kept customer's page again, without the dialog
        lambda d: not d.find_elements(By.CSS_SELECTOR, '.q-dialog'), 'the dialog closes on the kept customer'
    )
    visible_text(driver, f'kept.{mark}@example.com')
    with session_scope() as session:
        assert session.get(Customer, twin.id).merged_into_id == kept.id
    assert driver.execute_script('return window.__x') is None


def test_a_clerk_without_orders_sees_what_else_moves_uncounted_and_finds_customers_by_company(
    driver: WebDriver, server
) -> None:
    """A clerk who may change customers but not read orders: the merge's preview names what moves that they may not
    read, without a number; the header's search finds a company's contacts by its name, the company named beside
    them. Both at 390 and 1440 px."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    mark = uuid4().hex[:8]
    company = make_company(f'Quokkaco {mark}: "<b>Freight</b>" <script>window.__x=1</script>')
    kept = make_customer(f'kept2.{mark}@example.com', name='Kept "<i>Two</i>"', company_id=company.id)
    make_customer(f'twin2.{mark}@example.com', name="Twin: O'Brien <script>window.__x=1</script>")
    role = make_role('customers.read', 'customers.write', name=f'Clerk {mark}')
    clerk = make_user(role.key, email=f'clerk.{mark}@example.com')
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, f'/customers/{kept.id}', email=clerk.email, password=PASSWORD)
    button(driver, 'Merge with…').click()
    visible(driver, '.q-dialog .q-select input').send_keys(f'twin2.{mark}')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, '.q-menu .q-item') if f'twin2.{mark}' in o.text],
        'the duplicate is offered',
    )[0].click()
    visible_text(driver, 'Also moves, if any, what you may not read: orders, requests')
    settle(driver)
    assert no_horizontal_overflow(driver)
    driver.save_screenshot(str(ARTIFACTS / 'customer-merge-unseen-390.png'))
    resize_and_settle(driver, 1440, 900)
    driver.save_screenshot(str(ARTIFACTS / 'customer-merge-unseen-1440.png'))
    button(driver, 'Cancel').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '.q-dialog'), 'dialog open')
    # typed as a person would, then with the name's markup (a prefix of it: the company's name, taken as text)
    for width, height, typed in ((1440, 900, f'quokkaco {mark}'), (390, 844, f'QUOKKACO {mark}: "<b>fr')):
        resize_and_settle(driver, width, height)
        box = visible(driver, '.bo-global-search input')
        box.click()
        replace_text(box, typed)
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: any(
                f'kept2.{mark}@example.com · ' in (e.get_attribute('textContent') or '')
                for e in d.find_elements(By.CSS_SELECTOR, '.bo-search-hits a[href]')
            ),
            'the contact is not found by the company name',
        )
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'global-search-company-contacts-{width}.png'))
        box.send_keys(Keys.ESCAPE)
    # the companies list finds the company by a contact's email, as a support agent holding it would look it up
    driver.get(f'{server.url}/companies')  # loaded at a phone's width (the drawer closed), then a desktop's
    for width, height in ((390, 844), (1440, 900)):
        resize_and_settle(driver, width, height)
        box = field(driver, 'Search companies')
        replace_text(box, f'KEPT2.{mark}@example.com')
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: list_counts(d, 'company')['rows'] == 1 and f'Quokkaco {mark}' in visible_text_of(d),
            "the company is not found by its contact's email",
        )
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'companies-search-contact-email-{width}.png'))
    # the company's last admin is not moved out of it from their form: the company field says why
    add_member(company.id, kept.email, 'admin')
    driver.get(f'{server.url}/customers')
    replace_text(field(driver, 'Search customers'), kept.email)
    open_row(driver, kept.email)
    company_field = visible(driver, '.q-dialog').find_element(
        By.XPATH, './/label[contains(@class, "q-field")][.//div[normalize-space(.)="Company"]]'
    )

    # the company shown first (the form fills it once read: a clear before that was undone by it, under a CI run's
    # load), then cleared, and only then saved
    def shown() -> str:  # the chosen company: the field's text, or its typeahead's input
        inputs = company_field.find_elements(By.CSS_SELECTOR, 'input')
        return (company_field.get_attribute('textContent') or '') + ' '.join(
            i.get_attribute('value') or '' for i in inputs
        )

    WebDriverWait(driver, TIMEOUT).until(lambda _d: f'Quokkaco {mark}' in shown(), 'the company shows')
    company_field.find_element(By.CSS_SELECTOR, '.q-field__focusable-action').click()
    WebDriverWait(driver, TIMEOUT).until(lambda _d: f'Quokkaco {mark}' not in shown(), 'it is cleared')
    settle(driver)
    button(driver, 'Save changes').click()
    visible_text(driver, 'is the last company admin of Quokkaco')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'customer-last-admin-moved-1440.png'))
    resize_and_settle(driver, 390, 844)
    driver.save_screenshot(str(ARTIFACTS / 'customer-last-admin-moved-390.png'))
    assert no_horizontal_overflow(driver)
    assert driver.execute_script('return window.__x') is None
