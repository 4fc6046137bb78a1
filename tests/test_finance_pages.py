"""The finance screens as a manager uses them: /finance shows the cash position, each account's balance (or that no
statement came yet), the overdue invoices and both charts, and follows a statement imported meanwhile; /finance/export
shows the VAT summary of the days chosen and downloads the CSV (ZIP), XLSX and FEC files; an agent is refused both."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

from nicegui.testing import User

from backoffice import i18n
from backoffice.bank_files.common import CsvMapping
from backoffice.db import get_engine, session_scope
from backoffice.kpi.days import today as shop_today
from backoffice.services import accounting, app_settings
from pages import accounting as accounting_page

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_product, make_user, pay, place
from .support.finance import due_days_ago, invoiced_on_terms, mugs, round_prices
from .support.plans import reading, settings_cache_held, statements_during
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Caisse "d\'épargne": <script>alert(1)</script>'


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


async def test_a_manager_reads_the_cash_position_the_overdue_invoices_and_the_charts(user: User, monkeypatch) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _o, late = invoiced_on_terms(manager, 'late@example.com', 3, 30, name=HOSTILE)  # 30.00
    due_days_ago(late, 12)
    invoiced_on_terms(manager, 'soon@example.com', 2, 15)  # 20.00 in the forecast
    today = shop_today(app_settings.time_zone())
    main = make_account(manager, HOSTILE)
    import_file(manager, main, camt053([Line('250.00', 'VIR', day=today.isoformat())], balance_day=today.isoformat()))
    make_account(manager, 'Livret', iban='')

    settings_cache_held(monkeypatch)
    with statements_during(get_engine()) as seen:
        await signed_in(user, manager.email, path='/finance')
        await user.should_see(marker='finance-cash', retries=40)
    # one read of the settings for the overview (its currency), not one more per forecast source; the open supplier
    # bills once for both of the forecast's bill sources (the purchases' source sums its own part bills apart)
    assert len(reading(seen, 'app_settings')) == 1
    assert len([sql for sql in reading(seen, 'supplier_bills') if 'JOIN purchases' not in sql]) == 1
    await user.should_see('€1,250.00')
    await user.should_see('€30.00')
    await user.should_see('1 invoice')
    await user.should_see(HOSTILE)
    await user.should_see('No statement yet')
    past = element(user, 'chart-past')
    await user.should_not_see(marker='past-empty')
    await eventually(lambda: len(past.figure['data']) == 3)
    assert sum(past.figure['data'][0]['y']) == 250.0  # money in, this week
    forecast = element(user, 'chart-forecast')
    names = {trace['name'] for trace in forecast.figure['data']}
    assert names == {'Invoices falling due', 'Overdue invoices (counted this week)'}

    # a statement imported meanwhile shows without a reload
    later = camt053(
        [Line('-50.00', 'Fournisseur', day=today.isoformat())],
        opening='1250.00',
        statement_id='STMT-2',
        balance_day=(today + timedelta(days=1)).isoformat(),
    )
    import_file(manager, main, later)
    await user.should_see('€1,200.00', retries=60)


async def test_a_manager_reads_the_vat_summary_and_downloads_the_three_files(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    make_product('BOOK', '10.00', name=HOSTILE, stock_on_hand=50, actor=admin)
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=app_settings.current_values(session=session),
            changes={'vat_rate': '20', 'shipping_fee': '0'},
        )
    pay(manager, place(('BOOK', 3), email='ann@example.com'))  # 30.00 + 6.00 VAT
    today = shop_today(app_settings.time_zone())

    await signed_in(user, manager.email, path='/finance/export')
    user.find('From').clear().type((today - timedelta(days=3)).isoformat())
    user.find('To').clear().type(today.isoformat())
    vat = element(user, 'vat-summary')
    await eventually(
        lambda: [(r['rate'], r['base'], r['vat']) for r in vat.rows][:1] == [('20%', '€30.00', '€6.00')]  # one piece
    )
    assert vat.rows[-1]['rate'] == 'Total'
    sales = element(user, 'sales')
    assert [(r['kind'], r['gross']) for r in sales.rows] == [('Invoices', '€36.00')]
    assert [(r['method'], r['amount']) for r in element(user, 'payments').rows] == [('Bank transfer', '€36.00')]

    user.find(marker='export-csv').click()
    download = await user.download.next(timeout=20)
    assert 'vat_summary.csv' in ' '.join(zipfile.ZipFile(io.BytesIO(download.content)).namelist())
    user.find(marker='export-xlsx').click()
    assert (await user.download.next(timeout=20)).content.startswith(b'PK')
    user.find(marker='export-fec').click()
    fec_file = await user.download.next(timeout=20)
    assert fec_file.content.startswith(b'JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum')

    figures = user.find(marker='accounting-figures').elements.pop()
    user.find('To').clear().type((today - timedelta(days=10)).isoformat())  # before the first day
    await user.should_see('The first day must be on or before the last day.', retries=40)
    # the figures of the period read before are not left standing under the refused one
    await eventually(lambda: not figures.visible)
    user.find('To').clear().type(today.isoformat())
    await eventually(lambda: figures.visible)
    await user.should_not_see('The first day must be on or before the last day.', retries=40)


async def test_without_bank_lines_the_weekly_chart_says_where_they_come_from(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/finance')
    await user.should_see(
        'No bank lines over these 12 weeks: import a statement on the bank reconciliation screen.', retries=40
    )
    await user.should_not_see(marker='chart-past')  # not a flat line at 0 on an axis from -1 to 1


async def test_a_statement_without_a_balance_is_not_a_cash_position_of_zero(user: User) -> None:
    """A bank's CSV export has no balance column: the overview said "€0.00 · No statement yet" right after its import,
    a figure nobody read and a sentence that was not true; now no figure, and why."""
    manager = make_user('manager')
    main = make_account(manager, HOSTILE)
    data = 'Date;Libellé;Montant\n03/12/2026;FRAIS "tenue": <script>alert(1)</script>;-12,50\n'.encode()
    import_file(manager, main, data, 'releve.csv', mapping=CsvMapping(date='Date', label='Libellé', amount='Montant'))
    await signed_in(user, manager.email, path='/finance')
    await user.should_see(marker='finance-cash', retries=40)
    await user.should_see('The statements imported give no balance')
    await user.should_see('No balance in its statements')
    await user.should_not_see('No statement yet')
    shown = [label.text for label in element(user, 'finance-cash').descendants() if hasattr(label, 'text')]
    assert '—' in shown and '€0.00' not in shown  # not a cash position of zero: none is known
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see('Its latest statement gives no balance', retries=40)


async def test_an_agent_is_refused_the_finance_screens(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/finance')
    await user.should_see("You don't have access to this page")
    await user.should_not_see(marker='finance-cash')
    await user.open('/finance/export')
    await user.should_see("You don't have access to this page")
    await user.should_not_see(marker='vat-summary')


def test_preset_periods_end_where_a_vat_return_expects_them() -> None:
    day = date(2026, 5, 14)
    assert accounting.preset('this_month', day) == (date(2026, 5, 1), day)
    assert accounting.preset('last_month', day) == (date(2026, 4, 1), date(2026, 4, 30))
    assert accounting.preset('last_quarter', day) == (date(2026, 1, 1), date(2026, 3, 31))
    assert accounting.preset('last_quarter', date(2026, 2, 1)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert accounting.preset('this_year', day) == (date(2026, 1, 1), day)
    assert accounting.preset('last_month', date(2026, 1, 9)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_a_vat_rate_is_written_as_the_reader_writes_a_percentage() -> None:
    """English read '20 %' on /finance/export while the dashboard wrote '12.0%'."""
    with i18n.use('en'):
        assert [accounting_page.rate(Decimal(n)) for n in ('20', '5.5')] == ['20%', '5.5%']
    with i18n.use('fr'):
        assert (accounting_page.rate(Decimal('20')), accounting_page.rate(Decimal('5.5'))) == (
            '20\u00a0%',
            '5,5\u00a0%',
        )
