"""A supplier bill's page as an accountant uses it (issue #15): its lines changed before approval (a bad line refused
at its field, someone else's save in between refused without losing what was typed), a hand-recorded payment undone
with a reason; what a viewer may not do is not offered."""

from __future__ import annotations

from decimal import Decimal

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import BillPayment, BillStatus, SupplierBill, SupplierBillLine
from backoffice.services import bills

from .support.factories import make_user
from .support.payables import approved_bill, enter_bill, make_supplier
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Ramette "A4": <script>alert(1)</script>'


def stored(bill_id: int) -> SupplierBill:
    with read_session() as session:
        return session.get(SupplierBill, bill_id)


def descriptions(bill_id: int) -> list[str]:
    with read_session() as session:
        return [
            line.description
            for line in session.exec(select(SupplierBillLine).where(SupplierBillLine.bill_id == bill_id))
        ]


def field(user: User, marker: str) -> ui.input:
    return next(iter(user.find(marker=marker).elements))


async def test_an_accountant_changes_the_lines_of_a_bill_awaiting_approval(user: User) -> None:
    manager = make_user('manager')
    bill = enter_bill(manager, make_supplier('Papeterie').id)
    await signed_in(user, manager.email, path=f'/finance/bills/{bill.id}')
    await user.should_see(marker='bill-edit-lines', retries=40)
    user.find(marker='bill-edit-lines').click()
    await user.should_see(marker='bill-lines-dialog', retries=20)
    field(user, 'bill-line-0-quantity').set_value('abc')
    user.find(marker='bill-lines-save').click()
    await user.should_see('Enter a quantity above 0', retries=20)  # at the field, the dialog still open
    field(user, 'bill-line-0-quantity').set_value('3')
    field(user, 'bill-line-0-description').set_value(HOSTILE)
    user.find(marker='bill-add-line').click()
    field(user, 'bill-line-1-description').set_value('Livraison')
    field(user, 'bill-line-1-unit_price').set_value('10')
    field(user, 'bill-line-1-vat_rate').set_value('5.5')
    user.find(marker='bill-lines-save').click()
    await user.should_see('Lines of bill F-2026-001 saved', retries=20)
    await eventually(lambda: stored(bill.id).total == Decimal('46.55'))  # 30.00 + 20 % and 10.00 + 5.5 %
    await eventually(
        lambda: (
            [r['description'] for r in next(iter(user.find(marker='bill-lines').elements)).rows]
            == [HOSTILE, 'Livraison']
        )
    )
    await user.should_see('Changed the lines of bill F-2026-001', retries=20)  # the timeline


async def test_someone_elses_save_in_between_is_not_overwritten(user: User) -> None:
    manager, admin = make_user('manager'), make_user('admin')
    bill = enter_bill(manager, make_supplier('Papeterie').id)
    await signed_in(user, manager.email, path=f'/finance/bills/{bill.id}')
    await user.should_see(marker='bill-edit-lines', retries=40)
    user.find(marker='bill-edit-lines').click()
    await user.should_see(marker='bill-lines-dialog', retries=20)
    with session_scope() as session:  # another accountant saves first
        bills.edit_lines(
            session=session,
            actor=admin,
            bill_id=bill.id,
            version=bill.version,
            lines=[{'description': 'Theirs', 'quantity': '1', 'unit_price': '5', 'vat_rate': '20'}],
        )
    field(user, 'bill-line-0-description').set_value('Mine')
    user.find(marker='bill-lines-save').click()
    await user.should_see('after you opened it. Reload to see their change; what you typed is kept.', retries=20)
    assert field(user, 'bill-line-0-description').value == 'Mine'
    assert descriptions(bill.id) == ['Theirs']


async def test_a_payment_recorded_by_hand_is_undone_from_the_bill(user: User) -> None:
    manager, admin = make_user('manager'), make_user('admin')
    bill = approved_bill(manager, admin, make_supplier('Papeterie').id)
    with session_scope() as session:
        bills.pay(session=session, actor=manager, bill_id=bill.id, amount='120.00', reference='VIR <b>1</b>')
    await signed_in(user, manager.email, path=f'/finance/bills/{bill.id}')
    await user.should_see('VIR <b>1</b>', retries=40)
    await user.should_not_see(marker='bill-edit-lines')  # paid: the lines stay as approved
    user.find(marker='bill-undo-payment').click()
    await user.should_see(marker='bill-undo-dialog', retries=20)
    user.find(marker='bill-undo-save').click()
    await user.should_see('Say why this payment is undone', retries=20)
    field(user, 'bill-undo-reason').set_value('Wrong bill: "F-2" <i>x</i>')
    user.find(marker='bill-undo-save').click()
    await user.should_see('Payment undone; the bill is open again by that amount', retries=20)
    await eventually(lambda: stored(bill.id).status == BillStatus.approved)
    with read_session() as session:
        assert session.exec(select(BillPayment)).all() == []
    await user.should_see('Undid a payment of', retries=20)


async def test_a_viewer_is_offered_neither_edit_nor_undo(user: User) -> None:
    manager, admin = make_user('manager'), make_user('admin')
    bill = approved_bill(manager, admin, make_supplier('Papeterie').id)
    with session_scope() as session:
        bills.pay(session=session, actor=manager, bill_id=bill.id, amount='20.00')
    draft = enter_bill(manager, make_supplier('Autre').id, 'X-1')
    await signed_in(user, make_user('viewer').email, path=f'/finance/bills/{bill.id}')
    await user.should_see(marker='bill-payment', retries=40)
    await user.should_not_see(marker='bill-undo-payment')
    await user.open(f'/finance/bills/{draft.id}')
    await user.should_see(marker='bill-status', retries=40)
    await user.should_not_see(marker='bill-edit-lines')
