"""The dashboard as browser tests see it: how many charts are drawn, and a plausible KPI history seeded on the browser
server's database so that cards show numbers, changes and sparklines."""

from __future__ import annotations

from datetime import timedelta

from selenium.webdriver.remote.webdriver import WebDriver


def charts_drawn(driver: WebDriver) -> int:
    """Charts drawn, not SVG layers: Plotly draws three `.main-svg` per chart."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length"
    )


# a tap on the period switch, watched from inside the page: whether the cards and charts showed a busy state
# (dimmed by the browser at the tap, aria-busy from the server) and how many days the turnover chart then shows
TAP_AND_WATCH = r"""
const label = arguments[0];
const watch = window.__switch = {busy: false};
const busyNow = () => !!document.querySelector(
  '.dashboard-content[data-switching], .dashboard-content[aria-busy="true"]');
new MutationObserver(() => { if (busyNow()) watch.busy = true; })
  .observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-switching', 'aria-busy']});
[...document.querySelectorAll('button')].find(b => b.textContent.trim() === label).click();
if (busyNow()) watch.busy = true;
"""


def switch_state(driver: WebDriver) -> dict:
    """After TAP_AND_WATCH: busy seen, busy now, the days of the turnover chart as drawn, charts drawn."""
    return driver.execute_script(
        "const plot = document.querySelector('.js-plotly-plot');"
        'return {seen: window.__switch.busy, busy: !!document.querySelector('
        '\'.dashboard-content[data-switching], .dashboard-content[aria-busy="true"]\'),'
        ' days: plot && plot._fullData ? plot._fullData[0].x.length : 0}'
    )


def seed_history(database_url: str, days_back: int = 120) -> None:
    """Plausible aggregates for the last days before today on the browser server's database, so that the cards show
    numbers, changes and sparklines (the server's own refresh computes today)."""
    from backoffice import db
    from backoffice.db import session_scope
    from backoffice.kpi import days
    from backoffice.models import KpiDaily

    db.configure(database_url)
    today = days.today('UTC')
    with session_scope() as session:
        for ago in range(1, days_back + 1):
            day, growth = today - timedelta(days=ago), 1 + (days_back - ago) / days_back
            visits = round(90 * growth + 17 * (ago % 7 == 0))
            orders = round(visits * 0.1)
            for key, value, numerator, denominator in (
                ('turnover', orders * 43.5, None, None),
                ('orders', orders, None, None),
                ('average_basket', 43.5, orders * 43.5, orders),
                ('conversion', 10.0, orders, visits),
                ('visits', visits, None, None),
                ('page_views', visits * 2.5, None, None),
                ('active_users', 40 * growth, None, None),
                ('signups', 1 + ago % 3, None, None),
                ('new_customers', ago % 3, None, None),
            ):
                session.merge(KpiDaily(kpi=key, day=day, value=value, numerator=numerator, denominator=denominator))
        session.commit()
