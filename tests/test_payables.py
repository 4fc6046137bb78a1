"""Payables, through the services: suppliers checked like the seller's own numbers, bills due by the supplier's terms,
VAT per rate, approval by a second person, partial payments, paying more than is open refused, duplicate bill numbers
refused, two people paying one bill at once, a bill from a received purchase order, the ageing against figures added
up by hand, and the role refusals."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, BillPayment, BillStatus, Purchase, SupplierBill
from backoffice.permissions import PermissionDenied, can
from backoffice.resources import resource
from backoffice.services import bills, crud, payables, purchases

from .support.factories import make_product, make_user
from .support.payables import (
    SUPPLIER_BIC,
    SUPPLIER_IBAN,
    approved_bill,
    due_in,
    enter_bill,
    make_supplier,
    real_pdf,
    today,
)

D = Decimal
HOSTILE = 'Zoé "L\'Atelier": <script>alert(1)</script>'


@pytest.fixture
def people():
    return make_user('admin'), make_user('manager'), make_user('viewer')


def pay(actor, bill_id, amount, reference='VIR "x": <b>é</b>'):
    with session_scope() as session:
        return bills.pay(session=session, actor=actor, bill_id=bill_id, amount=amount, reference=reference)


def stored(bill_id) -> SupplierBill:
    with read_session() as session:
        return session.get(SupplierBill, bill_id)


def test_a_supplier_has_its_vat_number_iban_and_bic_checked_and_terms_of_30_days_by_default(people) -> None:
    admin = people[0]
    with session_scope() as session:
        with pytest.raises(ValidationFailed) as refused:
            crud.create_record(
                session=session,
                actor=admin,
                resource=resource('suppliers'),
                data={'name': 'Bad', 'vat_number': 'FR00000000001', 'iban': 'DE00 1234', 'bic': 'X1'},
            )
    assert set(refused.value.errors) == {'vat_number', 'iban', 'bic'}
    assert 'check digit' in refused.value.errors['vat_number'] or 'VAT' in refused.value.errors['vat_number']
    supplier = make_supplier(
        HOSTILE, vat_number='fr 40 303265045', iban='de89 3704 0044 0532 0130 00', bic='cobadeffxxx', notes=HOSTILE
    )
    assert (supplier.name, supplier.vat_number, supplier.iban, supplier.bic) == (
        HOSTILE,
        'FR40303265045',
        SUPPLIER_IBAN,
        SUPPLIER_BIC,
    )
    assert supplier.payment_terms_days == 30


def test_a_bill_is_due_by_the_suppliers_terms_with_its_vat_per_rate(people) -> None:
    admin, manager, _viewer = people
    supplier = make_supplier('Faïencerie', payment_terms_days=45)
    issued = today() - timedelta(days=3)
    bill = enter_bill(
        manager,
        supplier.id,
        'FA-1',
        issued_on=issued,
        lines=[
            {'description': HOSTILE, 'quantity': '3', 'unit_price': '10.00', 'vat_rate': '20'},
            {'description': 'Livres', 'quantity': '2', 'unit_price': '7.50', 'vat_rate': '5.5'},
            {'description': 'Port', 'quantity': '1', 'unit_price': '4.99', 'vat_rate': '20'},
        ],
    )
    assert bill.due_on == issued + timedelta(days=45)
    assert bill.status == BillStatus.awaiting_approval
    # 34.99 at 20 % → 7.00 (6.998); 15.00 at 5.5 % → 0.83 (0.825, half up)
    assert (bill.net_total, bill.vat_total, bill.total) == (D('49.99'), D('7.83'), D('57.82'))
    with read_session() as session:
        _bill, _supplier, lines = bills.get(session=session, actor=admin, bill_id=bill.id)
    assert [(p.rate, p.net, p.vat) for p in bills.breakdown(lines)] == [
        (D('5.50'), D('15.00'), D('0.83')),
        (D('20.00'), D('34.99'), D('7.00')),
    ]
    assert lines[0].description == HOSTILE
    explicit = enter_bill(manager, supplier.id, 'FA-2', issued_on=issued, due_on=issued + timedelta(days=10))
    assert explicit.due_on == issued + timedelta(days=10)


def test_bad_input_is_refused_at_its_field_and_writes_nothing(people) -> None:
    manager = people[1]
    supplier = make_supplier('Acme')
    with pytest.raises(ValidationFailed) as refused:
        enter_bill(
            manager,
            supplier.id,
            '  ',
            lines=[{'description': '', 'quantity': '0', 'unit_price': 'abc', 'vat_rate': '120'}],
        )
    assert set(refused.value.errors) == {
        'number',
        'lines.0.description',
        'lines.0.quantity',
        'lines.0.unit_price',
        'lines.0.vat_rate',
    }
    with pytest.raises(ValidationFailed) as refused:
        enter_bill(manager, 999_999, 'X-1')
    assert 'supplier_id' in refused.value.errors
    with read_session() as session:
        assert session.exec(select(SupplierBill)).all() == []


def test_a_duplicate_bill_number_of_one_supplier_is_refused_in_words(people) -> None:
    manager = people[1]
    acme, other = make_supplier('Acme'), make_supplier('Other')
    enter_bill(manager, acme.id, 'F-77')
    with pytest.raises(ValidationFailed) as refused:
        enter_bill(manager, acme.id, ' F-77 ')
    assert refused.value.errors['number'] == 'Acme already has a bill numbered F-77'
    assert enter_bill(manager, other.id, 'F-77').number == 'F-77'  # another supplier's numbering


def test_approval_is_by_someone_else_holding_the_permission(people) -> None:
    admin, manager, viewer = people
    supplier = make_supplier('Acme')
    bill = enter_bill(manager, supplier.id)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bills.approve(session=session, actor=manager, bill_id=bill.id, version=bill.version)
    assert 'You entered this bill yourself' in refused.value.errors['bill']
    with read_session() as session:  # the bill page says the same in words instead of offering Approve
        said = {
            u.role: bills.approval_refused(session=session, actor=u, bill=stored(bill.id)) for u in (admin, manager)
        }
    assert said == {'admin': None, 'manager': refused.value.errors['bill']}
    with session_scope() as session, pytest.raises(PermissionDenied):
        bills.approve(session=session, actor=viewer, bill_id=bill.id, version=bill.version)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # not approved: not payable
        bills.pay(session=session, actor=admin, bill_id=bill.id, amount='1.00')
    assert 'Only an approved bill can be paid' in refused.value.errors['amount']
    with session_scope() as session:
        approved = bills.approve(session=session, actor=admin, bill_id=bill.id, version=bill.version)
    assert (approved.status, approved.approved_by) == (BillStatus.approved, admin.id)
    assert all(can(u, 'payables.approve') for u in (admin, manager)) and not can(viewer, 'payables.approve')


def test_payments_in_parts_and_more_than_open_refused_in_words(people) -> None:
    admin, manager, _viewer = people
    supplier = make_supplier('Acme')
    bill = approved_bill(manager, admin, supplier.id)  # 100.00 + 20 % = 120.00
    assert bill.total == D('120.00')
    pay(manager, bill.id, '50.00')
    assert (stored(bill.id).status, stored(bill.id).paid) == (BillStatus.partly_paid, D('50.00'))
    with pytest.raises(ValidationFailed) as refused:
        pay(manager, bill.id, '70.01')
    assert refused.value.errors['amount'] == 'Only €70.00 is open on bill F-2026-001: €70.01 is more than that'
    for bad in ('0', '-5', '1.234', 'abc'):
        with pytest.raises(ValidationFailed):
            pay(manager, bill.id, bad)
    pay(manager, bill.id, '70.00')
    assert (stored(bill.id).status, stored(bill.id).paid) == (BillStatus.paid, D('120.00'))
    with read_session() as session:
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.entity == 'supplier-bills', AuditEntry.entity_id == str(bill.id))
        ).all()
    assert actions.count('bill.paid') == 2 and 'bill.approved' in actions and 'bill.entered' in actions


def test_two_people_paying_one_bill_at_once_record_one_payment(people) -> None:
    admin, manager, _viewer = people
    supplier = make_supplier('Acme')
    bill = approved_bill(manager, admin, supplier.id)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def one(actor) -> None:
        start.wait()
        try:
            pay(actor, bill.id, '120.00')
            outcomes.append('paid')
        except ValidationFailed as error:
            outcomes.append(error.errors['amount'])

    threads = [threading.Thread(target=one, args=(actor,)) for actor in (admin, manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ['Only an approved bill can be paid; this bill is paid', 'paid']
    with read_session() as session:
        assert len(session.exec(select(BillPayment)).all()) == 1
    assert stored(bill.id).paid == D('120.00')


def test_cancelling_a_bill_and_a_paid_one_refused(people) -> None:
    admin, manager, _viewer = people
    supplier = make_supplier('Acme')
    bill = enter_bill(manager, supplier.id, 'C-1')
    with session_scope() as session:
        cancelled = bills.cancel(session=session, actor=manager, bill_id=bill.id, version=bill.version, reason=HOSTILE)
    assert cancelled.status == BillStatus.cancelled
    paid = approved_bill(manager, admin, supplier.id, 'C-2')
    pay(manager, paid.id, '10.00')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bills.cancel(session=session, actor=manager, bill_id=paid.id, version=None)
    assert 'was paid on this bill' in refused.value.errors['bill']


def test_a_stale_approval_is_refused_with_who_changed_it(people) -> None:
    from backoffice.errors import StaleRecord

    admin, manager, _viewer = people
    supplier = make_supplier('Acme')
    bill = enter_bill(manager, supplier.id, submit=False)
    with session_scope() as session:
        bills.submit(session=session, actor=manager, bill_id=bill.id, version=bill.version)
    with session_scope() as session, pytest.raises(StaleRecord):
        bills.approve(session=session, actor=admin, bill_id=bill.id, version=bill.version)


def test_a_bill_from_a_received_purchase_order_has_its_lines_and_is_billed_once(people) -> None:
    admin, manager, _viewer = people
    supplier = make_supplier('Acme')
    mug = make_product('MUG', actor=admin)
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session,
            actor=manager,
            supplier_id=supplier.id,
            reference='PO-1',
            lines=[{'product_id': mug.id, 'quantity': 12, 'unit_cost': '2.50'}],
            received=False,
        )
    assert (purchase.supplier_id, purchase.supplier) == (supplier.id, 'Acme')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bills.from_purchase(session=session, actor=manager, purchase_id=purchase.id, number='B-1', issued_on=today())
    assert 'once its goods are received' in refused.value.errors['purchase']
    with session_scope() as session:
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id)
    with session_scope() as session:
        bill = bills.from_purchase(
            session=session, actor=manager, purchase_id=purchase.id, number='B-1', issued_on=today()
        )
    with read_session() as session:
        _b, _s, lines = bills.get(session=session, actor=manager, bill_id=bill.id)
        assert bills.of_purchase(session=session, actor=manager, purchase_id=purchase.id).id == bill.id
    assert [(line.quantity, line.unit_price, line.net) for line in lines] == [(D('12.000'), D('2.50'), D('30.00'))]
    assert bill.net_total == D('30.00') and bill.supplier_id == supplier.id
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bills.from_purchase(session=session, actor=manager, purchase_id=purchase.id, number='B-2', issued_on=today())
    assert 'billed already: bill B-1' in refused.value.errors['purchase']


def test_a_purchase_typed_with_a_suppliers_name_refers_to_that_supplier(people) -> None:
    manager = people[1]
    supplier = make_supplier('Acme')
    mug = make_product('MUG', actor=manager)
    with session_scope() as session:
        purchase = purchases.receive_purchase(
            session=session, actor=manager, supplier=' acme ', lines=[{'product_id': mug.id, 'quantity': 1}]
        )
    with read_session() as session:
        assert session.get(Purchase, purchase.id).supplier_id == supplier.id


def test_the_pdf_must_be_a_pdf_by_its_bytes_and_is_read_only_by_those_who_read_bills(people) -> None:
    admin, manager, _viewer = people
    agent = make_user('agent')
    supplier = make_supplier('Acme')
    bill = enter_bill(manager, supplier.id)
    for data in (b'<html>not a pdf</html>', b'\x89PNG\r\n\x1a\n' + b'0' * 100):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            bills.attach_pdf(session=session, actor=manager, bill_id=bill.id, file_name='x.pdf', data=data)
        assert refused.value.errors['pdf'] == 'This file is not a PDF: attach the bill as a PDF file'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        big = b'%PDF-1.4\n' + b'0' * bills.PDF_MAX_BYTES + b'\n%%EOF'
        bills.attach_pdf(session=session, actor=manager, bill_id=bill.id, file_name='big.pdf', data=big)
    assert 'at most 10 MB' in refused.value.errors['pdf']
    pdf = real_pdf()
    with session_scope() as session:
        bills.attach_pdf(session=session, actor=manager, bill_id=bill.id, file_name='../../F "1" é.pdf', data=pdf)
    with read_session() as session:
        assert bills.pdf_of(session=session, actor=admin, bill_id=bill.id) == (pdf, 'F "1" é.pdf')
        with pytest.raises(PermissionDenied):
            bills.pdf_of(session=session, actor=agent, bill_id=bill.id)


def test_ageing_per_supplier_and_in_total_matches_figures_added_up_by_hand(people) -> None:
    admin, manager, viewer = people
    acme, brico = make_supplier('Acme'), make_supplier('Brico')
    one = [{'description': 'x', 'quantity': '1', 'unit_price': '100.00', 'vat_rate': '0'}]
    approved_bill(manager, admin, acme.id, 'A-1', lines=one, **due_in(5))  # not due: 100
    approved_bill(manager, admin, acme.id, 'A-2', lines=one, **due_in(-10))  # 1–30: 100, paid 40 → 60
    approved_bill(manager, admin, brico.id, 'B-1', lines=one, **due_in(-45))  # 31–60: 100
    approved_bill(manager, admin, brico.id, 'B-2', lines=one, **due_in(-75))  # 61–90: 100
    approved_bill(manager, admin, brico.id, 'B-3', lines=one, **due_in(-120))  # over 90: 100
    enter_bill(manager, brico.id, 'B-4', lines=one, **due_in(-5))  # not approved: not owed yet
    paid_part = next(b for b in payables_items(viewer) if b.number == 'A-2')
    pay(manager, paid_part.bill_id, '40.00')
    with read_session() as session:
        report = payables.report(session=session, actor=viewer)
    assert {k: str(v) for k, v in report.totals.buckets.items()} == {
        'not_due': '100.00',
        'd1_30': '60.00',
        'd31_60': '100.00',
        'd61_90': '100.00',
        'over_90': '100.00',
    }
    assert report.totals.total == D('460.00')
    by_name = {row.name: row for row in report.suppliers}
    assert (by_name['Acme'].total, by_name['Brico'].total) == (D('160.00'), D('300.00'))
    assert report.suppliers[0].name == 'Brico'  # the largest debt first
    with read_session() as session:
        due = payables.to_pay(session=session, actor=viewer)
    assert [b.number for b in due] == ['B-3', 'B-2', 'B-1', 'A-2', 'A-1']  # due within 7 days or overdue
    with read_session() as session:
        assert [b.number for b in payables.to_pay(session=session, actor=viewer, today=today() - timedelta(3))] == [
            'B-3',
            'B-2',
            'B-1',
            'A-2',
        ]


def payables_items(actor):
    with read_session() as session:
        return payables.report(session=session, actor=actor).items


def test_roles_without_the_permission_are_refused_on_the_server(people) -> None:
    admin, manager, viewer = people
    agent = make_user('agent')
    supplier = make_supplier('Acme')
    with pytest.raises(PermissionDenied):
        enter_bill(viewer, supplier.id)
    bill = approved_bill(manager, admin, supplier.id)
    with pytest.raises(PermissionDenied):
        pay(viewer, bill.id, '1.00')
    with read_session() as session, pytest.raises(PermissionDenied):
        payables.report(session=session, actor=agent)
    with session_scope() as session, pytest.raises(PermissionDenied):
        payables.export_transfer(session=session, actor=viewer, bill_ids=[bill.id])
    with session_scope() as session, pytest.raises(PermissionDenied):
        crud.create_record(session=session, actor=viewer, resource=resource('suppliers'), data={'name': 'X'})
