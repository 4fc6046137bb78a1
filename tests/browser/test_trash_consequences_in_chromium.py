"""Deleting a category that products are in, in a real browser at a phone's and a desktop's width: the confirmation
says how many first, the hostile name stays text, and confirming moves it to the trash (screenshots in
tests/artifacts/)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Category

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.factories import make_category, make_product

pytestmark = pytest.mark.browser
NAMES = {390: 'Tea "green": <img src=x onerror="window.__x=1">', 1440: 'Coffee "dark": <script>x</script>'}
SAID = (
    '2 products are in this category: they will show no category while it is in the trash. '
    'Restoring it from the trash brings these links back.'
)


def open_category(driver: WebDriver, word: str) -> None:
    """Open the category whose name starts with `word` (XPath has no escape for the quotes in the rest)."""

    def row(d: WebDriver):
        cells = d.find_elements(By.XPATH, f'//td[starts-with(normalize-space(.), "{word}")]')  # a desktop's table
        cells += d.find_elements(  # the card on a phone
            By.XPATH, f'//*[contains(@class, "bo-card")][.//*[starts-with(normalize-space(.), "{word}")]]'
        )
        return next((cell for cell in cells if cell.is_displayed()), None)

    WebDriverWait(driver, TIMEOUT).until(row, f'no row "{word}…"').click()
    visible(driver, '.q-dialog .q-card')
    settle(driver)


def shown_exactly(driver: WebDriver, text: str) -> bool:
    return any(e.is_displayed() and e.text == text for e in driver.find_elements(By.CSS_SELECTOR, '.q-dialog div'))


def trashed(name: str) -> bool:
    with session_scope() as session:
        return session.exec(select(Category).where(Category.name == name)).one().deleted_at is not None


def test_the_delete_confirmation_counts_the_products_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)  # the browser's server database: the records are made through the services
    for width, name in NAMES.items():
        shelf = make_category(name)
        for n in range(2):
            make_product(f'SHELF-{width}-{n}', category_id=shelf.id)
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/categories')  # loaded once on a phone, then turned wide (issue 12)
    for width, height in ((390, 844), (1440, 900)):
        name = NAMES[width]
        if width != 390:
            resize_and_settle(driver, width, height)
        open_category(driver, name.split()[0])
        button(driver, 'Delete').click()
        visible_text(driver, SAID)
        WebDriverWait(driver, TIMEOUT).until(
            lambda d, n=name: shown_exactly(d, f'Move “{n}” to the trash?'), 'the name is not shown as typed'
        )
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'trash-consequences-{width}.png'))
        assert no_horizontal_overflow(driver), f'the confirmation overflows sideways at {width} px'
        assert driver.execute_script('return window.__x') is None
        button(driver, 'Move to the trash').click()
        visible_text(driver, 'Category moved to the trash')
        WebDriverWait(driver, TIMEOUT).until(lambda _d, n=name: trashed(n), 'the category is not in the trash')
