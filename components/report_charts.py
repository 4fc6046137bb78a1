"""A ready report's chart as a lean Plotly figure dict: bars per row, horizontal bars for long labels (the largest
first), a line over periods, or one curve per cohort; values are the table's raw numbers, labels its texts."""

from __future__ import annotations

import html
from typing import Any

from backoffice import formatting
from backoffice.i18n import _
from backoffice.reports.base import Table, heading
from components.kpi_widgets import COLORS, CONFIG, money_axis, money_config

PALETTE = [COLORS['primary'], COLORS['accent'], COLORS['warn'], COLORS['bad'], '#7048e8', '#1098ad', '#d6336c']
TOP = 20  # bars of a horizontal chart; the table lists every row
# the values across a horizontal chart: beside long labels a phone leaves the bars ~130 px, where Plotly's own choice
# of ticks (€0, €500 … €2,000) tilted to fit; at most four ticks step by a rounder amount (€0, €1k, €2k), written
# short, and stand upright at every width
ACROSS = {'nticks': 4, 'tickangle': 0}
# the names beside horizontal bars: at 32 characters they took ~190 of a phone's ~330 px and left the bars ~100, where
# French whole amounts (0 €, 10 000 €, 20 000 €) ran into each other; the hover and the table say the whole name
BAR_NAME = 22


def figure(table: Table) -> dict[str, Any]:
    chart = table.chart
    rows = table.chart_rows if table.chart_rows is not None else table.rows
    kinds = {column.key: column for column in table.columns}
    names = {key: heading(kinds[key]) if key in kinds else key for key in chart.series}
    layout: dict[str, Any] = {
        'margin': {'l': 50, 'r': 10, 't': 10, 'b': 40},
        'height': 280,
        'paper_bgcolor': 'rgba(0,0,0,0)',
        'plot_bgcolor': 'rgba(0,0,0,0)',
        'font': {'size': 11},
        'showlegend': len(chart.series) > 1 or chart.kind == 'curves',
        'legend': {'orientation': 'h', 'y': -0.25},
    }
    data: list[dict[str, Any]] = []
    # the values axis says what it counts when no legend does ('Net sales excl. VAT', 'Hours')
    unit = _(chart.unit) if chart.unit else (names[chart.series[0]] if len(chart.series) == 1 else '')
    value_axis = {'rangemode': 'tozero', 'title': {'text': _short(unit, 60), 'font': {'size': 10}}}
    money = [kinds[key].kind == 'money' for key in chart.series if key in kinds]
    config = CONFIG
    if table.currency and money and all(money):
        value_axis.update(money_axis(table.currency))  # amounts: the axis says the currency (€20k; 20k €)
        config = money_config(table.currency)
    if chart.kind == 'hbar':
        series = 'value' if table.chart_rows is not None else chart.series[0]
        top = sorted(rows, key=lambda row: -_number(row.get(series)))[:TOP][::-1]  # the largest on top
        data.append(
            {
                'type': 'bar',
                'orientation': 'h',
                'y': _names([str(row.get(chart.x) or '') for row in top]),
                'x': [_number(row.get(series)) for row in top],
                'marker': {'color': COLORS['primary']},
                'hovertext': [_short(str(row.get(chart.x) or ''), 80) for row in top],
                'hoverinfo': 'x+text',
            }
        )
        layout.update(
            height=max(200, 24 * len(top) + 60),
            yaxis={'automargin': True, 'type': 'category'},
            xaxis={**value_axis, **ACROSS},
            margin={'l': 10, 'r': 10, 't': 10, 'b': 30},
        )
    elif chart.kind == 'curves':
        months = list(range(len(chart.series)))  # 0 = the sign-up month: short ticks that fit a phone
        for index, row in enumerate(rows):  # the report chose them (cohorts.CHARTED)
            data.append(
                {
                    'type': 'scatter',
                    'mode': 'lines+markers',
                    'name': _short(str(row.get(chart.x) or '')),
                    'x': months,
                    # in percent, the axis's sign from the reader's language (d3's '.0%' wrote 50% to a French reader)
                    'y': [None if row.get(key) is None else 100 * _number(row.get(key)) for key in chart.series],
                    'text': [formatting.percent(row.get(key), 1) for key in chart.series],  # 46,7 %
                    'hovertemplate': '%{text}<extra>%{fullData.name}</extra>',
                    'line': {'color': PALETTE[index % len(PALETTE)]},
                }
            )
        # the legend (a year of cohorts: seven rows on a phone) stands above the plot, which Plotly moves down to make
        # room: below it, anchored at y −0.3 of the plot's height, it grew upwards over the months axis's title
        layout.update(
            height=380,
            yaxis={'ticksuffix': formatting.percent_sign(), 'rangemode': 'tozero'},
            xaxis={'dtick': 1, 'title': {'text': unit, 'font': {'size': 10}}},
            legend={'orientation': 'h', 'y': 1.02, 'yanchor': 'bottom', 'x': 0},
            margin={'l': 50, 'r': 10, 't': 10, 'b': 40},
        )
    else:
        for index, key in enumerate(chart.series):
            trace: dict[str, Any] = {
                'type': 'bar' if chart.kind == 'bar' else 'scatter',
                'name': names[key],
                'x': [_short(str(row.get(chart.x) or '')) for row in rows],
                'y': [_number(row.get(key)) for row in rows],
                'marker': {'color': PALETTE[index % len(PALETTE)]},
            }
            if chart.kind == 'line':
                trace.update(mode='lines+markers', line={'color': PALETTE[index % len(PALETTE)]})
            data.append(trace)
        layout.update(xaxis={'type': 'category', 'automargin': True}, yaxis=value_axis)
    return {'data': data, 'layout': layout, 'config': config}


def _number(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _names(labels: list[str]) -> list[str]:
    """Bar names cut at BAR_NAME characters, each still its own: a category axis draws names equal once cut as one bar
    ('Home maintenance plan…' for the plan and the plan Plus), so a cut name that repeats keeps its end instead
    ('Home maint…E-PLUS)', with the SKU), and one repeating still is given whole."""
    cut = [_short(label, BAR_NAME) for label in labels]
    ends = [_ends(label, BAR_NAME) if cut.count(name) > 1 else name for name, label in zip(cut, labels, strict=True)]
    return [_short(label, 80) if ends.count(name) > 1 else name for name, label in zip(ends, labels, strict=True)]


def _ends(label: str, width: int) -> str:
    half = (width - 1) // 2
    return html.escape(label if len(label) <= width else label[:half] + '…' + label[-half:], quote=False)


def _short(label: str, width: int = 32) -> str:
    """A label as text for Plotly, which reads tags in its labels (a reason typed as '<b>' stays as typed)."""
    return html.escape(label if len(label) <= width else label[: width - 1] + '…', quote=False)
