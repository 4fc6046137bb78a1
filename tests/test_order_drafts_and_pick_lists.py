"""A draft's customer can still change (the service checks the new one, the change is audited); a batch pick list is
made for the ticked orders or for all the orders matching the list, up to a cap that is explained when reached."""

from __future__ import annotations

from decimal import Decimal

import facturx
import pytest
from lxml import etree
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.listing import query
from backoffice.models import AuditEntry, Customer, CustomerStatus, OrderEvent
from backoffice.services import documents, einvoice, orders

from .support.factories import fresh, make_product, make_user, pay, place
from .support.lists import rows_show
from .support.pdf import pdf_words
from .support.signin import signed_in
from .support.waiting import eventually


@pytest.fixture
def manager():
    return make_user('manager')


def draft_for(manager, email: str):
    with session_scope() as session:
        return orders.create_draft(
            session=session, actor=manager, data={'email': email, 'lines': [{'sku': 'MUG', 'quantity': 1}]}
        )


def change_customer(manager, draft, **who):
    with session_scope() as session:
        return orders.update_draft(
            session=session,
            actor=manager,
            order_id=draft.id,
            version=fresh(draft.id).version,
            data={**who, 'lines': [{'sku': 'MUG', 'quantity': 1}]},
        )


def test_a_drafts_customer_changes_and_the_change_is_audited(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    draft = draft_for(manager, 'ann@example.com')
    changed = change_customer(manager, draft, email='Bob@Example.com')
    with read_session() as session:
        bob = session.exec(select(Customer).where(Customer.email == 'bob@example.com')).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'order.draft-updated')).one()
        texts = session.exec(select(OrderEvent.text).where(OrderEvent.order_id == draft.id)).all()
    assert (changed.customer_id, changed.email) == (bob.id, 'bob@example.com')
    assert entry.changes['email'] == ['ann@example.com', 'bob@example.com']
    assert 'Draft changed: the customer is now bob@example.com' in texts


def test_a_banned_or_missing_customer_is_refused_and_a_placed_order_keeps_its_customer(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    draft = draft_for(manager, 'ann@example.com')
    with session_scope() as session:
        session.add(Customer(email='eve@example.com', name='Eve', status=CustomerStatus.banned))
        session.commit()
    with pytest.raises(orders.CustomerBanned):
        change_customer(manager, draft, email='eve@example.com')
    with pytest.raises(ValidationFailed) as refused:
        change_customer(manager, draft, customer_id=99999)
    assert refused.value.errors == {'customer_id': 'Choose a customer'}
    assert fresh(draft.id).email == 'ann@example.com'
    placed = place(('MUG', 1), email='cleo@example.com')
    with pytest.raises(orders.IllegalTransition):
        change_customer(manager, placed, email='bob@example.com')


def test_all_matching_orders_make_one_pick_list_up_to_the_cap(manager, monkeypatch) -> None:
    make_product('MUG', stock_on_hand=20, actor=manager)
    for n in range(4):
        place(('MUG', 1), email=f'c{n}@example.com')
    draft_for(manager, 'd@example.com')
    pending = query.ListRequest(filters={'status': ['pending']})
    with read_session() as session:
        pdf, count = documents.pick_list_matching(session=session, actor=manager, request=pending)
    assert (pdf[:4], count) == (b'%PDF', 4)
    monkeypatch.setattr(documents, 'MAX_PICK_ORDERS', 3)
    with read_session() as session, pytest.raises(ValidationFailed) as refused:
        documents.pick_list_matching(session=session, actor=manager, request=pending)
    assert refused.value.errors['orders'] == (
        'A pick list takes at most 3 orders; 4 match: narrow the list (a status, a date range)'
    )


async def test_a_manager_moves_a_draft_to_another_customer(user: User, manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    draft = draft_for(manager, 'ann@example.com')
    await signed_in(user, manager.email, path=f'/orders/{draft.number}')
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    user.find(marker='draft-email').clear().type('bob@example.com')
    user.find(marker='create-draft').click()
    await user.should_see(f'Draft order {draft.number} saved', retries=40)
    await user.should_see('bob@example.com', retries=40)
    assert fresh(draft.id).email == 'bob@example.com'


async def test_a_pick_list_of_all_matching_orders_and_the_cap_explained(user: User, manager, monkeypatch) -> None:
    make_product('MUG', stock_on_hand=20, actor=manager)
    for n in range(4):
        place(('MUG', 1), email=f'c{n}@example.com')
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, '100001', '100004', column='number')
    user.find(marker='filter-status').elements.pop().set_value(['pending'])
    await rows_show(user, '100001', '100004', column='number')
    first = user.find(ui.table).elements.pop().rows[0]
    user.find(ui.table).trigger('selection', {'added': True, 'rows': [first], 'keys': [first['id']]})
    await user.should_see('Select all 4 matching', retries=40)
    user.find('Select all 4 matching').click()
    await user.should_see('4 selected (all matching)', retries=40)
    user.find(marker='bulk-pick-list').click()
    download = await user.download.next(timeout=20)
    assert download.content.startswith(b'%PDF')
    monkeypatch.setattr(documents, 'MAX_PICK_ORDERS', 3)
    user.find(marker='bulk-pick-list').click()
    await user.should_see('A pick list takes at most 3 orders; 4 match: narrow the list', retries=40)


def newest(user: User, marker: str) -> ui.element:
    return max(user.find(marker=marker).elements, key=lambda element: element.id)


HOSTILE = 'Ring twice: "back door" <script>alert(1)</script>'


async def test_a_phone_order_gets_a_line_discount_and_a_note_which_editing_the_draft_keeps(user: User, manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        draft = orders.create_draft(
            session=session,
            actor=manager,
            data={'email': 'ann@example.com', 'lines': [{'sku': 'MUG', 'quantity': 2}]},
        )
    await signed_in(user, manager.email, path=f'/orders/{draft.number}')
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    user.find(marker='draft-discount-0').type('12,5')  # a decimal comma, as a French operator types it
    user.find(marker='draft-note').type(HOSTILE)
    user.find(marker='create-draft').click()
    await user.should_see(f'Draft order {draft.number} saved', retries=40)
    await user.should_see(marker='order-note', retries=40)  # the page shows the saved draft
    note = user.find(marker='order-note').elements.pop()
    assert HOSTILE in {label.text for label in note.descendants() if isinstance(label, ui.label)}
    saved = fresh(draft.id)
    # 2 × 25.00 = 50.00, less 12.5 % = 43.75, + shipping 4.90, + 20 % VAT on both: 52.50 + 5.88 = 58.38
    assert (saved.discount_total, saved.note, saved.total) == (Decimal('6.25'), HOSTILE, Decimal('58.38'))
    user.find(marker='edit-draft').click()  # opened again: the discount and the note are there, saved as they were
    # the first dialog's fields stay until the browser says it is hidden: the newest ones are the reopened dialog's
    assert newest(user, 'draft-discount-0').value == '12.5'
    UserInteraction(user, {newest(user, 'create-draft')}, None).click()
    await eventually(lambda: fresh(draft.id).version > saved.version)
    again = fresh(draft.id)
    assert (again.discount_total, again.note, again.total) == (Decimal('6.25'), HOSTILE, Decimal('58.38'))


async def test_two_operators_on_one_draft_the_second_save_is_told_and_keeps_what_was_typed(user: User, manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=9, actor=manager)
    draft = draft_for(manager, 'ann@example.com')
    await signed_in(user, manager.email, path=f'/orders/{draft.number}')
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    user.find(marker='draft-quantity-0').clear().type('3')
    colleague = make_user('manager', name='Tom Becker')
    change_customer(colleague, draft, email='bob@example.com')  # Tom saves the same draft meanwhile
    user.find(marker='create-draft').click()
    await user.should_see(marker='draft-conflict', retries=40)
    await user.should_see('after you opened it', retries=40)
    assert fresh(draft.id).email == 'bob@example.com'  # nothing of Tom's was overwritten silently
    user.find(marker='draft-reload').click()
    await user.should_see('Reloaded; what you typed is kept. Save again to apply it.', retries=40)
    assert user.find(marker='draft-quantity-0').elements.pop().value == '3'  # typed here: kept
    assert user.find(marker='draft-email').elements.pop().value == 'bob@example.com'  # untouched here: Tom's
    user.find(marker='create-draft').click()
    await user.should_see(f'Draft order {draft.number} saved', retries=40)
    with read_session() as session:
        assert [line.quantity for line in orders.order_lines(session, draft.id)] == [3]
    assert fresh(draft.id).email == 'bob@example.com'


async def test_the_packing_round_marks_the_chosen_orders_packed_and_says_which_were_not(user: User, manager) -> None:
    make_product('MUG', stock_on_hand=20, actor=manager)
    paid = [place(('MUG', 1), email=f'p{n}@example.com') for n in range(2)]
    for order in paid:
        pay(manager, order)
    place(('MUG', 1), email='waiting@example.com')  # 100003: not paid yet
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, '100001', '100003', column='number')
    first = user.find(ui.table).elements.pop().rows[0]
    user.find(ui.table).trigger('selection', {'added': True, 'rows': [first], 'keys': [first['id']]})
    await user.should_see('Select all 3 matching', retries=40)
    user.find('Select all 3 matching').click()
    user.find(marker='bulk-pack').click()
    await user.should_see(
        '2 orders packed; not packed: Order 100003 is pending: it cannot become packed (next: cancelled or paid)',
        retries=40,
    )
    assert [fresh(order.id).status for order in paid] == ['packed', 'packed']
    await eventually(
        lambda: (
            {row['number']: row['status'] for row in user.find(ui.table).elements.pop().rows}
            == {'100001': 'Packed', '100002': 'Packed', '100003': 'Pending payment'}
        )
    )


WAIVED = 'Waited 3 weeks: "sorry" <script>alert(1)</script> é'


def test_a_drafts_shipping_is_waived_with_a_reason_the_totals_vat_and_invoice_following(manager) -> None:
    from backoffice.services import invoices

    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    data = {'email': 'ann@example.com', 'lines': [{'sku': 'MUG', 'quantity': 1}], 'free_shipping': True}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        orders.create_draft(session=session, actor=manager, data=data)
    assert refused.value.errors == {'free_shipping_reason': 'Say why shipping is free'}
    with session_scope() as session:
        draft = orders.create_draft(session=session, actor=manager, data={**data, 'free_shipping_reason': WAIVED})
    # 25.00 + 20 % VAT, no shipping and no VAT on shipping (it was 4.90 + 0.98)
    assert (draft.shipping_total, draft.tax_total, draft.total) == (Decimal('0.00'), Decimal('5.00'), Decimal('30.00'))
    charged = {**data, 'free_shipping': False, 'free_shipping_reason': WAIVED}  # unticked: the reason goes too
    with session_scope() as session:
        again = orders.update_draft(
            session=session, actor=manager, order_id=draft.id, version=draft.version, data=charged
        )
    assert (again.shipping_total, again.total, again.shipping_waived_reason) == (
        Decimal('4.90'),
        Decimal('35.88'),
        '',
    )
    with session_scope() as session:
        again = orders.update_draft(
            session=session,
            actor=manager,
            order_id=draft.id,
            version=again.version,
            data={**data, 'free_shipping_reason': WAIVED},
        )
        orders.confirm(session=session, actor=manager, order_id=draft.id, version=again.version)
    pay(manager, fresh(draft.id))
    with read_session() as session:
        texts = session.exec(
            select(OrderEvent.text).where(OrderEvent.order_id == draft.id).order_by(OrderEvent.id)
        ).all()
        changed = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'order.draft-updated').order_by(AuditEntry.id)
        ).all()
        invoice = invoices.invoice_of(session, draft.id)
    assert [t for t in texts if t.startswith('Shipping')] == [
        f'Shipping waived: {WAIVED}',
        'Shipping charged again',
        f'Shipping waived: {WAIVED}',
    ]
    assert changed[-1].changes['shipping_waived_reason'] == ['', WAIVED]
    assert (invoice.shipping_total, invoice.tax_total, invoice.total) == (
        Decimal('0.00'),
        Decimal('5.00'),
        Decimal('30.00'),
    )
    # the customer reads that shipping was free (never why: that is the staff's note), the totals as they were
    english = pdf_words(documents.invoice_pdf(invoice, 'en'))
    assert 'Shipping Free' in english and 'Total incl. VAT €30.00' in english and 'Waited' not in english
    french = pdf_words(documents.invoice_pdf(invoice, 'fr'))
    assert 'Livraison Offerte' in french and 'Waited' not in french
    xml = etree.fromstring(einvoice.cii_xml(invoice, paid=invoice.paid_at, free_shipping=True))
    assert facturx.xml_check_xsd(etree.tostring(xml), flavor='factur-x', level='en16931')
    ns = {'ram': einvoice.RAM}
    [charge] = xml.iterfind('.//ram:SpecifiedTradeAllowanceCharge', namespaces=ns)
    assert (charge.findtext('ram:ActualAmount', namespaces=ns), charge.findtext('ram:Reason', namespaces=ns)) == (
        '0.00',
        'Shipping',
    )
    assert xml.findtext('.//ram:GrandTotalAmount', namespaces=ns) == '30.00'
    assert xml.findtext('.//ram:TaxBasisTotalAmount', namespaces=ns) == '25.00'
    with read_session() as session:
        pdf = einvoice.facturx_pdf(session=session, actor=manager, invoice_id=invoice.id)[0]
    assert b'<ram:ActualAmount>0.00</ram:ActualAmount>' in facturx.get_facturx_xml_from_pdf(pdf)[1]


async def test_an_operator_ticks_free_shipping_on_a_phone_order(user: User, manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    draft = draft_for(manager, 'ann@example.com')
    await signed_in(user, manager.email, path=f'/orders/{draft.number}')
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    user.find(marker='draft-free-shipping').click()
    user.find(marker='create-draft').click()
    await user.should_see('Say why shipping is free', retries=40)  # at its field; nothing saved
    assert fresh(draft.id).shipping_total == Decimal('4.90')
    user.find(marker='draft-free-shipping-reason').type(WAIVED)
    user.find(marker='create-draft').click()
    await user.should_see(f'Draft order {draft.number} saved', retries=40)
    await user.should_see('Shipping (waived)', retries=40)
    await user.should_see(f'Shipping waived: {WAIVED}')
    assert fresh(draft.id).total == Decimal('30.00')
    user.find(marker='edit-draft').click()  # opened again: ticked, with its reason
    assert newest(user, 'draft-free-shipping').value is True
    assert newest(user, 'draft-free-shipping-reason').value == WAIVED


def test_a_draft_too_dear_to_store_is_refused_at_its_lines(manager) -> None:
    """Each line's price and quantity are in range, the order's total is not (12 digits, 2 after the point):
    PostgreSQL failed the write with a server error, SQLite stored it; now the draft is refused, saying why."""
    make_product('YACHT', '9000000000.00', stock_on_hand=5, actor=manager)
    data = {'email': 'ann@example.com', 'lines': [{'sku': 'YACHT', 'quantity': 2}]}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        orders.create_draft(session=session, actor=manager, data=data)
    assert refused.value.errors == {
        'lines': "This order's total would be over 9,999,999,999.99: split it into smaller orders"
    }


async def test_a_name_too_long_on_a_phone_order_is_said_once_at_its_field(user: User, manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    draft = draft_for(manager, 'ann@example.com')
    await signed_in(user, manager.email, path=f'/orders/{draft.number}')
    await user.should_see(marker='edit-draft', retries=40)
    user.find(marker='edit-draft').click()
    # pasted from an email signature: quotes, a colon, markup and one long word
    long_name = 'Bob "the: builder" <script>alert(1)</script> ' + 'Donaudampfschifffahrtskapitän' * 4
    newest(user, 'draft-name').set_value(long_name)
    newest(user, 'draft-address').set_value('1 Main St: "back door" ' + 'BERLIN-10115-' * 80)
    UserInteraction(user, {newest(user, 'create-draft')}, None).click()
    await eventually(lambda: newest(user, 'draft-name').error == 'Use at most 120 characters')
    assert newest(user, 'draft-address').error == 'Use at most 1,000 characters'
    await user.should_not_see('Use at most 120 characters Use at most 120 characters')
    assert fresh(draft.id).shipping_name == ''  # nothing saved


async def test_a_phone_order_not_confirmed_yet_does_not_say_it_was_placed(user: User, manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    draft = draft_for(manager, 'ann@example.com')
    await signed_in(user, manager.email, path=f'/orders/{draft.number}')
    await user.should_see(marker='placed', retries=40)
    assert user.find(marker='placed').elements.pop().text.startswith('draft begun ')  # not "placed": not yet
    user.find('Confirm').click()
    await user.should_see('Order confirmed', retries=40)
    await eventually(lambda: user.find(marker='placed').elements.pop().text.startswith('placed '))
