"""KPI widgets: the card (value, change against the previous period, sparkline, definition on tap) and the lean
Plotly figure dicts of the dashboard's charts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from nicegui import ui

from backoffice import formatting, i18n
from backoffice.i18n import N_, _, ngettext
from backoffice.kpi.read import Card

if TYPE_CHECKING:  # pandas is imported when the dashboard is computed (backoffice/kpi/read.py)
    import pandas as pd

CONFIG = {'displayModeBar': False, 'responsive': True}
COLORS = {'primary': '#3b5bdb', 'accent': '#0ca678', 'warn': '#f59f00', 'bad': '#e03131', 'muted': '#adb5bd'}


def kpi_card(card: Card, currency: str, on_open: Callable[[Card], Any], *, running: bool = False) -> None:
    """Tap the ⓘ for the definition; tap the number for the series and the rows behind today's value. Compact enough
    for two cards side by side on a phone (the sparkline goes under the number there, beside it from 640 px)."""
    with ui.card().classes('kpi-card w-full min-w-0 gap-0.5 p-2 sm:gap-1 sm:p-3'):
        with ui.row().classes('w-full items-center justify-between no-wrap gap-1'):
            name = ui.label(_(card.label)).classes('text-xs sm:text-sm text-gray-600 dark:text-gray-300')
            name.classes('line-clamp-2 leading-tight')  # two lines on a phone rather than 'Sign-up abandonme…'
            info = ui.button(icon='info_outline').props('flat round dense size=xs')
            info.props['aria-label'] = _('What is {kpi}?').format(kpi=_(card.label))
            info.classes('text-gray-400').mark(f'define-{card.key}')
        definition = ui.label(_(card.definition)).classes('text-xs text-gray-500 w-full')
        definition.set_visibility(False)
        info.on_click(lambda: definition.set_visibility(not definition.visible))
        with (
            ui.element('div')
            .classes('w-full flex flex-wrap sm:flex-nowrap items-end justify-between gap-x-2 gap-y-1 cursor-pointer')
            .on('click', lambda: on_open(card))
            .mark(f'kpi-{card.key}')
        ):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(format_value(card.value, card.unit, currency)).classes(
                    'text-lg sm:text-2xl font-semibold whitespace-nowrap leading-tight'
                )
                change = ui.label(change_text(card)).classes('text-xs whitespace-nowrap')
                if card.good is None:
                    change.classes('text-gray-500')
                else:
                    change.classes('text-green-700' if card.good else 'text-red-700')
            spark = ui.html(sparkline(card.spark, running=running), sanitize=False)  # numbers only, see sparkline()
            spark.classes('w-full sm:w-24 shrink-0 leading-none')


def format_value(value: float | None, unit: str, currency: str = '') -> str:
    """A card's value in the reader's format, money as every screen writes it: €750.00, €21,620, €1.23M, 12.5 %, 1,234
    (French: 750,00 €, 21 620 €, 1,23 M €, 12,5 %, 1 234)."""
    if value is None:
        return '—'
    if unit == 'percent':
        return _percent(value)
    if unit == 'money':
        if abs(value) >= 1_000_000:
            return formatting.millions(value, currency)  # stays on one line of a phone-wide card
        return formatting.money(value, currency, 0 if abs(value) >= 10_000 else 2)
    return formatting.number(value, 0)


def hover_money(value: Any, currency: str, decimals: int = 2) -> str:
    """An amount in a chart's hover label, written as the chart's money axis writes its ticks (d3's currency format in
    the chart's locale, `money_axis`): `money`'s grouping and currency, and d3's minus sign (U+2212) before the
    currency: −€500.50 under a tick saying −€500 (French −500,50 € under −500 €), not -€500.50."""
    return on_chart(formatting.money(value, currency, decimals))


def on_chart(text: str) -> str:
    """A value written for a person, as a chart writes it: a leading minus as d3's (U+2212)."""
    return CHART_MINUS + text[1:] if text.startswith('-') else text


CHART_MINUS = '\u2212'


def _percent(value: float) -> str:
    """A KPI in percent (12.5 means 12.5 %) with one decimal, as goals, alerts and the digest write it."""
    return formatting.kpi_percent(value)


NO_EARLIER_DATA = N_('no earlier data')
NO_CHANGE = N_('no change')
UP_FROM_ZERO = N_('▲ from 0')
DOWN_FROM_ZERO = N_('▼ from 0')


def change_text(card: Card) -> str:
    """The change against the previous period, short enough for a phone's half-width card; the period line above
    the cards says what it is compared with."""
    if card.previous is None:
        return _(NO_EARLIER_DATA)  # never a percentage against a period the shop has no (or only part of its) data for
    if not card.change:
        if card.value and not card.previous and card.unit != 'percent':
            return _(UP_FROM_ZERO) if card.value > 0 else _(DOWN_FROM_ZERO)
        return '' if card.value is None else _(NO_CHANGE)
    arrow = '▲' if card.change > 0 else '▼'
    if card.unit == 'percent':  # a rate's change in points: 9.5 % against 9.8 % is ▼ 0.3 pts
        return f'{arrow} {points(abs(card.change))}'
    return f'{arrow} {_percent(abs(card.change))}'


def points(value: float) -> str:
    """A change of a rate, in percentage points with one decimal: 11.0 pts, 0.5 pts (French 11,0 pts, 0,5 pt)."""
    return ngettext('{n} pt', '{n} pts', formatting.plural_count(value, 1)).format(n=formatting.number(value, 1))


def sparkline(values: list[float | None], width: int = 96, height: int = 24, *, running: bool = False) -> str:
    """An inline SVG that stretches to its box's width: no chart library for 15 small lines. `running`: the last
    value is today's so far, drawn dotted and lighter: a morning's small number reads as unfinished, not as a fall."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None]  # floats: nothing else reaches the SVG
    frame = (
        f'<svg width="100%" height="{int(height)}" viewBox="0 0 {int(width)} {int(height)}" '
        'preserveAspectRatio="none" aria-hidden="true" style="display:block">'
    )
    if len(known) < 2:
        return f'{frame}</svg>'
    low, high = min(v for _, v in known), max(v for _, v in known)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)

    def line(part: list[tuple[int, float]], style: str) -> str:
        points = ' '.join(f'{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}' for i, v in part)
        return (
            f'<polyline fill="none" stroke="{COLORS["primary"]}" stroke-width="1.5" {style}'
            f'vector-effect="non-scaling-stroke" points="{points}"/>'
        )

    if running and len(known) > 2 and known[-1][0] == len(values) - 1:
        return f'{frame}{line(known[:-1], "")}{line(known[-2:], RUNNING_STROKE)}</svg>'
    return f'{frame}{line(known, "")}</svg>'


RUNNING_STROKE = 'stroke-dasharray="2 2" stroke-opacity="0.5" '  # today's part of a sparkline
RUNNING_DAY = N_('today so far')
BAND_GAP = 6  # px between today's band, at the plot's right edge, and the right-hand axis's numbers


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
        'xaxis': {'type': 'date', **DRAWN_AS_PLACED},
        'yaxis': {'rangemode': 'tozero', **DRAWN_AS_PLACED},  # from zero: a change of 2 in 290 is no fall
        **extra,
    }


# Plotly's default for a date or number axis ('hide past div') measures every tick label once more after drawing it, a
# forced layout of the page per label: 35-40 % of each dashboard chart's drawing time (bench/README.md, issue 20).
# The margins leave the labels room, so none would be hidden anyway.
DRAWN_AS_PLACED = {'ticklabeloverflow': 'allow'}


def money_axis(currency: str) -> dict[str, Any]:
    """A money axis writes its ticks as the reader writes amounts, the sign before the currency: −€500, €1,000, €20k
    in English; −500 €, 1 000 €, 20 000 € in French. With d3's currency format ('$'), whose currency the figure's
    config says (`money_config`) and whose separators come with the chart's locale (components/lean_plotly.py):
    Plotly's tickprefix would write €−500 and its default numbers €1000. A point without its own hover text says its
    amount the same way (€1,234.50). The margin grows to fit the longer ticks."""
    if not currency:
        return {}
    return {'tickformat': '$,~f', 'tickformatstops': money_ticks(), 'hoverformat': '$,.2f', 'automargin': True}


def money_ticks() -> list[dict[str, Any]]:
    """MONEY_TICKS where the reader shortens thousands as d3 does (English €20k); else whole amounts (French 20 000 €):
    d3 glues its k to the digits and the currency after it ("20k €"), where a French reader writes 20 k€ or 20 000 €."""
    return MONEY_TICKS if formatting.shortens_thousands_as_d3() else WHOLE_MONEY_TICKS


# by the step between two ticks: cents on a tiny scale, whole amounts up to steps of 500 (€2,500), then thousands and
# millions shortened (€20k, €1.5M; d3 would say G for billions, so steps of 100M and more write the whole amount)
MONEY_TICKS = [
    {'dtickrange': [None, 0.5], 'value': '$,.2~f'},
    {'dtickrange': [1, 500], 'value': '$,.0f'},
    {'dtickrange': [1000, 50_000_000], 'value': '$,.3~s'},
    {'dtickrange': [100_000_000, None], 'value': '$,.0f'},
]
WHOLE_MONEY_TICKS = [MONEY_TICKS[0], {'dtickrange': [1, None], 'value': '$,.0f'}]


def money_config(currency: str) -> dict[str, Any]:
    """A chart's config (CONFIG) that tells its money axis the currency (`money_axis`): a Plotly locale of the
    reader's language holding only where the currency stands ('€' before in English, ' €' after in French); Plotly
    takes every other format from its own English, or from the language's locale lean_plotly adds. No currency:
    CONFIG."""
    if not currency:
        return CONFIG
    before, after = formatting.currency_affixes(currency)
    return {**CONFIG, 'locales': {i18n.current(): {'format': {'currency': [before, after]}}}}


def _days(table: pd.DataFrame) -> list[str]:
    return [day.isoformat() for day in table.index]


def _values(table: pd.DataFrame, key: str) -> list[float | None]:
    import pandas as pd

    return [None if pd.isna(v) else float(v) for v in table[key]]


def turnover_and_orders(table: pd.DataFrame, currency: str = '', *, running: date | None = None) -> dict[str, Any]:
    """Turnover bars (a tap says the day's amount in the reader's money: €9,876.54, French 9 876,54 €; their axis says
    the currency too) and the orders as a line on their own axis."""
    return _today_so_far(
        running,
        _noted_when_empty(
            {
                'data': [
                    _with_units(
                        {
                            'type': 'bar',
                            'name': _('Turnover'),
                            'x': _days(table),
                            'y': _values(table, 'turnover'),
                            'marker': {'color': COLORS['primary']},
                        },
                        'money',
                        currency,
                    ),
                    _with_units(
                        {
                            'type': 'scatter',
                            'mode': 'lines',
                            'name': _('Orders'),
                            'x': _days(table),
                            'y': _values(table, 'orders'),
                            'yaxis': 'y2',
                            'line': {'color': COLORS['accent']},
                        },
                        'count',
                    ),
                ],
                'layout': _layout(
                    yaxis={**_layout()['yaxis'], **money_axis(currency)},
                    yaxis2={
                        'overlaying': 'y',
                        'side': 'right',
                        'showgrid': False,
                        'rangemode': 'tozero',
                        # a gap between the plot's edge and the orders' numbers: today's grey band ends at that edge,
                        # and on a phone it read as the numbers' own background, over them
                        'ticklabelstandoff': BAND_GAP,
                        **DRAWN_AS_PLACED,
                    },
                    margin={'l': 40, 'r': 40, 't': 10, 'b': 30},
                ),  # room for the orders axis on the right
                'config': money_config(currency),
            }
        ),
    )


def funnel_figure(steps: list[tuple[str, float]]) -> dict[str, Any]:
    """Each step's count and its share of the first, written here in the reader's format (4,960 and 12%; French:
    4 960 et 12 %): Plotly would group no thousands and glue the % sign in every language.

    Drawn as a funnel with what the lighter plotly.js bundle has (components/lean_plotly.py: no `funnel` trace): one
    horizontal bar per step centred on zero (`base` = −count/2), the steps from top to bottom, and the connectors
    between them as shapes under the bars, in the marker's colour at half opacity as Plotly's funnel draws them."""
    first = steps[0][1] if steps else 0
    counts = [value for _label, value in steps]
    figure = {
        'data': [
            {
                'type': 'bar',
                'orientation': 'h',
                'y': [_(label) for label, _value in steps],
                'x': counts,
                'base': [-value / 2 for value in counts],
                'text': [_funnel_text(value, first) for _label, value in steps],
                'textposition': 'auto',
                'insidetextanchor': 'middle',
                'textangle': 0,
                'hoverinfo': 'y+text',
                'marker': {'color': COLORS['primary']},
            }
        ],
        'layout': {
            **_layout(showlegend=False),
            'xaxis': {'visible': False},
            # room for a step's name in any language ('Commandes commencées'); the first step on top
            'yaxis': {'automargin': True, 'autorange': 'reversed', **DRAWN_AS_PLACED},
            'bargap': FUNNEL_GAP,
            'shapes': _funnel_connectors(counts),
            'margin': {'l': 100, 'r': 10, 't': 10, 'b': 10},
        },
        'config': CONFIG,
    }
    if not any(counts):  # the steps' names beside nothing, not even a 0: say it, in their place
        layout = figure['layout']
        layout.update(annotations=[_no_data_note()], yaxis={**layout['yaxis'], 'visible': False}, shapes=[])
        layout['margin'] = {**layout['margin'], 'l': 10, 'autoexpand': False}  # not the step names' room of before
    return figure


FUNNEL_GAP = 0.2  # of each step's row: where the connector to the next step shows


def _funnel_connectors(counts: list[float]) -> list[dict[str, Any]]:
    """The trapezoid from each bar's lower edge to the next bar's upper edge (rows at 0, 1, 2… on the step axis)."""
    half = (1 - FUNNEL_GAP) / 2
    connectors = []
    for row, (upper, lower) in enumerate(zip(counts, counts[1:], strict=False)):
        top, bottom = row + half, row + 1 - half
        connectors.append(
            {
                'type': 'path',
                'xref': 'x',
                'yref': 'y',
                'layer': 'below',
                'path': f'M{-upper / 2},{top}L{upper / 2},{top}L{lower / 2},{bottom}L{-lower / 2},{bottom}Z',
                'fillcolor': FUNNEL_CONNECTOR,
                'line': {'width': 0},
            }
        )
    return connectors


FUNNEL_CONNECTOR = 'rgba(59, 91, 219, 0.5)'  # COLORS['primary'] at half opacity


def _funnel_text(value: float, first: float) -> str:
    count = formatting.number(value, 0)  # digits and separators only: no markup reaches Plotly's text
    return f'{count}<br>{formatting.percent(value / first)}' if first else count


def line_figure(
    table: pd.DataFrame,
    lines: list[tuple[str, str, str]],
    kind: str = 'scatter',
    unit: str = 'count',
    currency: str = '',
    *,
    running: date | None = None,
) -> dict[str, Any]:
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
        data.append(_with_units(trace, unit, currency))
    layout = _layout()
    if unit == 'money':
        layout['yaxis'] = {**layout['yaxis'], **money_axis(currency)}
    elif unit == 'percent':  # a rate's axis says so: 0, 5, 10 under "Conversion" read as counts
        layout['yaxis'] = {**layout['yaxis'], 'ticksuffix': formatting.percent_sign()}  # 5%; French 5 %
    config = money_config(currency) if unit == 'money' else CONFIG
    return _today_so_far(running, _noted_when_empty({'data': data, 'layout': layout, 'config': config}))


NO_DATA = N_('No data for these days')


def _no_data_note() -> dict[str, Any]:
    return {
        'text': _(NO_DATA),  # our words: no markup from data
        'xref': 'paper',
        'yref': 'paper',
        'x': 0.5,
        'y': 0.5,
        'showarrow': False,
        'font': {'size': 13, 'color': '#6b7280'},
    }


def _noted_when_empty(figure: dict[str, Any]) -> dict[str, Any]:
    """A period with no value at all (days before the shop had data) says so across the chart, rather than empty axes
    from 0 to 4; a chart with its first values coming in draws as before."""
    if not any(v is not None for trace in figure['data'] for v in trace['y']):
        figure['layout'] = {**figure['layout'], 'annotations': [_no_data_note()]}
    return figure


def _today_so_far(running: date | None, figure: dict[str, Any]) -> dict[str, Any]:
    """Today, when the chart ends with it, behind a light band that says "today so far": its bar or point is the day
    until now (after midnight, next to nothing), which without a word reads as a fall."""
    if running is None:
        return figure
    start = datetime.combine(running, time())
    layout = figure['layout']
    band = {
        'type': 'rect',
        'xref': 'x',
        'yref': 'paper',
        'x0': (start - timedelta(hours=12)).isoformat(),
        'x1': (start + timedelta(hours=12)).isoformat(),
        'y0': 0,
        'y1': 1,
        'fillcolor': 'rgba(107, 114, 128, 0.12)',
        'line': {'width': 0},
        'layer': 'below',
    }
    note = {
        'text': _(RUNNING_DAY),  # our words: no markup from data
        'xref': 'x',
        'yref': 'paper',
        'x': (start + timedelta(hours=12)).isoformat(),
        'y': 1,
        'xanchor': 'right',
        'yanchor': 'bottom',
        'showarrow': False,
        'font': {'size': 10, 'color': '#6b7280'},
    }
    layout['shapes'] = [*layout.get('shapes', []), band]
    if 'annotations' not in layout:  # a chart with no data says only that
        layout['annotations'] = [note]
        layout['margin'] = {**layout['margin'], 't': 22}  # the note's line above the plot
    return figure


def _with_units(trace: dict[str, Any], unit: str, currency: str = '') -> dict[str, Any]:
    """The trace's hover label: the day, then the value as a card writes it (its currency, its %), in the reader's
    format; Plotly's own would say 9876.54 with no currency, and "(Nov 29, 2026, 21)" for a point of a line. The
    values are written here (digits, separators and the currency only) and drawn as text by Plotly, never on the bar."""
    name = trace['name'].replace('&', '&amp;').replace('<', '&lt;')
    if unit == 'count' or (unit == 'money' and not currency):
        trace['hovertemplate'] = '%{x}<br>%{y:,.0f}<extra>' + name + '</extra>'
        return trace
    trace['text'] = ['' if v is None else on_chart(format_value(v, unit, currency)) for v in trace['y']]
    trace['textposition'] = 'none'  # hover text, not a label printed on each bar
    trace['hovertemplate'] = '%{x}<br>%{text}<extra>' + name + '</extra>'
    return trace


def backlog_figure(table: pd.DataFrame, *, running: date | None = None) -> dict[str, Any]:
    figure = line_figure(table, [('open_requests', _('Open requests'), 'warn')])
    figure['layout'].pop('annotations', None)  # said below, once both traces are in
    figure['data'].append(
        _with_units(
            {
                'type': 'bar',
                'name': _('SLA breaches'),
                'x': _days(table),
                'y': _values(table, 'sla_breaches'),
                'marker': {'color': COLORS['bad']},
            },
            'count',
        )
    )
    return _today_so_far(running, _noted_when_empty(figure))
