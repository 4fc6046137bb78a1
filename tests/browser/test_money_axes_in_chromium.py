"""A money axis reads as every screen writes money, in a real browser at a phone's and a desktop's width: the cash
flow's weeks (money out below zero) tick −€500, €0, €1,000 in English and −500 €, 0 €, 1 000 € in French (Plotly's
tickprefix wrote €−500 and €1000); the dashboard's turnover axis 20 000 € in French (d3 wrote 20k €: a French reader
writes 20 k€ or the whole amount). Screenshots:
tests/artifacts/money-axes-*."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.kpi.days import today as shop_today
from backoffice.services import app_settings

from ..support.bank import Line, camt053, import_file, make_account
from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    heading,
    no_horizontal_overflow,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.dashboard import charts_drawn, seed_history
from ..support.factories import make_user
from ..support.french_staff import french_manager

pytestmark = pytest.mark.browser

MINUS, NBSP, NNBSP = '\u2212', '\u00a0', '\u202f'
ENGLISH_TICK = re.compile(rf'^{MINUS}?€(\d{{1,3}}(,\d{{3}})*|\d+(\.\d+)?[kM])$')  # −€500, €1,000, €20k
FRENCH_TICK = re.compile(rf'^{MINUS}?\d{{1,3}}({NNBSP}\d{{3}})*{NBSP}€$')  # −500 €, 1 000 €, 20 000 €: no "20k €"
HOVER = {
    'en': re.compile(rf'^{MINUS}€\d{{1,3}}(,\d{{3}})*\.\d\d$'),  # −€412.50
    'fr': re.compile(rf'^{MINUS}\d{{1,3}}({NNBSP}\d{{3}})*,\d\d{NBSP}€$'),  # −412,50 €
}
FRENCH_EMAIL, FRENCH_PASSWORD = 'amelie.axes@example.com', 'Une-phrase-de-passe-solide-43'


def week_ticks(driver: WebDriver) -> list[str]:
    """The left axis's tick labels of the first chart on /finance (money in and out per week), once its bars are
    drawn."""
    return WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script(
            "const plot = document.querySelectorAll('.js-plotly-plot')[0];"
            "if (!plot || !plot.querySelector('.bars .point')) return null;"
            "const ticks = [...plot.querySelectorAll('.yaxislayer-above .ytick text')].map(t => t.textContent);"
            'return ticks.length ? ticks : null;'
        ),
        'the weekly chart is drawn with its ticks',
    )


def move_off_the_chart(driver: WebDriver) -> None:
    """The mouse moved to the page's heading, away from the chart: its hover label goes (the next width's label is
    then the next hover's, not this one's left showing)."""
    title = heading(driver)
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', title)
    ActionChains(driver).move_to_element(title).perform()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: not d.execute_script(HOVER_LABEL), 'the hover label stays once the mouse is off the chart'
    )


HOVER_LABEL = (
    "const label = document.querySelector('.js-plotly-plot .hoverlayer .hovertext text.nums');"
    'return label && label.textContent ? label.textContent : null;'
)


def money_out_hover(driver: WebDriver) -> str:
    """What the weekly chart's hover label says over its first money-out bar (below zero), hovered as a mouse does."""
    bar = driver.execute_script(
        "const plot = document.querySelectorAll('.js-plotly-plot')[0];"
        "const traces = plot.querySelectorAll('.barlayer .trace');"
        "return traces[1] ? [...traces[1].querySelectorAll('.point path')].find(p => p.getBBox().height > 2) : null;"
    )
    assert bar is not None, 'the money-out bars are drawn'
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", bar)
    ActionChains(driver).move_to_element(bar).perform()
    return WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(HOVER_LABEL), 'the hover label shows')


def test_the_cash_flow_axis_writes_money_as_each_reader_does_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    manager = make_user('manager')
    today = shop_today(app_settings.time_zone())
    lines = []
    for week in range(12):  # in ~1,000 to ~1,400 a week, out ~400 to ~500: ticks from −€500 past €1,000
        day = (today - timedelta(weeks=week)).isoformat()
        lines.append(Line(f'{1000 + 37 * week}.00', f'VIR CLIENT AXES {week}', day=day))
        lines.append(Line(f'-{400 + 23 * (week % 5)}.50', f'PRLV FOURNISSEUR AXES {week}', day=day))
    account = make_account(manager, name='Compte "axes": <b>courant</b>', iban='')
    import_file(manager, account, camt053(lines, opening='8200.00', balance_day=today.isoformat()), 'axes.xml')
    french_manager(FRENCH_EMAIL, FRENCH_PASSWORD)

    for language, email, password, pattern in (
        ('en', None, None, ENGLISH_TICK),
        ('fr', FRENCH_EMAIL, FRENCH_PASSWORD, FRENCH_TICK),
    ):
        driver.delete_all_cookies()
        set_viewport(driver, 390, 844)
        if email is None:
            signed_in(driver, server.url, '/finance')
        else:
            signed_in(driver, server.url, '/finance', email, password)
        for width, height in ((390, 844), (1440, 900)):  # /finance loaded once on a phone, then turned wide
            if width != 390:
                move_off_the_chart(driver)
                resize_and_settle(driver, width, height)
            visible_text(driver, 'Cash position' if language == 'en' else 'Trésorerie')
            ticks = week_ticks(driver)
            assert all(pattern.match(tick) for tick in ticks), ticks
            assert any(tick.startswith(MINUS) for tick in ticks), ticks  # money out, the sign before the currency
            assert not any('€' + MINUS in tick or '€-' in tick for tick in ticks), ticks
            # a thousand grouped as the reader groups (the patterns refuse €1000), or shortened once the ticks step
            # by a thousand (other bank tests on this server's database may widen the range)
            if language == 'en':
                assert any(written in ticks for written in ('€1,000', '€1k')), ticks
            else:  # French writes whole amounts: 1 000 €, or 2 000 € on a wider range
                assert any(NNBSP in tick for tick in ticks), ticks
            # the hover says money out as the ticks do: the same minus before the currency, the same grouping
            hover = money_out_hover(driver)
            assert HOVER[language].match(hover), (hover, ticks)
            settle(driver)
            assert no_horizontal_overflow(driver), f'/finance overflows sideways at {width} px in {language}'
            driver.execute_script("document.querySelector('.js-plotly-plot').scrollIntoView({block: 'center'})")
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / f'money-axes-finance-{language}-{width}.png'))


def test_the_dashboards_turnover_axis_in_french_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    seed_history(server.database_url)
    db.configure(server.database_url)
    french_manager(FRENCH_EMAIL, FRENCH_PASSWORD)
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/', FRENCH_EMAIL, FRENCH_PASSWORD)
    wait = WebDriverWait(driver, TIMEOUT)
    for width, height in ((390, 844), (1440, 900)):  # the dashboard loaded once on a phone, then turned wide
        if width != 390:
            resize_and_settle(driver, width, height)
        wait.until(lambda d: charts_drawn(d) >= 4, 'every chart is drawn')
        ticks = driver.execute_script(
            "const plot = document.querySelectorAll('.js-plotly-plot')[0];"
            "return [...plot.querySelectorAll('.yaxislayer-above .ytick text')].map(t => t.textContent);"
        )
        assert ticks and all(FRENCH_TICK.match(tick) for tick in ticks), ticks  # 0 €, 10 000 €, 20 000 €
        settle(driver)
        assert no_horizontal_overflow(driver), f'the dashboard overflows sideways at {width} px'
        driver.execute_script("document.querySelector('.js-plotly-plot').scrollIntoView({block: 'center'})")
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'money-axes-dashboard-fr-{width}.png'))
