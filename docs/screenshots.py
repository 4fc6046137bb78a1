"""The README's pictures, taken again on a fresh demo shop: `.venv/bin/python docs/screenshots.py` (about a minute;
needs Debian's chromium and chromium-driver). Writes docs/dashboard-1440.png, dashboard-390.png, requests-1440.png
and order-1440.png; look at them before committing."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import app_server, chromium, sign_in  # noqa: E402

DOCS = ROOT / 'docs'
EMAIL, PASSWORD = 'admin@example.com', 'Readme-Pictures-2026'
SETTLE = 1.5  # seconds for charts and fonts to finish drawing before a picture


def main() -> None:
    with tempfile.TemporaryDirectory(prefix='bo-screenshots-') as folder:
        work = Path(folder)
        env = {
            'BACKOFFICE_DEMO': '1',
            'BACKOFFICE_ADMIN_EMAIL': EMAIL,
            'BACKOFFICE_ADMIN_PASSWORD': PASSWORD,
            'BACKOFFICE_SCHEDULER': '1',  # as `make run`: it computes the KPIs' earlier history in the background
        }
        with app_server(f'sqlite:///{work / "demo.db"}', work, env=env) as (base, _server):
            driver = chromium(work / 'profile', width=1440, height=900)
            try:
                take(driver, base)
            finally:
                driver.quit()


def take(driver, base: str) -> None:
    wait = WebDriverWait(driver, 60)
    sign_in(driver, base, EMAIL, PASSWORD)
    viewport(driver, 1440, 900)
    history = WebDriverWait(
        driver, 300, poll_frequency=5
    )  # the Turnover card compares with the 30 days before once computed
    history.until(lambda d: d.get(f'{base}/') or turnover_compared(d.find_element(By.TAG_NAME, 'body').text))
    for width, height in ((1440, 900), (390, 844)):
        viewport(driver, width, height)
        driver.get(f'{base}/')
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '.js-plotly-plot .main-svg')) >= 4)
        picture(driver, f'dashboard-{width}.png')
    viewport(driver, 1440, 900)
    driver.get(f'{base}/requests')
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.q-table tbody tr'))
    picture(driver, 'requests-1440.png')
    driver.get(f'{base}/orders?status=shipped')
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.q-table tbody tr'))
    driver.find_elements(By.CSS_SELECTOR, '.q-table tbody tr td')[1].click()  # its number (the first cell selects)
    wait.until(lambda d: '/orders/' in d.current_url)
    wait.until(lambda d: d.find_elements(By.XPATH, '//*[normalize-space(text())="Timeline"]'))
    picture(driver, 'order-1440.png')


def turnover_compared(text: str) -> bool:
    """The Turnover card's change line is a change, not "no earlier data" (the requests' and stock's cards keep
    saying it: the demo's requests are from the last weeks only, stock is a snapshot)."""
    lines = text.splitlines()
    return 'Turnover' in lines and lines[lines.index('Turnover') + 2] != 'no earlier data'


def viewport(driver, width: int, height: int) -> None:
    """The page itself this size (headless Chromium's window has a frame around it)."""
    driver.set_window_size(width, height)
    inner = driver.execute_script('return [window.innerWidth, window.innerHeight]')
    driver.set_window_size(width + width - inner[0], height + height - inner[1])


def picture(driver, name: str) -> None:
    time.sleep(SETTLE)
    driver.save_screenshot(str(DOCS / name))
    print(DOCS / name)


if __name__ == '__main__':
    main()
