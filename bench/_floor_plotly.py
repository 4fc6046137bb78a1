"""The framework's floor for the dashboard: bare NiceGUI pages, no shell, no sign-in, no cards; `/healthz` answers for
the harness. Started by `bench/dashboard_probe.py --floor` on the port it is given (BACKOFFICE_PORT).

- `/floor`: one Plotly chart of 30 days (a bar and a line, like the dashboard's first chart) with NiceGUI's own
  `ui.plotly` and its full 4.5 MB bundle;
- `/floor-basic`: the same chart on the dashboard's element and bundle (`LeanPlotly`, plotly.js "basic", 1.1 MB);
- `/floor-basic-4`: the dashboard's four figures (`components/kpi_widgets.py`, 30 days) on that element, alone."""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from nicegui import app, ui

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from components import kpi_widgets  # noqa: E402
from components.lean_plotly import LeanPlotly  # noqa: E402

DAYS = [(date(2026, 11, 1) + timedelta(days=i)).isoformat() for i in range(30)]
FIGURE = {
    'data': [
        {'type': 'bar', 'x': DAYS, 'y': [1000 + 37 * i % 400 for i in range(30)], 'name': 'Turnover'},
        {'type': 'scatter', 'mode': 'lines', 'x': DAYS, 'y': [20 + i % 7 for i in range(30)], 'yaxis': 'y2'},
    ],
    'layout': {
        'height': 240,
        'margin': {'l': 40, 'r': 40, 't': 10, 'b': 30},
        'yaxis2': {'overlaying': 'y', 'side': 'right'},
    },
    'config': {'displayModeBar': False},
}


@app.get('/healthz')
def healthz() -> dict:
    return {'ok': True}


@ui.page('/floor')
def floor() -> None:
    ui.label('Floor')
    ui.plotly(FIGURE).classes('w-full h-60')


@ui.page('/floor-basic')
def floor_basic() -> None:
    ui.label('Floor')
    LeanPlotly(FIGURE).classes('w-full h-60')


@ui.page('/floor-basic-4')
def floor_basic_four() -> None:
    table = pd.DataFrame(
        {key: [float(20 + (7 * i) % 13) for i in range(30)] for key in ('turnover', 'orders', 'active_users')}
        | {'open_requests': [float(i % 5) for i in range(30)], 'sla_breaches': [float(i % 2) for i in range(30)]},
        index=[date(2026, 11, 1) + timedelta(days=i) for i in range(30)],
    )
    funnel = [('Visits', 2146.0), ('Product views', 1009.0), ('Added to cart', 419.0), ('Checkouts', 225.0)]
    figures = [
        kpi_widgets.turnover_and_orders(table),
        kpi_widgets.funnel_figure([*funnel, ('Orders', 198.0)]),
        kpi_widgets.line_figure(table, [('active_users', 'Active users', 'accent')]),
        kpi_widgets.backlog_figure(table),
    ]
    with ui.grid().classes('w-full grid-cols-1 lg:grid-cols-2 gap-3'):
        for figure in figures:
            LeanPlotly(figure).classes('w-full h-60')


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(
        port=int(os.environ['BACKOFFICE_PORT']), reload=False, show=False
    )  # no session cookie: it would replace the Backoffice's (cookies ignore the port)
