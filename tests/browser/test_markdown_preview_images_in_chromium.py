"""A Markdown field's preview loads no image from another site: a tracking pixel in a text a customer wrote, or one
imported, would tell its sender the operator's address and the moment they read it. The preview says where the image
would have come from instead; an image of the app itself, or written into the text (data:), still shows."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from nicegui import __version__
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    free_port,
    patient,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
)

pytestmark = pytest.mark.browser
HOSTILE = 'Zoë "Z" O\'Hara: <script>window.__x=1</script>'
OURS = f'/_nicegui/{__version__}/static/sad_face.svg'  # an image of the app itself
# one word wider than the dialog (a compound, a pasted address): the preview wraps it, as the customer's page does
LONG_WORD = 'Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt' * 3
DOT = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'


class Tracker(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        Tracker.hits.append(self.path)
        self.send_response(200)
        self.send_header('Content-Type', 'image/gif')
        self.end_headers()
        self.wfile.write(b'GIF89a')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tracker() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(('127.0.0.1', free_port()), Tracker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Tracker.hits = []
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()


def test_the_preview_requests_no_image_from_another_site(
    driver: WebDriver, server: RunningServer, tracker: str
) -> None:
    """/content loaded once on a phone, the preview looked at there; the page turned to a laptop's width and a new
    form's preview looked at again (issue 12: one load, not two a width)."""
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/content')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            button(driver, 'Cancel', topmost=True).click()
            resize_and_settle(driver, width, height)
        previewed(driver, tracker, width)


def previewed(driver: WebDriver, tracker: str, width: int) -> None:
    """A new page's form, a text with images from another site, ours and written in: the preview loads none of the
    other site's and says where each would have come from."""
    button(driver, 'New page').click()
    host = tracker.split('//')[1]
    text = (
        f'# Offer {HOSTILE}\n\n'
        f'Read ![pixel "one"]({tracker}/md.gif?to=operator) and <img src="{tracker}/raw.gif" alt="raw <b>">\n\n'
        f'<IMG SRC=" //{host}/proto.gif"> <img srcset="{tracker}/set.gif 2x"> '
        f'<video poster="{tracker}/poster.gif"></video>\n\n'
        f'<p style="background:url({tracker}/css.gif)">styled</p>\n\n'
        f'![ref][t]\n\n[t]: {tracker}/ref.gif\n\n'
        f'Ours: ![the dot]({DOT}) and ![face]({OURS}) <img src="{DOT}" onload="window.__x=2">\n\n'
        f'Notices: {LONG_WORD}'
    )
    body = WebDriverWait(driver, TIMEOUT).until(
        lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, '.q-dialog textarea') if e.is_displayed()), None),
        'the form did not open',
    )
    settle(driver)  # the dialog grown in: while it grows, its scrolling body is over the field for a moment
    patient(body).click()
    driver.execute_cdp_cmd('Input.insertText', {'text': text})
    opener = WebDriverWait(driver, TIMEOUT).until(
        lambda d: next(
            (
                e
                for e in d.find_elements(By.CSS_SELECTOR, '.q-dialog .q-expansion-item .q-item')
                if e.is_displayed() and 'Preview' in e.text.split()
            ),
            None,
        ),
        'no Preview to open',
    )
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', opener)
    opener.click()
    preview = WebDriverWait(driver, TIMEOUT).until(
        lambda d: next(
            (e for e in d.find_elements(By.CSS_SELECTOR, '.q-dialog .nicegui-markdown') if 'Offer' in e.text), None
        ),
        'the preview did not show the text',
    )
    settle(driver)
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', preview)
    driver.save_screenshot(str(ARTIFACTS / f'markdown-preview-images-{width}.png'))
    assert Tracker.hits == []
    shown = preview.text
    assert 'Offer Zoë "Z" O\'Hara:' in shown  # the script is taken out (DOMPurify), the rest shown
    assert f'Image from {host} not shown in the preview' in shown
    sources = driver.execute_script(
        'return [...arguments[0].querySelectorAll("img")].map(i => i.getAttribute("src"))', preview
    )
    assert DOT in sources and OURS in sources  # the text's own image and the app's still show
    assert not [s for s in sources if s and host in s]
    assert driver.execute_script('return window.__x') is None
    # the whole text is in view: the long word wraps inside the dialog (it was cut off at the dialog's edge)
    assert LONG_WORD in shown.replace('\n', '')
    assert driver.execute_script(FITS, preview), f'the preview is wider than its dialog at {width} px'
    # its heading at the size customers read it in the portal (1.5rem there; the preview's was NiceGUI's 3rem)
    heading = preview.find_element(By.TAG_NAME, 'h1')
    driver.execute_script('arguments[0].scrollIntoView({block: "start"})', heading)
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / f'markdown-preview-heading-{width}.png'))
    assert heading.value_of_css_property('font-size') == '24px'
    assert preview.value_of_css_property('font-size') == '14px'  # the portal's text-sm


FITS = """
    const preview = arguments[0];
    const card = preview.closest('.q-card').getBoundingClientRect();
    return preview.getBoundingClientRect().right <= card.right + 1 && preview.scrollWidth <= preview.clientWidth + 1;
"""
