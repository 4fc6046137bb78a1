"""A bank transfer for an order still awaiting payment, with no invoice yet (a customer paying by transfer): the matcher
suggests the order on its own (its number in the text, the amount due, the customer's name), ranked among the
invoices as they are; the bookkeeper matches it, in full — the order is paid and invoiced, as a bank-transfer payment
recorded on the order page would — or in part: the part is on the order's payments (the order page's part-payment
rule: never more than is due), the order shows what is left and becomes paid once fully paid; the line is used in
full either way. Undoing a match takes its payment back off the order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import BankLine, Invoice, LineStatus, Order, OrderStatus, Payment
from backoffice.services import app_settings, bank_match

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


def test_the_matcher_suggests_a_pending_order_by_its_number_amount_and_name() -> None:
    """No search: the order is on the line's suggestions, with the same points an invoice's order number, amount and
    customer name earn; an invoice with the number itself still comes first."""
    manager, order, line = pending_order_and_its_transfer()
    suggestion = bank_match.suggestions_of(line)[0]
    assert suggestion == {
        'order_id': order.id, 'number': order.number, 'customer': 'ann@example.com', 'open': '30.00',
        'currency': 'EUR', 'amount': '30.00', 'score': 60, 'why': ['order', 'amount'],
    }  # fmt: skip
    assert 'invoice_id' not in suggestion
    other = place(('MUG', 2), email='bob@example.com')  # 20.00: a line of its amount, no number, names Bob
    import_file(
        manager,
        make_account(manager, name='Second', iban='FR7630006000011234567890189'),
        camt053([Line('20.00', 'VIREMENT RECU', 'BOB'), Line('25.00', f'{HOSTILE} {other.number}')],
                iban='FR7630006000011234567890189'),
    )  # fmt: skip
    with read_session() as session:
        by_amount, named = session.exec(select(BankLine).where(col(BankLine.id) > line.id).order_by(col(BankLine.id)))
    assert [(s['number'], s['why']) for s in bank_match.suggestions_of(by_amount)] == [
        (other.number, ['amount', 'name'])
    ]
    assert [(s['number'], s['why']) for s in bank_match.suggestions_of(named)] == [(other.number, ['order'])]


def test_a_bank_line_pays_part_of_a_pending_order_then_the_rest() -> None:
    manager, order, line = pending_order_and_its_transfer('20.00')
    assert bank_match.suggestions_of(line)[0]['why'] == ['order', 'partial']
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # more than due: at the order's field
        bank_match.confirm(
            session=session, actor=manager, line_id=line.id, version=line.version, amounts={},
            order_amounts={order.id: '31.00'},
        )  # fmt: skip
    assert refused.value.errors == {f'order_{order.id}': f'Only €30.00 is due on order {order.number}'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # the line is used in full
        bank_match.confirm(
            session=session, actor=manager, line_id=line.id, version=line.version, amounts={},
            order_amounts={order.id: '15.00'},
        )  # fmt: skip
    assert refused.value.errors == {'invoices': 'The parts add up to €15.00; the line is €20.00'}
    with session_scope() as session:
        first = bank_match.confirm(
            session=session, actor=manager, line_id=line.id, version=line.version, amounts={},
            order_amounts={order.id: '20.00'},
        )  # fmt: skip
    assert (first.status, first.receipt_id) == (LineStatus.matched, None)
    part = stored_order(order.id)
    assert (part.status, part.paid_total) == (OrderStatus.pending, Decimal('20.00'))
    with read_session() as session:
        assert session.exec(select(Invoice).where(Invoice.order_id == order.id)).first() is None
        payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
        assert (payment.amount, payment.bank_line_id, payment.method) == (Decimal('20.00'), line.id, 'bank_transfer')
        assert bank_match.open_invoice(session=session, actor=manager, number=order.number)['open'] == '10.00'

    import_file(  # the rest arrives: suggested for what is left, it pays the order, which is invoiced
        manager,
        make_account(manager, name='Second', iban='FR7630006000011234567890189'),
        camt053([Line('10.00', f'solde {order.number}', 'ANN')], iban='FR7630006000011234567890189'),
    )
    with read_session() as session:
        rest = session.exec(select(BankLine).where(col(BankLine.id) > line.id)).one()
    assert bank_match.suggestions_of(rest)[0]['why'] == ['order', 'amount', 'name']
    with session_scope() as session:
        bank_match.confirm(
            session=session, actor=manager, line_id=rest.id, version=rest.version, amounts={},
            order_amounts={order.id: '10.00'},
        )  # fmt: skip
    done = stored_order(order.id)
    assert (done.status, done.paid_total) == (OrderStatus.paid, Decimal('30.00'))
    with read_session() as session:
        invoice = session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
        assert invoice.kind == 'invoice'
        both = [session.get(BankLine, line.id), session.get(BankLine, rest.id)]
        # what each line paid, said on its card: a part of the order, then its invoice (once, not also the order)
        assert bank_match.paid_by(session=session, actor=manager, lines=both) == {
            line.id: [bank_match.PaidPart('order', order.number, Decimal('20.00'))],
            rest.id: [bank_match.PaidPart('invoice', invoice.number, Decimal('10.00'))],
        }

    with session_scope() as session:  # the first line undone: its part comes off; the order awaits €20.00 again
        bank_match.undo(session=session, actor=manager, line_id=line.id, version=first.version)
    again = stored_order(order.id)
    assert (again.status, again.paid_total) == (OrderStatus.pending, Decimal('10.00'))
    with read_session() as session:
        assert [p.amount for p in session.exec(select(Payment).where(Payment.order_id == order.id))] == [
            Decimal('10.00')
        ]


async def test_the_bookkeeper_matches_a_transfer_to_a_pending_order_by_its_number(user: User) -> None:
    manager, order, line = pending_order_and_its_transfer()
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{line.id}', retries=40)
    user.find(marker=f'split-{line.id}').click()
    await user.should_see(marker='split-dialog')
    user.find(marker='add-number').type(HOSTILE)
    user.find(marker='add-invoice').click()
    await user.should_see('No invoice has the number VIR "COMMANDE": <SCRIPT>ALERT(1)</SCRIPT>', retries=40)
    await user.should_see(f'Order {order.number} awaiting payment (due €30.00)')  # suggested: listed, left empty
    user.find(marker='add-number').clear().type(order.number)
    user.find(marker='add-invoice').click()  # found by its number: its part is the line's amount
    part = user.find(marker=f'part-{order.number}').elements.pop()
    await eventually(lambda: part.value == '30.00')
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded.', retries=40)
    await eventually(lambda: stored_order(order.id).status == OrderStatus.paid)
    await user.open(f'/orders/{order.number}')
    await user.should_see('Payment of €30.00', retries=40)


async def test_the_bookkeeper_matches_a_suggested_pending_order_in_one_click(user: User) -> None:
    manager, order, line = pending_order_and_its_transfer()
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(f'Order {order.number} awaiting payment · ann@example.com · due €30.00', retries=40)
    user.find(marker=f'match-{line.id}-{order.number}').click()
    await user.should_see(f'Matched to order {order.number}: payment recorded.', retries=40)
    await eventually(lambda: stored_order(order.id).status == OrderStatus.paid)


async def test_the_bookkeeper_pays_part_of_a_pending_order_from_the_bank_line(user: User) -> None:
    manager, order, line = pending_order_and_its_transfer('20.00')
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(f'Order {order.number} awaiting payment · ann@example.com · due €30.00', retries=40)
    await user.should_see('order number in the label, pays part of it')  # Match pays the part too; here, typed
    user.find(marker=f'split-{line.id}').click()
    await user.should_see(marker='split-dialog')
    user.find(marker=f'part-{order.number}').type('31')
    user.find(marker='split-save').click()
    await user.should_see(f'Only €30.00 is due on order {order.number}', retries=40)  # more than due
    user.find(marker=f'part-{order.number}').clear().type('20')
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded.', retries=40)
    await eventually(lambda: stored_order(order.id).paid_total == Decimal('20.00'))
    await user.open(f'/orders/{order.number}')
    await user.should_see('Left to pay', retries=40)
    await user.should_see('€10.00')
    await user.should_see('paid €20.00 (Bank transfer')


def test_a_part_of_an_order_is_never_written_off() -> None:
    """Within the write-off tolerance an invoice is settled and the difference written off with its receipt; a part of
    an order not invoiced settles nothing, so it takes the line's amount exactly."""
    manager, order, line = pending_order_and_its_transfer('20.00')
    with session_scope() as session:
        app_settings.save(
            session=session, actor=make_user('admin'), loaded=app_settings.current_values(session=session),
            changes={'write_off_tolerance': '1.00'},
        )  # fmt: skip
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bank_match.confirm(
            session=session, actor=manager, line_id=line.id, version=line.version, amounts={},
            order_amounts={order.id: '19.50'},
        )  # fmt: skip
    assert refused.value.errors == {'invoices': 'The parts add up to €19.50; the line is €20.00'}
    assert stored_order(order.id).paid_total == Decimal('0.00')
