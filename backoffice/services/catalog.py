"""Products as staff pick them on a form's line (a purchase's, a draft order's): suggested by the server for what is
typed, in the whole catalogue."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backoffice.engine import declaration
from backoffice.models import Product, User
from backoffice.permissions import require
from backoffice.services import crud

PRODUCT_CHOICES = 50  # suggestions a product picker lists for what was typed (or the first ones, by name)


def product_choices(*, session: Session, actor: User, text: str = '', limit: int = PRODUCT_CHOICES) -> dict[int, str]:
    """The products a line's picker suggests for what was typed, each named 'SKU · name' (two sizes may share a name):
    found as the products list's search finds them, by the SKU (on a supplier's delivery note, read out on the phone)
    or words of the name, among the whole catalogue. (The purchase and draft order dialogs listed the first 500
    products by name: the 501st could not be picked, and a SKU typed found nothing.)"""
    require(actor, 'catalog.read')
    products = declaration.resource('products')
    names = crud.lookup(session=session, actor=actor, resource=products, text=text, limit=limit)
    skus = dict(session.exec(select(Product.id, Product.sku).where(col(Product.id).in_(list(names)))).all())
    return {product_id: f'{skus[product_id]} · {name}' for product_id, name in names.items() if product_id in skus}
