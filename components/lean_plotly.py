"""A Plotly chart on a lighter bundle: plotly.js's "finance" build (scatter, bar, funnel, pie, histogram; 1.2 MB)
instead of the full 4.5 MB one NiceGUI ships, so a phone parses a quarter of the script before the dashboard's charts
appear. The same element as ui.plotly otherwise (lean_plotly.js is NiceGUI's plotly.js importing this bundle)."""

from __future__ import annotations

from nicegui import ui


class LeanPlotly(ui.plotly, component='lean_plotly.js', esm={'backoffice-plotly': 'lib/plotly-finance'}):
    pass
