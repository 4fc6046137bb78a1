"""A matching rule matches a line to its customer's order awaiting payment with no invoice yet, as the matcher
suggests such an order: by its number in the line's text (a part payment, the order still pending), else by what is
due on it (paid in full: the order is paid and invoiced); an open invoice or an order of the same amount beside it
makes the rule miss with its reason; undoing the rule's match takes the payment back off the order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.models import BankLine, Invoice, LineStatus, Order, OrderStatus, Payment
from backoffice.services import bank_match, bank_rules

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user, place
from .support.finance import mugs, round_prices
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Zoé "L\'Atelier": <script>alert(1)</script> <img src=x onerror="window.__x=1">'
PAYER = 'ATELIER ZOE SARL'


@pytest.fixture
def shop():
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    return manager, make_account(manager)


def lines() -> list[BankLine]:
    with read_session() as session:
        return list(session.exec(select(BankLine).order_by(col(BankLine.id))))


def stored(order_id: int) -> Order:
    with read_session() as session:
        found = session.get(Order, order_id)
        assert found is not None
        return found


def rule_for(manager, customer_id: int):
    with session_scope() as session:
        return bank_rules.save_rule(
            session=session,
            actor=manager,
            values={'name': HOSTILE, 'counterparty': 'atelier zoe', 'outcome': 'invoice', 'customer_id': customer_id},
        )


def test_a_rule_pays_its_customers_pending_order_by_amount_or_by_number(shop) -> None:
    manager, account = shop
    whole = place(('MUG', 3), email='zoe@example.com', name=HOSTILE)  # 30.00, pending, no invoice
    part = place(('MUG', 9), email='zoe@example.com')  # 90.00
    rule = rule_for(manager, whole.customer_id)
    result = import_file(
        manager,
        account,
        camt053([Line('30.00', 'Virement', PAYER), Line('40.00', f'Acompte {part.number} {HOSTILE}', PAYER)]),
    )
    assert (result.matched_by_rules, result.missed_by_rules) == (2, 0)
    by_amount, by_number = lines()
    assert (by_amount.status, by_amount.rule_id) == (LineStatus.matched, rule.id)
    assert (by_number.status, by_number.rule_id) == (LineStatus.matched, rule.id)
    paid = stored(whole.id)
    assert (paid.status, paid.paid_total) == (OrderStatus.paid, Decimal('30.00'))
    with read_session() as session:
        assert session.exec(select(Invoice).where(Invoice.order_id == whole.id)).one().kind == 'invoice'
        assert session.exec(select(Invoice).where(Invoice.order_id == part.id)).first() is None
        on_part = session.exec(select(Payment).where(Payment.order_id == part.id)).one()
    assert (on_part.amount, on_part.bank_line_id) == (Decimal('40.00'), by_number.id)
    still = stored(part.id)
    assert (still.status, still.paid_total) == (OrderStatus.pending, Decimal('40.00'))

    with session_scope() as session:  # undone: the payment comes off the order, which awaits payment again
        bank_match.undo(session=session, actor=manager, line_id=by_number.id, version=by_number.version)
    assert stored(part.id).paid_total == Decimal('0.00')


def test_two_pending_orders_of_the_amount_make_the_rule_miss_with_its_reason(shop) -> None:
    manager, account = shop
    first = place(('MUG', 3), email='zoe@example.com', name=HOSTILE)
    place(('MUG', 3), email='zoe@example.com')  # 30.00 too
    rule = rule_for(manager, first.customer_id)
    result = import_file(manager, account, camt053([Line('30.00', 'Virement', PAYER)]))
    assert (result.matched_by_rules, result.missed_by_rules) == (0, 1)
    (line,) = lines()
    assert (line.status, line.missed_rule_id, line.rule_miss) == (LineStatus.unmatched, rule.id, 'several_invoices')
    with i18n.use('fr'):
        assert 'commande' in i18n.gettext(bank_rules.MISSES['several_invoices'])
    assert stored(first.id).paid_total == Decimal('0.00')


def test_booking_part_payments_of_orders_twice_offers_a_rule_as_matching_invoices_does(shop) -> None:
    """After a person books part of a pending order from a line, and booked another line of the same payer to the same
    customer before, "Make a rule" is offered prefilled (it was offered after an invoice's match only)."""
    manager, account = shop
    first = place(('MUG', 9), email='zoe@example.com', name=HOSTILE)  # 90.00
    second = place(('MUG', 6), email='zoe@example.com')  # 60.00
    import_file(
        manager,
        account,
        camt053([Line('40.00', f'Acompte {HOSTILE}', PAYER), Line('20.00', 'Acompte 2', PAYER)]),
    )
    one, two = lines()
    offers = []
    for line, order in ((one, first), (two, second)):
        with session_scope() as session:
            done = bank_match.confirm(
                session=session,
                actor=manager,
                line_id=line.id,
                version=line.version,
                amounts={},
                order_amounts={order.id: str(line.amount)},
            )
            offers.append(bank_rules.repeated_match(session, done))
    assert offers[0] is None  # once is not a habit
    assert offers[1] == {
        'name': PAYER,
        'counterparty': PAYER,
        'counterparty_exact': True,
        'outcome': 'invoice',
        'direction': 'credit',
        'customer_id': first.customer_id,
        'supplier_id': None,
    }
    assert stored(second.id).paid_total == Decimal('20.00')


async def test_the_bookkeeper_is_offered_a_rule_after_booking_part_of_an_order_from_the_bank_screen(
    user: User, shop
) -> None:
    manager, account = shop
    first = place(('MUG', 9), email='zoe@example.com', name=HOSTILE)  # 90.00
    second = place(('MUG', 6), email='zoe@example.com')  # 60.00
    import_file(manager, account, camt053([Line('40.00', 'Acompte', PAYER), Line('20.00', 'Acompte 2', PAYER)]))
    one, two = lines()
    with session_scope() as session:  # booked by hand before
        bank_match.confirm(
            session=session, actor=manager, line_id=one.id, version=None, amounts={}, order_amounts={first.id: '40'}
        )
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{two.id}', retries=40)
    user.find(marker=f'split-{two.id}').click()
    await user.should_see(marker='split-dialog')
    user.find(marker='add-number').type(second.number)
    user.find(marker='add-invoice').click()
    await user.should_see(marker=f'part-{second.number}', retries=40)
    part = user.find(marker=f'part-{second.number}').elements.pop()
    await eventually(lambda: part.value == '20.00')
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded.', retries=40)
    await user.should_see(marker='rule-offer', retries=40)
    user.find(marker='rule-offer-make').click()
    await user.should_see(marker='rule-dialog')
    assert stored(second.id).paid_total == Decimal('20.00')
