"""The invoices, payments and refunds lists as staff use them: a customer calls about an invoice number, the accountant
asks what came in on a day; found by number, customer (accents folded, hostile text harmless) or order, filtered by
dates in the address, added up, exported; refused, page and API, to a role without the permission."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from nicegui.testing import User
from sqlalchemy import inspect, update
from sqlmodel import select

from backoffice.api.resources import router
from backoffice.db import read_session, session_scope
from backoffice.listing import query
from backoffice.models import Invoice, InvoiceKind, Order
from backoffice.resources.billing import INVOICES
from backoffice.services import invoices, payments

from .support.api import api_client, bearer, key_for
from .support.factories import make_product, make_role, make_user, on_terms, pay, place
from .support.lists import caption, rows_show, the_list
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE_NAME = 'Zoë <script>"x": Müller'


def documents_of(order: Order) -> dict[InvoiceKind, Invoice]:
    with read_session() as session:
        found = session.exec(select(Invoice).where(Invoice.order_id == order.id)).all()
    return {invoice.kind: invoice for invoice in found}


def issued_on(invoice: Invoice, day: date) -> None:
    """The document dated that day (at noon UTC, the same day in the shop's time zone)."""
    dated(invoice, issued_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


def dated(invoice: Invoice, **values) -> None:
    """A test's own dates on an issued document, written past the model's guard (issued documents never change)."""
    with session_scope() as session:
        session.execute(update(Invoice.__table__).where(Invoice.__table__.c.id == invoice.id).values(**values))
        session.commit()


def two_customers_invoiced(manager) -> tuple[Order, Order]:
    """Zoë's order paid (an invoice), Bob's paid then €5 refunded (an invoice and a credit note)."""
    make_product('MUG', '10.00', stock_on_hand=20, actor=manager)
    zoe = place(('MUG', 2), email='zoe@example.com', name=HOSTILE_NAME)
    bob = place(('MUG', 1), email='bob@example.com', name='Bob Stone')
    pay(manager, zoe)
    pay(manager, bob)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=bob.id, amount='5.00', reason='Dented <b>"box"</b>')
    return zoe, bob


async def test_an_invoice_is_found_by_number_customer_and_dates_added_up_and_exported(user: User) -> None:
    manager = make_user('manager')
    zoe, bob = two_customers_invoiced(manager)
    zoe_invoice = documents_of(zoe)[InvoiceKind.invoice]
    bob_invoice, bob_credit = documents_of(bob)[InvoiceKind.invoice], documents_of(bob)[InvoiceKind.credit_note]
    issued_on(zoe_invoice, date(2026, 12, 3))
    issued_on(bob_invoice, date(2026, 11, 15))
    issued_on(bob_credit, date(2026, 12, 4))
    gross = zoe_invoice.total + bob_invoice.total - bob_credit.total

    await signed_in(user, manager.email, path='/invoices')
    await rows_show(user, zoe_invoice.number, bob_invoice.number, bob_credit.number, column='number')
    await eventually(lambda: caption(user) == f'3 invoices and credit notes · €{gross:,.2f}', message=caption(user))
    rows = {row['number']: row for row in listed_rows(user)}
    assert rows[zoe_invoice.number]['customer_id'] == 'zoe@example.com'  # a customer by their email, as /orders
    assert rows[zoe_invoice.number]['order_id'] == zoe.number
    assert (rows[zoe_invoice.number]['kind'], rows[zoe_invoice.number]['payment_status']) == ('Invoice', 'Paid')
    assert rows[bob_credit.number]['kind'] == 'Credit note'
    # €5 refunded, and as much credited: paid still (its open amount is read through its credit notes then)
    assert rows[bob_invoice.number]['payment_status'] == 'Paid'
    assert rows[bob_credit.number]['signed_total'] == f'-€{bob_credit.total:.2f}'  # a credit note takes money back

    search = user.find(marker='search').elements.pop()
    search.set_value(zoe_invoice.number)  # the number a customer reads out
    await rows_show(user, zoe_invoice.number, absent=(bob_invoice.number,), column='number')
    search.set_value('muller')  # the customer's name, typed without its accent
    await rows_show(user, zoe_invoice.number, absent=(bob_invoice.number, bob_credit.number), column='number')
    search.set_value('<script>"x":')  # hostile text is text: it finds the customer whose name holds it
    await rows_show(user, zoe_invoice.number, absent=(bob_invoice.number,), column='number')
    search.set_value('bob@example.com')  # the email the order was placed with
    await rows_show(user, bob_invoice.number, bob_credit.number, absent=(zoe_invoice.number,), column='number')
    search.set_value(bob.number)  # the order's number
    await rows_show(user, bob_invoice.number, bob_credit.number, absent=(zoe_invoice.number,), column='number')
    search.set_value("'; DROP TABLE invoices; -- %_ <b>")
    await eventually(lambda: caption(user).startswith('0 invoices and credit notes'), message=caption(user))

    # the accountant's December: the address names the days, as /orders' placed_at does
    await user.open('/invoices?issued_at=2026-12-01..2026-12-31')
    await rows_show(user, zoe_invoice.number, bob_credit.number, absent=(bob_invoice.number,), column='number')
    december = zoe_invoice.total - bob_credit.total
    await eventually(lambda: caption(user) == f'2 invoices and credit notes · €{december:,.2f}', message=caption(user))
    user.find(marker='export').click()  # the export menu, built on its opening
    user.find(marker='export-csv').click()
    text = (await user.download.next(timeout=10)).content.decode('utf-8-sig')
    assert zoe_invoice.number in text and bob_credit.number in text and bob_invoice.number not in text
    assert text.splitlines()[0].startswith('ID,No.,Kind,Issued,Customer,Order,Net,VAT,Gross')


def listed_rows(user: User, column: str = 'number') -> list[dict]:
    return the_list(user, column).rows


async def test_an_invoice_past_its_due_date_is_overdue_and_filtered_so(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=20, actor=manager)
    late = place(('MUG', 1), email='late@example.com')
    on_terms(late, 30)
    with session_scope() as session:
        stored = session.get(Order, late.id)
        invoice = invoices.issue(session, stored, InvoiceKind.invoice, actor=manager)
        session.commit()
        number = invoice.number
    dated(invoice, due_on=date(2020, 1, 31))
    paid = place(('MUG', 1), email='paid@example.com')
    pay(manager, paid)
    await signed_in(user, manager.email, path='/invoices?payment_status=overdue')
    await rows_show(user, number, absent=(documents_of(paid)[InvoiceKind.invoice].number,), column='number')
    assert listed_rows(user)[0]['payment_status'] == 'Overdue'


async def test_payments_and_refunds_are_listed_found_by_customer_and_added_up(user: User) -> None:
    manager = make_user('manager')
    zoe, bob = two_customers_invoiced(manager)
    agent = make_user('agent')  # reads orders, and so their payments: not invoices

    await signed_in(user, agent.email, path='/payments')
    await rows_show(user, zoe.number, bob.number, column='order_id')
    paid = fresh_total(zoe) + fresh_total(bob)
    await eventually(lambda: caption(user) == f'2 payments · €{paid:,.2f}', message=caption(user))
    row = next(r for r in listed_rows(user, 'order_id') if r['order_id'] == zoe.number)
    assert (row['customer_id'], row['method'], row['provider']) == (
        'zoe@example.com',
        'Bank transfer',
        'Manual / bank transfer',
    )
    user.find(marker='search').elements.pop().set_value('Müller')
    await rows_show(user, zoe.number, absent=(bob.number,), column='order_id')
    await user.open('/payments?paid_at=2020-01-01..2020-12-31')  # a year without payments
    await eventually(lambda: caption(user).startswith('0 payments'), message=caption(user))

    await user.open('/refunds')
    await rows_show(user, bob.number, absent=(zoe.number,), column='order_id')
    refund = listed_rows(user, 'order_id')[0]
    assert (refund['kind'], refund['gateway_state'], refund['amount']) == ('Refund', 'Refunded by hand', '€5.00')
    assert refund['reason'] == 'Dented <b>"box"</b>'
    await eventually(lambda: caption(user) == '1 refund · €5.00', message=caption(user))

    await user.open('/invoices')  # an agent reads no invoices
    await user.should_see("You don't have access to this page")


def fresh_total(order: Order) -> Decimal:
    with read_session() as session:
        return session.get(Order, order.id).total


async def test_the_api_lists_invoices_only_to_their_readers() -> None:
    manager = make_user('manager')
    zoe, _bob = two_customers_invoiced(manager)
    _reader, reader_secret = key_for('viewer', 'read:invoices', 'read:payments')
    _agent, agent_secret = key_for('agent', 'read:invoices', 'read:payments')
    _clerk, invoices_only = key_for(make_role('invoices.read', name='Invoices only').key, 'read:invoices')
    async with api_client(router) as client:
        listed_ = await client.get('/api/v1/invoices', params={'q': 'muller'}, headers=bearer(reader_secret))
        assert listed_.status_code == 200, listed_.text
        items = listed_.json()['items']
        assert [item['order_id'] for item in items] == [zoe.id]
        assert Decimal(str(items[0]['total'])) == fresh_total(zoe)  # the amount as issued, with its kind
        # someone who reads invoices and not orders finds a document by the order number it names
        by_order = await client.get('/api/v1/invoices', params={'q': zoe.number}, headers=bearer(invoices_only))
        assert [item['order_id'] for item in by_order.json()['items']] == [zoe.id], by_order.text
        refused = await client.get('/api/v1/invoices', headers=bearer(agent_secret))
        assert refused.status_code == 403
        assert (await client.get('/api/v1/payments', headers=bearer(agent_secret))).status_code == 200
        # read-only: nothing is written over the API
        assert (await client.post('/api/v1/payments', json={}, headers=bearer(agent_secret))).status_code in (
            403,
            404,
            405,
        )


def test_a_page_reads_the_values_worked_out_from_other_rows_with_its_rows() -> None:
    """The customer, the signed amounts and the status are deferred on the model (an order's page never pays for
    them); the list asks for them with its page, so its 25 rows are one query, not one more per row and value."""
    manager = make_user('manager')
    two_customers_invoiced(manager)
    with read_session() as session:
        page = query.list_page(session=session, actor=manager, resource=INVOICES, request=query.ListRequest())
        unloaded = [sorted(inspect(row).unloaded & set(INVOICES.undeferred)) for row in page.rows]
    with read_session() as session:
        elsewhere = session.exec(select(Invoice)).first()
        assert 'signed_total' in inspect(elsewhere).unloaded  # any other read of an invoice leaves them out
    assert len(page.rows) == 3 and unloaded == [[], [], []]


async def test_a_customers_documents_payments_and_refunds_are_listed_by_the_address(user: User) -> None:
    manager = make_user('manager')
    zoe, bob = two_customers_invoiced(manager)
    bob_invoice, bob_credit = documents_of(bob)[InvoiceKind.invoice], documents_of(bob)[InvoiceKind.credit_note]
    zoe_invoice = documents_of(zoe)[InvoiceKind.invoice]

    await signed_in(user, manager.email, path=f'/invoices?customer_id={bob.customer_id}')
    await rows_show(user, bob_invoice.number, bob_credit.number, absent=(zoe_invoice.number,), column='number')
    search = user.find(marker='search').elements.pop()
    search.set_value('<script>"x":')  # Zoë's name, hostile text: not Bob's, so nothing within his
    await eventually(lambda: caption(user).startswith('0 invoices and credit notes'), message=caption(user))
    await user.open(f'/invoices?customer_id={zoe.customer_id}')
    await rows_show(user, zoe_invoice.number, absent=(bob_invoice.number,), column='number')
    user.find(marker='search').elements.pop().set_value('<script>"x":')
    await rows_show(user, zoe_invoice.number, column='number')

    await user.open(f'/payments?customer_id={zoe.customer_id}')
    await rows_show(user, zoe.number, absent=(bob.number,), column='order_id')
    await user.open(f'/refunds?customer_id={zoe.customer_id}')  # Zoë had nothing back
    await eventually(lambda: caption(user).startswith('0 refunds'), message=caption(user))
    await user.open(f'/refunds?customer_id={bob.customer_id}')
    await rows_show(user, bob.number, column='order_id')

    _reader, secret = key_for('viewer', 'read:invoices', 'read:payments', 'read:refunds')
    async with api_client(router) as client:
        for path, customer, expected in (
            ('/api/v1/invoices', bob.customer_id, {bob.id}),
            ('/api/v1/payments', zoe.customer_id, {zoe.id}),
            ('/api/v1/refunds', zoe.customer_id, set()),
        ):
            answer = await client.get(path, params={'customer_id': customer}, headers=bearer(secret))
            assert answer.status_code == 200, answer.text
            assert {item['order_id'] for item in answer.json()['items']} == expected, (path, answer.text)


async def test_a_payment_and_a_refund_recorded_by_a_colleague_show_without_a_reload(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=20, actor=manager)
    order = place(('MUG', 2), email='live@example.com', name=HOSTILE_NAME)
    await signed_in(user, manager.email, path='/payments')
    await eventually(lambda: caption(user).startswith('0 payments'), message=caption(user))
    pay(manager, order)  # a colleague, elsewhere
    await rows_show(user, order.number, column='order_id')
    await user.open('/refunds')
    await eventually(lambda: caption(user).startswith('0 refunds'), message=caption(user))
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='5.00', reason='<script>"x":')
    await rows_show(user, order.number, column='order_id')


async def test_an_invoice_on_terms_reads_paid_once_a_colleague_records_the_payment(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=20, actor=manager)
    order = place(('MUG', 1), email='terms@example.com', name=HOSTILE_NAME)
    on_terms(order, 30)
    with session_scope() as session:
        number = invoices.issue(session, session.get(Order, order.id), InvoiceKind.invoice, actor=manager).number
        session.commit()
    await signed_in(user, manager.email, path='/invoices')
    await rows_show(user, number, column='number')
    await eventually(lambda: listed_rows(user)[0]['payment_status'] == 'Open')
    pay(manager, order)  # elsewhere: the list's status follows without a reload
    await eventually(lambda: listed_rows(user)[0]['payment_status'] == 'Paid', message=str(listed_rows(user)))


def test_the_status_reads_the_credit_notes_only_for_an_invoice_its_payments_do_not_settle() -> None:
    """The status filter tests every invoice: nearly all are settled by their order's payments, said by one read of
    the order before any of the credit notes is read (three reads per invoice halved the filter's time)."""
    sql = str(select(Invoice.payment_status).compile(compile_kwargs={'literal_binds': True}))
    whens = sql.split(' WHEN ')[1:]  # after the credit note's own (no status)
    assert 'orders' in whens[1] and "kind = 'credit_note'" not in whens[1], whens[1]
    assert whens[1].count('FROM orders') == 1, whens[1]  # paid and refunded in one read
    assert "kind = 'credit_note'" in whens[2]  # the order's credit notes, a refund's before the invoice too
