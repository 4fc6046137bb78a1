"""Order KPIs against a hand-computed day of orders: what counts as an order, turnover net of refunds, the average
basket, conversion, new customers, low stock, and an incremental refresh after an order is cancelled."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.kpi import capture, days, refresh
from backoffice.models import AppSetting, KpiDaily, Order, OrderEvent, Product, StockLevel
from backoffice.models.sales import Refund

from .support.factories import make_customer

ZONE = 'Europe/Berlin'
D = days.today(ZONE) - timedelta(days=3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(ZONE))


def values(key: str) -> dict[date, float | None]:
    with read_session() as session:
        return {row.day: row.value for row in session.exec(select(KpiDaily).where(KpiDaily.kpi == key))}


@pytest.fixture
def shop() -> dict[str, int]:
    with session_scope() as session:
        session.add(AppSetting(key='time_zone', value=ZONE))
        session.commit()
    jo, max_, sam = (make_customer(f'{name}@example.com') for name in ('jo', 'max', 'sam'))
    orders = {
        'old': (jo, 'delivered', '50.00', at(D - timedelta(days=5), 12)),  # jo is a returning customer
        'o6': (jo, 'shipped', '60.00', at(D - timedelta(days=1), 22)),  # the day before
        'o1': (jo, 'paid', '100.00', at(D, 10)),
        'o2': (max_, 'delivered', '40.00', at(D, 0, 15)),  # 23:15 UTC the day before: D in Berlin
        'o3': (sam, 'pending', '30.00', at(D, 12)),  # placed, not paid yet
        'o4': (sam, 'cancelled', '70.00', at(D, 13)),
        'o5': (max_, 'draft', '999.00', at(D, 14)),
    }
    ids = {}
    with session_scope() as session:
        for number, (name, (customer, status, total, placed)) in enumerate(orders.items(), start=100):
            order = Order(
                number=str(number),
                customer_id=customer.id,
                email=customer.email,
                status=status,
                total=Decimal(total),
                placed_at=placed,
            )
            session.add(order)
            session.flush()
            ids[name] = order.id
        session.add(Refund(order_id=ids['o6'], amount=Decimal('15.00'), refunded_at=at(D, 9)))
        for sku, (on_hand, reserved, minimum) in {
            'P1': (6, 2, 5),
            'P2': (0, 0, 0),
            'P3': (10, 0, 3),
            'P4': (2, 0, 2),
        }.items():
            product = Product(sku=sku, name=sku)
            session.add(product)
            session.flush()
            session.add(
                StockLevel(
                    product_id=product.id,
                    sku=sku,
                    on_hand=on_hand,
                    reserved=reserved,
                    available=on_hand - reserved,
                    min_qty=minimum,
                    # as services/stock.py keeps it with the quantities (what the card and the list read)
                    low_stock=minimum > 0 and on_hand - reserved <= minimum,
                )
            )
        session.commit()
        result = capture.record_events(
            session=session,
            batch=[
                {'id': f'v{n}', 'type': 'visit', 'ts': at(D, 9 + n).isoformat(), 'anonymous_id': f'a{n}'}
                for n in range(4)
            ],
        )
        assert result.accepted == 4
    return ids


def test_order_kpis_match_the_hand_computed_day(shop: dict[str, int]) -> None:
    refresh.recompute(first=D - timedelta(days=1), last=D)

    assert values('orders') == {D - timedelta(days=1): 1, D: 3}  # o1, o2, o3
    assert values('turnover') == {D - timedelta(days=1): 60, D: 125}  # 100 + 40 − 15 refunded
    assert values('average_basket')[D] == 70  # (100 + 40) / 2 paid
    assert values('conversion')[D] == 75  # 3 orders / 4 visits
    assert values('new_customers') == {D - timedelta(days=1): 0, D: 2}  # max and sam; jo ordered before
    today = days.today(ZONE)
    refresh.recompute(first=today, last=today)
    assert values('low_stock') == {today: 2}  # P1 (4 ≤ 5) and P4 (2 ≤ 2)


def test_cancelling_an_order_reaches_its_day_in_the_next_incremental_refresh(shop: dict[str, int]) -> None:
    refresh.refresh_incremental()
    assert (values('orders')[D], values('turnover')[D]) == (3, 125)

    with session_scope() as session:
        order = session.get(Order, shop['o1'])
        order.status = 'cancelled'
        session.add(order)
        session.add(OrderEvent(order_id=order.id, kind='cancelled', text='Cancelled by the customer'))
        session.commit()
    refresh.refresh_incremental()

    assert (values('orders')[D], values('turnover')[D], values('average_basket')[D]) == (2, 25, 40)


def test_a_paid_order_cancelled_and_refunded_leaves_the_turnover_as_if_never_sold(shop: dict[str, int]) -> None:
    """Cancelling takes the sale off its day; the refund that follows must not take it off a second time."""
    refund_day = D + timedelta(days=1)
    with session_scope() as session:
        order = session.get(Order, shop['o1'])  # paid 100.00 on D
        order.status, order.cancelled_at = 'cancelled', at(refund_day, 9)
        session.add(order)
        session.add(Refund(order_id=order.id, amount=Decimal('100.00'), refunded_at=at(refund_day, 10)))
        session.commit()
    refresh.recompute(first=D, last=refund_day)

    turnover = values('turnover')
    assert (turnover[D], turnover[refund_day]) == (25, 0)  # 40 − 15 refunded on o6; the cancelled sale counts nowhere


def test_an_exchange_order_is_no_sale(shop: dict[str, int]) -> None:
    """A return ended in an exchange sends the goods again in an order of its own, paid at 0: not an order the
    customer placed, so neither an order, nor a basket of 0 in the average, nor a conversion."""
    with session_scope() as session:
        session.add(
            Order(
                number='200',
                customer_id=session.get(Order, shop['o2']).customer_id,
                email='max@example.com',
                status='paid',
                source='exchange',
                total=Decimal('0.00'),
                placed_at=at(D, 16),
                paid_at=at(D, 16),
            )
        )
        session.commit()
    refresh.recompute(first=D, last=D)

    assert values('orders')[D] == 3
    assert values('average_basket')[D] == 70
    assert values('conversion')[D] == 75
    assert values('turnover')[D] == 125


def test_money_kpis_add_up_the_shops_currency_only(shop: dict[str, int]) -> None:
    """The cards say the shop's currency (EUR): an order paid in dollars is an order, but its 500 are not 500 EUR of
    turnover nor of basket, and its refund takes no euros off (the sales report leaves them out the same way)."""
    with session_scope() as session:
        dollars = Order(
            number='300',
            customer_id=session.get(Order, shop['o2']).customer_id,
            email='max@example.com',
            status='paid',
            currency='USD',
            total=Decimal('500.00'),
            placed_at=at(D, 17),
        )
        session.add(dollars)
        session.flush()
        session.add(Refund(order_id=dollars.id, amount=Decimal('50.00'), refunded_at=at(D, 18)))
        session.commit()
    refresh.recompute(first=D, last=D)

    assert values('orders')[D] == 4  # o1, o2, o3 and the dollars
    assert values('turnover')[D] == 125
    assert values('average_basket')[D] == 70


def test_an_order_paid_long_after_it_was_placed_reaches_its_day_in_the_next_incremental_refresh(
    shop: dict[str, int],
) -> None:
    """A company on net-60 terms pays today an order placed 50 days ago: the turnover counts it on the day it was
    placed, past the days the incremental refresh and the nightly recompute reach; it was never counted anywhere."""
    placed = days.today(ZONE) - timedelta(days=50)
    with session_scope() as session:
        order = Order(
            number='NET-60 "t": <b>',  # the number's 20 characters at most
            customer_id=session.get(Order, shop['o1']).customer_id,
            email='jo@example.com',
            status='pending',
            total=Decimal('1200.00'),
            placed_at=at(placed, 23, 30),  # late in the evening, Berlin: 22:30 UTC, the same day
        )
        session.add(order)
        session.commit()
        order_id = order.id
    refresh.recompute(first=placed - timedelta(days=1), last=days.today(ZONE))
    refresh.refresh_incremental()  # the watermarks past every row so far
    assert (values('orders')[placed], values('turnover')[placed]) == (1, 0)

    with session_scope() as session:  # the payment, as services/payments.py records it: the status and its timeline
        order = session.get(Order, order_id)
        order.status, order.paid_at = 'paid', datetime.now(ZoneInfo(ZONE))
        session.add(order)
        session.add(OrderEvent(order_id=order_id, kind='paid', text='Paid: BANK-1'))
        session.commit()
    refresh.refresh_incremental()

    assert (values('orders')[placed], values('turnover')[placed], values('average_basket')[placed]) == (1, 1200, 1200)
