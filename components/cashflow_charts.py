"""The finance dashboard's charts as lean Plotly figure dicts: money in and out per week (actual), and the forecast
per week stacked by source; bars drawn from the amounts, the hover text written as the money axis writes its ticks
(kpi_widgets.hover_money)."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

from backoffice.i18n import _, pgettext
from backoffice.services.cashflow import ForecastSource, ForecastWeek, Week
from components.kpi_widgets import COLORS, hover_money, money_axis, money_config

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
EPOCH = date(1970, 1, 1)
SOURCE_COLORS = [COLORS['accent'], COLORS['warn'], COLORS['bad'], '#7048e8', '#1098ad', '#d6336c']


def weeks_figure(weeks: list[Week], currency: str) -> dict[str, Any]:
    """Money in above the axis, money out below it, the net as a line: a week reads at a glance on a phone."""
    x = [week.monday.isoformat() for week in weeks]
    return {
        'data': [
            _bars(_('Money in'), x, [week.money_in for week in weeks], COLORS['accent'], currency),
            _bars(_('Money out'), x, [-week.money_out for week in weeks], COLORS['bad'], currency),
            {
                'type': 'scatter',
                'mode': 'lines+markers',
                'name': pgettext('cash flow', 'Net'),  # money in less money out (not an amount before tax)
                'x': x,
                'y': [float(week.net) for week in weeks],
                'text': [hover_money(week.net, currency) for week in weeks],
                'hovertemplate': '%{text}<extra>' + pgettext('cash flow', 'Net') + '</extra>',
                'line': {'color': COLORS['primary']},
            },
        ],
        'layout': _layout(weeks[0].monday, weeks[-1].monday, currency),
        'config': money_config(currency),
    }


def forecast_figure(weeks: list[ForecastWeek], sources: list[ForecastSource], currency: str) -> dict[str, Any]:
    """One bar series per source (money expected in up, out down), stacked per week; a source with nothing expected
    is left out of the legend."""
    x = [week.monday.isoformat() for week in weeks]
    data = []
    for index, source in enumerate(sources):
        values = [week.by_source.get(source.key) for week in weeks]
        if not any(values):
            continue
        color = SOURCE_COLORS[index % len(SOURCE_COLORS)]
        data.append(_bars(_(source.label), x, [v or 0 for v in values], color, currency))
    return {
        'data': data,
        'layout': _layout(weeks[0].monday, weeks[-1].monday, currency),
        'config': money_config(currency),
    }


def _bars(name: str, x: list[str], values: list, color: str, currency: str) -> dict[str, Any]:
    return {
        'type': 'bar',
        'name': _legend_name(name),
        'x': x,
        'y': [float(v) for v in values],  # drawing only: the figures themselves stay Decimal
        'text': [hover_money(v, currency) for v in values],
        'textposition': 'none',
        'hovertemplate': '%{text}<extra>' + name.replace('<', '&lt;') + '</extra>',
        'marker': {'color': color},
    }


LEGEND_CHARACTERS = 44  # what a phone-wide chart's legend shows on one line (Plotly cuts a longer entry off)


def _legend_name(name: str) -> str:
    """A long series name on two lines or more in the legend ('Factures fournisseurs en retard (comptées cette
    semaine)' ran off a phone's screen); Plotly draws <br> as a line break and nothing else of the text as markup."""
    return '<br>'.join(textwrap.wrap(name.replace('<', '&lt;'), LEGEND_CHARACTERS)) or name


def _layout(first: date, last: date, currency: str) -> dict[str, Any]:
    """Every week on the axis (an empty one too), ticks on Mondays every other week; the amounts' axis says the
    currency (€20k; French 20k €)."""
    return {
        'margin': {'l': 45, 'r': 10, 't': 10, 'b': 30},
        'height': 260,
        'barmode': 'relative',
        'showlegend': True,
        'legend': {'orientation': 'h', 'y': -0.25},
        'paper_bgcolor': 'rgba(0,0,0,0)',
        'plot_bgcolor': 'rgba(0,0,0,0)',
        'font': {'size': 11},
        'xaxis': {
            'type': 'date',
            'tick0': _ms(first),
            'dtick': 2 * WEEK_MS,
            'range': [_ms(first) - WEEK_MS // 2, _ms(last) + WEEK_MS // 2],
        },
        'yaxis': {'zeroline': True, **money_axis(currency)},
    }


def _ms(day: date) -> int:
    """A day as Plotly's date axis counts: milliseconds since 1970-01-01 (UTC midnight)."""
    return (day - EPOCH).days * DAY_MS
