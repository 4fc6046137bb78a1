"""A chart's hover label writes an amount as its money axis writes the ticks (d3's currency format in the chart's
locale): the minus sign U+2212 before the currency (−€500.50; French −500,50 €) and the reader's grouping (€1,234.50;
1 234,50 €), where it said -€500.50 under a tick saying −€500."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pandas as pd

from backoffice import i18n
from backoffice.services import cashflow
from components import kpi_widgets
from components.cashflow_charts import forecast_figure, weeks_figure

MINUS, NBSP, NNBSP = '\u2212', '\u00a0', '\u202f'
ENGLISH = re.compile(rf'^{MINUS}?€\d{{1,3}}(,\d{{3}})*\.\d\d$')
FRENCH = re.compile(rf'^{MINUS}?\d{{1,3}}({NNBSP}\d{{3}})*,\d\d{NBSP}€$')


def weeks() -> list[cashflow.Week]:
    return [
        cashflow.Week(date(2026, 11, 2), Decimal('1234.50'), Decimal('500.50')),
        cashflow.Week(date(2026, 11, 9), Decimal('100.00'), Decimal('2345.25')),
    ]


def test_the_cash_flow_hover_writes_money_out_as_its_ticks_do() -> None:
    with i18n.use('en'):
        money_in, money_out, net = weeks_figure(weeks(), 'EUR')['data']
    assert money_in['text'] == ['€1,234.50', '€100.00']
    assert money_out['text'] == [f'{MINUS}€500.50', f'{MINUS}€2,345.25']
    assert net['text'] == ['€734.00', f'{MINUS}€2,245.25']
    assert all(ENGLISH.match(t) for t in money_in['text'] + money_out['text'] + net['text'])
    with i18n.use('fr'):
        money_in, money_out, net = weeks_figure(weeks(), 'EUR')['data']
    assert money_out['text'] == [f'{MINUS}500,50{NBSP}€', f'{MINUS}2{NNBSP}345,25{NBSP}€']
    assert all(FRENCH.match(t) for t in money_in['text'] + money_out['text'] + net['text'])


def test_the_forecast_and_the_dashboard_hover_say_a_negative_amount_with_the_ticks_sign() -> None:
    week = cashflow.ForecastWeek(date(2026, 11, 30))
    week.by_source.update({'bills': Decimal('-1500.00')})
    with i18n.use('en'):
        traces = forecast_figure([week], cashflow.SOURCES, 'EUR')['data']
    assert [t['text'] for t in traces] == [[f'{MINUS}€1,500.00']]
    table = pd.DataFrame(
        {'turnover': [-500.5, 12345.6], 'orders': [1, 2]}, index=[date(2026, 11, 1), date(2026, 11, 2)]
    )
    with i18n.use('fr'):
        bars = kpi_widgets.turnover_and_orders(table, 'EUR')['data'][0]
    assert bars['text'] == [f'{MINUS}500,50{NBSP}€', f'12{NNBSP}346{NBSP}€']
    with i18n.use('en'):  # a card still writes money as every screen does
        assert kpi_widgets.format_value(-500.5, 'money', 'EUR') == '-€500.50'
