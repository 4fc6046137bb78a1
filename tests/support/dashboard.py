"""The dashboard as browser tests see it: how many charts are drawn, and a plausible KPI history seeded on the browser
server's database so that cards show numbers, changes and sparklines."""

from __future__ import annotations

from datetime import timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver


def charts_drawn(driver: WebDriver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, '.js-plotly-plot .main-svg'))


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
