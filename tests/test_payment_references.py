"""A payment's reference as the finance operator types it: one longer than a payment keeps is refused at its field,
never cut unseen, nothing saved; the same reference twice on an order (the same bank line typed twice, or by two
colleagues at once) is said with the payment that has it, and recorded only once the person confirms it is another
payment; a bank line's long label still matches, its reference fitted with an ellipsis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import BankLine, Payment, Receipt
from backoffice.services import bank_match, payments, receivables

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import fresh, make_user, pay
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'VIR "Zoé": <script>alert(1)</script> '
TOO_LONG = HOSTILE + 'RF18' * 21  # 121 characters: one more than a payment keeps


@pytest.fixture
def manager():
    admin, manager = make_user('admin', name='Ada Admin'), make_user('manager', name='Maria "M" <b>Lopez</b>')
    round_prices(admin)
    mugs(manager)
    return manager


def stored_payments() -> list[Payment]:
    with read_session() as session:
        return list(session.exec(select(Payment).order_by(Payment.id)))


def test_a_reference_longer_than_a_payment_keeps_is_refused_at_its_field_and_nothing_is_saved(manager) -> None:
    assert len(TOO_LONG) == 121
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00
    with pytest.raises(ValidationFailed) as refused:
        pay(manager, order, '10.00', reference=TOO_LONG)
    assert refused.value.errors == {'reference': 'Use at most 120 characters (this has 121)'}
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:  # the receivables' "Record a payment"
        receivables.settle(session=session, actor=manager, amounts={invoice.id: '10.00'}, reference=TOO_LONG)
    assert refused.value.errors == {'reference': 'Use at most 120 characters (this has 121)'}
    with pytest.raises(ValidationFailed) as refused:  # a right-to-left override would turn the timeline's words round
        pay(manager, order, '10.00', reference='VIR \u202e77')
    assert refused.value.errors == {
        'reference': 'Use letters, digits, spaces and punctuation only (no control or invisible characters)'
    }
    assert stored_payments() == [] and fresh(order.id).paid_total == 0
    with read_session() as session:
        assert session.exec(select(Receipt)).all() == []
    pay(manager, order, '10.00', reference=TOO_LONG[:-1] + '  ')  # 120 and spaces around: kept whole
    assert [p.reference for p in stored_payments()] == [TOO_LONG[:-1].strip()]


def test_the_same_reference_twice_on_an_order_is_said_with_the_first_payment_and_recorded_once_confirmed(
    manager,
) -> None:
    order, _invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00
    other, _other_invoice = invoiced_on_terms(manager, 'bo@example.com', 3)
    pay(manager, order, '10.00', reference=HOSTILE + '77')
    first = stored_payments()[0]
    said = (
        f'Order {order.number} already has a payment with reference “{HOSTILE}77”: €10.00 on '
        f'{formatting.day(first.paid_at)}, recorded by Maria "M" <b>Lopez</b>.'
    )
    with read_session() as session:  # what the dialog asks before recording
        warning = payments.same_reference_warning(
            session=session, actor=manager, order_ids=[order.id], reference=' ' + HOSTILE.upper() + '77 '
        )
    assert warning == f'{said} Record this one too only if it is another payment.'
    with pytest.raises(ValidationFailed) as refused:  # a colleague who saw no warning (it came in meanwhile)
        pay(manager, order, '10.00', reference=HOSTILE.upper() + '77')
    assert refused.value.errors == {'reference': f'{said} If it is another payment, press again to confirm it.'}
    assert len(stored_payments()) == 1 and fresh(order.id).paid_total == Decimal('10.00')
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:
        receivables.settle(session=session, actor=manager, amounts={_invoice.id: '10.00'}, reference=HOSTILE + '77')
    assert refused.value.errors == {'reference': f'{said} If it is another payment, press again to confirm it.'}
    with read_session() as session:
        assert session.exec(select(Receipt)).all() == []

    pay(manager, other, '10.00', reference=HOSTILE + '77')  # another order's payment: nothing to say
    with session_scope() as session:  # confirmed: a second instalment quoting the same creditor reference
        payments.record_payment(
            session=session,
            actor=manager,
            order_id=order.id,
            amount='10.00',
            reference=HOSTILE + '77',
            same_reference=True,
        )
    assert fresh(order.id).paid_total == Decimal('20.00')


def test_two_bank_lines_quoting_one_creditor_reference_both_match_and_a_long_label_is_fitted(manager) -> None:
    """A line is one transfer, matched once: two instalments quoting the invoice's reference are two payments, and a
    line with no reference gives its label, fitted to what a payment keeps (the line keeps it whole)."""
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00
    label = 'Acompte "Zoé" <b>' + 'X' * 300
    import_file(
        manager,
        make_account(manager),
        camt053(
            [
                Line('10.00', f'INV {invoice.number}', reference='RF18539007547034', bank_reference='B-1'),
                Line('10.00', f'INV {invoice.number} bis', reference='RF18539007547034', bank_reference='B-2'),
                Line('10.00', label, bank_reference='B-3'),
            ]
        ),
    )
    with read_session() as session:
        found = list(session.exec(select(BankLine).order_by(BankLine.id)))
    for line in found:
        with session_scope() as session:
            bank_match.confirm(
                session=session, actor=manager, line_id=line.id, version=line.version, amounts={invoice.id: '10.00'}
            )
    assert fresh(order.id).paid_total == Decimal('30.00')
    references = [p.reference for p in stored_payments()]
    assert references[:2] == ['RF18539007547034', 'RF18539007547034']
    assert len(references[2]) == 120 and references[2] == label[:119] + '…'


async def test_the_order_page_refuses_a_long_reference_at_its_field_and_asks_before_a_reference_seen(
    user: User, manager
) -> None:
    """The operator types a pasted statement line too long: told at the field, nothing saved, the dialog open. A
    colleague records the same bank line meanwhile: pressing Record payment says so, naming their payment; pressing
    again asks, and "Record it anyway" records it."""
    order, _invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00
    colleague = make_user('manager', name='Colin <i>Colleague</i>')
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see('Record payment', retries=40)
    user.find('Record payment').click()
    await user.should_see(marker='dialog-submit')
    user.find(marker='amount').clear().type('10.00')
    user.find(marker='reference').type(TOO_LONG)
    user.find(marker='dialog-submit').click()
    await eventually(lambda: user.find(marker='reference').elements.pop().error is not None)
    assert user.find(marker='reference').elements.pop().error == 'Use at most 120 characters (this has 121)'
    assert stored_payments() == []

    pay(colleague, order, '10.00', reference=HOSTILE + '77')  # the colleague, on their screen, a moment before
    when = formatting.day(stored_payments()[0].paid_at)
    said = (
        f'Order {order.number} already has a payment with reference “{HOSTILE}77”: €10.00 on {when}, recorded by '
        'Colin <i>Colleague</i>.'
    )
    reference = user.find(marker='reference')
    reference.clear().type(HOSTILE + '77')
    user.find(marker='dialog-submit').click()
    await user.should_see(marker='confirm-dialog', retries=40)
    await user.should_see(f'{said} Record this one too only if it is another payment.')
    asking = user.find(marker='confirm-dialog').elements.pop().parent_slot.parent
    user.find(marker='confirm-no').click()
    await eventually(lambda: not asking.value)
    asking.delete()  # (a browser removes a hidden page_dialog: the simulated user has none)
    assert len(stored_payments()) == 1

    user.find(marker='dialog-submit').click()
    await user.should_see(marker='confirm-dialog', retries=40)
    user.find('Record it anyway').click()
    await user.should_see('Payment recorded', retries=40)
    await eventually(lambda: fresh(order.id).paid_total == Decimal('20.00'))
    assert len(stored_payments()) == 2


async def test_a_payment_recorded_meanwhile_with_the_same_reference_is_refused_at_the_field(
    user: User, manager, monkeypatch
) -> None:
    """Two people on one order: both checked the reference before either recorded; the second to record is told at
    the field, naming the first one's payment, and nothing is recorded twice."""
    order, _invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    colleague = make_user('manager', name='Colin Colleague')
    checked = payments.same_reference_warning

    def checked_then_overtaken(**kwargs):
        found = checked(**kwargs)
        pay(colleague, order, '10.00', reference=HOSTILE + '77')  # recorded between the check and the press
        return found

    monkeypatch.setattr(payments, 'same_reference_warning', checked_then_overtaken)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see('Record payment', retries=40)
    user.find('Record payment').click()
    await user.should_see(marker='dialog-submit')
    user.find(marker='amount').clear().type('10.00')
    user.find(marker='reference').type(HOSTILE + '77')
    user.find(marker='dialog-submit').click()
    await eventually(lambda: user.find(marker='reference').elements.pop().error is not None)
    error = user.find(marker='reference').elements.pop().error
    assert error.startswith(f'Order {order.number} already has a payment with reference “{HOSTILE}77”: €10.00 on ')
    assert error.endswith('recorded by Colin Colleague. If it is another payment, press again to confirm it.')
    assert len(stored_payments()) == 1 and fresh(order.id).paid_total == Decimal('10.00')


async def test_the_receivables_payment_asks_before_a_reference_an_invoice_was_paid_with(user: User, manager) -> None:
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00
    pay(manager, order, '10.00', reference=HOSTILE + '77')
    await signed_in(user, manager.email, path='/finance/receivables')
    await user.should_see(marker='open-invoices', retries=40)
    items = next(iter(user.find(marker='open-invoices').elements))
    await eventually(lambda: len(items.rows) == 1)
    items.selected = list(items.rows)
    user.find(marker='record-receipt').click()
    await user.should_see(marker='receipt-dialog')
    user.find(marker='reference').type(TOO_LONG)
    user.find(marker='dialog-submit').click()
    await eventually(lambda: user.find(marker='reference').elements.pop().error is not None)
    assert user.find(marker='reference').elements.pop().error == 'Use at most 120 characters (this has 121)'
    user.find(marker='reference').clear().type(HOSTILE + '77')
    user.find(marker='dialog-submit').click()
    await user.should_see(marker='confirm-dialog', retries=40)
    await user.should_see(f'Order {order.number} already has a payment with reference “{HOSTILE}77”', retries=5)
    user.find('Record it anyway').click()
    await user.should_see('Payment of €20.00 recorded.', retries=40)
    assert fresh(order.id).paid_total == Decimal('30.00')
