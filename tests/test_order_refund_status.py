"""An order paid and then refunded reads Refunded (in full) or Partly refunded, not Paid, wherever its status is
shown: the orders list, its page, the customer's orders, an export, the customer's portal."""

from __future__ import annotations

import csv
import io

from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.listing import query
from backoffice.models import Invoice, Order
from backoffice.resources import resource
from backoffice.services import customer_picture, payments
from backoffice.transfer.exports import export_rows

from .support.factories import make_product, make_user, pay, place
from .support.lists import rows_show, the_list
from .support.signin import signed_in
from .support.waiting import eventually


def three_orders(manager) -> tuple[Order, Order, Order]:
    """One refunded in full, one in part, one only paid (all paid, none packed)."""
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    whole, part, kept = (place(('MUG', 2), email='ann@example.com') for _ in range(3))
    for order in (whole, part, kept):
        pay(manager, order)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=whole.id, amount=str(whole.total), reason='Lost')
        payments.refund(session=session, actor=manager, order_id=part.id, amount='5.00', reason='Dented')
    return whole, part, kept


async def test_the_orders_list_and_an_orders_page_say_refunded_not_paid(user: User) -> None:
    manager = make_user('manager')
    whole, part, kept = three_orders(manager)
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, whole.number, part.number, kept.number, column='number')

    def statuses() -> dict:
        return {row['number']: row['status'] for row in the_list(user, 'number').rows}

    await eventually(
        lambda: statuses() == {whole.number: 'Refunded', part.number: 'Partly refunded', kept.number: 'Paid'}
    )
    # the filter still reads the stored status: a refunded order is among the paid ones, as it is still to cancel
    user.find(marker='filter-status').elements.pop().set_value(['paid'])
    await rows_show(user, whole.number, part.number, kept.number, column='number')

    await user.open(f'/orders/{whole.number}')
    await user.should_see(marker='status')
    assert user.find(marker='status').elements.pop().text == 'Refunded'


def test_the_customers_orders_and_an_export_say_refunded_in_english_and_french() -> None:
    manager = make_user('manager')
    whole, part, kept = three_orders(manager)
    with read_session() as session:
        section = customer_picture.customer_orders(session=session, actor=manager, record_id=whole.customer_id, limit=5)
    assert {row.title: row.status for row in section.rows} == {
        f'Order {whole.number}': 'refunded',
        f'Order {part.number}': 'partly_refunded',
        f'Order {kept.number}': 'paid',
    }
    section_words = next(s for s in resource('customers').sections if s.key == 'orders').statuses or {}
    with i18n.use('fr'):
        assert [i18n._(section_words[key]) for key in ('refunded', 'partly_refunded', 'paid')] == [
            'Remboursée',
            'Partiellement remboursée',
            'Payée',
        ]

    orders = resource('orders')
    with read_session() as session:
        made = export_rows(
            session=session,
            actor=manager,
            resource=orders,
            request=query.ListRequest(sort='number', descending=False),
            fmt='csv',
            columns=['number', 'status'],
        )
        rows = list(csv.reader(io.StringIO(b''.join(made.chunks).decode('utf-8-sig'))))
    assert rows[1:] == [
        [str(whole.id), whole.number, 'Refunded'],
        [str(part.id), part.number, 'Partly refunded'],
        [str(kept.id), kept.number, 'Paid'],
    ]


async def test_a_delivered_order_refunded_says_both_on_the_list_its_page_the_portal_and_in_french(user: User) -> None:
    """Delivered, then refunded: "Delivered" alone hid the refund; it reads "Delivered · Refunded" (and the shipped
    one refunded in part "Shipped · Partly refunded") in the list, on its page, in an export, in the customer's
    orders and in French."""
    from .support.factories import advance

    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    delivered, shipped = (place(('MUG', 2), email='ann@example.com') for _ in range(2))
    for order, steps in ((delivered, ('pack', 'ship', 'deliver')), (shipped, ('pack', 'ship'))):
        pay(manager, order)
        advance(manager, order, *steps)
    with session_scope() as session:
        payments.refund(
            session=session, actor=manager, order_id=delivered.id, amount=str(delivered.total), reason='Broken "<b>'
        )
        payments.refund(session=session, actor=manager, order_id=shipped.id, amount='5.00', reason='Late: sorry')
    words = next(s for s in resource('customers').sections if s.key == 'orders').statuses or {}
    with read_session() as session:
        section = customer_picture.customer_orders(
            session=session, actor=manager, record_id=delivered.customer_id, limit=5
        )
        shown = {row.title: i18n._(words[row.status]) for row in section.rows}
        with i18n.use('fr'):
            in_french = {row.title: i18n._(words[row.status]) for row in section.rows}
        made = export_rows(
            session=session,
            actor=manager,
            resource=resource('orders'),
            request=query.ListRequest(sort='number', descending=False),
            fmt='csv',
            columns=['number', 'status'],
        )
        exported = list(csv.reader(io.StringIO(b''.join(made.chunks).decode('utf-8-sig'))))
    assert shown == {
        f'Order {delivered.number}': 'Delivered · Refunded',
        f'Order {shipped.number}': 'Shipped · Partly refunded',
    }
    assert in_french == {
        f'Order {delivered.number}': 'Livrée · Remboursée',
        f'Order {shipped.number}': 'Expédiée · Partiellement remboursée',
    }
    assert [row[2] for row in exported[1:]] == ['Delivered · Refunded', 'Shipped · Partly refunded']
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, delivered.number, shipped.number, column='number')
    await eventually(
        lambda: (
            {row['number']: row['status'] for row in the_list(user, 'number').rows}
            == {delivered.number: 'Delivered · Refunded', shipped.number: 'Shipped · Partly refunded'}
        )
    )
    await user.open(f'/orders/{delivered.number}')
    await user.should_see(marker='status')
    assert user.find(marker='status').elements.pop().text == 'Delivered · Refunded'


async def test_a_credit_note_reads_negative_beside_its_invoice_on_the_order_the_customer_and_the_portal(
    user: User,
) -> None:
    """A credit note takes money back: listed with its invoice it reads "-€5.00", never as a second sale of €5.00
    (the order's documents, the customer's documents, the portal's invoices); and a delivered order refunded in full
    reads "Delivered · Refunded" on the customer's own portal too."""
    from .support.portal import delivered_order, enter_portal

    manager = make_user('manager')
    order = delivered_order('ann@example.com', sku='MUG-P')  # 2 × 12.50 + VAT + shipping, paid: invoiced
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='5.00', reason='Chipped: "x" <b>')
        documents = session.exec(select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)).all()
    invoice, note = documents
    with read_session() as session:
        section = customer_picture.customer_documents(
            session=session, actor=manager, record_id=order.customer_id, limit=5
        )
    assert {row.title: row.detail for row in section.rows} == {
        f'Invoice {invoice.number}': f'€{invoice.total} · Order {order.number}',
        f'Credit note {note.number}': f'-€5.00 · Order {order.number}',
    }
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(f'Credit note {note.number} · -€5.00', retries=40)
    await user.should_see(f'Invoice {invoice.number} · €{invoice.total}')
    await enter_portal(user, 'ann@example.com')
    await user.open('/portal/invoices')
    await user.should_see(f'Credit note {note.number}', retries=40)
    await user.should_see('-€5.00', retries=40)


async def test_a_cancelled_orders_to_refund_reads_refunded_since_once_it_is(user: User) -> None:
    """A paid order cancelled says "€30.00 paid, to refund" on its timeline; once refunds made after it gave that back
    (not before: half of it still reads "to refund"), the entry says "refunded since", on its page and in French. The
    entry as stored keeps its key (invoices and the sales report look for it)."""
    from backoffice.services import orders

    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    order = place(('MUG', 2), email='ann@example.com')
    pay(manager, order)
    reason = 'Customer: "changed mind" <script>alert(1)</script>'
    with session_scope() as session:
        current = session.get(Order, order.id)
        orders.cancel(session=session, actor=manager, order_id=order.id, version=current.version, reason=reason)

    def cancellation() -> str:
        with read_session() as session:
            events = orders.timeline(session=session, actor=manager, order_id=order.id)
            done = orders.refunded_since(session, order.id, events)
            entry = next(event for event in events if event.kind == 'cancelled')
            assert entry.text_key == 'Cancelled: {reason} — {owed} paid, to refund'
            return orders.timeline_text(entry, refunded=entry.id in done)

    paid = f'€{order.total}'
    assert cancellation() == f'Cancelled: {reason} — {paid} paid, to refund'
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='5.00', reason='Part: "a" <b>')
    assert cancellation() == f'Cancelled: {reason} — {paid} paid, to refund'  # some is still owed
    with session_scope() as session:
        rest = str(order.total - 5)
        payments.refund(session=session, actor=manager, order_id=order.id, amount=rest, reason='Rest: "b" <b>')
    assert cancellation() == f'Cancelled: {reason} — {paid} paid, refunded since'
    with i18n.use('fr'):
        assert 'remboursés depuis' in cancellation()
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(f'Cancelled: {reason} — {paid} paid, refunded since')
    await user.should_not_see(f'Cancelled: {reason} — {paid} paid, to refund')


async def test_the_portal_tells_the_customer_their_cancelled_orders_money_is_to_be_refunded_then_refunded(
    user: User,
) -> None:
    """The portal said only "Order cancelled" of a paid order: the customer reads what they paid is to be refunded and,
    once refunds made since gave it back, that it was (as the shop's timeline says it), never the shop's reason."""
    from backoffice.services import orders

    from .support.portal import enter_portal

    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    order = place(('MUG', 2), email='ann@example.com')
    pay(manager, order)
    reason = 'Fraud check: "odd" <script>alert(1)</script>'  # the shop's: not the customer's to read
    with session_scope() as session:
        current = session.get(Order, order.id)
        orders.cancel(session=session, actor=manager, order_id=order.id, version=current.version, reason=reason)
    paid = f'€{order.total}'
    ann = await enter_portal(user, 'ann@example.com')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see(f'Order cancelled: {paid} paid, to be refunded', retries=40)
    await user.should_not_see('Fraud check')
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='5.00', reason='Part: "a" <b>')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see(f'Order cancelled: {paid} paid, to be refunded', retries=40)  # some is still owed
    with session_scope() as session:
        rest = str(order.total - 5)
        payments.refund(session=session, actor=manager, order_id=order.id, amount=rest, reason='Rest: "b" <b>')
    await user.open(f'/portal/orders/{order.number}')
    await user.should_see(f'Order cancelled: {paid} paid, refunded since', retries=40)
    await user.should_not_see('to be refunded')
    from backoffice.services import portal
    from backoffice.services.portal_scope import PortalActor

    with i18n.use('fr'), read_session() as session:
        view = portal.order_view(session=session, actor=PortalActor.of(ann), number=order.number)
        shown = [entry.text for entry in view.timeline]
    assert any(
        text.startswith('Commande annulée\u00a0: ') and text.endswith('payés, remboursés depuis') for text in shown
    )
