"""Inventory: the ledger always sums to stock on hand, adjustments need a reason, purchases add receipts, min/max
drive the low-stock alert (once) and the reorder list. Returns restock and end in a refund, store credit or an
exchange; a support request of type return/exchange starts one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice import permissions
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import (
    Invoice,
    Notification,
    Order,
    OrderLine,
    Product,
    PurchaseLine,
    Role,
    StockLevel,
    StockMovement,
    TicketMessage,
)
from backoffice.services import catalog, orders, payments, purchases, returns, stock, tickets

from .support.factories import advance, fresh, level, make_product, make_user, pay, place, receive_return, start_return


@pytest.fixture
def manager():
    return make_user('manager')


def ledger_is_consistent() -> bool:
    """The ledger sums to on hand, and what is reserved is what open orders still wait for."""
    with read_session() as session:
        return stock.ledger_mismatches(session=session) == [] and stock.reservation_mismatches(session=session) == []


def delivered(manager, *lines) -> Order:
    order = place(*lines)
    pay(manager, order)
    return advance(manager, order, 'pack', 'ship', 'deliver')


def test_adjustments_need_a_reason_and_never_take_reserved_stock(manager) -> None:
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    place(('MUG', 3))
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=-1, reason='  ')
    assert set(refused.value.errors) == {'reason'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=-3, reason='Broken')
    assert refused.value.errors == {
        'quantity': '3 of MUG are reserved by orders: on hand cannot go below that (it would become 2). If fewer are '
        'really on the shelf, count them (Count stock): the count is booked and those orders show as short.'
    }
    with session_scope() as session:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=-2, reason='2 broken in transit')
    assert (level(mug.id).on_hand, level(mug.id).available) == (3, 0)
    with read_session() as session:
        kinds = [
            (m.kind, m.quantity, m.balance) for m in stock.ledger(session=session, actor=manager, product_id=mug.id)
        ]
    assert kinds == [('adjustment', -2, 3), ('receipt', 5, 5)]
    assert ledger_is_consistent()


def test_a_reason_too_long_for_the_ledger_is_refused_at_its_field_not_cut(manager) -> None:
    """A reason over 300 characters was booked cut to 300: the ledger showed a reason the person never wrote (its end,
    "not to be sold", lost). It is refused at the field with its length; one that fits is kept whole, hostile text
    and all."""
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    hostile = 'Zoë "<script>alert(1)</script>": l\'équipe {sku} '
    too_long = (hostile * 10)[:290] + ' not to be sold'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=-1, reason=too_long)
    assert refused.value.errors == {'reason': 'Use at most 300 characters (this has 305)'}
    assert level(mug.id).on_hand == 5
    fits = too_long[:285] + ' not sold'
    with session_scope() as session:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=-1, reason=fits)
    with read_session() as session:
        booked = stock.ledger(session=session, actor=manager, product_id=mug.id)[0]
    assert (booked.quantity, booked.reason) == (-1, ' '.join(fits.split()))
    assert ledger_is_consistent()


def test_the_ledger_sums_to_the_stock_through_receipts_sales_returns_and_adjustments(manager) -> None:
    mug = make_product('MUG', stock_on_hand=10, actor=manager)
    tee = make_product('TEE', stock_on_hand=4, actor=manager)
    order = delivered(manager, ('MUG', 3), ('TEE', 2))
    with session_scope() as session:
        purchases.receive_purchase(
            session=session,
            actor=manager,
            supplier='Acme',
            reference='PO-7',
            lines=[{'product_id': mug.id, 'quantity': 6}, {'product_id': tee.id, 'quantity': 1, 'unit_cost': '4.10'}],
        )
    with session_scope() as session:
        stock.adjust(session=session, actor=manager, product_id=tee.id, quantity=1, reason='Found in the back')
    with read_session() as session:
        line = session.exec(select(OrderLine).where(OrderLine.sku == 'MUG')).one()
    with session_scope() as session:
        rma = returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            lines=[{'order_line_id': line.id, 'quantity': 2, 'reason': 'Too small'}],
        )
    with session_scope() as session:
        returns.receive(session=session, actor=manager, return_id=rma.id)
    place(('MUG', 1))  # a reservation changes nothing on hand
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (10 - 3 + 6 + 2, 1)
    assert level(tee.id).on_hand == 4 - 2 + 1 + 1
    with read_session() as session:
        kinds = sorted({m.kind for m in session.exec(select(StockMovement))})
    assert kinds == ['adjustment', 'receipt', 'return', 'sale']
    assert ledger_is_consistent()


def test_low_stock_alerts_managers_once_and_the_reorder_list_fills_to_the_maximum(manager) -> None:
    mug = make_product('MUG', stock_on_hand=10, actor=manager)
    make_product('TEE', stock_on_hand=50, actor=manager)
    agent = make_user('agent')
    with session_scope() as session:
        stock.set_limits(session=session, actor=manager, product_id=mug.id, min_qty=5, max_qty=40)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.set_limits(session=session, actor=manager, product_id=mug.id, min_qty=5, max_qty=2)
    assert refused.value.errors == {'max_qty': 'The maximum must be at least the minimum'}
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == []
    place(('MUG', 6))  # 4 available, at or below 5
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == [mug.id]
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == []  # told once
    with read_session() as session:
        notices = session.exec(select(Notification)).all()
        held = session.exec(select(StockLevel).where(StockLevel.product_id == mug.id)).one()
        assert [(n.user_id, n.link) for n in notices] == [(manager.id, f'/inventory?open={held.id}')]  # not the agent
        assert 'Low stock: MUG' in notices[0].text and agent.id not in [n.user_id for n in notices]
        assert stock.reorder_csv(session=session, actor=manager).decode('utf-8-sig').splitlines() == [
            'sku,name,order_quantity,available,on_order,on_hand,reserved,min,max',
            'MUG,Product MUG,36,4,0,10,6,5,40',
        ]


def test_the_reorder_list_counts_what_is_already_on_order(manager) -> None:
    """A purchase order not yet received already brings stock: the list asked to order it all again."""
    mug = make_product('MUG', stock_on_hand=10, actor=manager)
    cup = make_product('CUP', stock_on_hand=10, actor=manager)
    for product in (mug, cup):
        with session_scope() as session:
            stock.set_limits(session=session, actor=manager, product_id=product.id, min_qty=5, max_qty=40)
    place(('MUG', 6), ('CUP', 6))  # 4 available each, at or below 5
    with session_scope() as session:
        purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Faïencerie "Gien": <script>alert(1)</script>',
            reference='PO-1',
            received=False,
            lines=[{'product_id': mug.id, 'quantity': 20}, {'product_id': cup.id, 'quantity': 36}],
        )
    with read_session() as session:
        assert stock.reorder_csv(session=session, actor=manager).decode('utf-8-sig').splitlines() == [
            'sku,name,order_quantity,available,on_order,on_hand,reserved,min,max',
            'MUG,Product MUG,16,4,20,10,6,5,40',  # 36 to fill up, 20 coming; CUP's 36 coming fill it: not listed
        ]


def test_the_reorder_list_holds_what_pre_orders_wait_for_before_the_first_stock(manager) -> None:
    """Sold before its first stock came in (a pre-order), a product had no stock row: never low, so the list meant for
    buying left it out while orders waited. It is listed with what they wait for, less what is on order."""
    make_product('PRE', name='Pre "order": <script>alert(1)</script>')  # stocked, never received
    make_product('GONE')
    make_product('PLAN', stocked=False)
    place(('PRE', 5), ('GONE', 1), ('PLAN', 2))
    cancelled = place(('PRE', 7))
    with session_scope() as session:
        orders.cancel(session=session, actor=manager, order_id=cancelled.id, version=cancelled.version)
    with session_scope() as session:
        gone = session.exec(select(Product).where(Product.sku == 'GONE')).one()
        gone.deleted_at = gone.updated_at  # in the trash: not bought again
        session.add(gone)
        session.commit()
    pre = session_product('PRE')
    with session_scope() as session:
        purchases.create_purchase(
            session=session, actor=manager, reference='PO-1', received=False, lines=[{'product_id': pre, 'quantity': 2}]
        )
    with read_session() as session:
        assert stock.reorder_csv(session=session, actor=manager).decode('utf-8-sig').splitlines() == [
            'sku,name,order_quantity,available,on_order,on_hand,reserved,min,max',
            'PRE,"Pre ""order"": <script>alert(1)</script>",4,-5,2,0,5,0,0',  # 5 waiting and 1 on the shelf, 2 coming
        ]


def session_product(sku: str) -> int:
    with read_session() as session:
        return session.exec(select(Product.id).where(Product.sku == sku)).one()


def test_low_stock_alerts_go_to_whoever_may_restock_whatever_their_role(
    manager, monkeypatch: pytest.MonkeyPatch
) -> None:
    granted = {**permissions.ROLE_PERMISSIONS, Role.agent: permissions.ROLE_PERMISSIONS[Role.agent] | {'catalog.write'}}
    monkeypatch.setattr(permissions, 'ROLE_PERMISSIONS', granted)  # a shop where agents also run the stock
    mug = make_product('MUG', stock_on_hand=3, actor=manager)
    agent, viewer = make_user('agent'), make_user('viewer')
    with session_scope() as session:
        stock.set_limits(session=session, actor=manager, product_id=mug.id, min_qty=5, max_qty=40)
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == [mug.id]
    with read_session() as session:
        told = {n.user_id for n in session.exec(select(Notification))}
    assert agent.id in told and manager.id in told and viewer.id not in told


def test_a_return_is_received_and_refunded_never_more_than_was_bought(manager) -> None:
    mug = make_product('MUG', '10.00', stock_on_hand=5, actor=manager)
    order = delivered(manager, ('MUG', 3))  # 30.00 + 6.00 VAT + 4.90 shipping + 0.98 VAT
    with read_session() as session:
        line = session.exec(select(OrderLine)).one()
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        returns.create_return(
            session=session, actor=manager, order_id=order.id, lines=[{'order_line_id': line.id, 'quantity': 4}]
        )
    assert refused.value.errors == {'lines.0.quantity': 'MUG: at most 3 can still be returned'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # one line named twice: 2 + 2 > 3
        returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            lines=[{'order_line_id': line.id, 'quantity': 2}, {'order_line_id': line.id, 'quantity': 2}],
        )
    assert refused.value.errors == {'lines.1.quantity': 'MUG: at most 1 can still be returned'}
    with session_scope() as session:
        rma = returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            reason='Wrong colour',
            lines=[{'order_line_id': line.id, 'quantity': 2, 'reason': 'Wrong colour'}],
        )
    assert (rma.number, rma.status) == ('R-1001', 'requested')
    with session_scope() as session, pytest.raises(orders.IllegalTransition, match='receive it first'):
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund')
    with session_scope() as session:
        returns.receive(session=session, actor=manager, return_id=rma.id)
    assert level(mug.id).on_hand == 4
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund')
    order = fresh(order.id)
    assert order.refunded_total == Decimal('24.00')  # 2 × (10.00 + 2.00 VAT); shipping stays paid
    with read_session() as session:
        assert [i.kind for i in session.exec(select(Invoice).order_by(Invoice.id))] == ['invoice', 'credit_note']
    with session_scope() as session, pytest.raises(ValidationFailed):
        returns.create_return(
            session=session, actor=manager, order_id=order.id, lines=[{'order_line_id': line.id, 'quantity': 2}]
        )


def test_a_return_can_end_in_store_credit_or_an_exchange_order(manager) -> None:
    mug = make_product('MUG', '10.00', stock_on_hand=5, actor=manager)
    order = delivered(manager, ('MUG', 2))
    made = []
    for resolution in ('credit_note', 'exchange'):
        rma = receive_return(manager, start_return(manager, order))
        with session_scope() as session:
            made.append(returns.resolve(session=session, actor=manager, return_id=rma.id, resolution=resolution))
    exchange = fresh(made[1].exchange_order_id)
    assert (exchange.status, exchange.source, exchange.total) == ('paid', 'exchange', Decimal('0.00'))
    # its totals say what its line says: the mug's price, given back in full as a discount, no shipping charged
    assert (exchange.subtotal, exchange.discount_total, exchange.shipping_total, exchange.tax_total) == (
        Decimal('10.00'),
        Decimal('10.00'),
        Decimal('0.00'),
        Decimal('0.00'),
    )
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (5, 1)  # 5 − 2 sold + 2 back; 1 held for the exchange
    with read_session() as session:
        note = session.exec(select(Invoice).where(Invoice.kind == 'credit_note')).one()
    assert note.total == Decimal('12.00') and fresh(order.id).refunded_total == 0
    assert ledger_is_consistent()


def test_a_return_or_exchange_request_starts_a_return_for_its_order(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = delivered(manager, ('MUG', 1))
    agent = make_user('agent')
    with session_scope() as session:
        question = tickets.submit_request(
            session=session, email='cleo@example.com', subject='Hello', body='Hi', order_number=order.number
        )
        ticket = tickets.submit_request(
            session=session,
            email='cleo@example.com',
            subject='Return my mug',
            body='It leaks',
            type='return_exchange',
            order_number=order.number,
        )
    with read_session() as session:
        line = session.exec(select(OrderLine)).one()
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        returns.create_return_from_ticket(
            session=session, actor=agent, ticket_id=question.id, lines=[{'order_line_id': line.id, 'quantity': 1}]
        )
    assert set(refused.value.errors) == {'type'}
    with session_scope() as session:
        rma = returns.create_return_from_ticket(
            session=session, actor=agent, ticket_id=ticket.id, lines=[{'order_line_id': line.id, 'quantity': 1}]
        )
    assert (rma.ticket_id, rma.reason) == (ticket.id, 'Return my mug')
    with read_session() as session:
        notes = session.exec(
            select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id, TicketMessage.kind == 'note')
        ).all()
    assert notes == [f'Return R-1001 started for order {order.number}.']


def test_a_unit_cost_typed_the_french_way_is_the_same_amount(manager) -> None:
    """3,20 is 3.20 (the receive dialog's cost is text, as typed); what is not an amount is refused at its line."""
    mug = make_product('MUG', actor=manager)
    with session_scope() as session:
        purchases.receive_purchase(
            session=session, actor=manager, lines=[{'product_id': mug.id, 'quantity': 2, 'unit_cost': ' 3,20 '}]
        )
    with read_session() as session:
        assert session.exec(select(PurchaseLine.unit_cost)).one() == Decimal('3.20')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        purchases.receive_purchase(
            session=session, actor=manager, lines=[{'product_id': mug.id, 'quantity': 1, 'unit_cost': '"3": <b>'}]
        )
    assert set(refused.value.errors) == {'lines.0.unit_cost'}


def test_money_given_back_once_is_not_given_again_as_store_credit_an_exchange_or_a_refund(manager) -> None:
    make_product('MUG', '10.00', stock_on_hand=9, actor=manager)
    refunded = delivered(manager, ('MUG', 2))  # 2 × 12.00 with VAT, + shipping 5.88: 29.88
    with session_scope() as session:  # the parcel was late: everything paid back as a gesture
        payments.refund(session=session, actor=manager, order_id=refunded.id, amount='29.88', reason='Late')
    rma = receive_return(manager, start_return(manager, refunded))  # ...and then a mug came back anyway
    for resolution, said in (
        ('credit_note', 'Everything order 100001 cost was given back already: there is no credit left'),
        (
            'exchange',
            'Order 100001 has only €0.00 left that was not given back, less than the €12.00 these items are worth: '
            'give store credit instead',
        ),
    ):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            returns.resolve(session=session, actor=manager, return_id=rma.id, resolution=resolution)
        assert refused.value.errors == {'resolution': said}
    credited = delivered(manager, ('MUG', 2))
    rma = receive_return(manager, start_return(manager, credited))
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='credit_note')  # 12.00
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        payments.refund(session=session, actor=manager, order_id=credited.id, amount='29.88', reason='Again')
    assert refused.value.errors == {
        'amount': 'At most €17.88 can be refunded on order 100002 (paid €29.88, refunded €0.00, '
        'given as store credit €12.00)'
    }
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=credited.id, amount='17.88', reason='The rest')
    assert fresh(credited.id).refunded_total == Decimal('17.88')


def test_a_product_in_the_trash_is_not_reordered_nor_alerted_low_until_restored(manager) -> None:
    """A discontinued product moved to the trash, its shelf run down below its minimum: the reorder list asked to buy
    more of it and the low-stock job alerted about it. Neither does while it is in the trash; restored, both do."""
    from backoffice.resources import resource
    from backoffice.services import crud

    old = make_product('OLD-MUG', stock_on_hand=2, actor=manager, name="Mug 'classic': <script>x</script>")
    with session_scope() as session:
        stock.set_limits(session=session, actor=manager, product_id=old.id, min_qty=5, max_qty=20)
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=resource('products'), record_id=old.id)
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == []
    with read_session() as session:
        assert stock.reorder_list(session=session, actor=manager) == []
    with session_scope() as session:
        crud.restore_record(session=session, actor=manager, resource=resource('products'), record_id=old.id)
    with session_scope() as session:
        assert stock.alert_low_stock(session=session) == [old.id]
    with read_session() as session:
        assert [line.sku for line in stock.reorder_list(session=session, actor=manager)] == ['OLD-MUG']


def test_a_product_in_the_trash_takes_no_stock_change_nor_purchase_until_restored(manager) -> None:
    """Its stock was still adjusted and counted from /inventory, and a purchase took it on a line: each is refused in
    words (restore it first), the inventory's actions are not offered on its row, nor is it in the purchase picker."""
    from backoffice import i18n
    from backoffice.resources import resource
    from backoffice.services import crud

    name = 'Jug "old": <script>x</script>'
    old = make_product('OLD-JUG', stock_on_hand=4, actor=manager, name=name)
    new = make_product('NEW-JUG', actor=manager)
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=resource('products'), record_id=old.id)
    said = f'The product "{name}" is in the trash; restore it first'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.adjust(session=session, actor=manager, product_id=old.id, quantity=2, reason='Found 2')
    assert refused.value.errors == {'': said}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.record_count(session=session, actor=manager, product_id=old.id, counted=0)
    assert refused.value.errors == {'': said}
    for received in (False, True):
        lines = [{'product_id': new.id, 'quantity': 2}, {'product_id': old.id, 'quantity': 3}]
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            purchases.create_purchase(session=session, actor=manager, lines=lines, received=received)
        assert refused.value.errors == {'lines.1.product_id': said}
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        stock.adjust(session=session, actor=manager, product_id=old.id, quantity=2, reason='Found 2')
    assert refused.value.errors == {
        '': f'La fiche produit «\u00a0{name}\u00a0» est dans la corbeille\u00a0; restaurez-la d’abord'
    }
    assert level(old.id).on_hand == 4
    with read_session() as session:
        assert len(session.exec(select(PurchaseLine).where(PurchaseLine.product_id == old.id)).all()) == 1  # stocked
        assert catalog.product_choices(session=session, actor=manager, text='jug') == {
            new.id: 'NEW-JUG · Product NEW-JUG'
        }
    actions = {action.key: action for action in resource('stock').actions}
    for key in ('adjust', 'count'):
        assert not actions[key].visible(level(old.id))
        assert actions[key].not_now(level(old.id)) == said
    assert resource('stock').note(level(old.id)) == said  # its row says why, above its fields
    with session_scope() as session:
        crud.restore_record(session=session, actor=manager, resource=resource('products'), record_id=old.id)
    assert all(actions[key].visible(level(old.id)) for key in ('adjust', 'count'))
    assert resource('stock').note(level(old.id)) == ''
    with session_scope() as session:
        stock.adjust(session=session, actor=manager, product_id=old.id, quantity=2, reason='Found 2')
    with session_scope() as session:
        purchases.create_purchase(session=session, actor=manager, lines=[{'product_id': old.id, 'quantity': 3}])
    assert level(old.id).on_hand == 9
    assert ledger_is_consistent()


def test_trashing_a_product_says_first_what_is_on_its_shelf_reserved_and_still_due(manager) -> None:
    """Trashing a product said nothing of its units on the shelf, reserved by open orders or still due on open
    purchases: the trash's question says each, counted in the reader's figures, for one product or several."""
    from backoffice import i18n
    from backoffice.resources import resource
    from backoffice.services import crud

    products = resource('products')
    jar = make_product('JAR-1', stock_on_hand=1200, actor=manager, name='Jar "1": <script>x</script>')
    lid = make_product('LID-1', stock_on_hand=5, actor=manager)
    bare = make_product('BARE-1', actor=manager)
    place(('JAR-1', 3), ('LID-1', 1))
    place(('JAR-1', 2), email='dora@example.com')
    with session_scope() as session:
        purchases.create_purchase(
            session=session, actor=manager, lines=[{'product_id': jar.id, 'quantity': 40}], received=False
        )

    def said(*ids: int) -> list[str]:
        with session_scope() as session:
            return crud.trash_consequences(session=session, actor=manager, resource=products, ids=ids)

    # first, before the links the engine counts (its stock level, its movements)
    assert said(jar.id)[:4] == [
        '1,200 units of it are still on the shelf.',
        '2 open orders reserve 5 units of it, still to be shipped.',
        '1 open purchase still brings 40 units of it.',
        'While it is in the trash, its stock cannot be adjusted or counted and it cannot be put on a new purchase.',
    ]
    assert said(jar.id, lid.id, bare.id)[:4] == [
        '1,205 units of them are still on the shelf.',
        '2 open orders reserve 6 units of them, still to be shipped.',
        '1 open purchase still brings 40 units of them.',
        'While they are in the trash, their stock cannot be adjusted or counted and they cannot be put on a new '
        'purchase.',
    ]
    assert said(bare.id) == []  # nothing on a shelf, reserved or due: nothing asked
    with i18n.use('fr'):
        assert said(jar.id)[:4] == [
            '1\u202f200 unités en sont encore en rayon.',
            '2 commandes ouvertes en réservent 5 unités, encore à expédier.',
            '1 achat ouvert en apporte encore 40 unités.',
            'Tant qu’il est dans la corbeille, son stock ne peut être ni ajusté ni compté, et il ne peut figurer sur '
            'aucun nouvel achat.',
        ]
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=products, record_id=jar.id)
    with read_session() as session:  # already in the trash: nothing more to say of its stock
        assert stock.before_trash(session, [jar.id]) == []


def test_orders_placed_before_a_new_products_first_stock_reserve_it_when_the_stock_arrives(manager) -> None:
    """A stocked product created with nothing on the shelf yet has no stock row: orders for it (pre-orders) reserved
    nothing. When its first goods arrived, all of them read as available and were sold again to the next customer,
    whose order then could not ship. The first stock reserves what the open orders wait for, oldest first."""
    from backoffice.resources import resource
    from backoffice.services import crud

    with session_scope() as session:
        new = crud.create_record(
            session=session,
            actor=manager,
            resource=resource('products'),
            data={'sku': 'NEW', 'name': "Pre-order 'mug': <script>x</script>", 'price': '5.00', 'currency': 'EUR'},
        )
    early = place(('NEW', 2))
    with session_scope() as session:
        purchases.receive_purchase(session=session, actor=manager, lines=[{'product_id': new.id, 'quantity': 5}])
    assert (level(new.id).on_hand, level(new.id).reserved, level(new.id).available) == (5, 2, 3)
    place(('NEW', 3), email='later@example.com')
    with pytest.raises(stock.OutOfStock):  # 2 of the 5 are the early order's
        place(('NEW', 1), email='third@example.com')
    pay(manager, early)
    advance(manager, early, 'pack', 'ship')
    assert (level(new.id).on_hand, level(new.id).reserved) == (3, 3)
    assert ledger_is_consistent()


def test_units_found_are_added_to_a_product_short_of_what_its_orders_reserve(manager) -> None:
    """A count found 1 where orders reserve 3 (short); one more turns up behind a box. Adding it was refused as if it
    took reserved units ('on hand cannot go below that (it would become 2)'): only taking units out is held back."""
    mug = make_product('MUG', stock_on_hand=3, actor=manager)
    place(('MUG', 3))
    with session_scope() as session:
        stock.record_count(session=session, actor=manager, product_id=mug.id, counted=1)
    with session_scope() as session:
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=1, reason="Found 1 behind a box: 'x'")
    assert (level(mug.id).on_hand, level(mug.id).reserved, level(mug.id).available) == (2, 3, -1)
    with session_scope() as session, pytest.raises(ValidationFailed):
        stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=-1, reason='Broken')
    assert ledger_is_consistent()
