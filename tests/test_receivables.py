"""Receivables: every invoice not paid in full with its days overdue and amount open, aged in buckets per customer
account and in total (checked against figures added up by hand), the DSO; partial payments and one payment that
settles several invoices, refused in words when it pays more than is open, audited, in one transaction."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import undefer
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.kpi.days import today as shop_today
from backoffice.models import AuditEntry, Invoice, OrderStatus, Payment, ReceiptAllocation
from backoffice.permissions import PermissionDenied
from backoffice.services import (
    app_settings,
    customer_addresses,
    documents,
    invoices,
    orders,
    payments,
    receivables,
    returns,
    statement,
)

from .support.factories import (
    advance,
    fresh,
    make_company,
    make_product,
    make_user,
    pay,
    place,
    receive_return,
    start_return,
)
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.pdf import pdf_text, pdf_words

D = Decimal


def report(actor, days_later: int = 0, **filters):
    with read_session() as session:
        return receivables.report(
            session=session,
            actor=actor,
            today=shop_today(app_settings.time_zone()) + timedelta(days=days_later),
            **filters,
        )


def settle(actor, amounts, reference='VIR "2026": <script>x</script>'):
    with session_scope() as session:
        return receivables.settle(session=session, actor=actor, amounts=amounts, reference=reference)


@pytest.fixture
def shop():
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    return admin, manager


def test_buckets_follow_the_days_past_the_due_date() -> None:
    assert [receivables.bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        'not_due',
        'not_due',
        'd1_30',
        'd1_30',
        'd31_60',
        'd31_60',
        'd61_90',
        'd61_90',
        'over_90',
        'over_90',
    ]


def test_the_ageing_per_account_and_in_total_matches_the_figures_added_by_hand(shop) -> None:
    _admin, manager = shop
    acme = make_company('Acme "Labs": <b>')
    # issued today; looked at 70 days later: net 15 is 55 days late, net 30 40 days, net 60 10 days
    _o1, a15 = invoiced_on_terms(manager, 'ann@acme.example', 1, 15, company_id=acme.id)  # 10.00
    _o2, a60 = invoiced_on_terms(manager, 'bob@acme.example', 3, 60, company_id=acme.id)  # 30.00
    o3, c30 = invoiced_on_terms(manager, 'cleo@example.com', 5, 30, name='Cléo <i>')  # 50.00
    pay(manager, o3, '20.00')  # in part: 30.00 open
    _o4, z60 = invoiced_on_terms(manager, 'zed@example.com', 2, 60)  # 20.00, not due yet at day 59

    seen = report(manager, 70)
    assert [(i.number, i.days_overdue, i.open, i.bucket) for i in seen.items] == [
        (a15.number, 55, D('10.00'), 'd31_60'),
        (c30.number, 40, D('30.00'), 'd31_60'),
        (a60.number, 10, D('30.00'), 'd1_30'),
        (z60.number, 10, D('20.00'), 'd1_30'),
    ]
    assert seen.totals.total == D('90.00') and seen.totals.count == 4
    assert seen.totals.buckets == {
        'not_due': D('0'),
        'd1_30': D('50.00'),
        'd31_60': D('40.00'),
        'd61_90': D('0'),
        'over_90': D('0'),
    }
    by_name = {a.name: a for a in seen.accounts}
    assert by_name['Acme "Labs": <b>'].total == D('40.00')
    assert by_name['Acme "Labs": <b>'].buckets['d31_60'] == D('10.00')
    assert by_name['Acme "Labs": <b>'].buckets['d1_30'] == D('30.00')
    assert by_name['Cléo <i>'].buckets['d31_60'] == D('30.00')
    assert [a.name for a in seen.accounts][0] == 'Acme "Labs": <b>'  # the oldest debt first
    # DSO: 90.00 open over 110.00 invoiced in the last 90 days (the invoices were issued "70 days ago")
    assert seen.sales == D('110.00')
    assert seen.dso == (D('90.00') / D('110.00') * 90).quantize(D('0.1'))

    later = report(manager, 160)  # 145, 130, 100, 100 days late
    assert later.totals.buckets['over_90'] == D('90.00')
    early = report(manager, 0)
    assert early.totals.buckets['not_due'] == D('90.00') and early.totals.total == D('90.00')
    assert report(manager, 70, company_id=acme.id).totals.total == D('40.00')


def test_a_cancelled_or_refunded_invoice_is_not_owed(shop) -> None:
    _admin, manager = shop
    order, _invoice = invoiced_on_terms(manager, 'ann@example.com', 2, 15)
    with session_scope() as session:
        orders.cancel(session=session, actor=manager, order_id=order.id, version=None, reason='Changed their mind')
    assert report(manager, 30).items == []


def test_one_payment_settles_several_invoices_in_full_and_in_part(shop) -> None:
    _admin, manager = shop
    acme = make_company('Acme')
    o1, i1 = invoiced_on_terms(manager, 'ann@acme.example', 1, 30, company_id=acme.id)  # 10.00
    o2, i2 = invoiced_on_terms(manager, 'bob@acme.example', 4, 30, company_id=acme.id)  # 40.00

    receipt = settle(manager, {i1.id: '10.00', i2.id: '15,50'})

    assert (receipt.amount, receipt.reference) == (D('25.50'), 'VIR "2026": <script>x</script>')
    assert fresh(o1.id).status == OrderStatus.paid and fresh(o2.id).status == OrderStatus.pending
    seen = report(manager)
    assert [(i.number, i.open) for i in seen.items] == [(i2.number, D('24.50'))]
    with read_session() as session:
        parts = session.exec(select(ReceiptAllocation).order_by(ReceiptAllocation.id)).all()
        assert [(p.invoice_id, p.amount) for p in parts] == [(i1.id, D('10.00')), (i2.id, D('15.50'))]
        assert len(session.exec(select(Payment)).all()) == 2
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity == 'receipts')).one()
        assert i1.number in entry.summary and i2.number in entry.summary

    settle(manager, {i2.id: '24.50'}, reference='VIR "2027": <script>x</script>')  # the rest, another transfer
    assert report(manager).items == [] and fresh(o2.id).status == OrderStatus.paid


def test_paying_more_than_is_open_is_refused_in_words_and_nothing_is_written(shop) -> None:
    _admin, manager = shop
    _o1, i1 = invoiced_on_terms(manager, 'ann@example.com', 1, 30)  # 10.00
    o2, i2 = invoiced_on_terms(manager, 'ann@example.com', 2, 30)  # 20.00, same customer
    with pytest.raises(ValidationFailed) as refused:
        settle(manager, {i1.id: '5.00', i2.id: '20.01'})
    assert refused.value.errors == {f'invoice_{i2.id}': f'Only €20.00 is open on invoice {i2.number}'}
    with pytest.raises(ValidationFailed) as refused:
        settle(manager, {i1.id: '-1'})
    assert refused.value.errors == {f'invoice_{i1.id}': 'Enter an amount above 0'}
    with read_session() as session:
        assert session.exec(select(Payment)).all() == []
    pay(manager, o2)
    with pytest.raises(ValidationFailed) as refused:
        settle(manager, {i2.id: '1.00'})
    assert refused.value.errors == {f'invoice_{i2.id}': f'Invoice {i2.number} is paid in full'}


def test_one_payment_is_for_one_customer_account(shop) -> None:
    _admin, manager = shop
    _o1, i1 = invoiced_on_terms(manager, 'ann@example.com', 1, 30)
    _o2, i2 = invoiced_on_terms(manager, 'bob@example.com', 1, 30)
    with pytest.raises(ValidationFailed) as refused:
        settle(manager, {i1.id: '1.00', i2.id: '1.00'})
    assert 'one customer or company' in refused.value.errors['invoices']


def test_who_reads_and_who_settles_receivables(shop) -> None:
    _admin, manager = shop
    _o1, i1 = invoiced_on_terms(manager, 'ann@example.com', 1, 30)
    viewer, agent = make_user('viewer'), make_user('agent')
    assert report(viewer).totals.total == D('10.00')  # a viewer reads what a manager sees
    with pytest.raises(PermissionDenied):
        report(agent)
    with pytest.raises(PermissionDenied):
        settle(viewer, {i1.id: '1.00'})


def test_a_statement_lists_the_open_items_and_the_ageing_in_the_customers_language(shop) -> None:
    _admin, manager = shop
    acme = make_company('Acme "Labs": <script>x</script>')
    _o1, i1 = invoiced_on_terms(manager, 'ann@acme.example', 1, 15, company_id=acme.id)  # 10.00
    o2, i2 = invoiced_on_terms(manager, 'bob@acme.example', 4, 60, company_id=acme.id)  # 40.00
    pay(manager, o2, '15.00')
    day = shop_today(app_settings.time_zone()) + timedelta(days=50)
    with read_session() as session:
        pdf, name = statement.statement_pdf(session=session, actor=manager, company_id=acme.id, today=day)
        french, _name = statement.statement_pdf(
            session=session, actor=manager, company_id=acme.id, today=day, language='fr'
        )
    Path('/tmp/statement-en.pdf').write_bytes(pdf)
    Path('/tmp/statement-fr.pdf').write_bytes(french)
    assert name == f'statement-company-{acme.id}-{day.year:04d}{day.month:02d}{day.day:02d}.pdf'
    text = pdf_words(pdf)
    assert 'Statement of account' in text and 'Acme "Labs": <script>x</script>' in text
    assert i1.number in text and i2.number in text and '€25.00' in text
    assert 'Balance due' in text and '€35.00' in text  # 10.00 35 days late + 25.00 not due
    text = pdf_words(french)
    assert 'Relevé de compte' in text and 'Solde dû' in text and '35,00 €' in text
    with read_session() as session, pytest.raises(PermissionDenied):
        statement.statement_pdf(session=session, actor=make_user('agent'), company_id=acme.id)


def store_credited(manager, order, invoice, quantity: int = 1) -> None:
    """The invoice paid in full, the order delivered, `quantity` mugs sent back and given as store credit (a credit
    note, no refund), then the payment undone (the transfer bounced): the invoice is owed again, less the credit."""
    receipt = settle(manager, {invoice.id: str(invoice.total)})
    advance(manager, order, 'pack', 'ship', 'deliver')
    rma = receive_return(manager, start_return(manager, order, quantity, reason='Chipped "mug": <script>x</script>'))
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='credit_note')
    with session_scope() as session:
        receivables.undo_receipt(session=session, actor=manager, receipt_id=receipt.id, reason='Bounced: "<b>"')


def test_an_invoice_reduced_by_store_credit_is_open_for_the_rest_only(shop) -> None:
    _admin, manager = shop
    order, invoice = invoiced_on_terms(manager, 'ann@example.com', 3, 30)  # 30.00
    store_credited(manager, order, invoice)  # 10.00 credited: 20.00 open
    assert [i.open for i in report(manager).items] == [D('20.00')]
    with pytest.raises(ValidationFailed) as refused:  # the order page's payment reads the same amount open
        pay(manager, fresh(order.id), '30.00')
    assert refused.value.errors == {'amount': f'Only €20.00 is due on order {order.number}'}
    with pytest.raises(ValidationFailed) as refused:
        settle(manager, {invoice.id: '20.01'})
    assert refused.value.errors == {f'invoice_{invoice.id}': f'Only €20.00 is open on invoice {invoice.number}'}
    settle(manager, {invoice.id: '20.00'})
    assert report(manager).items == []
    with pytest.raises(ValidationFailed) as refused:
        pay(manager, fresh(order.id), '0.01')
    assert refused.value.errors == {'amount': f'Order {order.number} is paid in full'}
    assert fresh(order.id).paid_total == D('20.00')


def test_two_people_settling_an_invoice_reduced_by_store_credit_at_once_never_overpay_it(shop) -> None:
    admin, manager = shop
    order, invoice = invoiced_on_terms(manager, 'ann@example.com', 3, 30)  # 30.00
    store_credited(manager, order, invoice)  # 20.00 open
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def one(actor) -> None:
        start.wait()
        try:
            settle(actor, {invoice.id: '15.00'})
            outcomes.append('paid')
        except ValidationFailed as error:
            outcomes.append(error.errors[f'invoice_{invoice.id}'])

    threads = [threading.Thread(target=one, args=(actor,)) for actor in (admin, manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == sorted(['paid', f'Only €5.00 is open on invoice {invoice.number}'])
    assert fresh(order.id).paid_total == D('15.00')
    assert [i.open for i in report(manager).items] == [D('5.00')]


def test_a_part_refunded_before_the_invoice_was_issued_is_not_owed_again(shop) -> None:
    _admin, manager = shop
    order = place(('MUG', 3), email='ann@example.com')  # 30.00, paid before it is invoiced
    pay(manager, order, '20.00')
    with session_scope() as session:  # part of the deposit given back: its credit note cites no invoice yet
        payments.refund(
            session=session, actor=manager, order_id=order.id, amount='5.00', reason='Geste «commercial»: <b>'
        )
    pay(manager, fresh(order.id), '10.00')  # the rest due: 30.00 - 5.00 credited - 15.00 kept
    assert fresh(order.id).status == OrderStatus.paid  # invoiced 30.00; paid 30.00, 5.00 back, 5.00 credited
    with read_session() as session:
        invoice = invoices.invoice_of(session, order.id)
        assert receivables.amount_open(session, invoice) == D('0.00')
        listed = session.exec(
            select(Invoice).where(Invoice.id == invoice.id).options(undefer(Invoice.payment_status))
        ).one()
        assert listed.payment_status == 'paid'  # /invoices
    assert report(manager, 30).items == []  # no reminder, no statement line, nothing for the bank to match


def test_an_invoice_paid_in_part_or_credited_asks_only_what_is_open(shop) -> None:
    _admin, manager = shop
    order, invoice = invoiced_on_terms(manager, 'ann@example.com', 3, 30, name='Ann «L’Hôte»: <script>x</script>')
    pay(manager, order, '12.50')  # 30.00 invoiced, 12.50 received: a reminder asks 17.50 and attaches this PDF

    def words(language: str | None = None) -> str:
        with read_session() as session:
            return pdf_words(documents.invoice_pdf(session.get(Invoice, invoice.id), language))

    text = words()
    assert 'Total incl. VAT €30.00' in text and 'Paid -€12.50' in text and 'Amount due €17.50' in text
    assert 'Please pay €17.50 by' in text and 'Please pay €30.00' not in text
    assert 'Net à payer 17,50 €' in words('fr')
    with session_scope() as session:  # cancelled: the rest credited, nothing is asked any more
        orders.cancel(session=session, actor=manager, order_id=order.id, version=None, reason='Annulée: "<b>"')
    text = words()
    assert 'Credit notes -€17.50' in text and 'Amount due €0.00' in text and 'Please pay' not in text


def test_totals_and_ageing_are_per_currency_never_added_across_currencies(shop) -> None:
    _admin, manager = shop
    make_product('CAP', '7.00', stock_on_hand=100, actor=manager, currency='USD')
    _o1, euros = invoiced_on_terms(manager, 'ann@example.com', 3, 15, name='Ann "A": <b>')  # €30.00
    _o2, dollars = invoiced_on_terms(manager, 'ann@example.com', 1, 60, sku='CAP')  # $7.00, same customer
    seen = report(manager, 30)  # the euro invoice 15 days late, the dollar one not due
    assert (seen.currency, seen.totals.total) == ('EUR', D('30.00'))  # the shop's currency, euros only
    assert {code: (a.total, a.count) for code, a in seen.by_currency.items()} == {
        'EUR': (D('30.00'), 1),
        'USD': (D('7.00'), 1),
    }
    assert list(seen.by_currency) == ['EUR', 'USD']
    assert seen.by_currency['EUR'].buckets['d1_30'] == D('30.00') and seen.by_currency['EUR'].buckets['not_due'] == 0
    assert seen.by_currency['USD'].buckets['not_due'] == D('7.00') and seen.by_currency['USD'].buckets['d1_30'] == 0
    assert seen.totals_in(lambda a: a.total) == (('EUR', D('30.00')), ('USD', D('7.00')))
    # one customer owing in two currencies: a row in each
    assert [(a.name, a.currency, a.total) for a in seen.accounts] == [
        ('Ann "A": <b>', 'EUR', D('30.00')),
        ('Ann "A": <b>', 'USD', D('7.00')),
    ]
    assert seen.sales == D('30.00') and seen.dso == D('90.0')  # euros open over euros invoiced
    assert {(i.number, i.currency) for i in seen.items} == {(euros.number, 'EUR'), (dollars.number, 'USD')}
    empty = report(manager, 30, customer_id=-1)
    assert empty.totals_in(lambda a: a.total) == (('EUR', D('0.00')),)


def statement_words(manager, **whose) -> str:
    with read_session() as session:
        pdf, _name = statement.statement_pdf(session=session, actor=manager, **whose)
    Path('/tmp/statement-address.pdf').write_bytes(pdf)
    return pdf_text(pdf)


def test_a_statement_is_addressed_to_the_latest_orders_address_when_the_customer_keeps_none(shop) -> None:
    _admin, manager = shop
    acme = make_company('Acme "Labs": <script>x</script>')
    old, _i = invoiced_on_terms(manager, 'ann@acme.example', 1, 30, company_id=acme.id)
    latest = place(
        ('MUG', 2),
        email='ann@acme.example',
        shipping_name='Ann <b>"Léa"</b>',
        shipping_address="2 rue de l'Église: <script>x</script>\n75001 Paris",
    )
    with session_scope() as session:
        invoices.issue_invoice(session=session, actor=manager, order_id=latest.id)
        session.commit()
    assert old.shipping_address == '1 Main St\n10115 Berlin'
    for whose in ({'customer_id': latest.customer_id}, {'company_id': acme.id}):
        text = statement_words(manager, **whose)
        assert 'Ann <b>"Léa"</b>\n2 rue de l\'Église: <script>x</script>\n75001 Paris' in text
        assert 'Berlin' not in text
    assert statement_words(manager, customer_id=latest.customer_id).count('ann@acme.example') == 1  # the name here
    # an address of their own comes first: the billing one
    with session_scope() as session:
        for label, billing in (('Ship "here"', False), ('Bill: <i>', True)):
            customer_addresses.save(
                session=session,
                by=manager,
                customer_id=latest.customer_id,
                address_id=None,
                version=None,
                data={
                    'label': label,
                    'name': f'{label} Ann',
                    'line1': '9 Quai "Voltaire"',
                    'postcode': '69002',
                    'city': 'Lyon',
                    'country': 'France',
                    'default_billing': billing,
                },
            )
    text = statement_words(manager, customer_id=latest.customer_id)
    assert 'Bill: <i> Ann\n9 Quai "Voltaire"\n69002 Lyon\nFrance' in text and 'Paris' not in text
