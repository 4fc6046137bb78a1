"""The accounting export of a period, checked against figures added up by hand: the VAT summary per rate (invoices
minus credit notes), sales and credit notes per rate, payments per method, refunds, bank lines per category; the CSV
(ZIP) and XLSX files parsed back (raw values: ISO days, dot decimals, no currency sign); the FEC file with its 18
columns, every entry balanced, numbered without a gap per journal; the accounts from the settings; refused without
finance.read."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.kpi.days import today as shop_today
from backoffice.models import BankLine
from backoffice.permissions import PermissionDenied
from backoffice.services import accounting, app_settings, bank_match, fec, payments

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_product, make_user, pay, place
from .support.finance import invoiced_on_terms

D = Decimal
HOSTILE = 'Acme | "Labs":\n<script>x</script> Société'


def save(admin, **changes) -> None:
    with session_scope() as session:
        app_settings.save(
            session=session, actor=admin, loaded=app_settings.current_values(session=session), changes=changes
        )


@pytest.fixture
def books():
    """A at 20 %: 3 books, 30.00 + 6.00 VAT, paid; B at 5.5 %: 2 books, 20.00 + 1.10, paid; 12.00 refunded on A
    (a credit note of 10.00 + 2.00); C at 5.5 % on terms: 4 books, 40.00 + 2.20, 20.00 of it paid by a bank line
    matched to it; a bank fee set aside; a line still to reconcile."""
    admin, manager = make_user('admin'), make_user('manager')
    make_product('BOOK', '10.00', name='Book', stock_on_hand=100, actor=admin)
    save(admin, vat_rate='20', shipping_fee='0')
    a = place(('BOOK', 3), email='ann@example.com')
    pay(admin, a)
    save(admin, vat_rate='5.5')
    b = place(('BOOK', 2), email='bob@example.com')
    pay(admin, b)
    with session_scope() as session:
        payments.refund(session=session, actor=admin, order_id=a.id, amount='12.00', reason='Damaged: "cover" <b>')
        session.commit()
    _c, invoice_c = invoiced_on_terms(manager, 'cleo@example.com', 4, 30, name=HOSTILE, sku='BOOK')
    account = make_account(manager)
    day = shop_today(app_settings.time_zone()).isoformat()
    lines = [
        Line('20.00', f'VIR {invoice_c.number}', counterpart='Cléo', day=day),
        Line('-3.50', 'Frais | tenue de compte', day=day),
        Line('99.00', 'Unknown <script>', day=day),
    ]
    import_file(manager, account, camt053(lines))
    with read_session() as session:
        found = {line.label: line for line in session.exec(select(BankLine))}
    with session_scope() as session:
        matched = found[f'VIR {invoice_c.number}']
        bank_match.confirm(
            session=session,
            actor=manager,
            line_id=matched.id,
            version=matched.version,
            amounts={invoice_c.id: '20.00'},
        )
    with session_scope() as session:
        fee = found['Frais | tenue de compte']
        bank_match.set_aside(
            session=session, actor=manager, line_id=fee.id, version=fee.version, category='bank_fees', note='x'
        )
    return admin, manager


def period_days():
    last = shop_today(app_settings.time_zone())
    return last - timedelta(days=30), last


def figures(actor) -> accounting.Period:
    first, last = period_days()
    with read_session() as session:
        return accounting.period(session=session, actor=actor, first=first, last=last)


def export(actor, fmt):
    first, last = period_days()
    with read_session() as session:
        return accounting.export(session=session, actor=actor, first=first, last=last, fmt=fmt)


def test_the_vat_summary_and_the_tables_match_the_figures_added_by_hand(books) -> None:
    _admin, manager = books
    seen = figures(manager)
    assert [(r['vat_rate'], r['base'], r['vat']) for r in seen.vat_summary] == [
        (D('5.50'), D('60.00'), D('3.30')),  # B and C
        (D('20.00'), D('20.00'), D('4.00')),  # A less its credit note
    ]
    assert seen.vat_totals() == {'base': D('80.00'), 'vat': D('7.30')}
    assert [(r['kind'], r['vat_rate'], r['net'], r['vat'], r['gross']) for r in seen.sales] == [
        ('invoice', D('5.50'), D('60.00'), D('3.30'), D('63.30')),
        ('invoice', D('20.00'), D('30.00'), D('6.00'), D('36.00')),
        ('credit_note', D('20.00'), D('10.00'), D('2.00'), D('12.00')),
    ]
    assert seen.payments == [{'method': 'bank_transfer', 'count': 3, 'amount': D('77.10')}]  # 36 + 21.10 + 20
    assert [(r['order'], r['amount']) for r in seen.refunds] == [(seen.refunds[0]['order'], D('12.00'))]
    assert {g['category']: (g['money_in'], g['money_out'], g['count']) for g in seen.bank_by_group()} == {
        'customer_payment': (D('20.00'), D('0.00'), 1),
        'to_reconcile': (D('99.00'), D('0.00'), 1),
        'bank_fees': (D('0.00'), D('3.50'), 1),
    }


def test_the_csv_zip_and_the_xlsx_hold_raw_values(books) -> None:
    _admin, manager = books
    content, name, media = export(manager, 'csv')
    assert name.startswith('accounting-') and name.endswith('.zip') and media == 'application/zip'
    archive = zipfile.ZipFile(io.BytesIO(content))
    files = {n.split('/')[-1]: archive.read(n).decode('utf-8-sig') for n in archive.namelist()}
    assert set(files) == {f'{t}.csv' for t in ('vat_summary', 'sales_by_vat_rate', 'payments_by_method', 'refunds')} | {
        'bank_lines.csv'
    }
    vat_rows = list(csv.DictReader(io.StringIO(files['vat_summary.csv'])))
    assert vat_rows == [
        {'vat_rate': '5.50', 'base': '60.00', 'vat': '3.30', 'currency': 'EUR'},
        {'vat_rate': '20.00', 'base': '20.00', 'vat': '4.00', 'currency': 'EUR'},
    ]
    bank_rows = list(csv.DictReader(io.StringIO(files['bank_lines.csv'])))
    assert sorted((r['amount'], r['category']) for r in bank_rows) == [
        ('-3.50', 'bank_fees'),  # a negative amount stays a number, not guarded text
        ('20.00', 'customer_payment'),
        ('99.00', 'to_reconcile'),
    ]
    assert all(len(r['date']) == 10 and r['date'][4] == '-' for r in bank_rows)  # ISO days
    assert '€' not in ''.join(files.values())

    content, name, _media = export(manager, 'xlsx')
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ['vat_summary', 'sales_by_vat_rate', 'payments_by_method', 'refunds', 'bank_lines']
    rows = list(book['vat_summary'].iter_rows(values_only=True))
    assert rows[0] == ('vat_rate', 'base', 'vat', 'currency')
    assert [tuple(D(str(v)) for v in row[:3]) for row in rows[1:]] == [
        (D('5.5'), D('60'), D('3.3')),
        (D('20'), D('20'), D('4')),
    ]
    assert list(book['payments_by_method'].iter_rows(values_only=True))[1][:3] == ('bank_transfer', 3, 77.1)


def fec_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode(fec.ENCODING)
    reader = csv.reader(io.StringIO(text), delimiter='|', quoting=csv.QUOTE_NONE)
    header, *rows = list(reader)
    assert header == list(fec.COLUMNS) and len(header) == 18
    assert all(len(row) == 18 for row in rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def amount(text: str) -> Decimal:
    assert '.' not in text
    return D(text.replace(',', '.'))


def test_without_a_siren_the_period_says_the_fec_file_needs_one(books) -> None:
    """A FEC is named after the SIREN: without the company registration number the file came out as FEC20261231.txt
    without a word; the period now says what to enter, and a number too short to be a SIREN names nothing."""
    admin, manager = books
    needed = 'Enter the company registration number (SIREN) under Settings → Invoices: the FEC file is named after it.'
    assert needed in figures(manager).notes
    save(admin, seller_registration='HRB "12": <b>')
    assert needed in figures(manager).notes
    assert export(manager, 'fec')[1] == f'FEC{period_days()[1]:%Y%m%d}.txt'  # not '12FEC…'
    save(admin, seller_registration='RCS Paris 123 456 789')
    assert needed not in figures(manager).notes


def test_the_fec_has_18_columns_and_every_entry_balances(books) -> None:
    admin, manager = books
    save(admin, seller_registration='RCS Paris 123 456 789', account_sales='706000')
    content, name, media = export(manager, 'fec')
    assert name == f'123456789FEC{period_days()[1]:%Y%m%d}.txt' and 'charset=iso8859_15' in media
    rows = fec_rows(content)
    entries = defaultdict(list)
    for row in rows:
        entries[row['EcritureNum']].append(row)
    for number, lines in entries.items():
        assert len(lines) >= 2
        assert sum(amount(x['Debit']) for x in lines) == sum(amount(x['Credit']) for x in lines), number
        assert len({(x['JournalCode'], x['EcritureDate'], x['PieceRef']) for x in lines}) == 1
    # 3 invoices and 1 credit note in the sales journal; 3 payments and 1 refund in the bank journal, without a gap
    assert sorted(entries) == [f'BQ{n:06d}' for n in range(1, 5)] + [f'VT{n:06d}' for n in range(1, 5)]
    day = f'{period_days()[1]:%Y%m%d}'
    assert {row['EcritureDate'] for row in rows} == {day} and {row['ValidDate'] for row in rows} == {day}
    by_piece = defaultdict(list)
    for row in rows:
        by_piece[row['PieceRef']].append(row)
    invoice_a = next(p for p, lines in by_piece.items() if any(x['Debit'] == '36,00' for x in lines))
    assert sorted((x['CompteNum'], x['Debit'], x['Credit']) for x in by_piece[invoice_a]) == [
        ('411000', '36,00', '0,00'),
        ('445710', '0,00', '6,00'),
        ('706000', '0,00', '30,00'),  # the sales account as set
    ]
    credit_note = next(p for p in by_piece if p.startswith('CN-'))
    assert sorted((x['CompteNum'], x['Debit'], x['Credit']) for x in by_piece[credit_note]) == [
        ('411000', '0,00', '12,00'),
        ('445710', '2,00', '0,00'),
        ('706000', '10,00', '0,00'),
    ]
    customers = [row for row in rows if row['CompteNum'] == '411000']
    assert all(row['CompAuxNum'].startswith('C') for row in customers)
    # the customer's name with a pipe and a line break stays in its one field
    assert 'Acme / "Labs": <script>x</script> Société' in {row['CompAuxLib'] for row in customers}
    bank = [row for row in rows if row['JournalCode'] == 'BQ']
    assert sum(amount(r['Debit']) for r in bank if r['CompteNum'] == '512000') == D('77.10')
    assert sum(amount(r['Credit']) for r in bank if r['CompteNum'] == '512000') == D('12.00')


def test_account_settings_are_checked_at_their_field() -> None:
    admin = make_user('admin')
    with pytest.raises(ValidationFailed) as refused:
        save(admin, account_bank='51A', journal_sales='VENTES-2026')
    assert set(refused.value.errors) == {'account_bank', 'journal_sales'}
    save(admin, account_bank=' 512 100 ', journal_sales='vt')
    with read_session() as session:
        assert fec.setting(session, 'account_bank') == '512100'
        assert fec.setting(session, 'journal_sales') == 'VT'


def test_a_period_out_of_order_is_refused_and_an_agent_is_refused_everything(books) -> None:
    _admin, manager = books
    with pytest.raises(ValidationFailed) as refused:
        accounting.dates_from({'first': '2026-12-31', 'last': '2026-01-01'})
    assert 'first' in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        accounting.dates_from({'first': 'soon', 'last': '2026-01-01'})
    assert 'first' in refused.value.errors
    agent = make_user('agent')
    first, last = period_days()
    with read_session() as session:
        with pytest.raises(PermissionDenied):
            accounting.period(session=session, actor=agent, first=first, last=last)
        for fmt in ('csv', 'xlsx', 'fec'):
            with pytest.raises(PermissionDenied):
                accounting.export(session=session, actor=agent, first=first, last=last, fmt=fmt)
