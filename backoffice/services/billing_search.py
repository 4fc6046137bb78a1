"""Invoices, payments and refunds found by their order's number or their customer's name or email: the order by its
unique number, the customers the term finds by their own search index (accents folded: 'Lopez' finds 'López'), then
their orders (ix_orders_customer_placed_id), then the records of those orders (each table's order index). The lists'
`search_ids`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import or_, select
from sqlmodel import Session, col

from backoffice.engine.declaration import RESOURCES
from backoffice.listing.search import search_conditions
from backoffice.models import Customer, Invoice, Order, Payment, Refund

MAX_CUSTOMERS = 100  # a term more customers share than this ('example') is left to the list's own search
MAX_RECORDS = 2000  # records of those customers read with the list's own hits, at most


def by_customer(model: type[Invoice] | type[Payment] | type[Refund]) -> Callable[[Session, str], list[int]]:
    """A list's `search_ids`: the ids of `model`'s records (an `order_id` column) whose order the term names or whose
    order's customer the term finds. The list shows both to all its readers, so no other permission applies."""

    def found(session: Session, term: str) -> list[int]:
        customers = customers_found(session, term)
        # the order's number as a customer reads it out, by its unique index (for every reader of the list: a
        # document names its order)
        orders = select(col(Order.id)).where(
            or_(col(Order.number) == term.strip(), col(Order.customer_id).in_(customers))
            if customers
            else col(Order.number) == term.strip()
        )
        statement = select(col(model.id)).where(col(model.order_id).in_(orders)).limit(MAX_RECORDS)
        return list(session.execute(statement).scalars())

    return found


def customers_found(session: Session, term: str) -> list[int]:
    """The customers the term finds as the customers list's own search finds them (not its related searches), when
    they are few."""
    if len(term.strip()) < 3:
        return []
    conditions, _ = search_conditions(session, RESOURCES['customers'], term.strip(), session.get_bind().dialect.name)
    statement = select(col(Customer.id)).where(*conditions).limit(MAX_CUSTOMERS + 1)
    ids = list(session.execute(statement).scalars())
    return [] if len(ids) > MAX_CUSTOMERS else ids
