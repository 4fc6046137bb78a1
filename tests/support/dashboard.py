"""The dashboard as browser tests see it: how many charts are drawn, and a plausible KPI history seeded on the browser
server's database so that cards show numbers, changes and sparklines."""

from __future__ import annotations

from datetime import date, timedelta

from selenium.webdriver.remote.webdriver import WebDriver


def charts_drawn(driver: WebDriver) -> int:
    """Charts drawn, not SVG layers: Plotly draws three `.main-svg` per chart."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length"
    )


def hover_text(driver: WebDriver, index: int) -> str:
    """The hover label the pointer shows, resting on the first trace's largest bar or its middle point (empty if
    none)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from .browser import WebDriverWait  # looks again every 0.1 s, not Selenium's 0.5 s

    plot = driver.find_elements(By.CSS_SELECTOR, '.js-plotly-plot')[index]
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', plot)
    x, y = driver.execute_script(POINT_ON_SCREEN, plot)
    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(round(x), round(y))
    actions.perform()
    shown = 'return [...arguments[0].querySelectorAll(".hoverlayer .hovertext")].map(t => t.textContent).join(" | ")'
    try:
        WebDriverWait(driver, 5).until(lambda d: d.execute_script(shown, plot))
    except Exception:  # noqa: BLE001 (the caller asserts on what shows)
        return ''
    return driver.execute_script(shown, plot)


# where a point of the chart's first trace is on screen: a bar's middle (tall enough to rest on, away from a line drawn
# over the bars), else the middle point of a line
POINT_ON_SCREEN = r"""
const gd = arguments[0], trace = gd._fullData[0], points = gd.calcdata[0];
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
const area = gd.querySelector('.nsewdrag').getBoundingClientRect();
let x, y;
if (trace.type === 'bar') {
  // a line drawn over the bars (the orders over the turnover) takes the hover where it passes near the pointer: rest
  // on the tall enough bar whose middle is farthest from the line at its day (the largest bar, when no line)
  const other = gd._fullData[1], line = other && other.type === 'scatter' ? gd.calcdata[1] : null;
  const lineAxis = line ? gd._fullLayout[(other.yaxis || 'y').replace('y', 'yaxis')] : null;
  const away = b => {
    const point = line && trace.orientation !== 'h' ? line.find(q => q.x === b.p && q.y != null) : null;
    return point ? Math.abs(ya.c2p(b.b + b.s / 2) - lineAxis.c2p(point.y)) : Math.abs(b.s);
  };
  const size = trace.orientation === 'h' ? xa : ya;
  const tall = points.filter(b => Math.abs(size.c2p(b.b) - size.c2p(b.b + b.s)) >= 8);
  const bar = (tall.length ? tall : points).reduce((a, b) => (away(b) > away(a) ? b : a));
  const middle = bar.b + bar.s / 2;
  [x, y] = trace.orientation === 'h' ? [xa.c2p(middle), ya.c2p(bar.p)] : [xa.c2p(bar.p), ya.c2p(middle)];
} else {
  const point = points[Math.floor(points.length / 2)];
  [x, y] = [xa.c2p(point.x), ya.c2p(point.y)];
}
return [area.left + x, area.top + y];
"""


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
watch.atTap = !!document.querySelector('.dashboard-content[data-switching]');  // dimmed by the browser, at the tap
"""


def switch_buttons(driver: WebDriver) -> str:
    """What a stuck wait on the period switch saw: each button's label and whether it is pressed, and the dialogs
    on screen (a timeout that says only "the switch is back on 30 days" cannot be read after the fact)."""
    return driver.execute_script(
        'const buttons = [...document.querySelectorAll(".q-btn-toggle button")]'
        '.map(b => `${b.innerText.trim()}=${b.getAttribute("aria-pressed")}`).join(", ");'
        'const dialogs = [...document.querySelectorAll(".q-dialog")].filter(d => d.offsetParent !== null).length;'
        'return `switch: ${buttons}; dialogs on screen: ${dialogs}`;'
    )


def switch_state(driver: WebDriver) -> dict:
    """After TAP_AND_WATCH: busy seen, busy now, the days of the turnover chart as drawn, charts drawn."""
    return driver.execute_script(
        "const plot = document.querySelector('.js-plotly-plot');"
        'return {seen: window.__switch.busy, at_tap: window.__switch.atTap, busy: !!document.querySelector('
        '\'.dashboard-content[data-switching], .dashboard-content[aria-busy="true"]\'),'
        ' days: plot && plot._fullData ? plot._fullData[0].x.length : 0}'
    )


def seed_history(database_url: str, days_back: int = 120) -> None:
    """Plausible aggregates for the last days before today on the browser server's database, so that the cards show
    numbers, changes and sparklines (the server's own refresh computes today). The rows another test seeded already are
    read in one query and written over, as `session.merge` did one query (and one flush) a row: 1,080 rows, ~6 s of the
    test process's CPU on a loaded machine (issue 12)."""
    from sqlmodel import col, select

    from backoffice import db
    from backoffice.db import session_scope
    from backoffice.kpi import days
    from backoffice.models import KpiDaily, utcnow

    db.configure(database_url)
    today = days.today('UTC')
    wanted: dict[tuple[str, date], tuple[float, float | None, float | None]] = {}
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
            wanted[key, day] = (value, numerator, denominator)
    with session_scope() as session:
        seeded = session.exec(
            select(KpiDaily).where(
                col(KpiDaily.kpi).in_({key for key, _ in wanted}),
                col(KpiDaily.day) >= today - timedelta(days=days_back),
                col(KpiDaily.day) < today,
            )
        ).all()
        now = utcnow()
        for row in seeded:
            if (row.kpi, row.day) in wanted:
                row.value, row.numerator, row.denominator = wanted.pop((row.kpi, row.day))
                row.computed_at = now
        session.add_all(
            KpiDaily(kpi=key, day=day, value=value, numerator=numerator, denominator=denominator, computed_at=now)
            for (key, day), (value, numerator, denominator) in wanted.items()
        )
        session.commit()
