"""The header's search across record types: exact numbers and prefixes of emails, names, SKUs and parcels' tracking
numbers, read by indexes, only in the types the user may read. Names and titles are compared without accents
(bo_fold, backoffice/listing/folding.py, as the lists' search): 'Lopez' finds 'López' and the other way round."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote

from sqlalchemy import String, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from backoffice.engine.declaration import link_fields
from backoffice.i18n import N_, _
from backoffice.listing.folding import fold
from backoffice.listing.search import first_reading
from backoffice.models import Company, ContentEntry, Customer, Invoice, Order, Product, Ticket
from backoffice.models.base import folded_starts_with, starts_with
from backoffice.permissions import can
from backoffice.resources import RESOURCES
from backoffice.resources.system import entity_permissions
from backoffice.services.tracking_search import orders_by_tracking

PER_TYPE = 5  # hits shown per record type
MIN_LENGTH = 2  # a shorter term finds only exact numbers
MAX_LENGTH = 100


@dataclass(frozen=True)
class Hit:
    """One record found: its type as a person reads it, what names it, a second line, and where it is shown."""

    kind: str  # 'Customer', marked English: shown through _()
    title: str
    detail: str
    link: str


@dataclass(frozen=True)
class RecordType:
    key: str  # the resource (or audited type) whose read permission guards it
    kind: str
    find: Callable[[Session, Any, tuple[str, ...]], list[Hit]]  # the term as typed, or each of its words

    def permission(self) -> str:
        if self.key in RESOURCES:
            return RESOURCES[self.key].read_permission
        return entity_permissions()[self.key]


def search(*, session: Session, actor: Any, term: str) -> list[Hit]:
    """Every record type the actor may read, each asked for at most PER_TYPE hits; types they may not read are never
    queried. Hits come grouped by type, in the order of RECORD_TYPES. Several words are read as a list's search reads
    them (`first_reading`), type by type: as typed, else each word, in any order ('Smith Anna' finds 'Anna Smith')."""
    term = ' '.join((term or '').split())[:MAX_LENGTH]
    if not term:
        return []
    hits: list[Hit] = []
    for record_type in RECORD_TYPES:
        if can(actor, record_type.permission()):
            found = first_reading(term, partial(record_type.find, session, actor))
            hits.extend((found or [])[:PER_TYPE])
    return hits


def readable_kinds(actor: Any) -> list[str]:
    """The record types this actor's search covers ('Customer', 'Order', …)."""
    return [t.kind for t in RECORD_TYPES if can(actor, t.permission())]


def _as_typed(find: Callable[[Session, Any, str], list[Hit]]) -> Callable[[Session, Any, tuple[str, ...]], list[Hit]]:
    """A record type found by a number, an email or a tracking number as typed: its words on their own find nothing."""

    def found(session: Session, actor: Any, terms: tuple[str, ...]) -> list[Hit]:
        return find(session, actor, terms[0]) if len(terms) == 1 else []

    return found


# --- one function per record type: the term as typed, or (names and titles) its words ---------------------------------


def _customers(session: Session, actor: Any, terms: tuple[str, ...]) -> list[Hit]:
    if len(terms) > 1:
        named = _named(session, Customer, actor, 'customers', col(Customer.name), terms)
        return [Hit(N_('Customer'), c.name or c.email, c.email, _link('customers', c)) for c in named]
    term = terms[0]
    found = _prefix(session, Customer, actor, 'customers', func.lower(Customer.email), term)
    if len(found) < PER_TYPE:
        found += _folded_prefix(session, Customer, actor, 'customers', col(Customer.name), term, found)
    hits = [Hit(N_('Customer'), c.name or c.email, c.email, _link('customers', c)) for c in found]
    if len(found) < PER_TYPE and len(term) >= MIN_LENGTH:  # 'Acme': Acme's contacts, their company named
        for customer, company in _members_of_companies_named(session, actor, term, found):
            detail = _('{email} · {company}').format(email=customer.email, company=company)
            hits.append(Hit(N_('Customer'), customer.name or customer.email, detail, _link('customers', customer)))
    return hits


def _companies(session: Session, actor: Any, terms: tuple[str, ...]) -> list[Hit]:
    found = _named(session, Company, actor, 'companies', col(Company.name), terms)
    return [Hit(N_('Company'), c.name, c.vat_number or '', _link('companies', c)) for c in found]


@_as_typed
def _orders(session: Session, actor: Any, term: str) -> list[Hit]:
    found = _first(session, Order, actor, 'orders', [Order.number == term])
    if '@' in term or not term.isdigit():
        found += _prefix(session, Order, actor, 'orders', func.lower(Order.email), term, found)
    if len(found) < PER_TYPE and (parcels := orders_by_tracking(session, term)):  # a parcel's tracking number
        found += _first(session, Order, actor, 'orders', [col(Order.id).in_(parcels)], found, order=col(Order.id))
    return [Hit(N_('Order'), _('Order {number}').format(number=o.number), o.email, _link('orders', o)) for o in found]


@_as_typed
def _invoices(session: Session, actor: Any, term: str) -> list[Hit]:
    rows = session.exec(
        select(Invoice, Order.number)
        .join(Order, col(Order.id) == col(Invoice.order_id))
        .where(Invoice.number == term.upper())
    ).all()
    link = RESOURCES['orders'].link
    return [
        Hit(
            N_('Invoice'),
            invoice.number,
            _('Order {number}').format(number=number),
            link.format(number=quote(str(number), safe='')),
        )
        for invoice, number in rows
    ]


@_as_typed
def _requests(session: Session, actor: Any, term: str) -> list[Hit]:
    digits = term.lstrip('#')
    if not digits.isdecimal() or len(digits) > 12:
        return []
    found = _first(session, Ticket, actor, 'tickets', [Ticket.number == int(digits)])
    return [
        Hit(N_('Request'), _('Request {number}').format(number=t.number), t.subject, _link('tickets', t)) for t in found
    ]


def _products(session: Session, actor: Any, terms: tuple[str, ...]) -> list[Hit]:
    if len(terms) > 1:
        named = _named(session, Product, actor, 'products', col(Product.name), terms)
        return [Hit(N_('Product'), p.name, p.sku, _link('products', p)) for p in named]
    term = terms[0]
    found = _prefix(session, Product, actor, 'products', func.lower(Product.sku), term)
    if len(found) < PER_TYPE and len(term) >= MIN_LENGTH:
        found += _folded_prefix(session, Product, actor, 'products', col(Product.name), term, found)
    return [Hit(N_('Product'), p.name, p.sku, _link('products', p)) for p in found]


def _content(session: Session, actor: Any, terms: tuple[str, ...]) -> list[Hit]:
    if len(terms) > 1:
        named = _named(session, ContentEntry, actor, 'content', col(ContentEntry.title), terms)
        return [Hit(N_('Content'), e.title, e.slug, _link('content', e)) for e in named]
    term = terms[0]
    if len(term) < MIN_LENGTH:
        return []
    found = _prefix(session, ContentEntry, actor, 'content', func.lower(ContentEntry.slug), term)
    if len(found) < PER_TYPE:
        found += _folded_prefix(session, ContentEntry, actor, 'content', col(ContentEntry.title), term, found)
    return [Hit(N_('Content'), e.title, e.slug, _link('content', e)) for e in found]


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType('customers', N_('Customer'), _customers),
    RecordType('companies', N_('Company'), _companies),
    RecordType('orders', N_('Order'), _orders),
    RecordType('invoices', N_('Invoice'), _invoices),
    RecordType('tickets', N_('Request'), _requests),
    RecordType('products', N_('Product'), _products),
    RecordType('content', N_('Content'), _content),
)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _named(session: Session, model: Any, actor: Any, key: str, column: Any, terms: tuple[str, ...]) -> list[Any]:
    """Records whose name (or title), folded, starts with the term; or, for its words, starts with one of them and
    holds each of the others anywhere: 'Smith Anna' finds 'Anna Smith' — each read by the name's folded prefix index,
    the others tested on its hits only. A word shorter than MIN_LENGTH is no start (a range of most names)."""
    if len(terms) == 1:
        return _folded_prefix(session, model, actor, key, column, terms[0])
    found: list[Any] = []
    for word in terms:
        if len(word) >= MIN_LENGTH:
            held = [_holds(column, other) for other in terms if other != word]
            found += _folded_prefix(session, model, actor, key, column, word, found, held)
    return found


def _holds(column: Any, word: str) -> ColumnElement[bool]:
    """bo_fold(column) holds the word, folded, anywhere (wildcards typed are text)."""
    escaped = (fold(word) or '').replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    return func.bo_fold(column).like(f'%{escaped}%', escape='\\')


def _prefix(
    session: Session, model: Any, actor: Any, key: str, lowered: ColumnElement[String], term: str, already=()
) -> list[Any]:
    """Records whose lower(column) starts with the term. On SQLite in that order: ordering by the indexed expression
    makes it read that index (without statistics it may pick the trash index, deleted_at IS NULL, and scan); not on
    PostgreSQL, whose text_pattern_ops index is not in the collation's order (a sort of every hit of 'a%') and whose
    planner has statistics."""
    dialect = session.get_bind().dialect.name
    starts = starts_with(dialect, lowered, term)
    return _first(session, model, actor, key, [starts], already, order=lowered if dialect == 'sqlite' else None)


def _folded_prefix(
    session: Session, model: Any, actor: Any, key: str, column: Any, term: str, already=(), held=()
) -> list[Any]:
    """Records whose column, folded (bo_fold: lower case, accents off), starts with the term folded the same way: read
    by the column's `folded_prefix_index` (migration 0069), ordered as `_prefix` is; `held`: more conditions on them."""
    dialect = session.get_bind().dialect.name
    starts, folded = folded_starts_with(dialect, column, term)
    order = folded if dialect == 'sqlite' else None
    return _first(session, model, actor, key, [starts, *held], already, order=order)


def _first(
    session: Session, model: Any, actor: Any, key: str, conditions: list[Any], already=(), *, order: Any = None
) -> list[Any]:
    """Up to PER_TYPE live records of a resource matching the conditions and the rows this actor may read, not in
    `already`."""
    resource = RESOURCES[key]
    wanted = PER_TYPE - len(already)
    if wanted <= 0:
        return []
    statement = select(model).where(*conditions)
    if resource.soft_delete:
        # wrapped, so that no planner reads the trash index (every live row) instead of the lookup's own index
        statement = statement.where(func.coalesce(model.deleted_at, None).is_(None))
    if resource.row_filter is not None:
        statement = statement.where(*resource.row_filter(actor))
    if order is not None:
        statement = statement.order_by(order)
    seen = {record.id for record in already}
    found = session.exec(statement.limit(wanted + len(seen))).all()
    return [record for record in found if record.id not in seen][:wanted]


def _members_of_companies_named(session: Session, actor: Any, term: str, already) -> list[tuple[Customer, str]]:
    """The contacts of the first companies whose name starts with the term (the companies' bo_fold prefix index),
    read by the index on customers.company_id; (customer, their company's name). Only for readers of companies too
    (the same permission today: `customers.read`)."""
    if not can(actor, RESOURCES['companies'].read_permission):
        return []
    companies = {c.id: c.name for c in _folded_prefix(session, Company, actor, 'companies', col(Company.name), term)}
    if not companies:
        return []
    members = _first(
        session,
        Customer,
        actor,
        'customers',
        [col(Customer.company_id).in_(companies)],
        already,
        order=col(Customer.id),
    )
    return [(customer, companies[customer.company_id]) for customer in members if customer.company_id in companies]


def _link(key: str, record: Any) -> str:
    template = RESOURCES[key].link
    names = {name: quote(str(getattr(record, name)), safe='') for name in link_fields(template)}
    return template.format(**names)
