"""The sales screens as staff use them: the orders list with its filters and search, one order from payment to
delivery with its refusals shown, a staff draft, and the inventory with a purchase receipt and the reorder list."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from decimal import Decimal

from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import Carrier, Order, Product, utcnow
from backoffice.services import orders, payments, receivables, returns

from .support.factories import (
    advance,
    fresh,
    level,
    make_customer,
    make_product,
    make_user,
    paid_order,
    pay,
    place,
    receive_return,
    start_return,
)
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.lists import caption, open_row, rows_show
from .support.payables import make_supplier
from .support.signin import signed_in
from .support.stale_page import click_as_shown
from .support.waiting import eventually


def table_with(user: User, column: str) -> ui.table:
    return next(t for t in user.find(ui.table).elements if any(c['name'] == column for c in t.columns))


async def test_the_orders_list_says_what_the_orders_shown_add_up_to(user: User) -> None:
    """/orders said "4 orders" and nothing of their amount: the line over the list says what every order its filter
    and search match adds up to, per currency (all pages, not only the one shown), and follows the filter."""
    jo = make_customer('jo@example.com')
    now = utcnow()
    for number, total, currency, status in (
        ('100001', '1234.50', 'EUR', 'paid'),
        ('100002', '20.00', 'EUR', 'pending'),
        ('100003', '80.00', 'GBP', 'paid'),
        ('<i>"x": ü</i>', '5.00', 'EUR', 'pending'),
    ):
        paid_order(jo, now, total, number=number, currency=currency, status=status)
    await signed_in(user, make_user('manager').email, path='/orders')
    await eventually(lambda: caption(user) == '4 orders · €1,259.50 · £80.00', message=caption(user))
    user.find(marker='filter-status').elements.pop().set_value(['pending'])
    await eventually(lambda: caption(user) == '2 orders · €25.00', message=caption(user))
    user.find(marker='search').elements.pop().set_value('<i>"x"')
    await eventually(lambda: caption(user) == '1 order · €5.00', message=caption(user))


async def test_a_manager_finds_orders_by_email_status_and_amount(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    place(('MUG', 1), email='ann@example.com')
    big = place(('MUG', 8), email='bob@example.com')
    pay(manager, big)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=big.id, amount='20.00', reason='Dented')
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, '100001', '100002', column='number')
    user.find(marker='columns').click()  # Refunded is offered under Columns
    await user.should_see(marker='columns-shown')
    chosen = user.find(marker='columns-shown').elements.pop()
    chosen.set_value([*chosen.value, 'refunded_total'])

    def refunded() -> dict:
        return {row['number']: row.get('refunded_total') for row in table_with(user, 'refunded_total').rows}

    # the money given back, beside the status (Partly refunded)
    await eventually(lambda: refunded() == {'100001': '€0.00', '100002': '€20.00'})
    user.find(marker='search').type('bob@')
    await rows_show(user, '100002', absent=('100001',), column='number')
    user.find(marker='search').elements.pop().set_value('')
    user.find(marker='filter-status').elements.pop().set_value(['pending'])
    await rows_show(user, '100001', absent=('100002',), column='number')
    user.find(marker='filter-status').elements.pop().set_value([])
    user.find(marker='filter-total-from').elements.pop().set_value(100)
    await rows_show(user, '100002', absent=('100001',), column='number')


async def test_an_order_is_paid_packed_shipped_and_delivered_from_its_page(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        session.add(Carrier(code='dhl', name='DHL', tracking_url_template='https://track.example/{tracking}'))
        session.commit()
    order = place(('MUG', 2), shipping_name='Cleo Stone')
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, order.number, column='number')
    open_row(user, order.number, column='number')
    await user.should_see('Cleo Stone', retries=40)
    user.find(marker='record-payment').click()
    user.find(marker='amount').elements.pop().set_value('70.00')
    user.find(marker='dialog-submit').click()
    await user.should_see('Only €60.00 is due on order 100001', retries=40)  # the service's refusal, as it is worded
    user.find(marker='amount').elements.pop().set_value('60.00')
    user.find(marker='dialog-submit').click()
    await user.should_see('Payment recorded', retries=40)
    await eventually(lambda: fresh(order.id).status == 'paid')
    await user.should_see('INV-', retries=40)
    await user.should_see('Mark packed', retries=40)
    user.find('Mark packed').click()
    await eventually(lambda: fresh(order.id).status == 'packed')
    await user.should_see('Order packed', retries=40)  # not "Mark packed: done"
    await user.should_see(marker='ship', retries=40)
    user.find(marker='ship').click()
    await user.should_see('Tracking number', retries=40)
    user.find('Tracking number').type('JD0146')
    user.find(marker='dialog-submit').click()
    await user.should_see('Shipped', retries=40)
    await eventually(lambda: fresh(order.id).status == 'shipped')
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (3, 0)
    await user.should_see('Mark delivered', retries=40)
    user.find('Mark delivered').click()
    await eventually(lambda: fresh(order.id).status == 'delivered')
    await user.should_see('Order delivered', retries=40)
    await user.should_see('Start a return', retries=40)
    await user.should_not_see('Cancel order')


async def test_a_refund_over_what_was_paid_is_refused_and_the_documents_download(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='refund', retries=40)
    user.find(marker='refund').click()
    user.find(marker='amount').elements.pop().set_value('60.01')
    user.find(marker='reason').type('Broken')
    user.find(marker='dialog-submit').click()
    await user.should_see('At most €60.00 can be refunded', retries=40)
    assert fresh(order.id).refunded_total == 0
    user.find('PDF').click()  # the invoice issued with the payment
    assert (await user.download.next(timeout=10)).content.startswith(b'%PDF')
    user.find('Pick list').click()
    assert (await user.download.next(timeout=10)).content.startswith(b'%PDF')
    user.find(marker='amount').elements.pop().set_value('60.00')  # everything back, before it was packed
    user.find(marker='dialog-submit').click()
    await user.should_see(  # paid by hand: the back office books the refund, a person sends the money
        'Refund of €60.00 recorded; a credit note was issued. Now give the money back the way it was paid', retries=40
    )
    await user.should_see('Everything paid was refunded: it is not sent. Cancel the order to free its stock.')
    assert 'Mark packed' not in {button.text for button in user.find(ui.button).elements}
    await user.should_see(marker='cancel-order')


async def test_a_manager_drafts_an_order_for_a_customer(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    await signed_in(user, manager.email, path='/orders')
    await user.should_see(marker='new-draft', retries=40)
    user.find(marker='new-draft').click()
    user.find(marker='draft-email').type('dora@example.com')
    user.find(marker='draft-product-0').elements.pop().set_value(mug.id)
    user.find(marker='draft-quantity-0').elements.pop().set_value(2)
    user.find(marker='create-draft').click()
    await user.should_see('Draft order 100001 created', retries=40)
    await eventually(lambda: user.back_history[-1] == '/orders/100001', message='the new draft opens')
    with read_session() as session:
        draft = session.exec(select(Order)).one()
    assert (draft.status, draft.email, str(draft.total)) == ('draft', 'dora@example.com', '60.00')
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    user.find(marker='draft-quantity-0').elements.pop().set_value(3)
    user.find(marker='create-draft').click()
    await user.should_see('Draft order 100001 saved', retries=40)
    assert str(fresh(draft.id).total) == '90.00'
    await user.should_see('€90.00', retries=40)  # the page shows the saved draft
    user.find('Confirm').click()
    await eventually(lambda: fresh(draft.id).status == 'pending')
    assert level(mug.id).reserved == 3


async def test_a_draft_line_finds_any_product_of_a_large_catalogue_by_its_sku(user: User) -> None:
    """A catalogue of more than 500 products: the one last by name is found by the SKU a customer reads out on the
    phone, named by its SKU and name, ordered, and named so again when the draft is edited (the dialog listed the first
    500 names: the last could not be picked, no SKU found it)."""
    manager = make_user('manager')
    with session_scope() as session:
        session.add_all(
            Product(sku=f'DL-{i:03d}', name=f'Aa cup {i:03d} "x": <script>', price=Decimal('1.00')) for i in range(501)
        )
        session.commit()
    last = make_product('ZW-DRAFT-1', '4.00', stock_on_hand=5, actor=manager, name='Zinc cup "l\'Été": <script>')
    await signed_in(user, manager.email, path='/orders')
    await user.should_see(marker='new-draft', retries=40)
    user.find(marker='new-draft').click()
    user.find(marker='draft-email').type('sku.caller@example.com')
    picker = user.find(marker='draft-product-0').elements.pop()
    assert isinstance(picker, ui.select)
    user.find(marker='draft-product-0').trigger('inputValue', 'zw-draft')
    assert picker.options == {last.id: 'ZW-DRAFT-1 · Zinc cup "l\'Été": <script>'}
    user.find(marker='draft-product-0').trigger('inputValue', 'dl-007')
    assert list(picker.options.values()) == ['DL-007 · Aa cup 007 "x": <script>']
    user.find(marker='draft-product-0').trigger('inputValue', 'zinc cup')
    picker.set_value(last.id)
    user.find(marker='draft-quantity-0').elements.pop().set_value(2)
    user.find(marker='create-draft').click()
    await user.should_see('Draft order 100001 created', retries=40)
    with read_session() as session:
        draft = session.exec(select(Order)).one()
        assert [(line.product_id, line.quantity) for line in orders.order_lines(session, draft.id)] == [(last.id, 2)]
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    picker = user.find(marker='draft-product-0').elements.pop()
    assert (picker.value, picker.options[last.id]) == (last.id, 'ZW-DRAFT-1 · Zinc cup "l\'Été": <script>')


async def test_an_agent_reads_an_order_but_has_no_actions(user: User) -> None:
    manager, agent = make_user('manager'), make_user('agent')
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    await signed_in(user, agent.email, path=f'/orders/{order.number}')
    await user.should_see(f'Order {order.number}', retries=40)
    await user.should_not_see('Record payment')
    await user.should_not_see('Cancel order')
    # one heading: 'Order' stood above 'Order 1000xx', saying one thing twice
    headings = [e for e in user.client.elements.values() if e.props.get('role') == 'heading']
    assert [e.text for e in headings] == [f'Order {order.number}']


async def test_an_order_page_never_goes_back_to_an_older_read_of_the_order(user: User, monkeypatch) -> None:
    """Two changes in a row: the reload for the first reads, then answers after the reload for the second. The page
    keeps the newer read (status and buttons of the packed order), not the one that answered last."""
    import pages.order as order_page

    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see('Pending payment', retries=40)

    read, answer = threading.Event(), threading.Event()
    real_load, slowed = order_page.load, []

    def load(session, actor, number):
        data = real_load(session, actor, number)
        if not slowed:  # the first reload after this point reads now and answers once the second has shown
            slowed.append(data)
            read.set()
            answer.wait(10)
            slowed.append('answered')
        return data

    monkeypatch.setattr(order_page, 'load', load)
    pay(manager, order)  # the first change: paid
    await eventually(read.is_set)
    with session_scope() as session:
        orders.pack(session=session, actor=manager, order_id=order.id, version=fresh(order.id).version)
    await user.should_see('Packed', marker='status', retries=40)
    answer.set()  # the older read (paid) answers last
    await eventually(lambda: len(slowed) == 2)
    await asyncio.sleep(0.5)  # the page's turns in which the older read would show
    await user.should_see('Packed', marker='status', retries=1)
    await user.should_not_see('Mark packed', retries=1)


async def test_inventory_receives_a_purchase_and_lists_the_low_stock_to_reorder(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=2, actor=manager)
    acme = make_supplier('Acme')
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='receive-purchase', retries=40)
    await eventually(lambda: [r['sku'] for r in table_with(user, 'on_hand').rows] == ['MUG'])
    user.find(marker='receive-purchase').click()
    user.find(marker='supplier').elements.pop().set_value(acme.id)
    user.find(marker='receive-product-0').elements.pop().set_value(mug.id)
    user.find(marker='receive-quantity-0').elements.pop().set_value(10)
    user.find(marker='receive').click()
    await user.should_see('Received 10 items', retries=40)
    await eventually(lambda: table_with(user, 'on_hand').rows[0]['on_hand'] == '12')
    await eventually(lambda: len(table_with(user, 'balance').rows) == 2)
    assert [r['kind'] for r in table_with(user, 'balance').rows] == ['Receipt', 'Receipt']


async def test_a_delivery_note_reference_too_long_is_refused_at_its_field_not_cut(user: User) -> None:
    """The supplier's reference was kept cut to 80 characters: another delivery note's, which nobody finds by the
    number on the paper. The dialog says so at the field, keeps what was typed, and receives nothing until it fits."""
    from backoffice.models import Purchase

    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=2, actor=manager)
    hostile = 'DN "<script>x</script>": l\'équipe {n} '
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='receive-purchase', retries=40)
    user.find(marker='receive-purchase').click()
    user.find(marker='receive-product-0').elements.pop().set_value(mug.id)
    user.find(marker='receive-quantity-0').elements.pop().set_value(3)
    reference = user.find(marker='reference').elements.pop()
    reference.set_value((hostile * 4)[:81])
    user.find(marker='receive').click()
    await user.should_see('Use at most 80 characters (this has 81)', retries=40)
    assert reference.value == (hostile * 4)[:81]
    assert level(mug.id).on_hand == 2
    reference.set_value((hostile * 4)[:80])
    user.find(marker='receive').click()
    await user.should_see('Received 3 items', retries=40)
    with read_session() as session:
        newest = session.exec(select(Purchase.reference).order_by(Purchase.id.desc())).first()
    assert newest == (hostile * 4)[:80].strip()
    assert level(mug.id).on_hand == 5


async def test_an_agent_starts_a_return_from_a_return_or_exchange_request(user: User) -> None:
    from backoffice.models import Return
    from backoffice.services import tickets

    manager, agent = make_user('manager'), make_user('agent')
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    with session_scope() as session:
        ticket = tickets.submit_request(
            session=session,
            email='cleo@example.com',
            subject='The mug leaks',
            body='Please take it back',
            type='return_exchange',
            order_number=order.number,
        )
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see(marker='start-return', retries=40)
    user.find(marker='start-return').click()
    user.find(marker='return-quantity-MUG').elements.pop().set_value(2)
    user.find(marker='start-return-submit').click()
    await user.should_see('Return R-1001 started for order 100001', retries=40)
    # the agent stays on the request, whose thread says so (to tell the customer the return's number next)
    await user.should_see('Return R-1001 started for order 100001.', retries=40)
    assert not any('/orders/' in path for path in user.back_history), user.back_history
    with read_session() as session:
        rma = session.exec(select(Return)).one()
    assert (rma.ticket_id, rma.reason, rma.status) == (ticket.id, 'The mug leaks', 'requested')
    # everything is on its way back: no "Start a return" whose dialog would only say so
    await user.should_not_see(marker='start-return', retries=40)
    # the thread's note links to the return, on its order's page where it is handled
    link = (await eventually(lambda: user.find(marker='thread-link').elements)).pop()
    assert (link.text, link.props['href']) == ('Open return R-1001', f'/orders/{order.id}')


async def test_a_stock_adjustment_with_its_reason_lands_in_the_ledger(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=10, actor=manager)
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='receive-purchase', retries=40)
    await eventually(lambda: [r['sku'] for r in table_with(user, 'on_hand').rows] == ['MUG'])
    stock_table = table_with(user, 'on_hand')
    UserInteraction(user, {stock_table}, None).trigger('rowClick', [{}, stock_table.rows[0], 0])  # open the row
    await user.should_see('Adjust stock', retries=40)
    user.find('Adjust stock').click()
    await user.should_see('Change (negative takes out) *', retries=40)
    user.find('Change (negative takes out) *').elements.pop().set_value(-3)
    user.find('Reason *').elements.pop().set_value('3 broken in transit')
    user.find(marker='confirm-action').click()
    await user.should_see('Stock of MUG is now 7', retries=40)
    await eventually(lambda: [r['quantity'] for r in table_with(user, 'balance').rows] == ['-3', '10'])
    assert level(mug.id).on_hand == 7


async def test_a_pick_list_for_the_selected_orders_downloads_as_pdf(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', stock_on_hand=9, actor=manager)
    for n in range(3):
        place(('MUG', 1), email=f'c{n}@example.com')
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, '100001', '100002', '100003', column='number')
    user.find(marker='pick-list').click()
    await user.should_see('Select the orders to pick first', retries=40)
    table = table_with(user, 'number')
    table.selected = [row for row in table.rows if row['number'] != '100002']
    user.find(marker='pick-list').click()
    assert (await user.download.next(timeout=10)).content.startswith(b'%PDF')


async def test_a_return_that_came_back_broken_is_received_without_restocking(user: User) -> None:
    """Receiving a return put its items back on the shelf whatever state they came back in: a broken cup became stock
    to sell. The warehouse now says whether they can be sold again; unticked, the stock stays as it was."""
    manager = make_user('manager')
    cup = make_product('CUP', stock_on_hand=5, actor=manager)
    order = place(('CUP', 2))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    rma = start_return(manager, order, 2, reason='Cassé "à l\'arrivée": <script>alert(1)</script>')
    assert level(cup.id).on_hand == 3
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='receive-return', retries=40)
    await user.should_see('Reason: Cassé "à l\'arrivée": <script>alert(1)</script>')  # why it comes back, as text
    user.find(marker='receive-return').click()
    await user.should_see(marker='return-restock', retries=40)
    user.find(marker='return-restock').elements.pop().set_value(False)
    user.find(marker='dialog-submit').click()
    await user.should_see(f'Return {rma.number} received; its items were not put back in stock', retries=40)
    assert level(cup.id).on_hand == 3  # the broken cups are not stock to sell
    with read_session() as session:
        assert session.get(type(rma), rma.id).status == 'received'


def test_a_return_received_as_sellable_goes_back_on_the_shelf() -> None:
    manager = make_user('manager')
    cup = make_product('CUP', stock_on_hand=5, actor=manager)
    order = place(('CUP', 2))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    receive_return(manager, start_return(manager, order))
    assert level(cup.id).on_hand == 4


async def test_a_note_for_the_team_survives_a_colleagues_change_and_lands_signed_in_the_timeline(user: User) -> None:
    manager = make_user('manager', name='Maria Lopez')
    colleague = make_user('manager', name='Tom Becker')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    hostile = 'Customer called: "leave it at no. 5" <script>alert(1)</script>'
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='order-note-text', retries=40)
    user.find(marker='order-note-text').type(hostile)
    pay(colleague, order)  # the page is drawn again live, with the payment: the note being typed stays
    await user.should_see('paid in full', retries=40)
    assert user.find(marker='order-note-text').elements.pop().value == hostile
    version = fresh(order.id).version
    user.find(marker='add-note').click()
    await user.should_see('Note added', retries=40)
    await user.should_see(f'Note: {hostile}', retries=40)  # as typed, as text
    entries = [
        [label.text for label in entry.descendants() if isinstance(label, ui.label)]
        for entry in user.find(marker='timeline-entry').elements
    ]
    assert any(texts[0] == f'Note: {hostile}' and texts[1].endswith(' · Maria Lopez') for texts in entries)
    assert any(texts[0].startswith('Payment of') and texts[1].endswith(' · Tom Becker') for texts in entries)
    assert user.find(marker='order-note-text').elements.pop().value == ''
    assert fresh(order.id).version == version  # a note changes nobody's open dialog into a stale one
    user.find(marker='add-note').click()
    await user.should_see('Write the note', retries=40)
    with session_scope() as session:  # a colleague's change draws the page again: the message stays at its field
        orders.add_note(session=session, actor=colleague, order_id=order.id, text='Gate code: 42')
    await user.should_see('Note: Gate code: 42', retries=40)
    assert user.find(marker='order-note-text').elements.pop().error == 'Write the note'


async def test_a_colleagues_change_leaves_the_note_being_typed_and_the_button_being_clicked_in_place(
    user: User, create_user: Callable[[], User]
) -> None:
    """The order page drew itself whole again on any change to the order: the field being typed in was replaced (its
    focus and the keys on their way lost) and a click on a button as shown met a button no longer there. Now only the
    parts whose content changed are drawn again."""
    manager = make_user('manager', name='Maria Lopez')
    colleague = make_user('manager', name='Tom Becker')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    typed = 'Half a thought: "fragile" <b>x</b> ; ok?'
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='order-note-text', retries=40)
    user.find(marker='order-note-text').type(typed)
    field = user.find(marker='order-note-text').elements.pop()
    record = click_as_shown(user, user.find(marker='record-payment').elements.pop())
    other = create_user()
    await signed_in(other, colleague.email, path=f'/orders/{order.number}')
    await other.should_see(marker='order-note-text', retries=40)
    other.find(marker='order-note-text').type('Gate code: "42" <script>alert(1)</script>')
    other.find(marker='add-note').click()
    await user.should_see('Note: Gate code: "42" <script>alert(1)</script>', retries=40)
    assert not field.is_deleted and field.value == typed  # the same field, as typed
    record()  # sent from the page as it was shown before the colleague's note: it still reaches its button
    await user.should_see(marker='amount', retries=40)
    user.find('Close').click()
    other.find(marker='record-payment').click()
    other.find(marker='dialog-submit').click()
    await other.should_see('Payment recorded', retries=40)
    await user.should_see('paid in full', retries=40)  # the colleague's payment shows
    assert not field.is_deleted and field.value == typed
    assert user.find(marker='order-note-text').elements == {field}


async def test_cancelling_a_paid_order_gives_the_money_back_with_it_or_says_it_is_still_owed(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    refunded, kept = place(('MUG', 2)), place(('MUG', 1), email='dan@example.com')
    pay(manager, refunded)
    pay(manager, kept)
    await signed_in(user, manager.email, path=f'/orders/{refunded.number}')
    await user.should_see(marker='cancel-order', retries=40)
    user.find(marker='cancel-order').click()
    await user.should_see('Refund the €60.00 paid, the way it was paid')  # ticked: the usual wish
    user.find(marker='dialog-submit').click()
    await user.should_see(
        'Order cancelled; its stock is free again. Refund of €60.00 recorded; a credit note was issued. Now give the '
        'money back the way it was paid (bank transfer, cash, card terminal): the back office does not send it.',
        retries=40,
    )
    order = fresh(refunded.id)
    assert (order.status, order.refunded_total, level(mug.id).reserved) == ('cancelled', order.total, 1)
    await user.should_see('Order 100001 cancelled', retries=40)  # the refund's reason, on the timeline
    await signed_in(user, manager.email, path=f'/orders/{kept.number}')
    await user.should_see(marker='cancel-order', retries=40)
    user.find(marker='cancel-order').click()
    user.find(marker='cancel-refund').click()  # untick: the money goes back another way
    user.find(marker='dialog-submit').click()
    await user.should_see(
        'Order cancelled; its stock is free again. €35.88 paid is still to be refunded: use "Refund a payment".',
        retries=40,
    )
    assert (fresh(kept.id).status, fresh(kept.id).refunded_total, level(mug.id).reserved) == ('cancelled', 0, 0)


async def test_what_is_left_to_pay_leaves_out_store_credit_and_a_cancelled_order(user: User) -> None:
    manager = make_user('manager')
    round_prices(make_user('admin'))
    mugs(manager)
    called_off = place(('MUG', 3), email='ann@example.com')  # 30.00: 10.00 paid, then cancelled
    pay(manager, called_off, '10.00')
    with session_scope() as session:
        orders.cancel(
            session=session, actor=manager, order_id=called_off.id, version=None, reason='Adresse «fausse»: <b>'
        )
    credited, invoice = invoiced_on_terms(manager, 'bob@example.com', 3)  # 30.00 on terms
    with session_scope() as session:
        paid = receivables.settle(session=session, actor=manager, amounts={invoice.id: '30.00'}, reference='VIR "1"')
    advance(manager, credited, 'pack', 'ship', 'deliver')
    rma = receive_return(manager, start_return(manager, credited, 1, reason='Ébréché: "<script>x</script>"'))
    with session_scope() as session:  # 10.00 as store credit
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='credit_note')
    with session_scope() as session:  # the transfer bounced: 20.00 owed again, not 30.00
        receivables.undo_receipt(session=session, actor=manager, receipt_id=paid.id, reason='Rejeté: <b>')
    await signed_in(user, manager.email, path=f'/orders/{credited.number}')
    await user.should_see(marker='left-to-pay', retries=40)
    assert [label.text for label in user.find(marker='left-to-pay').elements] == ['€20.00']
    await user.open(f'/orders/{called_off.number}')
    await user.should_see('€10.00 paid, to refund', retries=40)
    await user.should_not_see(marker='left-to-pay')  # a cancelled order is owed nothing


async def test_cancelling_offers_to_refund_only_what_is_not_already_on_its_way_back(user: User) -> None:
    """A refund asked of the gateway and not answered yet is on its way: cancelling offers (and gives) the rest, not
    the whole payment again."""
    from backoffice.models import GatewayRefund

    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))  # 60.00
    pay(manager, order)
    with session_scope() as session:
        session.add(GatewayRefund(order_id=order.id, provider='stripe', intent_reference='pi_1', amount=Decimal('10')))
        session.commit()
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='cancel-order', retries=40)
    user.find(marker='cancel-order').click()
    await user.should_see('Refund the €50.00 paid, the way it was paid')
    user.find(marker='dialog-submit').click()
    await user.should_see('Refund of €50.00 recorded', retries=40)
    assert fresh(order.id).refunded_total == Decimal('50.00')


async def test_an_order_ships_in_two_parcels_from_its_page(user: User) -> None:
    """What is in stock leaves now, the rest later: the Ship dialog asks how many of each line go in this parcel
    (everything not shipped yet at first), refuses more than remains at the line, and the order reads Partly shipped,
    says what is still to ship, and lists each parcel with its items until each is marked delivered."""
    manager = make_user('manager')
    mug = make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    make_product('TEE', '20.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 3), ('TEE', 1))
    pay(manager, order)
    order = advance(manager, order, 'pack')
    with read_session() as session:
        mug_line, tee_line = (line.id for line in orders.order_lines(session, order.id))
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='ship', retries=40)
    user.find(marker='ship').click()
    await user.should_see(marker=f'ship-line-{mug_line}', retries=40)

    def field(line_id: int) -> ui.input:
        return user.find(marker=f'ship-line-{line_id}').elements.pop()

    assert (field(mug_line).value, field(tee_line).value) == ('3', '1')  # at first: everything not shipped yet
    # typed, then the field left: 4 stays 4 (a number field put it back to 3 without a word and shipped 3)
    user.find(marker=f'ship-line-{mug_line}').clear().type('4').trigger('blur')
    tracking = user.find(marker='ship-tracking').elements.pop()
    assert tracking.props['hint'] == 'Saved without spaces, as carriers’ tracking links need it'  # said, not silent
    user.find(marker='dialog-submit').click()
    await eventually(lambda: field(mug_line).error == 'Only 3 left to ship', message=field(mug_line).error)
    assert field(mug_line).value == '4'
    with read_session() as session:
        assert orders.shipments_of(session=session, actor=manager, order_id=order.id) == []  # nothing half-written
    field(mug_line).set_value(0)
    field(tee_line).set_value(0)
    user.find(marker='dialog-submit').click()
    await eventually(lambda: field(mug_line).error == 'Choose at least one item for this parcel')
    field(mug_line).set_value(2)
    user.find(marker='ship-tracking').type('<script>alert(1)</script>: "1Z"')
    user.find(marker='dialog-submit').click()
    await user.should_see('Partly shipped', retries=40)
    await user.should_see('Parcel shipped: the rest is still to ship')  # not "Shipped": the order is not, yet
    await user.should_see('Still to ship: 1 × MUG Product MUG, 1 × TEE Product TEE', retries=40)
    await user.should_see('<script>alert(1)</script>:"1Z"')  # as typed (its spaces out), as text
    assert fresh(order.id).status == 'packed'
    assert (level(mug.id).on_hand, level(mug.id).reserved) == (3, 1)
    await user.should_not_see(marker='cancel-order')

    user.find(marker='ship').click()
    await user.should_see(marker=f'ship-line-{tee_line}', retries=40)
    assert (field(mug_line).value, field(tee_line).value) == ('1', '1')
    user.find(marker='dialog-submit').click()
    await eventually(lambda: fresh(order.id).status == 'shipped')
    await user.should_see('Shipped: nothing left to ship', retries=40)
    await user.should_see('Parcel 2', retries=40)
    await user.should_see('2 × MUG Product MUG')
    await user.should_see('1 × MUG Product MUG, 1 × TEE Product TEE')
    first = next(iter(user.find(marker='deliver-parcel').elements))  # one parcel arrived: the order waits for the other
    UserInteraction(user, {first}, None).click()
    await user.should_see('Parcel delivered', retries=40)
    await eventually(lambda: len(user.find(marker='deliver-parcel').elements) == 1)
    assert fresh(order.id).status == 'shipped'
    user.find(marker='deliver-parcel').click()
    await eventually(lambda: fresh(order.id).status == 'delivered')


async def test_a_click_sent_as_the_pages_own_change_comes_back_live_still_opens_its_dialog(user: User) -> None:
    """A note added draws the page once with it; the same change arriving live a moment later finds nothing new and
    draws nothing again, so a click the browser sent from the page as shown (Refund a payment) still reaches its
    button."""
    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='order-note-text', retries=40)
    user.find(marker='order-note-text').type('Gate code: "42" <script>alert(1)</script>')
    user.find(marker='add-note').click()
    await user.should_see('Note: Gate code: "42" <script>alert(1)</script>', retries=40)
    refund = click_as_shown(user, next(iter(user.find(marker='refund').elements)))
    await asyncio.sleep(1)  # the note's own live event reads the order again meanwhile
    refund()
    await user.should_see(marker='reason', retries=40)


async def test_shipping_a_pre_order_of_a_product_never_received_is_refused_on_its_page(user: User) -> None:
    """A stocked product ordered before its first stock came in left with no stock movement at all: its history and
    its level said the units were still there. The Ship dialog now says there is none to ship and the order stays
    packed, nothing written."""
    from backoffice.models import Shipment, StockMovement

    manager = make_user('manager')
    new = make_product('NEW', '25.00', name='Pré "commande": <script>alert(1)</script>', actor=manager)
    order = place(('NEW', 2))
    pay(manager, order)
    order = advance(manager, order, 'pack')
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='ship', retries=40)
    user.find(marker='ship').click()
    await user.should_see(marker='ship-tracking', retries=40)
    user.find(marker='dialog-submit').click()
    await user.should_see('Not enough stock — NEW: 2 wanted, 0 available.', retries=40)
    assert fresh(order.id).status == 'packed'
    with read_session() as session:
        assert session.exec(select(Shipment).where(Shipment.order_id == order.id)).all() == []
        assert session.exec(select(StockMovement).where(StockMovement.product_id == new.id)).all() == []
