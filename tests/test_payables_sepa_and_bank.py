"""Paying suppliers: the bills to pay exported as a SEPA credit transfer file that validates against the
pain.001.001.03 schema (the XSD the sepaxml library ships), refused in words for a supplier without an IBAN; and a
money-out bank line suggested the bill it pays, one click recording the bill's payment, undone with the line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from lxml import etree
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, BankLine, BillPayment, BillStatus, LineStatus, SupplierBill
from backoffice.services import bank_match, payables

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user
from .support.payables import SHOP_IBAN, SUPPLIER_BIC, SUPPLIER_IBAN, approved_bill, due_in, make_supplier, shop_bank

D = Decimal
XSD = Path(sepaxml.__file__).parent / 'schemas' / 'pain.001.001.03.xsd'
NS = {'p': 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'}
ONE = [{'description': 'Mugs', 'quantity': '1', 'unit_price': '150.00', 'vat_rate': '20'}]  # 180.00


@pytest.fixture
def people():
    admin, manager = make_user('admin'), make_user('manager')
    shop_bank(admin)
    return admin, manager


def export(actor, bill_ids):
    with session_scope() as session:
        return payables.export_transfer(session=session, actor=actor, bill_ids=bill_ids)


def stored(bill_id) -> SupplierBill:
    with read_session() as session:
        return session.get(SupplierBill, bill_id)


def test_the_transfer_file_validates_against_the_pain_001_001_03_schema_and_marks_the_bills_sent(people) -> None:
    admin, manager = people
    acme = make_supplier('Faïencerie "Zoé" & Fils <SARL>', iban=SUPPLIER_IBAN, bic=SUPPLIER_BIC)
    brico = make_supplier('Brico', iban='FR1420041010050500013M02606')
    first = approved_bill(manager, admin, acme.id, 'F-1', lines=ONE, **due_in(2))
    second = approved_bill(manager, admin, brico.id, 'B/7', lines=ONE, **due_in(-3))
    with session_scope() as session:  # part paid: the file pays what is open
        from backoffice.services import bills

        bills.pay(session=session, actor=manager, bill_id=second.id, amount='30.00')
    data, name = export(manager, [first.id, second.id])
    assert name.startswith('sepa-transfer-') and name.endswith('.xml')
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(data)
    schema.assertValid(document)
    assert document.findtext('.//p:GrpHdr/p:NbOfTxs', namespaces=NS) == '2'
    assert document.findtext('.//p:GrpHdr/p:CtrlSum', namespaces=NS) == '330.00'  # 180.00 + 150.00
    assert document.findtext('.//p:DbtrAcct/p:Id/p:IBAN', namespaces=NS) == SHOP_IBAN
    credit = {
        t.findtext('p:CdtrAcct/p:Id/p:IBAN', namespaces=NS): t.findtext('p:Amt/p:InstdAmt', namespaces=NS)
        for t in document.iterfind('.//p:CdtTrfTxInf', namespaces=NS)
    }
    assert credit == {SUPPLIER_IBAN: '180.00', 'FR1420041010050500013M02606': '150.00'}
    assert stored(first.id).payment_sent_on is not None and stored(first.id).status == BillStatus.approved
    with read_session() as session:
        assert payables.to_pay(session=session, actor=manager) == []  # sent: no longer listed to pay
        assert len(payables.to_pay(session=session, actor=manager, include_sent=True)) == 2
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == 'supplier-bills')).all()
    assert 'bill.transfer_exported' in actions and actions.count('bill.payment_sent') == 2


def test_names_and_remittance_text_keep_to_the_sepa_basic_latin_set(people) -> None:
    """Banks take names and remittance text in EPC's basic Latin set only: accents transliterated, '&' as '+', quotes
    as an apostrophe, anything else a full stop; what the shop typed is kept as typed everywhere else."""
    admin, manager = people
    acme = make_supplier('Faïencerie "Zoé" & Fils <SARL>', iban=SUPPLIER_IBAN, bic=SUPPLIER_BIC)
    odd = make_supplier('L’Œuvre_Straße: <script>alert(1)</script>', iban='FR1420041010050500013M02606')
    first = approved_bill(manager, admin, acme.id, 'F-"1"&<2>', lines=ONE, **due_in(2))
    second = approved_bill(manager, admin, odd.id, 'Ö/7', lines=ONE, **due_in(3))
    data, _name = export(manager, [first.id, second.id])
    document = etree.fromstring(data)
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(document)
    names = [t.findtext('p:Cdtr/p:Nm', namespaces=NS) for t in document.iterfind('.//p:CdtTrfTxInf', namespaces=NS)]
    texts = [t.findtext('.//p:Ustrd', namespaces=NS) for t in document.iterfind('.//p:CdtTrfTxInf', namespaces=NS)]
    assert names == ["Faiencerie 'Zoe' + Fils .SARL.", "L'OEuvre-Strasse: .script.alert(1)./script."]
    assert texts == ["F-'1'+.2. Faiencerie 'Zoe' + Fils .SARL.", "O/7 L'OEuvre-Strasse: .script.alert(1)./script."]
    assert document.findtext('.//p:Dbtr/p:Nm', namespaces=NS) == 'Boutique Zoe SARL'
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
    for node in document.iter('{*}Nm', '{*}Ustrd'):
        assert set(node.text) <= allowed, node.text
    assert stored(first.id).number == 'F-"1"&<2>'  # the bill itself keeps what was typed


def test_suppliers_without_an_iban_are_refused_by_name_and_nothing_is_marked(people) -> None:
    admin, manager = people
    acme = make_supplier('Acme', iban=SUPPLIER_IBAN)
    plain = make_supplier('Sans Banque "SB"')
    bills = [
        approved_bill(manager, admin, acme.id, 'A-1', lines=ONE, **due_in(1)),
        approved_bill(manager, admin, plain.id, 'S-1', lines=ONE, **due_in(1)),
    ]
    with pytest.raises(ValidationFailed) as refused:
        export(manager, [b.id for b in bills])
    assert refused.value.errors['bills'].startswith(
        'These suppliers have no IBAN, so the bank cannot pay them: Sans Banque "SB".'
    )
    assert all(stored(b.id).payment_sent_on is None for b in bills)
    with pytest.raises(ValidationFailed) as refused:
        export(manager, [])
    assert refused.value.errors == {'bills': 'Choose the bills to pay'}


def test_a_debit_line_is_suggested_its_bill_and_one_click_records_the_payment_then_undo(people) -> None:
    admin, manager = people
    acme = make_supplier('Faïencerie Martin', iban=SUPPLIER_IBAN)
    other = make_supplier('Other', iban='FR1420041010050500013M02606')
    bill = approved_bill(manager, admin, acme.id, 'FM-2026-11', lines=ONE, **due_in(0))
    approved_bill(manager, admin, other.id, 'O-1', lines=ONE, **due_in(0))  # same amount, another supplier
    account = make_account(manager)
    import_file(
        manager,
        account,
        camt053(
            [Line('-180.00', 'VIR SEPA FM-2026-11', counterpart='FAIENCERIE MARTIN', reference='E2E-1')],
        ),
    )
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    found = bank_match.suggestions_of(line)
    assert found[0]['number'] == 'FM-2026-11' and found[0]['kind'] == 'bill'
    assert set(found[0]['why']) >= {'bill_number', 'bill_amount', 'supplier'}
    assert found[0]['score'] > found[1]['score']
    with session_scope() as session:
        bank_match.confirm_bill(
            session=session, actor=manager, line_id=line.id, version=line.version, bill_id=found[0]['bill_id']
        )
    assert (stored(bill.id).status, stored(bill.id).paid) == (BillStatus.paid, D('180.00'))
    with read_session() as session:
        line = session.get(BankLine, line.id)
        payment = session.exec(select(BillPayment)).one()
    assert (line.status, payment.bank_line_id, payment.amount) == (LineStatus.matched, line.id, D('180.00'))
    with read_session() as session:  # what the line paid, said on its card
        assert bank_match.paid_by(session=session, actor=manager, lines=[line]) == {
            line.id: [bank_match.PaidPart('bill', 'FM-2026-11', D('180.00'))]
        }
    with session_scope() as session, pytest.raises(ValidationFailed):  # matched already: refused in words
        bank_match.confirm_bill(session=session, actor=manager, line_id=line.id, version=None, bill_id=bill.id)
    with session_scope() as session:
        bank_match.undo(session=session, actor=manager, line_id=line.id, version=line.version)
    assert (stored(bill.id).status, stored(bill.id).paid) == (BillStatus.approved, D('0.00'))
    with read_session() as session:
        assert session.exec(select(BillPayment)).all() == []
        assert session.get(BankLine, line.id).status == LineStatus.unmatched


def test_a_debit_larger_than_the_bill_is_refused_and_records_nothing(people) -> None:
    admin, manager = people
    acme = make_supplier('Acme', iban=SUPPLIER_IBAN)
    bill = approved_bill(manager, admin, acme.id, 'A-9', lines=ONE, **due_in(0))
    account = make_account(manager)
    import_file(manager, account, camt53_one('-200.00', 'A-9'))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bank_match.confirm_bill(session=session, actor=manager, line_id=line.id, version=line.version, bill_id=bill.id)
    assert 'Only €180.00 is open on bill A-9' in refused.value.errors['amount']
    with read_session() as session:
        assert session.get(BankLine, line.id).status == LineStatus.unmatched
        assert session.exec(select(BillPayment)).all() == []


def camt53_one(amount: str, label: str) -> bytes:
    return camt053([Line(amount, label, counterpart='ACME')])
