"""Payments make an order paid and invoiced; refunds never exceed what was paid and issue credit notes; invoice numbers
stay gapless per year under concurrent issuing; an issued invoice cannot change; the PDFs render."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Invoice, Payment, Refund, StockLevel, utcnow
from backoffice.services import documents, invoices, orders, payments

from .support.factories import fresh, make_product, make_user, on_terms, pay, place


@pytest.fixture
def manager():
    return make_user('manager')


def numbers() -> list[str]:
    with read_session() as session:
        return list(session.exec(select(Invoice.number).order_by(Invoice.id)))


def test_a_payment_that_covers_the_total_makes_the_order_paid_and_issues_the_invoice(manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))  # 50.00 + 10.00 VAT, free shipping
    pay(manager, order, '20.00')
    assert (fresh(order.id).status, fresh(order.id).paid_total, numbers()) == ('pending', Decimal('20.00'), [])
    with pytest.raises(ValidationFailed) as refused:
        pay(manager, order, '40.01')
    assert refused.value.errors == {'amount': 'Only €40.00 is due on order 100001'}
    pay(manager, order, '40.00')
    order = fresh(order.id)
    year = utcnow().year
    assert (order.status, order.paid_total, numbers()) == ('paid', Decimal('60.00'), [f'INV-{year}-000001'])
    with read_session() as session:
        invoice = session.exec(select(Invoice)).one()
        assert (invoice.total, invoice.lines[0]['sku'], invoice.bill_to['email']) == (
            Decimal('60.00'),
            'MUG',
            'cleo@example.com',
        )
        assert [p.provider for p in session.exec(select(Payment))] == ['manual', 'manual']


def test_a_draft_takes_no_payment_and_an_amount_must_make_sense(manager) -> None:
    mug = make_product('MUG', stock_on_hand=5, actor=manager)
    with session_scope() as session:
        draft = orders.create_draft(
            session=session,
            actor=manager,
            data={'email': 'd@example.com', 'lines': [{'product_id': mug.id, 'quantity': 1}]},
        )
    with pytest.raises(orders.IllegalTransition, match='is a draft: confirm it before recording a payment'):
        pay(manager, draft, '1.00')
    order = place(('MUG', 1))
    for amount, message in (
        ('-1', 'Enter an amount above 0'),
        ('abc', 'Enter an amount, e.g. 12.50'),
        ('1.001', 'Use at most two decimals (in English, the point separates decimals: for 1,001, type 1001)'),
        ('1.5.1', 'Enter an amount, e.g. 12.50'),
        ('0.001', 'Use at most two decimals'),
    ):
        with pytest.raises(ValidationFailed) as refused:
            pay(manager, order, amount)
        assert refused.value.errors == {'amount': message}


def test_refunds_never_exceed_what_was_paid_and_each_issues_a_credit_note(manager) -> None:
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='15.00', reason='Scratched')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='45.01', reason='Rest')
    assert refused.value.errors == {
        'amount': 'At most €45.00 can be refunded on order 100001 (paid €60.00, refunded €15.00)'
    }
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='1.00', reason=' ')
    assert refused.value.errors == {'reason': 'Say why the money is given back'}
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='45.00', reason='Rest')
    assert fresh(order.id).refunded_total == Decimal('60.00')
    year = utcnow().year
    assert numbers() == [f'INV-{year}-000001', f'CN-{year}-000001', f'CN-{year}-000002']
    with read_session() as session:
        note = session.exec(select(Invoice).where(Invoice.number == f'CN-{year}-000001')).one()
        assert (note.kind, note.total, note.tax_total) == ('credit_note', Decimal('15.00'), Decimal('2.50'))
        assert note.refund_id == session.exec(select(Refund.id).order_by(Refund.id)).first()
    with session_scope() as session, pytest.raises(ValidationFailed):
        payments.refund(session=session, actor=manager, order_id=order.id, amount='0.01', reason='More')


def test_an_order_refunded_in_full_before_it_left_is_not_packed_or_shipped_but_may_be_cancelled(manager) -> None:
    mug = make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 2))
    pay(manager, order)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='10.00', reason='Dented')
    assert {'pack', 'cancel'} <= orders.allowed_actions(fresh(order.id))  # a part refund: the goods still go
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='50.00', reason='Changed mind')
    order = fresh(order.id)
    assert 'pack' not in orders.allowed_actions(order) and 'cancel' in orders.allowed_actions(order)
    with session_scope() as session, pytest.raises(orders.IllegalTransition) as refused:
        orders.pack(session=session, actor=manager, order_id=order.id, version=order.version)
    assert str(refused.value) == 'Order 100001 was refunded in full: it is not sent; cancel it to free its stock'
    with session_scope() as session:
        orders.cancel(session=session, actor=manager, order_id=order.id, version=order.version)
    with read_session() as session:
        level = session.exec(select(StockLevel).where(StockLevel.product_id == mug.id)).one()
        assert (level.on_hand, level.reserved) == (5, 0)


def test_invoice_numbers_stay_gapless_when_many_are_issued_at_once(manager) -> None:
    make_product('MUG', stock_on_hand=100, actor=manager)
    placed = [place(('MUG', 1), email=f'c{n}@example.com') for n in range(12)]
    for order in placed:
        on_terms(order)  # business customers on terms: invoiced before they pay
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def issue(batch) -> None:
        try:
            start.wait()
            for order in batch:
                with session_scope() as session:
                    invoices.issue_invoice(session=session, actor=manager, order_id=order.id)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=issue, args=(placed[n::6],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    year = utcnow().year
    assert sorted(numbers()) == [f'INV-{year}-{n:06d}' for n in range(1, 13)]
    with session_scope() as session, pytest.raises(Exception, match='already invoiced: INV-'):
        invoices.issue_invoice(session=session, actor=manager, order_id=placed[0].id)


def test_an_issued_invoice_cannot_be_changed_or_deleted(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    pay(manager, order)
    with session_scope() as session:
        invoice = session.exec(select(Invoice)).one()
        invoice.total = Decimal('1.00')
        session.add(invoice)
        with pytest.raises(invoices.InvoiceImmutable):
            session.commit()
    with session_scope() as session:
        invoice = session.exec(select(Invoice)).one()
        session.delete(invoice)
        with pytest.raises(invoices.InvoiceImmutable):
            session.commit()
    assert numbers() == [f'INV-{utcnow().year}-000001']


def test_the_invoice_and_the_pick_list_render_as_pdf(manager) -> None:
    make_product('MUG', stock_on_hand=5, actor=manager, name='Tasse „Großstadt“ — Łódź')
    order = place(('MUG', 2), shipping_name='Zoë Wiśniewski')
    second = place(('MUG', 1))
    pay(manager, order)
    with read_session() as session:
        pdf = documents.invoice_pdf(session.exec(select(Invoice)).one())
        batch = documents.pick_list_pdf(session=session, actor=manager, order_ids=[order.id, second.id])
    assert pdf.startswith(b'%PDF') and batch.startswith(b'%PDF') and len(batch) > 1000
