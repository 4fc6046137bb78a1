"""What follows a partly shipped order: the orders list lists it under its own Status choice ("Partly shipped", while
"Packed" holds the packed orders nothing of which left yet), in the list, its address, exports and the API; what its
parcels took may come back (a return), never what has not left yet; what it has not shipped may be called off ("Cancel
what is not shipped"): its stock freed, the order shipped, its refund offered as Cancel order offers one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.api.resources import router
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import resource
from backoffice.errors import ValidationFailed
from backoffice.listing import query
from backoffice.models import AuditEntry, Invoice, InvoiceKind, OrderEvent
from backoffice.services import gateway_payments, orders, payments, portal, returns, stock

from .support import lists
from .support.api import api_client, bearer, key_for
from .support.factories import advance, fresh, level, make_product, make_user, pay, place
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = '<script>alert("x")</script>: \'1Z\''


@pytest.fixture
def manager():
    return make_user('manager')


def packed_order(manager, *lines: tuple[str, int], email: str = 'cleo@example.com'):
    order = place(*lines, email=email)
    pay(manager, order)
    return advance(manager, order, 'pack')


def ship(manager, order, lines=None):
    order = fresh(order.id)
    with session_scope() as session:
        return orders.ship(session=session, actor=manager, order_id=order.id, version=order.version, lines=lines)


def line_id(order, sku: str) -> int:
    with read_session() as session:
        return next(line.id for line in orders.order_lines(session, order.id) if line.sku == sku)


def three_orders(manager):
    """One packed with nothing shipped, one partly shipped, one shipped in full."""
    make_product('MUG', stock_on_hand=20, actor=manager)
    make_product('TEE', stock_on_hand=20, actor=manager)
    waiting = packed_order(manager, ('MUG', 1))
    partly = packed_order(manager, ('MUG', 2), ('TEE', 1))
    ship(manager, partly, {line_id(partly, 'MUG'): 1})
    whole = packed_order(manager, ('MUG', 1))
    ship(manager, whole)
    return waiting, partly, whole


def numbers(manager, *statuses: str) -> list[str]:
    request = query.ListRequest(sort='number', descending=False, filters={'status': list(statuses)})
    with read_session() as session:
        page = query.list_page(session=session, actor=manager, resource=resource('orders'), request=request)
    return [row.number for row in page.rows]


def test_the_status_filter_tells_partly_shipped_from_packed(manager) -> None:
    waiting, partly, whole = three_orders(manager)
    assert numbers(manager, 'partly_shipped') == [partly.number]
    assert numbers(manager, 'packed') == [waiting.number]  # as the list reads them: Packed, nothing left yet
    assert numbers(manager, 'packed', 'partly_shipped') == sorted([waiting.number, partly.number])
    assert numbers(manager, 'partly_shipped', 'shipped') == sorted([partly.number, whole.number])
    with pytest.raises(Exception, match='Choose among'):
        numbers(manager, HOSTILE)


async def test_the_api_filters_partly_shipped_orders(manager) -> None:
    _waiting, partly, _whole = three_orders(manager)
    _key, secret = key_for('manager', 'read:orders')
    async with api_client(router) as client:
        answer = await client.get('/api/v1/orders', params={'status': 'partly_shipped'}, headers=bearer(secret))
        assert answer.status_code == 200, answer.text
        assert [row['number'] for row in answer.json()['items']] == [partly.number]
        assert answer.json()['items'][0]['status'] == 'packed'  # the API says the stored status


async def test_the_list_opens_on_partly_shipped_orders_from_its_address(user: User, manager) -> None:
    _waiting, partly, _whole = three_orders(manager)
    await signed_in(user, manager.email, path='/orders?status=partly_shipped')
    await eventually(lambda: lists.listed(user, 'number') == [partly.number])
    assert user.find(marker='filter-status').elements.pop().value == ['partly_shipped']
    await user.should_see('Partly shipped')


def start_return(manager, order, sku: str, quantity: int, reason: str = HOSTILE):
    with session_scope() as session:
        return returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            lines=[{'order_line_id': line_id(order, sku), 'quantity': quantity, 'reason': reason}],
            reason=reason,
        )


def test_what_a_partly_shipped_order_shipped_may_come_back_not_the_rest(manager) -> None:
    make_product('MUG', stock_on_hand=20, actor=manager)
    make_product('TEE', stock_on_hand=20, actor=manager)
    order = packed_order(manager, ('MUG', 3), ('TEE', 1))
    with session_scope() as session, pytest.raises(orders.IllegalTransition, match='only a shipped or delivered'):
        returns.create_return(
            session=session, actor=manager, order_id=order.id, lines=[{'order_line_id': line_id(order, 'MUG')}]
        )
    ship(manager, order, {line_id(order, 'MUG'): 2})
    assert 'start_return' in orders.allowed_actions(fresh(order.id))
    with read_session() as session:
        bought = orders.order_lines(session, order.id)
        assert returns.still_returnable(session, order.id, bought) == {
            line_id(order, 'MUG'): 2,
            line_id(order, 'TEE'): 0,
        }
    with pytest.raises(ValidationFailed) as refused:
        start_return(manager, order, 'MUG', 3)
    assert refused.value.errors == {'lines.0.quantity': 'MUG: 1 not shipped yet; at most 2 shipped can come back'}
    with pytest.raises(ValidationFailed) as refused:
        start_return(manager, order, 'TEE', 1)
    assert refused.value.errors == {'lines.0.quantity': 'TEE: 1 not shipped yet; at most 0 shipped can come back'}
    rma = start_return(manager, order, 'MUG', 2)
    assert rma.reason == HOSTILE
    with pytest.raises(ValidationFailed) as refused:
        start_return(manager, order, 'MUG', 1)  # both shipped are on their way back already
    assert refused.value.errors == {'lines.0.quantity': 'MUG: 1 not shipped yet; at most 0 shipped can come back'}
    ship(manager, order)  # the rest left: it may come back too
    assert start_return(manager, order, 'MUG', 1).order_id == order.id


async def test_the_return_dialog_of_a_partly_shipped_order_refuses_what_did_not_leave(user: User, manager) -> None:
    make_product('MUG', stock_on_hand=20, actor=manager)
    order = packed_order(manager, ('MUG', 3))
    ship(manager, order, {line_id(order, 'MUG'): 2})
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='start-return', retries=40)
    user.find(marker='start-return').click()
    await user.should_see('(bought 3, shipped 2, 2 can come back)')
    field = user.find(marker='return-quantity-MUG').elements.pop()
    field.set_value(3)
    user.find(marker='start-return-submit').click()
    await eventually(
        lambda: field.error == 'MUG: 1 not shipped yet; at most 2 shipped can come back', message=field.error
    )
    field.set_value(2)
    user.find(marker='start-return-submit').click()
    await user.should_see(f'started for order {order.number}', retries=40)


def cancel_rest(manager, order, refund: bool = False, reason: str = HOSTILE):
    version = fresh(order.id).version
    with session_scope() as session:
        return gateway_payments.cancel_rest_and_refund(
            session=session, actor=manager, order_id=order.id, version=version, reason=reason, refund=refund
        )


def test_cancelling_what_is_not_shipped_frees_its_stock_and_ships_the_order(manager) -> None:
    mug = make_product('MUG', '10.00', stock_on_hand=20, actor=manager)
    tee = make_product('TEE', '25.00', stock_on_hand=20, actor=manager)
    order = packed_order(manager, ('MUG', 3), ('TEE', 1))
    with pytest.raises(orders.IllegalTransition, match='use Cancel order'):
        cancel_rest(manager, order)  # nothing left yet: the whole order is cancelled, not its rest
    ship(manager, order, {line_id(order, 'MUG'): 2})
    assert 'cancel_rest' in orders.allowed_actions(fresh(order.id))
    assert (level(mug.id).reserved, level(tee.id).reserved) == (1, 1)
    with read_session() as session:  # what is reserved is what the open order still waits for (migration 0080)
        assert stock.reservation_mismatches(session=session) == []
    done = cancel_rest(manager, order)
    now = fresh(order.id)
    assert (now.status, orders.status_shown(now), done.refund) == ('shipped', 'shipped', None)
    assert done.value == orders.value_of(
        list(lines_of_order(order)), {line_id(order, 'MUG'): 1, line_id(order, 'TEE'): 1}
    )
    assert done.value > 0 and now.refunded_total == 0  # not refunded unless asked
    assert (level(mug.id).reserved, level(tee.id).reserved, level(mug.id).on_hand, level(tee.id).on_hand) == (
        0,
        0,
        18,
        20,
    )
    with read_session() as session:
        assert stock.reservation_mismatches(session=session) == []
    with read_session() as session:
        bought = orders.order_lines(session, order.id)
        assert [(line.quantity, line.cancelled_quantity) for line in bought] == [(3, 1), (1, 1)]  # the invoice's
        assert orders.remaining_by_line(session, order.id, bought) == {line.id: 0 for line in bought}
        assert returns.still_returnable(session, order.id, bought) == {bought[0].id: 2, bought[1].id: 0}
        event = session.exec(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc())
        ).first()
        assert event.kind == 'shipped' and '1 × MUG, 1 × TEE' in event.text and HOSTILE in event.text
        assert 'to refund' in event.text
        audited = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'order.shipped', AuditEntry.entity_id == str(order.id))
        ).all()
        assert audited and 'cancelled' in audited[-1].summary
    assert 'cancel_rest' not in orders.allowed_actions(now)
    advance(manager, now, 'deliver')
    with read_session() as session:  # the portal offers back what left, not what was called off
        offer = portal._offer(session, fresh(order.id), orders.order_lines(session, order.id))
        assert offer is not None and [line.left for line in offer.lines] == [2]
    with pytest.raises(orders.IllegalTransition, match='shipped in full'):
        cancel_rest(manager, order)
    with pytest.raises(ValidationFailed):
        start_return(manager, order, 'TEE', 1)  # what was called off never left: it does not come back


def test_cancelling_what_is_not_shipped_refunds_it_when_asked(manager) -> None:
    make_product('MUG', '10.00', stock_on_hand=20, actor=manager)
    order = packed_order(manager, ('MUG', 3))
    ship(manager, order, {line_id(order, 'MUG'): 1})
    done = cancel_rest(manager, order, refund=True, reason='')
    assert done.refund is not None and done.refund.amount == done.value
    assert fresh(order.id).refunded_total == done.value
    said, _kind = gateway_payments.rest_cancelled_said(done)
    assert 'the order is shipped' in said


def credit_notes(order) -> list[str]:
    with read_session() as session:
        notes = session.exec(
            select(Invoice)
            .where(Invoice.order_id == order.id, Invoice.kind == InvoiceKind.credit_note)
            .order_by(col(Invoice.id))
        ).all()
        return [note.lines[0]['name'] for note in notes]


def test_the_credit_note_of_a_cancelled_rest_names_the_items_never_the_reason(manager) -> None:
    make_product('MUG', '10.00', name='Mug', stock_on_hand=20, actor=manager)
    order = packed_order(manager, ('MUG', 3))
    ship(manager, order, {line_id(order, 'MUG'): 1})
    done = cancel_rest(manager, order, refund=True)  # the staff's reason is hostile and internal
    assert done.refund is not None
    [named] = credit_notes(order)
    assert named == f'Refund on order {order.number}: items not shipped: 2 × Mug'
    assert 'script' not in named
    with session_scope() as session:  # a later refund (a goodwill gesture) is not for the cancelled items
        payments.refund(session=session, actor=manager, order_id=order.id, amount=Decimal('1.00'), reason=HOSTILE)
    assert credit_notes(order)[1] == f'Refund on order {order.number}'


def lines_of_order(order):
    with read_session() as session:
        return orders.order_lines(session, order.id)


async def test_the_order_page_cancels_what_is_not_shipped(user: User, manager) -> None:
    make_product('MUG', '10.00', stock_on_hand=20, actor=manager)
    order = packed_order(manager, ('MUG', 3))
    ship(manager, order, {line_id(order, 'MUG'): 2})
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='cancel-rest', retries=40)
    await user.should_not_see(marker='cancel-order')
    user.find(marker='cancel-rest').click()
    await user.should_see('Not shipped, will not be sent: 1 × MUG', retries=40)
    user.find(marker='cancel-rest-refund').elements.pop().set_value(False)
    user.find(marker='dialog-submit').click()
    await user.should_see('What was not shipped is cancelled', retries=40)
    assert fresh(order.id).status == 'shipped'
    await user.should_not_see(marker='cancel-rest')
    await user.open(f'/orders/{order.number}')  # the line says how many of it were called off
    await user.should_see(marker='lines', retries=40)
    rows = user.find(marker='lines').elements.pop().rows
    assert [(row['sku'], row['quantity']) for row in rows] == [('MUG', '3 (1 cancelled)')]
