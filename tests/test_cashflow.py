"""Cash flow on /finance, checked against figures added up by hand: each account's position from the statement that
ends last, money in and out per week from the bank lines (transfers between own accounts left out), the forecast per
week from the invoices' due dates (overdue ones this week, those past 8 weeks left out) and purchase orders not yet
received; the overdue card and the DSO as the receivables screen computes them; refused without finance.read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.kpi.days import today as shop_today
from backoffice.models import BankLine
from backoffice.permissions import PermissionDenied
from backoffice.services import app_settings, bank_match, bills, cashflow, purchases
from components.cashflow_charts import forecast_figure, weeks_figure

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_product, make_user, pay
from .support.finance import due_days_ago, invoiced_on_terms, mugs, round_prices
from .support.payables import approved_bill, due_in, enter_bill, make_supplier

D = Decimal


@pytest.fixture
def shop():
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    return admin, manager


def today() -> date:
    return shop_today(app_settings.time_zone())


def overview(actor) -> cashflow.Overview:
    with read_session() as session:
        return cashflow.overview(session=session, actor=actor, today=today())


def test_positions_and_weeks_of_money_in_and_out_match_the_sums_by_hand(shop) -> None:
    _admin, manager = shop
    monday = cashflow.monday_of(today())
    week7 = monday - timedelta(weeks=7)
    day = date.isoformat
    main = make_account(manager, 'Compte "courant" <b>')
    lines = [
        Line('100.00', 'VIR client A', day=day(week7 + timedelta(days=1))),
        Line('-30.00', 'Frais: tenue de compte', day=day(week7 + timedelta(days=1))),
        Line('50.50', 'VIR client B', day=day(week7 + timedelta(days=3))),
        Line('-200.00', 'Loyer', day=day(monday)),
        Line('999.00', 'Too old: 12 weeks ago', day=day(monday - timedelta(weeks=12))),
        Line('-500.00', 'Virement vers livret', day=day(monday - timedelta(weeks=1))),
    ]
    import_file(manager, main, camt053(lines, opening='1000.00', balance_day=day(today())))
    # an older statement imported afterwards does not move the position back
    older = [Line('5.00', 'Old interest', day=day(today() - timedelta(days=100)))]
    import_file(manager, main, camt053(older, opening='10.00', statement_id='OLD', balance_day='2026-01-31'))
    dollars = make_account(manager, 'USD account', iban='', currency='USD')
    import_file(
        manager,
        dollars,
        camt053([Line('7.00', 'x', currency='USD', day=day(monday))], opening='0.00', iban='', currency='USD'),
    )
    make_account(manager, 'Zéro relevé', iban='')

    seen = overview(manager)
    by_name = {a.name: a for a in seen.accounts}
    assert by_name['Compte "courant" <b>'].balance == D('1419.50')  # 1000 + 100 − 30 + 50.50 − 200 + 999 − 500
    assert by_name['Compte "courant" <b>'].on == today()
    assert by_name['USD account'].balance == D('7.00')
    assert by_name['Zéro relevé'].balance is None and by_name['Zéro relevé'].on is None
    assert seen.cash_total == D('1419.50') and seen.other_currency_accounts == 1
    assert len(seen.past) == 12 and seen.past[-1].monday == monday
    weeks = {w.monday: (w.money_in, w.money_out) for w in seen.past}
    assert weeks[week7] == (D('150.50'), D('30.00'))
    assert weeks[monday] == (D('0.00'), D('200.00'))  # the USD line is not added to euros
    assert weeks[monday - timedelta(weeks=1)] == (D('0.00'), D('500.00'))
    assert sum((w.money_in for w in seen.past), D(0)) == D('150.50')  # 999.00 is 12 weeks back: out of the window

    with read_session() as session:
        transfer = session.exec(select(BankLine).where(BankLine.label == 'Virement vers livret')).one()
    with session_scope() as session:
        bank_match.set_aside(
            session=session, actor=manager, line_id=transfer.id, version=transfer.version, category='transfer'
        )
    weeks = {w.monday: (w.money_in, w.money_out) for w in overview(manager).past}
    assert weeks[monday - timedelta(weeks=1)] == (D('0.00'), D('0.00'))  # own money moved: neither in nor out


def test_the_forecast_adds_up_invoices_by_due_week_overdue_this_week_and_purchases_on_order(shop) -> None:
    admin, manager = shop
    monday = cashflow.monday_of(today())

    def week_of(day: date) -> int:
        return (cashflow.monday_of(day) - monday).days // 7

    invoiced_on_terms(manager, 'net30@example.com', 10, 30)  # 100.00 due in 30 days
    order15, _i15 = invoiced_on_terms(manager, 'net15@example.com', 2, 15)  # 20.00 due in 15 days
    pay(manager, order15, '5.00')  # 15.00 open
    _o, late = invoiced_on_terms(manager, 'late@example.com', 3, 30, name='Late <i>')  # 30.00
    due_days_ago(late, 10)
    invoiced_on_terms(manager, 'net60@example.com', 5, 60)  # due past the 8 weeks: not in the forecast
    product = make_product('BOX', '3.00', actor=admin)
    with session_scope() as session:
        purchases.create_purchase(
            session=session,
            actor=admin,
            lines=[{'product_id': product.id, 'quantity': 4, 'unit_cost': '12.25'}],
            supplier='Cartons & Co',
            received=False,
        )  # 49.00 expected out, no date: this week
        purchases.create_purchase(
            session=session, actor=admin, lines=[{'product_id': product.id, 'quantity': 1}], received=False
        )  # no total known: not counted

    seen = overview(manager)
    assert len(seen.forecast) == 8 and seen.forecast[0].monday == monday
    expected: dict[int, dict[str, Decimal]] = {}
    for offset, amount, source in (
        (week_of(today() + timedelta(days=30)), D('100.00'), 'receivables'),
        (week_of(today() + timedelta(days=15)), D('15.00'), 'receivables'),
        (0, D('30.00'), 'overdue'),
        (0, D('-49.00'), 'purchases'),
    ):
        week = expected.setdefault(offset, {})
        week[source] = week.get(source, D(0)) + amount
    assert {i: w.by_source for i, w in enumerate(seen.forecast) if w.by_source} == expected
    assert seen.forecast[0].money_out == D('49.00')
    assert sum((w.money_in for w in seen.forecast), D(0)) == D('145.00')
    assert [s.key for s in seen.sources] == ['receivables', 'overdue', 'bills', 'overdue-bills', 'purchases']
    # the cards: overdue and open receivables, the DSO, as the receivables screen computes them
    assert (seen.overdue_amount, seen.overdue_count) == (D('30.00'), 1)
    assert seen.open_amount == D('195.00')  # 100 + 15 + 30 + 50
    assert seen.dso == (D('195.00') / D('200.00') * 90).quantize(D('0.1'))


def test_approved_supplier_bills_are_expected_out_by_their_due_week_and_overdue_ones_this_week(shop) -> None:
    """120.00 due in 20 days, 60.00 overdue (this week), a bill awaiting approval and one due past the 8 weeks not
    counted; a bill paid in part counts what is still open."""
    admin, manager = shop
    monday = cashflow.monday_of(today())
    supplier = make_supplier('Faïencerie "Bleu": <b>')
    approved_bill(manager, admin, supplier.id, 'F-1', **due_in(20))  # 100.00 + 20 % VAT
    late = approved_bill(manager, admin, supplier.id, 'F-2', **due_in(-5))
    with session_scope() as session:
        bills.pay(session=session, actor=admin, bill_id=late.id, amount='60.00', reference='VIR 1')  # 60.00 open
    enter_bill(manager, supplier.id, 'F-3', **due_in(3))  # awaiting approval: not yet a debt to pay
    approved_bill(manager, admin, supplier.id, 'F-4', **due_in(70))  # past the 8 weeks

    seen = overview(manager)
    by_week = {i: w.by_source for i, w in enumerate(seen.forecast) if w.by_source}
    due_week = (cashflow.monday_of(today() + timedelta(days=20)) - monday).days // 7
    assert by_week == {due_week: {'bills': D('-120.00')}, 0: {'overdue-bills': D('-60.00')}}
    assert sum((w.money_out for w in seen.forecast), D(0)) == D('180.00')


def test_one_more_forecast_source_is_one_function(shop, monkeypatch) -> None:
    _admin, manager = shop

    def rent(session, today_, last):
        return [cashflow.Expected(today_ + timedelta(days=7), D('-800.00'), 'rent')]

    monkeypatch.setattr(cashflow, 'SOURCES', [*cashflow.SOURCES, cashflow.ForecastSource('rent', 'Rent', rent)])
    seen = overview(manager)
    week = next(w for w in seen.forecast if 'rent' in w.by_source)
    assert week.by_source['rent'] == D('-800.00') and week.monday == cashflow.monday_of(today() + timedelta(days=7))


def test_an_agent_is_refused_the_cash_flow() -> None:
    agent = make_user('agent')
    with read_session() as session, pytest.raises(PermissionDenied):
        cashflow.overview(session=session, actor=agent)


def test_the_weeks_chart_in_french_names_the_net_a_balance_not_an_amount_before_tax() -> None:
    """'Net' is the amount before VAT on an order or a bill (« Total HT »); the cash chart's net is money in less money
    out (« Solde »), and its hover says it."""
    weeks = [cashflow.Week(date(2026, 11, 2), Decimal('250.00'), Decimal('50.00'))]
    with i18n.use('fr'):
        money_in, money_out, net = weeks_figure(weeks, 'EUR')['data']
    assert (money_in['name'], money_out['name'], net['name']) == ('Entrées', 'Sorties', 'Solde')
    assert net['hovertemplate'] == '%{text}<extra>Solde</extra>'
    with i18n.use('en'):
        assert weeks_figure(weeks, 'EUR')['data'][2]['name'] == 'Net'


def test_a_long_forecast_source_wraps_in_the_legend_rather_than_running_off_a_phone() -> None:
    week = cashflow.ForecastWeek(date(2026, 11, 30))
    week.by_source.update({key: Decimal('-10.00') for key in ('overdue-bills', 'purchases', 'bills')})
    with i18n.use('fr'):
        names = [trace['name'] for trace in forecast_figure([week], cashflow.SOURCES, 'EUR')['data']]
    assert names[:2] == [
        'Factures fournisseurs à échéance',
        'Factures fournisseurs en retard (comptées<br>cette semaine)',
    ]
    assert all(len(line) <= 44 for name in names for line in name.split('<br>')), names
    with i18n.use('en'):
        assert forecast_figure([week], cashflow.SOURCES, 'EUR')['data'][0]['name'] == 'Supplier bills falling due'
