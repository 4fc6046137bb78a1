"""Hand-written dialogs count a limited text's characters up to the service's own limit and stop there (Quasar's
counter and maxlength): an order's cancellation reason, a return's reason, a bank line's note, a delivery's reference.
A longer text arriving another way (pasted by a script, an old browser) is still refused at the field with the
service's words, what was typed kept; a text of exactly the limit goes through, so the counter and the service agree."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import BankLine, LineStatus, OrderEvent, Purchase, Return
from backoffice.services import bank_match, orders, purchases, returns

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import PASSWORD, advance, fresh, level, make_product, make_user, pay, place
from .support.french_staff import french_manager
from .support.signin import signed_in
from .support.waiting import eventually

NNBSP = '\u202f'  # French writes a narrow no-break space between a number's thousands
HOSTILE = 'Zoé "L\'Atelier": <script>alert(1)</script>'  # single spaces: its length is the length the service reads


def of_length(n: int) -> str:
    """A hostile text of exactly `n` characters as the service counts them (no space to fold at either end)."""
    return 'x' * (n - len(HOSTILE)) + HOSTILE


def counted_field(user: User, marker: str, most: int):
    (field,) = user.find(marker=marker).elements
    assert field.props.get('counter') is True and field.props.get('maxlength') == most
    return field


def count_under(field: ui.element) -> str:
    """The count the field shows under it (its counter slot)."""
    (count,) = field.slots['counter'].children
    assert isinstance(count, ui.label) and count.visible
    return count.text


@pytest.mark.parametrize(
    ('language', 'empty', 'typed', 'full'),
    [
        ('en', '0 / 2,000', '1,200 / 2,000', '2,000 / 2,000'),
        ('fr', f'0 / 2{NNBSP}000', f'1{NNBSP}200 / 2{NNBSP}000', f'2{NNBSP}000 / 2{NNBSP}000'),
    ],
)
async def test_a_long_notes_count_reads_in_the_readers_figures_as_it_is_typed(
    user: User, language: str, empty: str, typed: str, full: str
) -> None:
    """Quasar's own counter wrote "1200 / 2000" whatever the reader's language; the count reads as every number on
    the screen does, and follows the typing."""
    if language == 'fr':
        manager = french_manager('compte@example.com', PASSWORD)
    else:
        manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        draft = orders.create_draft(
            session=session, actor=manager, data={'email': 'ann@example.com', 'lines': [{'sku': 'MUG', 'quantity': 1}]}
        )
    await signed_in(user, manager.email, path=f'/orders/{draft.number}')
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    field = counted_field(user, 'draft-note', orders.CUSTOMER_NOTE_MAX)
    assert count_under(field) == empty
    user.find(marker='draft-note').type(of_length(1000))
    user.find(marker='draft-note').type(of_length(200))  # letters added to those typed: the count follows them
    assert count_under(field) == typed
    await user.should_see(typed)
    field.set_value(of_length(orders.CUSTOMER_NOTE_MAX))
    assert count_under(field) == full


async def test_an_order_cancellation_reason_counts_up_to_the_services_limit(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='cancel-order', retries=40)
    user.find(marker='cancel-order').click()
    field = counted_field(user, 'cancel-reason', orders.CANCEL_REASON_MAX)
    too_long = of_length(orders.CANCEL_REASON_MAX + 1)
    field.set_value(too_long)
    user.find(marker='dialog-submit').click()
    limit = f'Use at most {orders.CANCEL_REASON_MAX} characters (this has {orders.CANCEL_REASON_MAX + 1})'
    await eventually(lambda: field.error == limit)
    assert field.value == too_long and fresh(order.id).status != 'cancelled'

    field.set_value(of_length(orders.CANCEL_REASON_MAX))
    user.find(marker='dialog-submit').click()
    await eventually(lambda: fresh(order.id).status == 'cancelled')
    with read_session() as session:
        said = [e.text for e in session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id))]
    assert any(HOSTILE in text for text in said), said


async def test_a_returns_reason_counts_up_to_the_services_limit(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='start-return', retries=40)
    user.find(marker='start-return').click()
    field = counted_field(user, 'return-reason', returns.REASON_MAX)
    user.find(marker='return-quantity-MUG').elements.pop().set_value(1)
    too_long = of_length(returns.REASON_MAX + 1)
    field.set_value(too_long)
    user.find(marker='start-return-submit').click()
    limit = f'Use at most {returns.REASON_MAX} characters (this has {returns.REASON_MAX + 1})'
    await eventually(lambda: field.error == limit)
    with read_session() as session:
        assert field.value == too_long and session.exec(select(Return)).first() is None

    field.set_value(of_length(returns.REASON_MAX))
    user.find(marker='start-return-submit').click()
    await user.should_see('Return R-1001 started for order 100001', retries=40)
    with read_session() as session:
        assert session.exec(select(Return.reason)).one() == of_length(returns.REASON_MAX)


async def test_a_bank_lines_set_aside_note_counts_up_to_the_services_limit(user: User) -> None:
    manager = make_user('manager')
    import_file(manager, make_account(manager), camt053([Line('-4.50', 'FRAIS <i>x</i>')]))
    with read_session() as session:
        fee = session.exec(select(BankLine)).one()
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'aside-{fee.id}', retries=40)
    user.find(marker=f'aside-{fee.id}').click()
    await user.should_see(marker='aside-dialog')
    user.find(marker='aside-category').elements.pop().set_value('bank_fees')
    field = counted_field(user, 'aside-note', bank_match.NOTE_MAX)
    too_long = of_length(bank_match.NOTE_MAX + 1)
    field.set_value(too_long)
    user.find(marker='aside-save').click()
    limit = f'Use at most {bank_match.NOTE_MAX} characters (this has {bank_match.NOTE_MAX + 1})'
    await eventually(lambda: field.error == limit)
    with read_session() as session:
        assert field.value == too_long and session.get(BankLine, fee.id).status == LineStatus.unmatched

    field.set_value(of_length(bank_match.NOTE_MAX))
    user.find(marker='aside-save').click()
    await eventually(lambda: _note(fee.id) == of_length(bank_match.NOTE_MAX))


def _note(line_id: int) -> str | None:
    with read_session() as session:
        line = session.get(BankLine, line_id)
        return line.note if line is not None and line.status == LineStatus.ignored else None


async def test_a_deliverys_reference_counts_up_to_the_services_limit(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=2, actor=manager)
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='receive-purchase', retries=40)
    user.find(marker='receive-purchase').click()
    user.find(marker='receive-product-0').elements.pop().set_value(mug.id)
    user.find(marker='receive-quantity-0').elements.pop().set_value(3)
    field = counted_field(user, 'reference', purchases.MAX_REFERENCE)
    too_long = of_length(purchases.MAX_REFERENCE + 1)
    field.set_value(too_long)
    user.find(marker='receive').click()
    limit = f'Use at most {purchases.MAX_REFERENCE} characters (this has {purchases.MAX_REFERENCE + 1})'
    await eventually(lambda: field.error == limit)
    assert field.value == too_long and level(mug.id).on_hand == 2

    field.set_value(of_length(purchases.MAX_REFERENCE))
    user.find(marker='receive').click()
    await user.should_see('Received 3 items', retries=40)
    with read_session() as session:
        newest = session.exec(
            select(Purchase.reference).order_by(Purchase.id.desc())
        ).first()  # its first stock came by one too
    assert newest == of_length(purchases.MAX_REFERENCE)
