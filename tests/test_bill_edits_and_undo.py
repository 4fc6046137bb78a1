"""Supplier bills (issue #15): a bill's lines are changed while it is not approved (audited, the totals and VAT
recomputed, two people editing at once never overwrite each other, the person who changed them does not approve
them), and a payment recorded by hand is undone with a reason (refused in words for a bank line's match)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, BankLine, BillPayment, BillStatus, SupplierBill, SupplierBillLine
from backoffice.services import bank_match, bills

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user
from .support.payables import SUPPLIER_IBAN, approved_bill, due_in, enter_bill, make_supplier
from .support.too_long import one_past, refused_at

D = Decimal
HOSTILE = 'Ramette "A4": <script>alert(1)</script>'
NEW_LINES = [
    {'description': HOSTILE, 'quantity': '3', 'unit_price': '4.50', 'vat_rate': '20'},
    {'description': 'Livraison', 'quantity': '1', 'unit_price': '10', 'vat_rate': '5.5'},
]


@pytest.fixture
def people():
    return make_user('admin'), make_user('manager'), make_user('viewer')


def stored(bill_id) -> SupplierBill:
    with read_session() as session:
        return session.get(SupplierBill, bill_id)


def lines_of(bill_id) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    with read_session() as session:
        rows = session.exec(select(SupplierBillLine).where(SupplierBillLine.bill_id == bill_id))
        return sorted((r.description, r.quantity, r.unit_price, r.net) for r in rows)


def edit(actor, bill, lines=NEW_LINES, version=None):
    with session_scope() as session:
        return bills.edit_lines(
            session=session,
            actor=actor,
            bill_id=bill.id,
            version=bill.version if version is None else version,
            lines=lines,
        )


# --- lines ------------------------------------------------------------------------------------------------------------


def test_the_lines_of_a_bill_awaiting_approval_are_changed_totals_recomputed_and_audited(people) -> None:
    admin, manager, _viewer = people
    bill = enter_bill(manager, make_supplier('Papeterie').id)  # 10 × 10.00 + 20 % = 120.00
    edited = edit(manager, bill)
    assert lines_of(bill.id) == sorted(
        [(HOSTILE, D('3.000'), D('4.50'), D('13.50')), ('Livraison', D('1.000'), D('10.00'), D('10.00'))]
    )
    bill = stored(bill.id)
    assert (bill.net_total, bill.vat_total, bill.total) == (D('23.50'), D('3.25'), D('26.75'))  # 2.70 + 0.55
    assert bill.version == edited.version and bill.status == BillStatus.awaiting_approval
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'bill.lines_edited')).one()
    assert entry.summary == 'Changed the lines of bill F-2026-001: total 120.00 EUR → 26.75 EUR'
    assert entry.changes['lines'][0] == ['Mugs × 10 at 10.00, VAT 20.00 %']
    assert HOSTILE in entry.changes['lines'][1][0]


def test_two_people_editing_at_once_the_second_is_refused_not_overwriting(people) -> None:
    admin, manager, _viewer = people
    bill = enter_bill(manager, make_supplier('Papeterie').id)
    edit(manager, bill)  # saved first
    with pytest.raises(StaleRecord) as refused:  # the other person still holds the version they opened
        edit(admin, bill, [{'description': 'Autre', 'quantity': '1', 'unit_price': '1', 'vat_rate': '20'}])
    assert 'was changed by' in str(refused.value) and 'what you typed is kept' in str(refused.value)
    assert [line[0] for line in lines_of(bill.id)] == sorted([HOSTILE, 'Livraison'])


def test_bad_lines_are_refused_at_their_field(people) -> None:
    _admin, manager, _viewer = people
    bill = enter_bill(manager, make_supplier('Papeterie').id)
    with pytest.raises(ValidationFailed) as refused:
        edit(manager, bill, [{'description': ' ', 'quantity': '0', 'unit_price': 'abc', 'vat_rate': '120'}])
    assert refused.value.errors == {
        'lines.0.description': 'Describe what this line is for',
        'lines.0.quantity': 'Enter a quantity above 0',
        'lines.0.unit_price': 'Enter an amount, e.g. 12.50',
        'lines.0.vat_rate': 'Enter a VAT rate from 0 to 100 %',
    }
    with pytest.raises(ValidationFailed) as refused:
        edit(manager, bill, [])
    assert refused.value.errors == {'lines': 'Add at least one line'}
    assert stored(bill.id).total == D('120.00')


def test_a_line_description_past_its_limit_is_refused_with_its_length_never_cut(people) -> None:
    _admin, manager, _viewer = people
    supplier = make_supplier('Papeterie')
    long_line = {**NEW_LINES[0], 'description': one_past(bills.DESCRIPTION_MAX)}
    bill = enter_bill(manager, supplier.id)
    before = lines_of(bill.id)
    with pytest.raises(ValidationFailed) as refused:
        edit(manager, bill, [NEW_LINES[1], long_line])
    assert refused.value.errors == {'lines.1.description': refused_at(bills.DESCRIPTION_MAX)}
    assert lines_of(bill.id) == before
    with pytest.raises(ValidationFailed) as refused:
        enter_bill(manager, supplier.id, 'F-2026-002', lines=[long_line])
    assert refused.value.errors == {'lines.0.description': refused_at(bills.DESCRIPTION_MAX)}
    with read_session() as session:
        assert [b.id for b in session.exec(select(SupplierBill))] == [bill.id]


def test_an_approved_bill_keeps_its_lines_and_a_viewer_may_not_edit(people) -> None:
    admin, manager, viewer = people
    bill = approved_bill(manager, admin, make_supplier('Papeterie').id)
    with pytest.raises(ValidationFailed) as refused:
        edit(manager, bill)
    assert refused.value.errors['lines'].startswith('This bill is approved: its lines can be changed only before')
    draft = enter_bill(manager, make_supplier('Autre').id, 'X-1', submit=False)
    with pytest.raises(PermissionDenied):
        edit(viewer, draft)
    assert stored(bill.id).total == D('120.00')


def test_whoever_changed_the_lines_does_not_approve_them(people) -> None:
    admin, manager, _viewer = people
    bill = enter_bill(manager, make_supplier('Papeterie').id)
    bill = edit(admin, bill)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bills.approve(session=session, actor=admin, bill_id=bill.id, version=bill.version)
    assert refused.value.errors['bill'].startswith('You changed the lines of this bill')
    second = make_user('admin')
    with session_scope() as session:
        assert bills.approve(session=session, actor=second, bill_id=bill.id, version=bill.version).status == 'approved'


# --- undoing a payment ------------------------------------------------------------------------------------------------


def pay(actor, bill, amount):
    with session_scope() as session:
        return bills.pay(session=session, actor=actor, bill_id=bill.id, amount=amount, reference='VIR <b>1</b>')


def undo(actor, payment_id, version, reason='Typed on the wrong bill'):
    with session_scope() as session:
        return bills.undo_recorded_payment(
            session=session, actor=actor, payment_id=payment_id, version=version, reason=reason
        )


def test_a_payment_recorded_by_hand_is_undone_with_its_reason_and_audited(people) -> None:
    admin, manager, _viewer = people
    bill = approved_bill(manager, admin, make_supplier('Papeterie').id)
    first, second = pay(manager, bill, '20.00'), pay(manager, bill, '100.00')
    assert stored(bill.id).status == BillStatus.paid
    with pytest.raises(ValidationFailed) as refused:
        undo(manager, second.id, stored(bill.id).version, reason='  ')
    assert refused.value.errors == {'reason': 'Say why this payment is undone (it is kept in the history)'}
    undo(manager, second.id, stored(bill.id).version, reason='Montant "faux": <b>x</b>')
    bill = stored(bill.id)
    assert (bill.status, bill.paid) == (BillStatus.partly_paid, D('20.00'))
    with read_session() as session:
        assert [p.id for p in session.exec(select(BillPayment))] == [first.id]
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'bill.payment_undone')).one()
    assert entry.changes['reason'] == 'Montant "faux": <b>x</b>' and entry.actor_id == manager.id
    with pytest.raises(StaleRecord):  # opened before the undo above: refused, not applied on a bill that moved
        undo(manager, first.id, bill.version - 1)


def test_a_method_or_an_undo_reason_past_its_limit_is_refused_at_its_field_never_cut(people) -> None:
    admin, manager, _viewer = people
    bill = approved_bill(manager, admin, make_supplier('Papeterie').id)
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:
        bills.pay(session=session, actor=manager, bill_id=bill.id, amount='20.00', method=one_past(bills.METHOD_MAX))
    assert refused.value.errors == {'method': refused_at(bills.METHOD_MAX)}
    with read_session() as session:
        assert session.exec(select(BillPayment)).all() == []
    payment = pay(manager, bill, '20.00')
    with pytest.raises(ValidationFailed) as refused:
        undo(manager, payment.id, stored(bill.id).version, reason=one_past(bills.UNDO_REASON_MAX))
    assert refused.value.errors == {'reason': refused_at(bills.UNDO_REASON_MAX)}
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:  # the bank screen's path, too
        bills.undo_payment(
            session=session, actor=manager, payment_id=payment.id, reason=one_past(bills.UNDO_REASON_MAX)
        )
    assert refused.value.errors == {'reason': refused_at(bills.UNDO_REASON_MAX)}
    with read_session() as session:
        assert [p.id for p in session.exec(select(BillPayment))] == [payment.id]
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'bill.payment_undone')).all() == []
    assert stored(bill.id).paid == D('20.00')


def test_undoing_is_refused_for_a_bank_lines_match_and_for_a_viewer(people) -> None:
    admin, manager, viewer = people
    bill = approved_bill(
        manager,
        admin,
        make_supplier('Faïencerie Martin', iban=SUPPLIER_IBAN).id,
        'FM-2026-11',
        lines=[{'description': 'Mugs', 'quantity': '1', 'unit_price': '150.00', 'vat_rate': '20'}],
        **due_in(0),
    )
    account = make_account(manager)
    import_file(manager, account, camt053([Line('-180.00', 'VIR SEPA FM-2026-11', counterpart='FAIENCERIE MARTIN')]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    with session_scope() as session:
        bank_match.confirm_bill(session=session, actor=manager, line_id=line.id, version=line.version, bill_id=bill.id)
    with read_session() as session:
        payment = session.exec(select(BillPayment)).one()
    with pytest.raises(ValidationFailed) as refused:
        undo(manager, payment.id, None)
    assert refused.value.errors['payment'].startswith('This payment was recorded by matching a bank statement line')
    with pytest.raises(PermissionDenied):
        undo(viewer, payment.id, None)
    assert stored(bill.id).status == BillStatus.paid
