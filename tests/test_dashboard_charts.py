"""The dashboard's four charts as figures: only the traces of the lighter plotly.js bundle (the funnel drawn with bars),
and no second measuring of tick labels (issue 20: the charts drawn fast on a phone)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

from backoffice import formatting, i18n
from backoffice.reports.base import Chart, Column, Table
from backoffice.services import cashflow
from components import kpi_widgets, report_charts
from components.cashflow_charts import weeks_figure
from components.lean_plotly import BUNDLE, LeanPlotly, bundle_url, localized

BUNDLE_FILE = Path(kpi_widgets.__file__).parent / 'lib' / 'plotly-basic' / 'index.js'
BASIC_TRACES = {'scatter', 'bar', 'pie'}  # what plotly.js's "basic" build registers


def a_month() -> pd.DataFrame:
    days = [date(2026, 11, 5) + timedelta(days=n) for n in range(30)]
    columns = ('turnover', 'orders', 'active_users', 'open_requests', 'sla_breaches')
    return pd.DataFrame({key: [float(n) for n in range(30)] for key in columns}, index=days)


def dashboard_figures() -> list[dict]:
    table = a_month()
    return [
        kpi_widgets.turnover_and_orders(table),
        kpi_widgets.funnel_figure([('Visits', 4960.0), ('Product views', 2300.0), ('Orders', 497.0)]),
        kpi_widgets.line_figure(table, [('active_users', 'Active users', 'accent')]),
        kpi_widgets.backlog_figure(table),
    ]


def test_every_chart_uses_only_the_traces_the_bundle_has() -> None:
    assert {trace['type'] for figure in dashboard_figures() for trace in figure['data']} <= BASIC_TRACES
    head = BUNDLE_FILE.read_text(encoding='utf-8')[:400]
    assert 'plotly.js (basic - minified) v3.7.0' in head  # the vendored build, with its licence beside it
    assert (BUNDLE_FILE.parent / 'LICENSE').read_text().startswith('MIT License')
    assert LeanPlotly.__init__ and BUNDLE == 'backoffice-plotly'  # the import map's name for it
    assert re.fullmatch(r'/_nicegui/[\d.]+/esm/[0-9a-f]+/index\.js', bundle_url())


def test_the_funnel_is_centred_bars_joined_by_connectors() -> None:
    with i18n.use('en'):
        figure = kpi_widgets.funnel_figure([('Visits', 4960.0), ('Product views', 2300.0), ('Orders', 497.0)])
    bars = figure['data'][0]
    assert bars['type'] == 'bar' and bars['orientation'] == 'h'
    assert bars['y'] == ['Visits', 'Product views', 'Orders'] and figure['layout']['yaxis']['autorange'] == 'reversed'
    assert [base + value / 2 for base, value in zip(bars['base'], bars['x'], strict=True)] == [0, 0, 0]  # centred
    assert bars['hoverinfo'] == 'y+text' and bars['text'][1] == '2,300<br>46%'  # hover: the step, count and share
    connectors = figure['layout']['shapes']
    assert len(connectors) == 2 and all(c['layer'] == 'below' and c['yref'] == 'y' for c in connectors)
    # from the visits bar's lower edge (row 0 + 0.4) to the product views bar's upper edge (row 1 − 0.4)
    assert connectors[0]['path'] == 'M-2480.0,0.4L2480.0,0.4L1150.0,0.6L-1150.0,0.6Z'
    assert kpi_widgets.funnel_figure([('Visits', 0.0)])['layout']['shapes'] == []  # one step: nothing to join


def test_tick_labels_are_drawn_where_plotly_places_them() -> None:
    """`ticklabeloverflow: allow` on every axis: Plotly's default measures each label again after drawing it."""
    for figure in dashboard_figures():
        axes = [axis for key, axis in figure['layout'].items() if re.fullmatch(r'[xy]axis\d*', key)]
        shown = [axis for axis in axes if axis.get('visible', True)]
        assert shown and all(axis.get('ticklabeloverflow') == 'allow' for axis in shown), figure['layout']


def test_a_tap_on_a_chart_says_the_day_and_the_value_with_its_unit() -> None:
    """Plotly's own hover said 9876.54 with no currency on the turnover bars, and "(Nov 29, 2026, 21)" on a line: each
    trace says the day, then the value as its card writes it, in the reader's format (no text printed on the bars)."""
    table = a_month()
    table['turnover'] = [12_345.5 if n == 29 else 9_876.54 for n in range(30)]
    with i18n.use('en'):
        bars, orders = kpi_widgets.turnover_and_orders(table, 'EUR')['data']
        assert (bars['text'][0], bars['text'][29], bars['textposition']) == ('€9,876.54', '€12,346', 'none')
        assert bars['hovertemplate'] == '%{x}<br>%{text}<extra>Turnover</extra>'
        assert orders['hovertemplate'] == '%{x}<br>%{y:,.0f}<extra>Orders</extra>'
        [backlog, breaches] = kpi_widgets.backlog_figure(table)['data']
        assert backlog['hovertemplate'] == '%{x}<br>%{y:,.0f}<extra>Open requests</extra>'
        rate = kpi_widgets.line_figure(table, [('orders', 'Conversion', 'primary')], unit='percent')
        [conversion] = rate['data']
        assert conversion['text'][12] == '12.0%'
        assert rate['layout']['yaxis']['ticksuffix'] == '%'  # its axis ticks 0%, 5%, 10%, not counts
    with i18n.use('fr'):
        bars, _orders = kpi_widgets.turnover_and_orders(table, 'EUR')['data']
        assert bars['text'][0] == '9\u202f876,54\u00a0€'
        assert bars['hovertemplate'] == '%{x}<br>%{text}<extra>Chiffre d’affaires</extra>'
    table.loc[table.index[3], 'turnover'] = float('nan')  # a day without a value: no text, no "—" in a hover
    assert kpi_widgets.turnover_and_orders(table, 'EUR')['data'][0]['text'][3] == ''


def test_a_period_without_any_value_says_so_across_each_chart() -> None:
    """Days before the shop had data: empty axes from 0 to 4 and a funnel of names beside nothing said nothing."""
    empty = a_month()
    empty[:] = float('nan')
    with i18n.use('fr'):
        figures = [
            kpi_widgets.turnover_and_orders(empty, 'EUR'),
            kpi_widgets.funnel_figure([('Visits', 0.0), ('Orders', 0.0)]),
            kpi_widgets.line_figure(empty, [('active_users', 'Utilisateurs actifs', 'accent')]),
            kpi_widgets.backlog_figure(empty),
        ]
    for figure in figures:
        assert [note['text'] for note in figure['layout']['annotations']] == ['Aucune donnée pour ces jours']
    assert figures[1]['layout']['yaxis']['visible'] is False  # not the steps' names beside the note
    assert all('annotations' not in figure['layout'] for figure in dashboard_figures())  # any value: no note
    some = a_month()
    some['open_requests'] = float('nan')
    assert 'annotations' not in kpi_widgets.backlog_figure(some)['layout']  # the breaches are there


def test_a_money_axis_says_its_currency_where_the_reader_writes_it() -> None:
    """The y-axes of amounts carried bare numbers: the turnover bars, a money KPI's own chart, the cash flow's weeks and
    a report of amounts now say the currency as the reader writes money, the sign before it (−€500, €1,000, €20k in
    English; −500 €, 1 000 €, 20 000 € in French): d3's currency format, the currency in the figure's Plotly locale
    (Plotly's tickprefix wrote €−500). Counts, percentages and hours stay bare. Separators come with the chart's
    Plotly locale (components/lean_plotly.py); tests/browser/test_one_money_format_in_chromium.py reads the ticks."""
    table = a_month()
    weeks = [cashflow.Week(date(2026, 11, 2), Decimal('250.00'), Decimal('50.00'))]
    net = Column('net', 'Net sales excl. VAT', 'money')
    hours = Column('first_response_median', 'First response', 'hours')
    sales = Table(
        columns=(net,), rows=[{'label': 'Nov', 'net': 10.0}], chart=Chart('line', 'label', ('net',)), currency='EUR'
    )
    worked = Table(columns=(hours,), rows=[], chart=Chart('bar', 'label', (hours.key,), 'Hours'), currency='EUR')
    for language, currency in (('en', ['€', '']), ('fr', ['', '\u00a0€'])):
        with i18n.use(language):
            money_figures = [
                kpi_widgets.turnover_and_orders(table, 'EUR'),
                kpi_widgets.line_figure(table, [('turnover', 'Turnover', 'primary')], unit='money', currency='EUR'),
                weeks_figure(weeks, 'EUR'),
                report_charts.figure(sales),
            ]
            for figure in money_figures:
                axis = figure['layout']['yaxis']
                ticks = kpi_widgets.MONEY_TICKS if language == 'en' else kpi_widgets.WHOLE_MONEY_TICKS
                assert axis['tickformatstops'] == ticks and axis['automargin'], axis
                assert all(stop['value'].startswith('$,') for stop in axis['tickformatstops'])  # d3's currency
                assert (axis['tickformat'], axis['hoverformat']) == ('$,~f', '$,.2f')
                assert 'tickprefix' not in axis and 'ticksuffix' not in axis  # they went before the sign: €−500
                assert figure['config']['locales'][language]['format'] == {'currency': currency}
                shown = localized(figure, language)['config']  # what reaches the browser: the reader's locale
                if language == 'fr':
                    assert shown['locale'] == 'fr' and shown['locales']['fr']['format']['currency'] == currency
                    assert shown['locales']['fr']['format']['thousands'] == '\u202f'  # 1 000 €, from CLDR
            bare = [
                kpi_widgets.turnover_and_orders(table, 'EUR')['layout']['yaxis2'],
                kpi_widgets.line_figure(table, [('orders', 'Orders', 'primary')])['layout']['yaxis'],
                report_charts.figure(worked)['layout']['yaxis'],
            ]
            assert not any('$' in str(axis.get('tickformat', '')) or 'tickformatstops' in axis for axis in bare)
            assert 'locales' not in report_charts.figure(worked)['config']
    with i18n.use('en'):
        assert formatting.currency_affixes('CHF') == ('CHF\u00a0', '')  # no sign: its code
        assert formatting.currency_affixes('USD') == ('$', '')
    with i18n.use('fr'):
        assert formatting.currency_affixes('USD') == ('', '\u00a0$US')


def test_today_so_far_is_marked_on_every_daily_chart_and_dotted_on_the_sparklines() -> None:
    """After midnight today's bar is next to nothing: a light band over today says "today so far" on the charts that
    end with it, and the sparkline's last step is dotted; a period that ended earlier has neither."""
    table = a_month()
    today = table.index[-1]
    with i18n.use('en'):
        marked = [
            kpi_widgets.turnover_and_orders(table, 'EUR', running=today),
            kpi_widgets.line_figure(table, [('active_users', 'Active users', 'accent')], running=today),
            kpi_widgets.backlog_figure(table, running=today),
        ]
        plain = kpi_widgets.turnover_and_orders(table, 'EUR')
    for figure in marked:
        [band] = [s for s in figure['layout']['shapes'] if s['type'] == 'rect']
        assert band['x0'] < today.isoformat() < band['x1']
        assert [a['text'] for a in figure['layout']['annotations']] == ['today so far']
    assert 'shapes' not in plain['layout'] and 'annotations' not in plain['layout']

    spark = kpi_widgets.sparkline([3.0, 5.0, 4.0, 0.5], running=True)
    assert spark.count('<polyline') == 2 and 'stroke-dasharray' in spark  # the solid days, then today's dotted step
    assert 'stroke-dasharray' not in kpi_widgets.sparkline([3.0, 5.0, 4.0, 0.5])
    assert 'stroke-dasharray' not in kpi_widgets.sparkline([3.0, 5.0, 4.0, None], running=True)  # no value today yet


def test_a_french_chart_writes_numbers_as_a_french_reader_does() -> None:
    """A French founder read "5k €" on the turnover axis and "9.6 %" style numbers Plotly wrote itself: the money
    axis writes whole amounts (5 000 €: d3 cannot write 5 k€), the figure says the French separators (',' for decimals,
    a narrow no-break space between thousands) for the numbers Plotly writes itself (a count's hover), a rate's axis
    ticks 5 % with a no-break space, and the hover texts are written as the cards write them."""
    table = a_month()
    table['turnover'] = [5_000.0 + n for n in range(30)]
    with i18n.use('fr'):
        money = kpi_widgets.turnover_and_orders(table, 'EUR')
        rate = kpi_widgets.line_figure(table, [('orders', 'Conversion', 'primary')], unit='percent')
    shown = localized(money, 'fr')
    axis = shown['layout']['yaxis']
    assert not any(stop['value'].endswith('s') for stop in axis['tickformatstops'])  # no SI letter: 5 000 €
    assert {'dtickrange': [1, None], 'value': '$,.0f'} in axis['tickformatstops']
    assert shown['layout']['separators'] == ',\u202f'  # 1 234,5
    assert shown['config']['locales']['fr']['format']['currency'] == ['', '\u00a0€']
    assert money['data'][0]['text'][0] == '5\u202f000,00\u00a0€'
    assert money['data'][1]['hovertemplate'].startswith('%{x}<br>%{y:,.0f}')  # grouped with the separators above
    assert rate['layout']['yaxis']['ticksuffix'] == '\u00a0%' and rate['data'][0]['text'][12] == '12,0\u00a0%'
    assert localized(rate, 'fr')['layout']['separators'] == ',\u202f'
    # the customer cohorts' curves: 50 % on the axis and 46,7 % in the hover (d3's '.0%' wrote 50%, 0.467 → 47%)
    months = (Column('m0', 'Sign-up month', 'percent'), Column('m1', 'Month 1', 'percent'))
    kept = Table(
        columns=(Column('cohort', 'Cohort', 'month'), *months),
        rows=[{'label': 'déc. 2025', 'm0': 0.467, 'm1': None}],
        chart=Chart('curves', 'label', ('m0', 'm1'), unit='Months after signing up'),
        currency='EUR',
    )
    with i18n.use('fr'):
        curves = report_charts.figure(kept)
    assert curves['layout']['yaxis']['ticksuffix'] == '\u00a0%' and 'tickformat' not in curves['layout']['yaxis']
    assert curves['data'][0]['y'] == [46.7, None] and curves['data'][0]['text'] == ['46,7\u00a0%', '']
    with i18n.use('en'):
        english = kpi_widgets.turnover_and_orders(table, 'EUR')
    assert english['layout']['yaxis']['tickformatstops'] == kpi_widgets.MONEY_TICKS  # €5k, as English writes it
    assert 'separators' not in localized(english, 'en')['layout']  # Plotly's own English: 1,234.5


def test_a_horizontal_bar_chart_gives_each_row_its_own_bar_under_its_short_name() -> None:
    """The names beside horizontal bars are cut shorter (a phone's bars had ~100 px beside names of 32 characters);
    two products alike in their first characters still get a bar each, told apart by their end (the SKU), and the
    hover says each whole name."""
    net = Column('net', 'Net sales excl. VAT', 'money')
    names = [
        'Home maintenance plan (12 months) (PLAN-HOME)',
        'Home maintenance plan Plus (12 months) (PLAN-HOME-PLUS)',
        'Mug "classic": <script>x</script>',
    ]
    sales = Table(
        columns=(net,),
        rows=[{'label': name, 'net': 100.0 * (n + 1)} for n, name in enumerate(names)],
        chart=Chart('hbar', 'label', ('net',)),
        currency='EUR',
    )
    bars = report_charts.figure(sales)['data'][0]
    assert len(set(bars['y'])) == 3  # a category axis draws equal names as one bar
    assert all(len(html.unescape(name)) <= report_charts.BAR_NAME for name in bars['y'])
    assert html.unescape(bars['y'][-1]) == 'Mug "classic": <scrip…'  # the largest on top (drawn last), tags as typed
    assert [html.unescape(text) for text in bars['hovertext']] == names
