"""Receivables test data: a shop with round prices (no VAT, no shipping) and orders invoiced on terms, made through
the real services."""

from __future__ import annotations

from backoffice.db import session_scope
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


def mugs(actor: User, price: str = '10.00') -> None:
    make_product('MUG', price, stock_on_hand=10_000, actor=actor)


def invoiced_on_terms(
    actor: User, email: str, quantity: int, days: int = 30, *, company_id: int | None = None, name: str = ''
) -> tuple[Order, Invoice]:
    """An order of `quantity` mugs by a customer on net `days` terms (of `company_id` if given), invoiced unpaid."""
    order = place(('MUG', quantity), email=email)
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
