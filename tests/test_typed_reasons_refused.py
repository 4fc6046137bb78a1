"""What a person types is never kept cut unseen: an order's cancellation reason (and "Cancel what is not shipped"'s),
a refund's reason, a return's reasons, a purchase's supplier typed by name, a supplier bill's note, payment reference
and cancellation reason, longer than what is kept, are refused at their field with the count ("Use at most 300
characters (this has 301)"), what was typed left in place, and nothing changes until it fits; a cancellation's reason,
as long as it may be, is its refund's reason too, whole."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import BankLine, BillPayment, BillStatus, Purchase, Refund, Return, ReturnLine, SupplierBill
from backoffice.services import bank_match, bills, gateway_payments, orders, purchases, returns

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import advance, fresh, level, make_product, make_user, pay, place, start_return
from .support.payables import SUPPLIER_IBAN, approved_bill, due_in, make_supplier, today
from .support.signin import signed_in

HOSTILE = 'Colis "abîmé": <script>alert(1)</script> l\'équipe {n} '


def typed(length: int) -> str:
    """Hostile text of exactly `length` characters, with no space at either end (nothing folded away)."""
    return (HOSTILE * (length // len(HOSTILE) + 1))[: length - 1] + 'x'


@pytest.fixture
def manager():
    return make_user('manager')


def refunds_of(order_id: int) -> list[str]:
    with read_session() as session:
        return list(session.exec(select(Refund.reason).where(Refund.order_id == order_id).order_by(col(Refund.id))))


async def test_a_cancellation_reason_too_long_is_refused_at_its_field_and_a_valid_one_is_its_refund_whole(
    user: User, manager
) -> None:
    """It was cut to 300 characters unseen; its refund took it as its reason. Refused, the order stays as it was;
    the longest allowed cancels and gives the money back, the refund's reason the same words, whole."""
    mug = make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='cancel-order', retries=40)
    user.find(marker='cancel-order').click()
    reason = user.find(marker='cancel-reason').elements.pop()
    reason.set_value(typed(301))
    user.find(marker='dialog-submit').click()
    await user.should_see('Use at most 300 characters (this has 301)', retries=40)
    assert reason.value == typed(301)
    assert (fresh(order.id).status, level(mug.id).reserved, refunds_of(order.id)) == ('paid', 2, [])
    reason.set_value(typed(300))
    user.find(marker='dialog-submit').click()
    await user.should_see('Order cancelled; its stock is free again. Refund of €60.00 recorded', retries=40)
    assert (fresh(order.id).status, level(mug.id).reserved) == ('cancelled', 0)
    assert refunds_of(order.id) == [typed(300)]


async def test_a_refund_reason_too_long_is_refused_at_its_field(user: User, manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='refund', retries=40)
    user.find(marker='refund').click()
    reason = user.find(marker='reason').elements.pop()
    reason.set_value(typed(501))
    user.find(marker='dialog-submit').click()
    await user.should_see('Use at most 500 characters (this has 501)', retries=40)
    assert reason.value == typed(501)
    assert (fresh(order.id).refunded_total, refunds_of(order.id)) == (0, [])
    reason.set_value(typed(500))
    user.find(marker='dialog-submit').click()
    await user.should_see('Refund of €60.00 recorded', retries=40)
    assert refunds_of(order.id) == [typed(500)]


async def test_a_return_reason_too_long_is_refused_at_its_field(user: User, manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship')
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='start-return', retries=40)
    user.find(marker='start-return').click()
    user.find(marker='return-quantity-MUG').elements.pop().set_value(1)
    reason = user.find(marker='return-reason').elements.pop()
    reason.set_value(typed(501))
    user.find(marker='start-return-submit').click()
    await user.should_see('Use at most 500 characters (this has 501)', retries=40)
    assert reason.value == typed(501)
    with read_session() as session:
        assert session.exec(select(Return)).all() == []
    reason.set_value(typed(500))
    user.find(marker='start-return-submit').click()
    await user.should_see('Return R-1001 started for order 100001', retries=40)
    with read_session() as session:
        assert session.exec(select(Return.reason)).one() == typed(500)


def test_a_returned_line_s_reason_and_a_return_s_cancellation_reason_too_long_are_refused(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship')
    with pytest.raises(ValidationFailed) as refused:
        start_return(manager, order, 1, line_reason=typed(201))
    assert refused.value.errors == {'lines.0.reason': 'Use at most 200 characters (this has 201)'}
    rma = start_return(manager, order, 1, line_reason=typed(200))
    with read_session() as session:
        assert session.exec(select(ReturnLine.reason)).one() == typed(200)
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:
        returns.cancel_return(session=session, actor=manager, return_id=rma.id, reason=typed(301))
    assert refused.value.errors == {'reason': 'Use at most 300 characters (this has 301)'}
    assert fresh_return(rma.id).status == 'requested'
    with session_scope() as session:
        returns.cancel_return(session=session, actor=manager, return_id=rma.id, reason=typed(300))
    assert fresh_return(rma.id).status == 'cancelled'
    with read_session() as session:
        assert any(
            typed(300) in event.text for event in orders.timeline(session=session, actor=manager, order_id=order.id)
        )


def fresh_return(return_id: int) -> Return:
    with read_session() as session:
        found = session.get(Return, return_id)
        assert found is not None
        return found


def test_cancel_what_is_not_shipped_refuses_a_reason_too_long_and_refunds_with_a_valid_one_whole(manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=20, actor=manager)
    make_product('TEE', '10.00', stock_on_hand=20, actor=manager)
    order = place(('MUG', 2), ('TEE', 1))
    pay(manager, order)
    order = advance(manager, order, 'pack')
    with read_session() as session:
        mug_line = next(line.id for line in orders.order_lines(session, order.id) if line.sku == 'MUG')
    with session_scope() as session:
        orders.ship(session=session, actor=manager, order_id=order.id, version=order.version, lines={mug_line: 1})
    order = fresh(order.id)
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:
        gateway_payments.cancel_rest_and_refund(
            session=session, actor=manager, order_id=order.id, version=order.version, reason=typed(301), refund=True
        )
    assert refused.value.errors == {'reason': 'Use at most 300 characters (this has 301)'}
    assert (fresh(order.id).status, refunds_of(order.id)) == (order.status, [])
    with session_scope() as session:
        done = gateway_payments.cancel_rest_and_refund(
            session=session, actor=manager, order_id=order.id, version=order.version, reason=typed(300), refund=True
        )
    assert done.refund is not None and done.refund_refused == ''
    assert (fresh(order.id).status, refunds_of(order.id)) == ('shipped', [typed(300)])


def test_a_cancellation_reason_always_fits_its_refund() -> None:
    """A cancellation given with its refund hands its reason on: the refund must never refuse one the cancellation
    took (the order would be cancelled, its money not given back)."""
    from backoffice.services import payments

    assert orders.CANCEL_REASON_MAX <= payments.REFUND_REASON_MAX


def test_a_purchase_s_supplier_typed_by_name_too_long_is_refused_not_cut(manager) -> None:
    mug = make_product('MUG', stock_on_hand=2, actor=manager)
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:
        purchases.receive_purchase(
            session=session, actor=manager, lines=[{'product_id': mug.id, 'quantity': 3}], supplier=typed(201)
        )
    assert refused.value.errors == {'supplier': 'Use at most 200 characters (this has 201)'}
    assert level(mug.id).on_hand == 2
    with session_scope() as session:
        purchases.receive_purchase(
            session=session, actor=manager, lines=[{'product_id': mug.id, 'quantity': 3}], supplier=typed(200)
        )
    with read_session() as session:
        assert session.exec(select(Purchase.supplier).order_by(col(Purchase.id).desc())).first() == typed(200)
    assert level(mug.id).on_hand == 5


async def test_a_bill_s_payment_reference_and_cancellation_reason_too_long_are_refused_at_their_field(
    user: User,
) -> None:
    """A payment's reference was kept cut to 120 characters, a cancellation's reason to 300, both unseen."""
    admin, manager = make_user('admin'), make_user('manager')
    bill = approved_bill(manager, admin, make_supplier(HOSTILE).id, 'F-1', **due_in(10))
    await signed_in(user, manager.email, path=f'/finance/bills/{bill.id}')
    await user.should_see(marker='bill-pay', retries=40)
    user.find(marker='bill-pay').click()
    user.find(marker='bill-pay-amount').clear().type('20.00')
    reference = user.find(marker='bill-pay-reference').elements.pop()
    reference.set_value(typed(121))
    user.find(marker='bill-pay-save').click()
    await user.should_see('Use at most 120 characters (this has 121)', retries=40)
    assert reference.value == typed(121)
    assert stored_bill(bill.id).paid == 0
    reference.set_value(typed(120))
    user.find(marker='bill-pay-save').click()
    await user.should_see('Payment recorded', retries=40)
    with read_session() as session:
        assert session.exec(select(BillPayment.reference)).one() == typed(120)

    other = approved_bill(manager, admin, make_supplier('Faïencerie').id, 'F-2', **due_in(10))
    await signed_in(user, manager.email, path=f'/finance/bills/{other.id}')
    await user.should_see(marker='bill-cancel', retries=40)
    user.find(marker='bill-cancel').click()
    reason = user.find(marker='bill-cancel-reason').elements.pop()
    reason.set_value(typed(301))
    user.find(marker='bill-cancel-save').click()
    await user.should_see('Use at most 300 characters (this has 301)', retries=40)
    assert reason.value == typed(301)
    assert stored_bill(other.id).status == BillStatus.approved
    reason.set_value(typed(300))
    user.find(marker='bill-cancel-save').click()
    await user.should_see('Bill F-2 cancelled', retries=40)
    assert stored_bill(other.id).status == BillStatus.cancelled


def stored_bill(bill_id: int) -> SupplierBill:
    with read_session() as session:
        found = session.get(SupplierBill, bill_id)
        assert found is not None
        return found


def test_a_bill_s_note_too_long_is_refused_and_a_bank_line_s_long_label_still_pays_a_bill(manager) -> None:
    """A note typed on a bill is refused beyond 500 characters; a bank line's label is the app's to fit (with an
    ellipsis) as its payment's reference, so matching the line is never refused for it."""
    admin = make_user('admin')
    supplier = make_supplier('Faïencerie Martin', iban=SUPPLIER_IBAN)
    lines = [{'description': 'Mugs', 'quantity': '1', 'unit_price': '150.00', 'vat_rate': '20'}]
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:
        bills.create_bill(
            session=session, actor=manager, supplier_id=supplier.id, number='FM-1', issued_on=today(),
            lines=lines, note=typed(501),
        )  # fmt: skip
    assert refused.value.errors == {'note': 'Use at most 500 characters (this has 501)'}
    with session_scope() as session:
        noted = bills.create_bill(
            session=session, actor=manager, supplier_id=supplier.id, number='FM-1', issued_on=today(),
            lines=lines, note=typed(500),
        )  # fmt: skip
    assert stored_bill(noted.id).note == typed(500)
    bill = approved_bill(manager, admin, supplier.id, 'FM-2026-11', lines=lines, **due_in(0))
    account = make_account(manager)
    label = 'VIR SEPA FM-2026-11 ' + typed(200)
    import_file(manager, account, camt053([Line('-180.00', label, counterpart='FAIENCERIE MARTIN')]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    with session_scope() as session:
        bank_match.confirm_bill(session=session, actor=manager, line_id=line.id, version=line.version, bill_id=bill.id)
    with read_session() as session:
        kept = session.exec(select(BillPayment.reference)).one()
    assert len(kept) == 120 and kept.endswith('…') and kept.startswith('VIR SEPA FM-2026-11')
    assert stored_bill(bill.id).status == BillStatus.paid


async def test_a_ban_reason_too_long_is_refused_at_its_field_and_over_the_api(user: User) -> None:
    """The API's schema lets 20,000 characters through and the ban kept 500 of them; the screen's long text the same."""
    from nicegui import ui

    from backoffice.api.resources import router
    from backoffice.models import Customer

    from .support.api import api_client, bearer, key_for
    from .support.factories import make_customer
    from .support.lists import open_row, rows_show

    def status(customer_id: int) -> tuple[str, str | None]:
        with read_session() as session:
            found = session.get(Customer, customer_id)
            assert found is not None
            return found.status, found.ban_reason

    over_api = make_customer('api.troll@example.com')
    _key, secret = key_for('manager', 'write:customers')
    async with api_client(router) as client:
        url = f'/api/v1/customers/{over_api.id}/actions/ban'
        refused = await client.post(url, json={'reason': typed(501)}, headers=bearer(secret))
        assert refused.status_code == 422, refused.text
        assert 'Use at most 500 characters (this has 501)' in refused.text and 'reason' in refused.text
        assert status(over_api.id) == ('active', None)
        banned = await client.post(url, json={'reason': typed(500)}, headers=bearer(secret))
        assert banned.status_code == 200, banned.text
    assert status(over_api.id) == ('banned', typed(500))

    on_screen = make_customer('troll@example.com')
    await signed_in(user, make_user('agent').email, path='/customers')
    await rows_show(user, 'troll@example.com')
    open_row(user, 'troll@example.com')
    user.find(kind=ui.button, content='Ban').click()
    await user.should_see('Reason *')
    reason = next(iter(user.find('Reason *').elements))
    reason.set_value(typed(501))
    user.find(marker='confirm-action').click()
    await user.should_see('Use at most 500 characters (this has 501)', retries=40)
    assert reason.value == typed(501)
    assert status(on_screen.id) == ('active', None)
    reason.set_value(typed(500))
    user.find(marker='confirm-action').click()
    await user.should_see('Ban: done', retries=40)
    assert status(on_screen.id) == ('banned', typed(500))


def test_a_colleague_invited_with_a_name_too_long_is_refused_at_the_name(manager) -> None:
    """A company admin's invitation made the new contact with the name cut to 120 characters unseen."""
    from backoffice.models import Customer
    from backoffice.services import company_members

    from .support.companies import BASE_URL, actor, company_with

    company_with('Acme "<b>"', {'ada@acme.com': 'admin'})
    admin = actor('ada@acme.com')

    def invite(name: str) -> None:
        with session_scope() as session:
            company_members.invite(
                session=session, by=admin, company_id=admin.company_id, email='new@acme.com', name=name,
                base_url=BASE_URL,
            )  # fmt: skip

    with pytest.raises(ValidationFailed) as refused:
        invite(typed(121))
    assert refused.value.errors == {'name': 'Use at most 120 characters (this has 121)'}
    invite(typed(120))
    with read_session() as session:
        made = session.exec(select(Customer).where(Customer.email == 'new@acme.com')).one()
    assert made.name == typed(120)
