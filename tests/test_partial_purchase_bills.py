"""A purchase order received in parts is billed in parts, as the bookkeeper gets the supplier's bills: a bill from a
partly received order takes what arrived and is not billed yet (less may be typed, never more than received in all of
its bills: said at the quantity), the order says per line what is received and billed, a bill's lines changed later
still cannot bill more than arrived, a cancelled bill frees its quantities, and an approved part bill is suggested for
the bank line that pays it and matched as any bill (the order, its receipts and its bills agree)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import BankLine, BillStatus, PurchaseLine, SupplierBill
from backoffice.services import bank_match, bills, cashflow, purchases

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_product, make_user
from .support.payables import SUPPLIER_IBAN, make_supplier, today
from .support.signin import signed_in
from .support.waiting import eventually

D = Decimal
HOSTILE = 'F "2026": <script>alert(1)</script>'


def ordered(manager, supplier_id: int):
    """10 mugs at 2.50 and 4 cups at 1.00 ordered; 6 mugs arrived."""
    mug, cup = make_product('MUG', actor=manager), make_product('CUP', actor=manager)
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session,
            actor=manager,
            supplier_id=supplier_id,
            reference='PO-7',
            lines=[
                {'product_id': mug.id, 'quantity': 10, 'unit_cost': '2.50'},
                {'product_id': cup.id, 'quantity': 4, 'unit_cost': '1.00'},
            ],
            received=False,
        )
    with read_session() as session:
        mugs, cups = session.exec(
            select(PurchaseLine).where(PurchaseLine.purchase_id == purchase.id).order_by(PurchaseLine.id)
        ).all()
    with session_scope() as session:
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id, quantities={mugs.id: 6})
    return purchase, mugs, cups


def billing(actor, purchase_id: int) -> bills.PurchaseBilling:
    with read_session() as session:
        return bills.purchase_billing(session=session, actor=actor, purchase_id=purchase_id)


def bill_it(actor, purchase_id: int, number: str, quantities=None) -> SupplierBill:
    with session_scope() as session:
        return bills.from_purchase(
            session=session, actor=actor, purchase_id=purchase_id, number=number, issued_on=today(),
            quantities=quantities,
        )  # fmt: skip


def test_a_partly_received_order_is_billed_for_what_arrived_then_for_the_rest() -> None:
    admin, manager = make_user('admin'), make_user('manager')
    supplier = make_supplier('Acme')
    purchase, mugs, cups = ordered(manager, supplier.id)
    seen = billing(manager, purchase.id)
    assert seen.may_bill and [(line.received, line.billed, line.left) for line in seen.lines] == [
        (6, D('0'), D('6')),
        (0, D('0'), D('0')),
    ]
    first = bill_it(manager, purchase.id, HOSTILE)  # by default: the 6 mugs received
    with read_session() as session:
        _bill, _supplier, lines = bills.get(session=session, actor=manager, bill_id=first.id)
    assert [(line.description, line.quantity, line.net) for line in lines] == [
        ('MUG — Product MUG', D('6.000'), D('15.00'))
    ]
    assert (first.number, first.purchase_id) == (HOSTILE, purchase.id)
    seen = billing(manager, purchase.id)
    assert not seen.may_bill and [b.number for b in seen.bills] == [HOSTILE]
    assert seen.said(seen.lines[0]) == '6 received, 6 billed'
    with pytest.raises(ValidationFailed) as refused:  # nothing received is left to bill
        bill_it(manager, purchase.id, 'B-2')
    assert refused.value.errors == {
        'purchase': f'Everything received on this purchase order is billed already: bill {HOSTILE}'
    }

    with session_scope() as session:  # the rest arrives
        purchases.receive(session=session, actor=manager, purchase_id=purchase.id)
    with pytest.raises(ValidationFailed) as refused:  # more than received and not billed: at the line's quantity
        bill_it(manager, purchase.id, 'B-2', {mugs.id: '5', cups.id: '4'})
    assert refused.value.errors == {'lines.0.quantity': 'At most 4: 10 received, 6 billed already'}
    with pytest.raises(ValidationFailed) as refused:
        bill_it(manager, purchase.id, 'B-2', {mugs.id: '0', str(cups.id): ''})
    assert refused.value.errors == {'lines': 'Bill at least one item received'}
    second = bill_it(manager, purchase.id, 'B-2', {mugs.id: '4', str(cups.id): '2'})  # 2 cups billed later
    assert second.net_total == D('12.00')
    seen = billing(manager, purchase.id)
    assert [(line.billed, line.left) for line in seen.lines] == [(D('10'), D('0')), (D('2'), D('2'))]
    assert seen.may_bill and [b.number for b in seen.bills] == [HOSTILE, 'B-2']

    with read_session() as session:  # its lines changed before approval: still never more than arrived
        _bill, _supplier, lines = bills.get(session=session, actor=manager, bill_id=second.id)
    typed = [
        {'description': line.description, 'quantity': str(line.quantity), 'unit_price': str(line.unit_price),
         'vat_rate': str(line.vat_rate), 'product_id': line.product_id}
        for line in lines
    ]  # fmt: skip
    typed[1]['quantity'] = '5'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bills.edit_lines(session=session, actor=manager, bill_id=second.id, version=second.version, lines=typed)
    assert refused.value.errors == {'lines.1.quantity': 'More than received: at most 4 of it is left to bill'}

    with session_scope() as session:  # the first bill cancelled: its 6 mugs are to bill again
        bills.cancel(session=session, actor=manager, bill_id=first.id, version=first.version, reason='wrong "price"')
    seen = billing(manager, purchase.id)
    assert [(line.billed, line.left) for line in seen.lines] == [(D('4'), D('6')), (D('2'), D('2'))]
    assert bill_it(manager, purchase.id, 'B-3').net_total == D('17.00')  # 6 mugs and 2 cups
    assert not billing(admin, purchase.id).may_bill


def test_an_order_with_nothing_received_yet_is_not_billed() -> None:
    manager = make_user('manager')
    supplier = make_supplier('Acme')
    mug = make_product('MUG', actor=manager)
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session, actor=manager, supplier_id=supplier.id,
            lines=[{'product_id': mug.id, 'quantity': 3, 'unit_cost': '2.50'}], received=False,
        )  # fmt: skip
    assert not billing(manager, purchase.id).may_bill
    with pytest.raises(ValidationFailed) as refused:
        bill_it(manager, purchase.id, 'B-1')
    assert refused.value.errors == {'purchase': 'Bill a purchase order once its goods are received'}


def test_an_approved_part_bill_is_matched_to_the_bank_line_that_pays_it() -> None:
    admin, manager = make_user('admin'), make_user('manager')
    supplier = make_supplier('Acme', iban=SUPPLIER_IBAN)
    purchase, _mugs, _cups = ordered(manager, supplier.id)
    with read_session() as session:
        before = cashflow.purchases_awaiting_receipt(session, today(), today())
    assert [e.amount for e in before] == [D('-29.00')]  # 25.00 of mugs and 4.00 of cups on order
    bill = bill_it(manager, purchase.id, 'AC-77')
    with session_scope() as session:
        bill = bills.submit(session=session, actor=manager, bill_id=bill.id, version=bill.version)
    with session_scope() as session:
        bill = bills.approve(session=session, actor=admin, bill_id=bill.id, version=bill.version)
    with read_session() as session:  # its approved bill counts among the bills now, not twice
        assert [e.amount for e in cashflow.purchases_awaiting_receipt(session, today(), today())] == [D('-14.00')]
    import_file(
        manager,
        make_account(manager),
        camt053([Line(f'-{bill.total}', f'VIR {HOSTILE} AC-77', counterpart='ACME', reference='E2E-7')]),
    )
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    found = bank_match.suggestions_of(line)[0]
    assert (found['kind'], found['bill_id'], found['amount']) == ('bill', bill.id, str(bill.total))
    assert {'bill_number', 'bill_amount', 'supplier'} <= set(found['why'])
    with session_scope() as session:
        bank_match.confirm_bill(session=session, actor=manager, line_id=line.id, version=line.version, bill_id=bill.id)
    with read_session() as session:
        assert session.get(SupplierBill, bill.id).status == BillStatus.paid
    seen = billing(manager, purchase.id)
    assert [(line.received, line.billed) for line in seen.lines] == [(6, D('6')), (0, D('0'))]


async def test_the_bookkeeper_bills_what_arrived_of_a_purchase_order(user: User) -> None:
    manager = make_user('manager')
    supplier = make_supplier('Acme')
    purchase, mugs, _cups = ordered(manager, supplier.id)
    await signed_in(user, manager.email, path=f'/purchases?open={purchase.id}')
    await user.should_see('6 received, 0 billed', retries=40)
    user.find(marker='purchase-enter-bill').click()
    await user.should_see(marker='bill-from-purchase')
    quantity = next(iter(user.find(marker=f'po-bill-quantity-{mugs.id}').elements))
    assert quantity.value == '6'  # what arrived and is not billed yet; the cups, none arrived, are not offered
    await user.should_not_see(marker=f'po-bill-quantity-{_cups.id}')
    user.find(marker='po-bill-number').type(HOSTILE)
    user.find(marker=f'po-bill-quantity-{mugs.id}').clear().type('7')
    user.find(marker='po-bill-create').click()
    await eventually(lambda: quantity.error == 'At most 6: 6 received, 0 billed already')
    user.find(marker=f'po-bill-quantity-{mugs.id}').clear().type('4')
    user.find(marker='po-bill-create').click()
    await user.should_see(f'Bill {HOSTILE}', retries=40)
    with read_session() as session:
        bill = session.exec(select(SupplierBill).where(SupplierBill.purchase_id == purchase.id)).one()
    assert bill.net_total == D('10.00')
    await user.open(f'/purchases?open={purchase.id}')
    await user.should_see('6 received, 4 billed', retries=40)
    await user.should_see(f'Bill {HOSTILE} · draft · €12.00')
    user.find('Bill what was received').click()
    await user.should_see(marker='bill-from-purchase')
    assert next(iter(user.find(marker=f'po-bill-quantity-{mugs.id}').elements)).value == '2'
