"""Test data for orders and stock, made through the real services."""

from __future__ import annotations

from decimal import Decimal

from backoffice.db import read_session, session_scope
from backoffice.models import Order, Product, StockLevel, User
from backoffice.resources import resource
from backoffice.services import crud, orders, payments, purchases


def make_product(sku: str, price: str = '10.00', *, stock_on_hand: int | None = None, actor: User | None = None,
                 currency: str = 'EUR', name: str | None = None) -> Product:
    with session_scope() as session:
        product = crud.create_record(session=session, actor=None, system=True, resource=resource('products'),
                                     data={'sku': sku, 'name': name or f'Product {sku}', 'price': price,
                                           'currency': currency})
    if stock_on_hand is not None:
        receive(actor, product.id, stock_on_hand)
    return product


def receive(actor: User, product_id: int, quantity: int) -> None:
    with session_scope() as session:
        purchases.receive_purchase(session=session, actor=actor, supplier='Acme', reference='PO-1',
                               lines=[{'product_id': product_id, 'quantity': quantity}])


def place(*lines: tuple[str, int] | tuple[str, int, str], email: str = 'cleo@example.com',
          external_id: str | None = None, **fields) -> Order:
    data = {'email': email, 'external_id': external_id, 'shipping_address': '1 Main St\n10115 Berlin',
            'lines': [{'sku': line[0], 'quantity': line[1],
                       **({'discount_percent': line[2]} if len(line) > 2 else {})} for line in lines], **fields}
    with session_scope() as session:
        return orders.place_order(session=session, data=data).order


def pay(actor: User, order: Order, amount: str | Decimal | None = None) -> None:
    with session_scope() as session:
        payments.record_payment(session=session, actor=actor, order_id=order.id,
                                amount=amount if amount is not None else order.total, reference='BANK-1')


def fresh(order_id: int) -> Order:
    with read_session() as session:
        return session.get(Order, order_id)


def level(product_id: int) -> StockLevel:
    with read_session() as session:
        from sqlmodel import select
        return session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).one()


def advance(actor: User, order: Order, *steps: str) -> Order:
    """Move an order along the flow: 'pack', 'ship', 'deliver'."""
    for step in steps:
        order = fresh(order.id)
        with session_scope() as session:
            if step == 'ship':
                orders.ship(session=session, actor=actor, order_id=order.id, version=order.version)
            else:
                getattr(orders, step)(session=session, actor=actor, order_id=order.id, version=order.version)
    return fresh(order.id)
