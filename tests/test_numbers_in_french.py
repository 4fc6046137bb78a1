"""Numbers, money and percentages in the reader's format (issue #14): a French reader sees 21 620 € and ▲ 100,0 % on
the dashboard's cards (4 960 and 12 % in its funnel), 2 469,00 € in an order's totals and 1 234,50 € in its lines, an
amount to confirm written as they type it (2962,80), and the dashboard's charts carry a French Plotly locale (month
names, separators) and day-first date ticks. The English reader sees money as every screen writes it, Babel's English
(€21,620, ▲ 100.0 %, €2,469.00).

The user signs in in English, then the reader's language is switched to French (`in_french`, as in
test_pages_in_french.py); the switch is undone after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice import formatting, i18n
from components import kpi_widgets
from components.lean_plotly import LeanPlotly, d3_format, localized

from .support.factories import make_product, make_user, place
from .support.kpi_history import seed_turnover
from .support.signin import signed_in

NBSP, NNBSP = '\u00a0', '\u202f'  # before € and %, between thousands (CLDR's French)


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


def test_a_card_value_in_each_language() -> None:
    cases = [(21_620.4, 'money'), (750.0, 'money'), (1_234_567.0, 'money'), (12.5, 'percent'), (12_345.0, 'count')]
    with i18n.use('en'):
        assert [kpi_widgets.format_value(v, unit, 'EUR') for v, unit in cases] == [
            '€21,620',
            '€750.00',
            '€1.23M',
            '12.5%',
            '12,345',
        ]
    with i18n.use('fr'):
        assert [kpi_widgets.format_value(v, unit, 'EUR') for v, unit in cases] == [
            f'21{NNBSP}620{NBSP}€',
            f'750,00{NBSP}€',
            f'1,23{NBSP}M{NBSP}€',
            f'12,5{NBSP}%',
            f'12{NNBSP}345',
        ]
        assert formatting.money(Decimal('1234.5'), 'CHF') == f'1{NNBSP}234,50{NBSP}CHF'
        assert formatting.size(3_400_000) == f'3,2{NBSP}Mo'
    with i18n.use('en'):
        assert formatting.size(3_400_000) == '3.2 MB' and formatting.size(1) == '1 byte'


def test_a_quantity_under_two_is_singular_in_french() -> None:
    """French puts a quantity below 2 in the singular, decimals and all: a rate that moved 0.5 point reads ▼ 0,5 pt (it
    read 0,5 pts), a DSO of 1.5 days reads 1,5 jour; English writes 0.5 pts and 1.0 days (only a bare 1 is singular)."""
    with i18n.use('fr'):
        assert [kpi_widgets.points(v) for v in (0.5, 1.04, 1.96, 2.0, 11.0)] == [
            '0,5 pt',
            '1,0 pt',
            '2,0 pts',
            '2,0 pts',
            '11,0 pts',
        ]
        days = [i18n.ngettext('{days} day', '{days} days', formatting.plural_count(v, 1)) for v in (0, 1.5, 2, 37.2)]
        assert days == ['{days} jour', '{days} jour', '{days} jours', '{days} jours']
    with i18n.use('en'):
        assert [kpi_widgets.points(v) for v in (0.5, 1.0, 11.0)] == ['0.5 pts', '1.0 pts', '11.0 pts']
        assert [formatting.plural_count(v) for v in (1, 1.2, 0, 3)] == [1, 1, 2, 3]  # written whole: 1 is singular
        assert formatting.plural_count(Decimal('1.0'), 1) == 2  # '1.0 days'


def test_the_funnel_counts_and_shares_in_each_language() -> None:
    steps = [('Visits', 4960.0), ('Orders', 497.0), ('Orders', 0.0)]
    with i18n.use('en'):
        assert kpi_widgets.funnel_figure(steps)['data'][0]['text'] == ['4,960<br>100%', '497<br>10%', '0<br>0%']
    with i18n.use('fr'):
        shown = kpi_widgets.funnel_figure(steps)['data'][0]
        assert shown['text'] == [f'4{NNBSP}960<br>100{NBSP}%', f'497<br>10{NBSP}%', f'0<br>0{NBSP}%']
        assert shown['y'] == ['Visites', 'Commandes', 'Commandes']
    assert kpi_widgets.funnel_figure([('Visits', 0.0)])['data'][0]['text'] == ['0']  # no share of nothing


def test_a_chart_in_french_brings_its_own_plotly_locale() -> None:
    figure = {'data': [], 'layout': {'xaxis': {'type': 'date'}, 'yaxis': {}}, 'config': {'displayModeBar': False}}
    assert localized(figure, 'en') is figure  # English: exactly what Plotly draws by itself
    french = localized(figure, 'fr')
    assert figure['config'] == {'displayModeBar': False} and 'tickformatstops' not in figure['layout']['xaxis']
    assert french['config']['locale'] == 'fr' and french['config']['displayModeBar'] is False
    form = french['config']['locales']['fr']['format']
    assert form['shortMonths'][10:] == ['nov.', 'déc.'] and form['days'][0] == 'dimanche'
    assert (form['decimal'], form['thousands'], form['date']) == (',', NNBSP, '%d/%m/%Y')
    assert french['layout']['xaxis']['hoverformat'] == '%-d %b %Y'  # 5 nov. 2026
    assert {'dtickrange': [86_400_000, 'M1'], 'value': '%-d %b'} in french['layout']['xaxis']['tickformatstops']
    assert french['layout']['yaxis'] == {}  # not a date axis
    assert d3_format("d 'de' MMMM") == '%-d de %B' and d3_format('h:mm a') == ''


async def test_the_dashboard_cards_and_charts_in_french(user: User, in_french: Callable[[], None]) -> None:
    seed_turnover({0: 12_000.0, 1: 9_620.0, 8: 5_000.0, 9: 5_810.0})  # this week 21,620, the week before 10,810
    owner = make_user('manager')
    await signed_in(user, owner.email)
    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see('€21,620')
    await user.should_see('▲ 100.0%')

    in_french()
    await user.open('/')
    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see(f'21{NNBSP}620{NBSP}€')
    await user.should_see(f'▲ 100,0{NBSP}%')
    await user.should_not_see('EUR')
    charts = user.find(LeanPlotly).elements
    assert len(charts) == 4
    for chart in charts:
        config = chart.props['options']['config']
        assert config['locale'] == 'fr' and config['locales']['fr']['format']['shortMonths'][11] == 'déc.'
    dated = [c for c in charts if c.props['options']['layout'].get('xaxis', {}).get('type') == 'date']
    assert dated and all('tickformatstops' in c.props['options']['layout']['xaxis'] for c in dated)


async def test_an_order_in_french_money(user: User, in_french: Callable[[], None]) -> None:
    manager = make_user('manager')
    make_product('LAMP', '1234.50', stock_on_hand=20, actor=manager)
    order = place(('LAMP', 2), shipping_name='Cleo Stone')
    due = order.total
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see('€2,469.00')  # the subtotal, as every English screen writes money
    lines = user.find(marker='lines').elements.pop()  # the lines' amounts too, not bare numbers (1234.50)
    assert (lines.rows[0]['unit_price'], lines.rows[0]['discount'], lines.rows[0]['line_total']) == (
        '€1,234.50',
        '€0.00',
        '€2,469.00',
    )

    in_french()
    await user.open(f'/orders/{order.number}')
    await user.should_see('Sous-total')
    await user.should_see(f'2{NNBSP}469,00{NBSP}€')
    assert due == Decimal('2962.80')  # 2,469.00 + 20 % VAT, free shipping
    await user.should_see(f'2{NNBSP}962,80{NBSP}€')
    await user.should_not_see('EUR')
    lines = user.find(marker='lines').elements.pop()
    assert (lines.rows[0]['unit_price'], lines.rows[0]['line_total']) == (
        f'1{NNBSP}234,50{NBSP}€',
        f'2{NNBSP}469,00{NBSP}€',
    )

    user.find(marker='record-payment').click()
    await user.should_see('Référence (ligne du relevé bancaire)')
    amount = user.find(marker='amount').elements.pop()
    assert amount.value == '2962,80'  # as a French reader types it, no thousands separator
    user.find(marker='dialog-submit').click()  # the prefilled French amount is read back by the service
    await user.should_see('Paiement enregistré', retries=40)
    await user.should_see(f'paiement de 2{NNBSP}962,80{NBSP}€ (', retries=40)
