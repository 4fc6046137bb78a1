"""The framework's floor for the dashboard: a bare NiceGUI page (`/floor`) drawing one Plotly chart of 30 days (a bar
and a line, like the dashboard's first chart) with NiceGUI's own `ui.plotly`; `/healthz` answers for the harness.
Started by `bench/dashboard_probe.py --floor` on the port it is given (BACKOFFICE_PORT)."""

from __future__ import annotations

import os
from datetime import date, timedelta

from nicegui import app, ui

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


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(
        port=int(os.environ['BACKOFFICE_PORT']), reload=False, show=False
    )  # no session cookie: it would replace the Backoffice's (cookies ignore the port)
