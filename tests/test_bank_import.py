"""Bank statements imported from real-looking files of the four formats (CAMT.053, MT940, OFX 1.x and 2.x, a French
CSV through its column mapping): several statements, credit and debit lines, references; the same file twice or an
overlapping one never doubles a line; a bad file names its line and imports nothing; another currency is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import func, select

from backoffice.bank_files import CsvMapping
from backoffice.db import read_session
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, BankLine, BankStatement
from backoffice.permissions import PermissionDenied
from backoffice.services import bank

from .support.bank import Line, camt053, fixture, import_file, make_account
from .support.factories import make_user

D = Decimal


def stored_lines() -> list[BankLine]:
    with read_session() as session:
        return list(session.exec(select(BankLine).order_by(BankLine.booked_on, BankLine.id)))


def count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def manager():
    return make_user('manager')


def test_a_camt053_file_of_two_statements_imports_each_line_signed_with_its_parties(manager) -> None:
    account = make_account(manager)
    done = import_file(manager, account, fixture('statement.camt053.xml'))

    assert (done.format, done.statements, done.new_lines, done.known_lines) == ('camt053', 2, 4, 0)
    lines = stored_lines()
    assert [(line.amount, line.counterpart) for line in lines] == [
        (D('840.00'), 'ACME LABS SARL'),
        (D('-24.50'), ''),
        (D('140.00'), 'Zoé "L\'Atelier" <script>alert(1)</script>'),
        (D('-600.00'), 'PAPETERIE DU NORD'),
    ]
    assert lines[0].label == 'Facture INV-2026-000042 commande 1042'
    assert lines[0].reference == 'E2E-ACME-0042'
    assert lines[2].reference == 'RF18539007547034'  # the structured creditor reference
    with read_session() as session:
        statements = session.exec(select(BankStatement).order_by(BankStatement.id)).all()
    assert [(s.reference, s.opening_balance, s.closing_balance) for s in statements] == [
        ('STMT-2026-11-30', D('10000.00'), D('10815.50')),
        ('STMT-2026-12-01', D('10815.50'), D('10355.50')),
    ]


def test_the_same_statement_imported_twice_adds_nothing(manager) -> None:
    account = make_account(manager)
    import_file(manager, account, fixture('statement.camt053.xml'))
    again = import_file(manager, account, fixture('statement.camt053.xml'))
    assert (again.new_lines, again.known_lines) == (0, 4)
    assert count(BankLine) == 4


def test_an_overlapping_statement_adds_only_its_new_lines_and_twin_lines_of_a_day_stay_two(manager) -> None:
    account = make_account(manager)
    coffee = Line('-3.20', 'CB CAFE DU COIN', day='2026-11-29')
    first = camt053([coffee, coffee, Line('10.00', 'VIR A', day='2026-11-30')], statement_id='A')
    second = camt053(
        [coffee, coffee, Line('10.00', 'VIR A', day='2026-11-30'), Line('5.00', 'VIR B')], statement_id='B'
    )
    assert import_file(manager, account, first).new_lines == 3  # two coffees the same day are two lines
    done = import_file(manager, account, second)
    assert (done.new_lines, done.known_lines) == (1, 3)
    assert count(BankLine) == 4


def test_mt940_reads_each_statement_and_its_86_details(manager) -> None:
    account = make_account(manager)
    done = import_file(manager, account, fixture('statement.mt940'), 'releve.sta')
    assert (done.format, done.statements, done.new_lines) == ('mt940', 2, 4)
    lines = stored_lines()
    assert [line.amount for line in lines] == [D('1250.00'), D('-35.90'), D('480.50'), D('-1200.00')]
    assert 'INV-2026-000042' in lines[0].label
    assert lines[0].bank_reference == 'BQ2611280001'
    assert lines[2].label.endswith('"Commande 1043" <script>alert(1)</script>')
    assert lines[3].reference == 'FOURN-7781'
    assert import_file(manager, account, fixture('statement.mt940')).new_lines == 0


@pytest.mark.parametrize('name', ['statement-v1.ofx', 'statement-v2.ofx'])
def test_ofx_1_sgml_and_2_xml_are_read(manager, name) -> None:
    account = make_account(manager, iban='')
    done = import_file(manager, account, fixture(name), name)
    assert (done.format, done.new_lines) == ('ofx', 2)
    lines = stored_lines()
    assert lines[0].amount > 0 > lines[1].amount
    assert lines[0].bank_reference.startswith('OFX')
    assert import_file(manager, account, fixture(name), name).new_lines == 0


def test_a_french_csv_is_read_through_its_mapping_which_the_account_keeps(manager) -> None:
    account = make_account(manager)
    data = fixture('releve-banque-populaire.csv')
    headers, guessed = bank.csv_columns(actor=manager, data=data, account=account)
    assert headers == ['Date', 'Libellé', 'Montant', 'Tiers', 'Référence']
    assert (guessed.date, guessed.amount, guessed.label, guessed.counterpart, guessed.delimiter, guessed.decimal) == (
        'Date',
        'Montant',
        'Libellé',
        'Tiers',
        ';',
        ',',
    )
    done = import_file(manager, account, data, 'releve.csv', mapping=guessed)
    assert (done.format, done.new_lines) == ('csv', 4)
    assert [line.amount for line in stored_lines()] == [D('1250.00'), D('-312.45'), D('-8.60'), D('150.00')]
    assert stored_lines()[2].label == 'CB "Café; du coin" <script>alert(1)</script>'
    with read_session() as session:
        kept = bank.saved_mapping(session.get(type(account), account.id))
    assert kept == guessed
    assert import_file(manager, account, data, 'releve.csv', mapping=guessed).new_lines == 0


def test_a_csv_with_debit_and_credit_columns(manager) -> None:
    account = make_account(manager)
    data = 'Date opération;Libellé;Débit;Crédit\n2026-11-30;PRLV EDF;54,10;\n2026-12-01;VIR CLIENT;;1.200,00\n'
    mapping = CsvMapping(date='Date opération', label='Libellé', debit='Débit', credit='Crédit', date_format='%Y-%m-%d')
    import_file(manager, account, data.encode('cp1252'), 'export.csv', mapping=mapping)
    assert [line.amount for line in stored_lines()] == [D('-54.10'), D('1200.00')]


@pytest.mark.parametrize(
    ('data', 'expected'),
    [
        (
            fixture('releve-banque-populaire.csv').replace(b'01/12/2026', b'2026-12-01'),
            'Line 4: "2026-12-01" is not a date written dd/mm/yyyy. Nothing was imported.',
        ),
        (
            fixture('releve-banque-populaire.csv').replace(b'-312,45', b'-312,4x'),
            'Line 3: "-312,4x" is not an amount. Nothing was imported.',
        ),
    ],
)
def test_a_bad_csv_line_is_named_and_nothing_is_imported(manager, data, expected) -> None:
    account = make_account(manager)
    headers, mapping = bank.csv_columns(actor=manager, data=data, account=account)
    with pytest.raises(ValidationFailed) as refused:
        import_file(manager, account, data, mapping=mapping)
    assert refused.value.errors == {'file': expected}
    assert count(BankLine) == count(BankStatement) == 0


def test_a_bad_mt940_line_is_named(manager) -> None:
    account = make_account(manager)
    data = fixture('statement.mt940').replace(b':61:2612011201C480,50', b':61:26120X1201C480,50')
    with pytest.raises(ValidationFailed) as refused:
        import_file(manager, account, data)
    assert refused.value.errors['file'].startswith('Line 15: This line cannot be read as MT940')
    assert count(BankLine) == 0


def test_a_bad_camt_amount_is_named_by_its_line_and_broken_xml_too(manager) -> None:
    account = make_account(manager)
    data = fixture('statement.camt053.xml').replace(b'<Amt Ccy="EUR">140.00</Amt>', b'<Amt Ccy="EUR">1,40</Amt>')
    with pytest.raises(ValidationFailed) as refused:
        import_file(manager, account, data)
    assert refused.value.errors['file'] == 'Line 80: "1,40" is not an amount. Nothing was imported.'
    with pytest.raises(ValidationFailed) as refused:
        import_file(manager, account, fixture('statement.camt053.xml')[:1500])
    assert refused.value.errors['file'].startswith('Line ')
    assert count(BankLine) == 0


def test_lines_that_do_not_add_up_to_the_closing_balance_are_refused(manager) -> None:
    account = make_account(manager)
    data = fixture('statement.camt053.xml').replace(
        b'10815.50</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Dt><Dt>2026-11-30',
        b'10815.55</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Dt><Dt>2026-11-30',
    )
    with pytest.raises(ValidationFailed) as refused:
        import_file(manager, account, data)
    assert 'do not add up to the closing balance 10815.55' in refused.value.errors['file']
    assert count(BankLine) == 0


def test_another_currency_or_another_account_is_refused_in_words(manager) -> None:
    account = make_account(manager)
    dollars = camt053([Line('10.00', 'OK'), Line('12.00', 'WIRE', currency='USD')])
    with pytest.raises(ValidationFailed) as refused:
        import_file(manager, account, dollars)
    assert 'This line is in USD; the account Crédit Agricole courant takes EUR only' in refused.value.errors['file']
    other = camt053([Line('10.00', 'OK')], iban='DE89370400440532013000')
    with pytest.raises(ValidationFailed) as refused:
        import_file(manager, account, other)
    assert 'This statement is for account DE89370400440532013000' in refused.value.errors['file']
    assert count(BankLine) == 0


def test_importing_needs_finance_manage_and_is_audited(manager) -> None:
    viewer = make_user('viewer')
    account = make_account(manager)
    with pytest.raises(PermissionDenied):
        import_file(viewer, account, fixture('statement.camt053.xml'))
    import_file(manager, account, fixture('statement.camt053.xml'), 'nov.xml')
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_statement.imported')).one()
    assert entry.changes['new_lines'] == 4
    assert 'nov.xml' in entry.summary


def test_an_account_needs_a_name_a_valid_iban_and_a_currency(manager) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_account(manager, name=' ', iban='FR76 3000 6000 0112 3456 7890 188', currency='E1')
    assert set(refused.value.errors) == {'name', 'iban', 'currency'}
