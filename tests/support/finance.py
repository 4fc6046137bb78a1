"""Receivables test data: a shop with round prices (no VAT, no shipping) and orders invoiced on terms, made through
the real services."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from backoffice.db import session_scope
from backoffice.kpi.days import today as shop_today
from backoffice.models import Customer, Invoice, Order, User
from backoffice.services import app_settings, invoices

from .factories import make_product, place


def round_prices(admin: User) -> None:
    """No VAT and no shipping fee: an order's total is its goods' price, easy to add up by hand."""
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=app_settings.current_values(session=session),
            changes={'vat_rate': '0', 'shipping_fee': '0', 'support_email': 'billing@shop.example'},
        )


def mugs(actor: User, price: str = '10.00', sku: str = 'MUG') -> None:
    make_product(sku, price, stock_on_hand=10_000, actor=actor)


def invoiced_on_terms(
    actor: User,
    email: str,
    quantity: int,
    days: int = 30,
    *,
    company_id: int | None = None,
    name: str = '',
    sku: str = 'MUG',
) -> tuple[Order, Invoice]:
    """An order of `quantity` mugs by a customer on net `days` terms (of `company_id` if given), invoiced unpaid."""
    order = place((sku, quantity), email=email)
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.payment_terms_days = days
        if name:
            customer.name = name
        if company_id:
            customer.company_id = company_id
        session.add(customer)
        session.commit()
    with session_scope() as session:
        invoice = invoices.issue_invoice(session=session, actor=actor, order_id=order.id)
        session.commit()
    return order, invoice


def due_days_ago(invoice: Invoice, days: int) -> None:
    """Pretend the invoice fell due `days` ago (an issued invoice never changes through the app: plain SQL here)."""
    with session_scope() as session:
        due = shop_today(app_settings.time_zone()) - timedelta(days=days)
        session.execute(text('UPDATE invoices SET due_on = :due WHERE id = :id'), {'due': due, 'id': invoice.id})
        session.commit()
