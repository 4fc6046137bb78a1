"""Seeded orders: priced and dated like real ones, consistent with stock, found by search; and the
`seed --orders` command."""

from __future__ import annotations

import random

import pytest
from sqlmodel import select

from backoffice.__main__ import main
from backoffice.db import read_session, session_scope
from backoffice.listing.query import ListRequest, list_page
from backoffice.models import Order, OrderLine, Payment, Product, Shipment
from backoffice.resources import resource
from backoffice.seed import orders as seed_orders
from backoffice.services import orders, stock

from .support.factories import make_user, on_terms

HOSTILE = 'Compté "à la main": <script>alert(1)</script>'


def seeded() -> list[tuple]:
    with read_session() as session:
        return [
            (o.number, o.email, o.status, str(o.total), o.placed_at.isoformat())
            for o in session.exec(select(Order).order_by(Order.id))
        ]


@pytest.mark.parametrize('bulk', [False, True])
def test_seeded_orders_add_up_match_the_stock_and_are_searchable(bulk: bool, monkeypatch) -> None:
    monkeypatch.setattr(seed_orders, 'BULK', 100 if bulk else 10**9)
    assert main(['seed', '--orders', '400', '--seed', '4']) == 0
    assert len(seeded()) == 400
    with read_session() as session:
        some = session.exec(select(Order).where(Order.status == 'delivered')).first()
        lines = orders.order_lines(session, some.id)
        # the totals add up the way the service computes them
        goods = sum(line.line_total for line in lines)
        assert some.subtotal - some.discount_total == goods
        assert some.total == goods + some.shipping_total + some.tax_total
        assert session.exec(select(Payment).where(Payment.order_id == some.id)).one().amount == some.total
        assert session.exec(select(Shipment).where(Shipment.order_id == some.id)).one().delivered_at is not None
        # a parcel goes somewhere: the packer reads its name and address on the order (the demo's were empty)
        assert some.shipping_name and '\n' in some.shipping_address
        assert stock.ledger_mismatches(session=session) == []
        assert stock.reservation_mismatches(session=session) == []
        statuses = {o.status for o in session.exec(select(Order))}
        assert {'delivered', 'cancelled'} <= statuses
        manager = make_user('manager')
        hits = list_page(
            session=session, actor=manager, resource=resource('orders'), request=ListRequest(search=some.email[:8])
        )
        assert some.id in [o.id for o in hits.rows]
    assert main(['seed', '--orders', '10', '--seed', '4']) == 0  # more, with numbers that follow on
    with read_session() as session:
        numbers = [int(n) for n in session.exec(select(Order.number))]
        assert sorted(numbers) == list(range(100001, 100411))
        assert session.exec(select(OrderLine)).first() is not None
    with session_scope() as session:  # a real order takes the next number after the seeded ones
        product = session.exec(select(OrderLine.sku)).first()
        placed = orders.place_order(
            session=session, data={'email': 'new@example.com', 'lines': [{'sku': product, 'quantity': 1}]}
        )
    assert placed.order.number == '100411'


def test_paid_seeded_orders_have_invoices_numbered_by_payment_date_and_live_ones_follow(monkeypatch) -> None:
    from datetime import UTC, datetime

    from backoffice.models import Invoice
    from backoffice.services import invoices

    monkeypatch.setattr(seed_orders, 'BULK', 100)
    manager = make_user('manager')
    assert main(['seed', '--orders', '300', '--seed', '7']) == 0
    assert main(['seed', '--orders', '50', '--seed', '8']) == 0  # a second run continues each year's numbers
    with read_session() as session:
        paid = session.exec(select(Order.id, Order.paid_at, Order.total).where(Order.paid_at.is_not(None))).all()
        issued = session.exec(select(Invoice).order_by(Invoice.year, Invoice.sequence)).all()
    assert len(issued) == len(paid) > 200
    assert {i.order_id: (i.issued_at, i.total) for i in issued} == {o.id: (o.paid_at, o.total) for o in paid}
    for year in {i.year for i in issued}:
        of_year = [i for i in issued if i.year == year]
        assert [i.sequence for i in of_year] == list(range(1, len(of_year) + 1))  # no gap, no duplicate
        assert all(i.number == f'INV-{year}-{i.sequence:06d}' for i in of_year)
        first_run = [i for i in of_year if i.order_id <= 300]
        assert [i.issued_at for i in first_run] == sorted(i.issued_at for i in first_run)  # in order of payment
    assert issued[0].lines and issued[0].bill_to['email']
    with session_scope() as session:  # an invoice issued now takes the next number of this year
        sku = session.exec(select(OrderLine.sku)).first()
        order = orders.place_order(
            session=session, data={'email': 'new@example.com', 'lines': [{'sku': sku, 'quantity': 1}]}
        ).order
    on_terms(order)  # a business customer: invoiced before paying
    with session_scope() as session:
        live = invoices.issue_invoice(session=session, actor=manager, order_id=order.id)
    this_year = [i.sequence for i in issued if i.year == datetime.now(UTC).year]
    assert live.sequence == max(this_year, default=0) + 1


def test_a_seeded_products_stock_history_shows_its_sales_down_to_what_is_on_hand() -> None:
    """The demo's products had a year of shipped orders but a stock history of one line, 'Opening stock', dated today:
    no sale anywhere. Each shipped line is now a sale in the ledger, as the stock service books it (at the parcel's
    time, naming its order), after an opening stock dated before the year of orders, the balance going down to what
    is on hand."""
    from backoffice.models import MovementKind, StockLevel, StockMovement
    from backoffice.stored_text import sentence, show, stored

    assert main(['seed', '--orders', '300', '--seed', '4']) == 0
    manager = make_user('manager')
    with read_session() as session:
        delivered = session.exec(select(Order).where(Order.status == 'delivered').order_by(Order.id)).first()
        shipped_at = session.exec(select(Shipment.shipped_at).where(Shipment.order_id == delivered.id)).one()
        line = orders.order_lines(session, delivered.id)[0]
        history = stock.ledger(session=session, actor=manager, product_id=line.product_id, limit=10_000)
        sale = [m for m in history if m.order_id == delivered.id]
        assert [(m.kind, m.quantity) for m in sale] == [(MovementKind.sale, -line.quantity)]
        assert sale[0].created_at.replace(tzinfo=None) == shipped_at.replace(tzinfo=None)
        assert show(sale[0].reason, sale[0].reason_key, sale[0].reason_params) == f'Order {delivered.number}'
        said = stored(sentence(stock.SALE_REASON, number=delivered.number))  # what services/stock.ship writes
        assert (sale[0].reason, sale[0].reason_key, sale[0].reason_params) == said
        shipped_lines = session.exec(
            select(OrderLine.order_id, OrderLine.quantity)
            .join(Shipment, Shipment.order_id == OrderLine.order_id)
            .where(OrderLine.product_id == line.product_id)
        ).all()
        sales = [m for m in history if m.kind == MovementKind.sale]
        assert sorted((m.order_id, -m.quantity) for m in sales) == sorted(shipped_lines)
        first_order = session.exec(select(Order.placed_at).order_by(Order.placed_at)).first()
        for level in session.exec(select(StockLevel)):
            movements = session.exec(
                select(StockMovement).where(StockMovement.product_id == level.product_id).order_by(StockMovement.id)
            ).all()
            opening, rest = movements[0], movements[1:]
            assert (opening.kind, opening.reason) == (MovementKind.receipt, 'Opening stock')
            assert opening.created_at.replace(tzinfo=None) < first_order.replace(tzinfo=None)
            balance = opening.quantity
            for movement in rest:  # in the order they happened, each balance what the one before left
                balance += movement.quantity
                assert movement.balance == balance >= 0
            assert [m.created_at for m in rest] == sorted(m.created_at for m in rest)
            assert balance == level.on_hand
        assert stock.ledger_mismatches(session=session) == []
        assert stock.reservation_mismatches(session=session) == []


def test_seeded_orders_on_products_with_stock_move_it_as_real_orders_do() -> None:
    """`seed --orders` on products that already had stock (a second run, or products received by hand) wrote their
    orders without a movement and reserved nothing: the stock history did not match the orders. Now each shipped line
    is a sale, the open orders reserve, and each balance is what was on hand after it, in the order of time."""
    from backoffice.models import MovementKind, StockLevel, StockMovement
    from backoffice.seed.catalog import seed_catalog

    manager = make_user('manager')
    with session_scope() as session:
        seed_catalog(session, random.Random(4))
    with read_session() as session:
        stocked = session.exec(select(Product).where(Product.stocked == True)).all()  # noqa: E712
    for product in stocked:  # counted by hand today, with a hostile reason
        with session_scope() as session:
            stock.adjust(session=session, actor=manager, product_id=product.id, quantity=40, reason=HOSTILE)
    assert main(['seed', '--orders', '300', '--seed', '4']) == 0
    with read_session() as session:
        shipped = session.exec(
            select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity)
            .join(Shipment, Shipment.order_id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(Product.stocked == True)  # noqa: E712
        ).all()
        sales = session.exec(
            select(StockMovement.order_id, StockMovement.product_id, StockMovement.quantity).where(
                StockMovement.kind == MovementKind.sale
            )
        ).all()
        assert shipped and sorted(sales) == sorted((o, p, -q) for o, p, q in shipped)
        assert stock.ledger_mismatches(session=session) == []
        assert stock.reservation_mismatches(session=session) == []
        for level in session.exec(select(StockLevel)):
            assert level.on_hand == 40  # the shelf as counted: the sales' units came in before them
            assert level.available == level.on_hand - level.reserved
            movements = session.exec(
                select(StockMovement)
                .where(StockMovement.product_id == level.product_id)
                .order_by(StockMovement.created_at, StockMovement.id)
            ).all()
            balance = 0
            for movement in movements:  # in the order they happened, each balance what the one before left
                balance += movement.quantity
                assert movement.balance == balance >= 0
            assert movements[-1].reason == HOSTILE and balance == 40


def test_a_second_seed_of_orders_keeps_one_opening_stock_a_product() -> None:
    """A second `seed --orders` wrote another 'Opening stock' for each product the first had opened: its history said
    the shop opened twice. Now the first opening holds the second year's shipped units too, and every balance adds up
    in the order of time."""
    from backoffice.models import MovementKind, StockLevel, StockMovement

    assert main(['seed', '--orders', '200', '--seed', '4']) == 0
    assert main(['seed', '--orders', '200', '--seed', '5']) == 0
    with read_session() as session:
        openings = session.exec(
            select(StockMovement.product_id).where(
                StockMovement.kind == MovementKind.receipt, StockMovement.reason_key == 'Opening stock'
            )
        ).all()
        assert openings and sorted(openings) == sorted(set(openings))
        assert stock.ledger_mismatches(session=session) == []
        assert stock.reservation_mismatches(session=session) == []
        for level in session.exec(select(StockLevel)):
            movements = session.exec(
                select(StockMovement)
                .where(StockMovement.product_id == level.product_id)
                .order_by(StockMovement.created_at, StockMovement.id)
            ).all()
            assert not movements or movements[0].reason == 'Opening stock'
            balance = 0
            for movement in movements:
                balance += movement.quantity
                assert movement.balance == balance >= 0
            assert balance == level.on_hand


def test_a_seeded_invoice_bills_the_address_its_order_ships_to() -> None:
    """As a live invoice does (services/invoice_issue copies the order's address): the demo's invoices named no
    address under "Bill to" while its credit notes, issued live on the same orders, did."""
    from backoffice.models import Invoice

    assert main(['seed', '--orders', '60', '--seed', '5']) == 0
    with read_session() as session:
        shipping = dict(session.exec(select(Order.id, Order.shipping_address)).all())
        issued = session.exec(select(Invoice)).all()
        billed = {i.order_id: i.bill_to['address'] for i in issued}
    assert billed
    assert all(billed.values())
    assert billed == {order_id: shipping[order_id] for order_id in billed}
