"""KPI widgets: the card (value, change against the previous period, sparkline, definition on tap) and the lean
Plotly figure dicts of the dashboard's charts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from nicegui import ui

from backoffice.kpi.read import Card

CONFIG = {'displayModeBar': False, 'responsive': True}
COLORS = {'primary': '#3b5bdb', 'accent': '#0ca678', 'warn': '#f59f00', 'bad': '#e03131', 'muted': '#adb5bd'}


def kpi_card(card: Card, currency: str, on_open: Callable[[Card], Any]) -> None:
    """Tap the ⓘ for the definition; tap the number for the series and the rows behind today's value."""
    with ui.card().classes('kpi-card w-full gap-1 p-3'):
        with ui.row().classes('w-full items-center justify-between no-wrap gap-1'):
            ui.label(card.label).classes('text-sm text-gray-600 dark:text-gray-300 truncate')
            info = ui.button(icon='info_outline').props('flat round dense size=sm')
            info.props['aria-label'] = f'What is {card.label}?'
            info.classes('text-gray-400').mark(f'define-{card.key}')
        definition = ui.label(card.definition).classes('text-xs text-gray-500 w-full')
        definition.set_visibility(False)
        info.on_click(lambda: definition.set_visibility(not definition.visible))
        with (
            ui.row()
            .classes('w-full items-end justify-between no-wrap gap-2 cursor-pointer')
            .on('click', lambda: on_open(card))
            .mark(f'kpi-{card.key}')
        ):
            with ui.column().classes('gap-0'):
                ui.label(format_value(card.value, card.unit, currency)).classes('text-2xl font-semibold')
                change = ui.label(change_text(card)).classes('text-xs')
                if card.good is None:
                    change.classes('text-gray-500')
                else:
                    change.classes('text-green-700' if card.good else 'text-red-700')
            ui.html(sparkline(card.spark), sanitize=False).classes('shrink-0')  # numbers only, see sparkline()


def format_value(value: float | None, unit: str, currency: str = '') -> str:
    if value is None:
        return '—'
    if unit == 'percent':
        return f'{value:.1f} %'
    if unit == 'money':
        if abs(value) >= 1_000_000:
            return f'{value / 1_000_000:,.2f} M {currency}'  # stays on one line of a phone-wide card
        return f'{value:,.0f} {currency}' if abs(value) >= 10_000 else f'{value:,.2f} {currency}'
    return f'{value:,.0f}'


def change_text(card: Card) -> str:
    if card.change is None:
        return 'no earlier data' if card.previous is None else 'no change'
    arrow = '▲' if card.change > 0 else '▼' if card.change < 0 else ''
    return f'{arrow} {abs(card.change):.1f} % vs previous period'


def sparkline(values: list[float | None], width: int = 96, height: int = 28) -> str:
    """An inline SVG: no chart library for 15 small lines."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None]  # floats: nothing else reaches the SVG
    if len(known) < 2:
        return f'<svg width="{int(width)}" height="{int(height)}" aria-hidden="true"></svg>'
    low, high = min(v for _, v in known), max(v for _, v in known)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)
    points = ' '.join(f'{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}' for i, v in known)
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-hidden="true">'
        f'<polyline fill="none" stroke="{COLORS["primary"]}" stroke-width="1.5" points="{points}"/></svg>'
    )


# --- figures ---------------------------------------------------------------------------------------------------------


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        'margin': {'l': 40, 'r': 10, 't': 10, 'b': 30},
        'height': 240,
        'showlegend': True,
        'legend': {'orientation': 'h', 'y': -0.2},
        'paper_bgcolor': 'rgba(0,0,0,0)',
        'plot_bgcolor': 'rgba(0,0,0,0)',
        'font': {'size': 11},
        'xaxis': {'type': 'date'},
        'yaxis': {'rangemode': 'tozero'},
        **extra,
    }  # from zero: a change of 2 in 290 must not look like a fall


def _days(table: pd.DataFrame) -> list[str]:
    return [day.isoformat() for day in table.index]


def _values(table: pd.DataFrame, key: str) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in table[key]]


def turnover_and_orders(table: pd.DataFrame) -> dict[str, Any]:
    return {
        'data': [
            {
                'type': 'bar',
                'name': 'Turnover',
                'x': _days(table),
                'y': _values(table, 'turnover'),
                'marker': {'color': COLORS['primary']},
            },
            {
                'type': 'scatter',
                'mode': 'lines',
                'name': 'Orders',
                'x': _days(table),
                'y': _values(table, 'orders'),
                'yaxis': 'y2',
                'line': {'color': COLORS['accent']},
            },
        ],
        'layout': _layout(
            yaxis2={'overlaying': 'y', 'side': 'right', 'showgrid': False, 'rangemode': 'tozero'},
            margin={'l': 40, 'r': 40, 't': 10, 'b': 30},
        ),  # room for the orders axis on the right
        'config': CONFIG,
    }


def funnel_figure(steps: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        'data': [
            {
                'type': 'funnel',
                'y': [label for label, _ in steps],
                'x': [value for _, value in steps],
                'textinfo': 'value+percent initial',
                'marker': {'color': COLORS['primary']},
            }
        ],
        'layout': {**_layout(showlegend=False), 'xaxis': {}, 'margin': {'l': 100, 'r': 10, 't': 10, 'b': 10}},
        'config': CONFIG,
    }


def line_figure(table: pd.DataFrame, lines: list[tuple[str, str, str]], kind: str = 'scatter') -> dict[str, Any]:
    data = []
    for key, label, color in lines:
        trace = {
            'type': kind,
            'name': label,
            'x': _days(table),
            'y': _values(table, key),
            'marker': {'color': COLORS[color]},
        }
        if kind == 'scatter':
            trace.update(mode='lines', line={'color': COLORS[color]})
        data.append(trace)
    return {'data': data, 'layout': _layout(), 'config': CONFIG}


def backlog_figure(table: pd.DataFrame) -> dict[str, Any]:
    figure = line_figure(table, [('open_requests', 'Open requests', 'warn')])
    figure['data'].append(
        {
            'type': 'bar',
            'name': 'SLA breaches',
            'x': _days(table),
            'y': _values(table, 'sla_breaches'),
            'marker': {'color': COLORS['bad']},
        }
    )
    return figure
