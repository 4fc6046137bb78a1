"""An import file over BACKOFFICE_MAX_UPLOAD_MB in a real browser: the uploader refuses it before sending, and when a
client sends it anyway the server answers 413 while it streams and the dialog says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    WebDriverWait,
    button,
    open_customers,
    read_whole,
    set_viewport,
    settle,
    visible_text,
)

pytestmark = pytest.mark.browser

TOO_LARGE = 'The file is larger than 20 MB; split it into smaller files'


@pytest.fixture
def big_csv(tmp_path: Path) -> Path:
    path = tmp_path / 'customers "big": <script>.csv'
    line = b'x@example.com,"Name: <script>alert(1)</script>"\n'
    path.write_bytes(b'Email,Name\n' + line * (21 * 1024 * 1024 // len(line) + 1))
    return path


def choose(driver: WebDriver, path: Path) -> None:
    driver.find_element(By.CSS_SELECTOR, '.q-uploader input[type=file]').send_keys(str(path))


def test_a_file_over_the_limit_is_refused_with_the_reason_in_the_dialog(
    driver: WebDriver, base_url: str, big_csv: Path
) -> None:
    open_customers(driver, base_url)
    button(driver, 'Import').click()
    visible_text(driver, 'Choose a file')
    choose(driver, big_csv)  # the uploader refuses it before sending a byte
    visible_text(driver, f'{TOO_LARGE} (only .csv and .xlsx files are read)')

    # a client that ignores the uploader's limit sends it anyway: the server cuts it off with 413
    driver.execute_script("""
        const id = document.querySelector('.q-uploader').id.replace(/^c/, '');
        delete mounted_app.elements[id].props['max-file-size'];""")
    choose(driver, big_csv)
    # the one console error expected: the refused upload itself (waited for: the first refusal's words are on screen
    # already, so they cannot tell that the server has answered)
    errors: list[str] = []

    def refused(d: WebDriver) -> bool:
        errors.extend(entry['message'] for entry in d.get_log('browser') if entry['level'] == 'SEVERE')
        return any('413' in error for error in errors)

    WebDriverWait(driver, TIMEOUT).until(refused, 'the server refuses the upload with 413')
    visible_text(driver, TOO_LARGE)
    assert all('/upload/' in error and '413' in error for error in errors), errors


@pytest.fixture
def long_csv(tmp_path: Path) -> Path:
    path = tmp_path / 'customers.csv'
    rows = ''.join(f'p{n}@example.com,"P{n}: \'q\' <img src=x onerror=""window.__x=1"">"\n' for n in range(1, 3001))
    path.write_text(f'Email,Name\n{rows}')
    return path


def test_the_preview_pages_over_every_row_and_shows_hostile_text_as_text(
    driver: WebDriver, base_url: str, long_csv: Path
) -> None:
    open_customers(driver, base_url)
    button(driver, 'Import').click()
    visible_text(driver, 'Choose a file')
    choose(driver, long_csv)
    visible_text(driver, '3,000 new')
    visible_text(driver, '1–10 of 3,000')  # the pager counts every row (not the first 500), in a list's words
    cells = read_whole(driver, lambda d: [cell.text for cell in d.find_elements(By.CSS_SELECTOR, '.q-table td')])
    assert 'Email: p1@example.com; Name: P1: \'q\' <img src=x onerror="window.__x=1">' in cells, cells
    assert driver.execute_script('return window.__x') is None
    settle(driver)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / 'import-preview-1440.png'))
    apply_in_view = 'return arguments[0].getBoundingClientRect().bottom <= window.innerHeight'
    assert driver.execute_script(apply_in_view, button(driver, 'Apply 3,000 changes'))  # without scrolling for it
    set_viewport(driver, 390, 844)
    visible_text(driver, '3,000 new')
    driver.save_screenshot(str(ARTIFACTS / 'import-preview-390.png'))
    assert driver.execute_script(apply_in_view, button(driver, 'Apply 3,000 changes'))
