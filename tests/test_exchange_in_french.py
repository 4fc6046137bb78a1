"""A return that ends in an exchange makes an exchange order: what the app writes about it ("Exchange for order N")
is stored with its msgid and read in the reader's language, on the exchange's page and its original order's; the
exchange order's note (the customer's words at checkout on other orders) is not filled with English."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.models import Order, OrderLine, Return
from backoffice.services import orders, returns

from .support.factories import advance, make_product, make_user, pay, place
from .support.signin import signed_in

HOSTILE = 'Trop "petit": <script>alert(1)</script> <img src=x onerror="window.__x=1">'


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


def exchanged(manager) -> tuple[Order, Order]:
    """A delivered order of 2 mugs; one returned (the customer's hostile reason), received and exchanged."""
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2), name='Cleo "C" <b>Stone</b>', note=HOSTILE)
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    with session_scope() as session:
        line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
        rma = returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            lines=[{'order_line_id': line.id, 'quantity': 1}],
            reason=HOSTILE,
        )
    with session_scope() as session:
        returns.receive(session=session, actor=manager, return_id=rma.id)
    with i18n.use('fr'), session_scope() as session:  # a French manager resolves it
        done = returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='exchange')
    with read_session() as session:
        return order, session.get(Order, done.exchange_order_id)


def test_the_exchange_is_said_in_each_readers_language() -> None:
    manager = make_user('manager')
    order, exchange = exchanged(manager)
    assert exchange.note == ''  # no English sentence in the customer's note field
    for locale, said in (
        ('en', f'Exchange for order {order.number}'),
        ('fr', f'Échange pour la commande {order.number}'),
    ):
        with i18n.use(locale), read_session() as session:
            texts = [
                orders.timeline_text(e) for e in orders.timeline(session=session, actor=manager, order_id=exchange.id)
            ]
        assert said in texts, texts


async def test_a_french_manager_reads_the_exchange_in_french(user: User, in_french: Callable[[], None]) -> None:
    manager = make_user('manager')
    order, exchange = exchanged(manager)
    in_french()
    await signed_in(user, manager.email, path=f'/orders/{exchange.number}')
    await user.should_see(f'Échange pour la commande {order.number}')
    await user.should_not_see('Exchange for order')
    await user.open(f'/orders/{order.number}')
    await user.should_not_see('Exchange for order')
    await user.should_not_see('Exchange order')


def test_the_original_orders_timeline_names_the_exchange_order() -> None:
    """Resolving a return by exchange makes a new order to pack and ship: the returned order's timeline says which one
    (it said only "exchanged", and the operator had nothing to find the order to ship by)."""
    manager = make_user('manager')
    order, exchange = exchanged(manager)
    for locale, said in (
        ('en', f'exchange order {exchange.number}'),
        ('fr', f'commande d’échange {exchange.number}'),
    ):
        with i18n.use(locale), read_session() as session:
            texts = [
                orders.timeline_text(e) for e in orders.timeline(session=session, actor=manager, order_id=order.id)
            ]
        assert any(said in text for text in texts), texts


async def test_the_returned_orders_page_links_to_its_exchange_order(user: User) -> None:
    manager = make_user('manager')
    order, exchange = exchanged(manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    link = user.find(marker='exchange-order').elements.pop()
    assert link.props['href'] == f'/orders/{exchange.number}'
    await user.should_see(f'Exchange order {exchange.number}')


def received(manager) -> tuple[Order, int]:
    """A delivered order of 2 mugs at 25.00 (30.00 with tax); one came back and was received, not resolved yet."""
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2), name='Cleo "C" <b>Stone</b>: 🚀')
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    with session_scope() as session:
        line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
        rma = returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            lines=[{'order_line_id': line.id, 'quantity': 1}],
            reason=HOSTILE,
        )
    with session_scope() as session:
        returns.receive(session=session, actor=manager, return_id=rma.id)
    return order, rma.id


def test_store_credit_and_an_exchange_are_asked_with_what_they_do() -> None:
    manager = make_user('manager')
    order, rma_id = received(manager)
    with read_session() as session:
        credit = returns.resolution_question(session=session, actor=manager, return_id=rma_id, resolution='credit_note')
        exchange = returns.resolution_question(session=session, actor=manager, return_id=rma_id, resolution='exchange')
    assert '30.00' in credit and 'credit note' in credit and order.number in credit
    assert '1 × MUG' in exchange and order.number in exchange


async def test_an_exchange_is_made_only_once_confirmed(user: User) -> None:
    """ "Send an exchange" made an order and reserved stock at one click, without a word of what it does."""
    manager = make_user('manager')
    order, rma_id = received(manager)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    user.find(marker='resolve-exchange').click()
    await user.should_see(marker='resolution-question')
    assert any(dialog.value for dialog in user.find(ui.dialog).elements)  # shown, not only built
    with read_session() as session:
        assert session.get(Return, rma_id).exchange_order_id is None  # asked, not done
    user.find(marker='resolution-cancel').click()
    user.find(marker='resolve-exchange').click()
    await user.should_see(marker='resolution-question')
    user.find(marker='resolution-confirm').click()
    await user.should_see(marker='exchange-order')
    with read_session() as session:
        rma = session.get(Return, rma_id)
        assert rma.exchange_order_id is not None
        exchange = session.get(Order, rma.exchange_order_id)
    # the toast names the new order (it said only "Return R-1 closed"); the page links to it
    await user.should_see(f'Return {rma.number} closed: exchange order {exchange.number} made, to pack and ship')
    assert user.find(marker='exchange-order').elements.pop().props['href'] == f'/orders/{exchange.number}'


async def test_an_exchange_order_is_settled_by_its_return_not_awaiting_payment_nor_invoiced(user: User) -> None:
    """The exchange order read "Paid" above "No payment yet." and offered "Issue invoice" for €0.00: it now says
    nothing is to pay, settled by which return of which order, and no invoice is offered nor issued (the original
    order's invoice stands); its service says the same as its page."""
    from backoffice.errors import ServiceError
    from backoffice.services import invoices

    manager = make_user('manager')
    order, exchange = exchanged(manager)
    with read_session() as session:
        rma = session.exec(select(Return).where(Return.exchange_order_id == exchange.id)).one()
        assert returns.exchange_origin(session, exchange.id) == (rma.number, order.number)
    assert orders.settled_by_exchange(exchange) and not orders.settled_by_exchange(order)
    assert 'issue_invoice' not in orders.allowed_actions(exchange)
    assert {'pack', 'pick_list', 'cancel'} <= orders.allowed_actions(exchange)  # it still ships
    with session_scope() as session, pytest.raises(ServiceError, match='is an exchange, settled by its return'):
        invoices.issue_invoice(session=session, actor=manager, order_id=exchange.id)
    await signed_in(user, manager.email, path=f'/orders/{exchange.number}')
    await user.should_see(
        f'Nothing to pay: an exchange settled by return {rma.number} of order {order.number}, not invoiced.'
    )
    await user.should_not_see('No payment yet.')
    await user.should_not_see('Issue invoice')
    await user.should_see('Mark packed')
