"""A refused form shows why where the person is looking: after typing a long text at the foot of a form, a field
refused at its top is brought back into view, at a laptop's and a phone's width (pressing "Create page" seemed to do
nothing: the title's message was scrolled away above)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    button,
    field,
    patient,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
)

pytestmark = pytest.mark.browser
HOSTILE = 'Zoë "Z" O\'Hara: <script>window.__x=1</script><img src=x onerror="window.__x=2">'

# the field's message is inside the dialog's visible part (not scrolled away above or below)
SHOWN = """
    const message = arguments[0];
    const box = message.getBoundingClientRect();
    let scroller = message.parentElement;
    while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowY)) {
        scroller = scroller.parentElement;
    }
    const view = (scroller || document.documentElement).getBoundingClientRect();
    const top = Math.max(view.top, 0), bottom = Math.min(view.bottom, window.innerHeight);
    return box.height > 0 && box.top >= top && box.bottom <= bottom;
"""


# the form's scrolling body, scrolled to its foot as a person does with the wheel or a finger
SCROLL_TO_THE_FOOT = """
    let scroller = arguments[0].parentElement;
    while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowY)) {
        scroller = scroller.parentElement;
    }
    scroller.scrollTop = scroller.scrollHeight;
"""


def test_a_title_refused_at_the_top_is_brought_into_view_after_writing_a_long_text_at_the_foot(
    driver: WebDriver, server: RunningServer
) -> None:
    """/content loaded once on a phone, its form tried there; the page turned to a laptop's width and the form opened
    and tried again (issue 12: one load, not two a width)."""
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/content')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:
            button(driver, 'Cancel', topmost=True).click()
            resize_and_settle(driver, width, height)
        refused_in_view(driver, width)


def refused_in_view(driver: WebDriver, width: int) -> None:
    """A new page's form, a title of spaces only at its top (a title too long no longer arrives: the field stops at its
    200 characters), a long text written at its foot: the title's message is in view after pressing "Create page"."""
    button(driver, 'New page').click()
    title = field(driver, 'Title *')
    title.send_keys(HOSTILE + ' and a title far too long' * 10)
    assert len(title.get_attribute('value')) == 200  # typing stopped at the service's limit, counted under the field
    counter = title.find_element(
        By.XPATH, './ancestor::label[contains(@class, "q-field")]//div[contains(@class, "q-field__counter")]'
    )
    WebDriverWait(driver, TIMEOUT).until(lambda _d: counter.text == '200 / 200', 'the title is not counted full')
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / f'form-counted-{width}.png'))
    title.send_keys(Keys.CONTROL, 'a')
    title.send_keys('   ')
    # the count follows the typing (its slot's, in the reader's figures: Quasar's own takes no format)
    WebDriverWait(driver, TIMEOUT).until(lambda _d: counter.text == '3 / 200', 'the count did not follow the typing')
    field(driver, 'Slug *').send_keys(f'refused-title-{width}')
    body = next(e for e in driver.find_elements(By.CSS_SELECTOR, '.q-dialog textarea') if e.is_displayed())
    # pasted, as a person brings a long text written elsewhere (typed key by key, 3,300 characters took ChromeDriver 8 s
    # alone and over the wait's time on a busy CI machine)
    patient(body).click()
    driver.execute_cdp_cmd(
        'Input.insertText',
        {'text': '# Terms: "ours" <script>window.__x=3</script>\n\n' + 'A long paragraph of terms. ' * 120 + '\n\n'},
    )
    body.send_keys('The end.')
    driver.execute_script(SCROLL_TO_THE_FOOT, body)  # as a person writing the text at the form's foot has
    button(driver, 'Create page').click()
    message = WebDriverWait(driver, TIMEOUT).until(
        lambda d: next(
            (
                e
                for e in d.find_elements(By.XPATH, '//*[contains(text(), "This field is required")]')
                if e.is_displayed()
            ),
            None,
        ),
        'the title was not refused',
    )
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script(SHOWN, message), f"the title's message is out of view at {width} px"
    )
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / f'form-error-in-view-{width}.png'))
    assert driver.execute_script('return window.__x') is None
