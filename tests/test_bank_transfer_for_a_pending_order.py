"""A bank transfer for an order still awaiting payment, with no invoice yet (a customer paying by transfer): the
bookkeeper finds the order by its number in the line's split and matches it; as a bank-transfer payment recorded on
the order page would, the order is paid and invoiced. Only the whole amount due pays it; undoing the match takes the
payment back off the order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import BankLine, Invoice, LineStatus, Order, OrderStatus, Payment
from backoffice.services import bank_match

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user, place
from .support.finance import mugs, round_prices
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'VIR "COMMANDE": <script>alert(1)</script>'


def pending_order_and_its_transfer(amount: str = '30.00'):
    """A manager, an order of 30.00 placed and not paid (no invoice), and an imported line naming it."""
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    order = place(('MUG', 3), email='ann@example.com')  # 30.00, pending
    import_file(manager, make_account(manager), camt053([Line(amount, f'{HOSTILE} {order.number}')]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    return manager, order, line


def stored_order(order_id: int) -> Order:
    with read_session() as session:
        found = session.get(Order, order_id)
        assert found is not None
        return found


def test_matching_a_transfer_to_a_pending_order_records_its_payment_and_invoices_it() -> None:
    manager, order, line = pending_order_and_its_transfer()
    assert (order.status, order.total) == (OrderStatus.pending, Decimal('30.00'))
    with read_session() as session:
        found = bank_match.open_invoice(session=session, actor=manager, number=order.number)
    assert found == {'order_id': order.id, 'number': order.number, 'open': '30.00', 'currency': 'EUR'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # a part only: refused in words
        bank_match.confirm(
            session=session, actor=manager, line_id=line.id, version=line.version, amounts={},
            order_amounts={order.id: '20.00'},
        )  # fmt: skip
    assert refused.value.errors == {f'order_{order.id}': f'A transfer pays order {order.number} in full: €30.00 is due'}
    with session_scope() as session:
        matched = bank_match.confirm(
            session=session, actor=manager, line_id=line.id, version=line.version, amounts={},
            order_amounts={order.id: '30.00'},
        )  # fmt: skip
    assert matched.status == LineStatus.matched and matched.receipt_id is not None
    paid = stored_order(order.id)
    assert (paid.status, paid.paid_total) == (OrderStatus.paid, Decimal('30.00'))
    with read_session() as session:
        payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
        invoice = session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
    assert (payment.method, payment.amount, invoice.kind) == ('bank_transfer', Decimal('30.00'), 'invoice')
    with read_session() as session, pytest.raises(ValidationFailed):  # paid now: no longer offered as awaiting
        bank_match.open_invoice(session=session, actor=manager, number=invoice.number)

    with session_scope() as session:  # undone: the payment comes off the order, which awaits payment again
        bank_match.undo(session=session, actor=manager, line_id=line.id, version=matched.version)
    again = stored_order(order.id)
    assert (again.status, again.paid_total) == (OrderStatus.pending, Decimal('0.00'))


async def test_the_bookkeeper_matches_a_transfer_to_a_pending_order_by_its_number(user: User) -> None:
    manager, order, line = pending_order_and_its_transfer()
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{line.id}', retries=40)
    user.find(marker=f'split-{line.id}').click()
    await user.should_see(marker='split-dialog')
    user.find(marker='add-number').type(HOSTILE)
    user.find(marker='add-invoice').click()
    await user.should_see('No invoice has the number VIR "COMMANDE": <SCRIPT>ALERT(1)</SCRIPT>', retries=40)
    user.find(marker='add-number').clear().type(order.number)
    user.find(marker='add-invoice').click()
    await user.should_see(f'Order {order.number} awaiting payment (due €30.00)', retries=40)
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded.', retries=40)
    await eventually(lambda: stored_order(order.id).status == OrderStatus.paid)
    await user.open(f'/orders/{order.number}')
    await user.should_see('Payment of €30.00', retries=40)
