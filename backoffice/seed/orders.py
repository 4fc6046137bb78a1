"""Deterministic orders for the demo and the benchmark: a year of orders with lines, payments, invoices and shipments,
priced as services/orders.py prices them (the VAT rate and shipping of /settings), in bulk (core inserts of big
batches), with stock levels that match what the open orders reserve and a stock ledger holding each shipped line as
a sale. The same seed and day give the same orders."""

from __future__ import annotations

import heapq
import random
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, MetaData, Table, Text, bindparam, case, func, insert, text, update
from sqlmodel import Session, col, select

from backoffice.db import compact_json
from backoffice.i18n import N_
from backoffice.listing.search import search_index_suspended
from backoffice.models import (
    Carrier,
    Company,
    Customer,
    Invoice,
    MovementKind,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Product,
    Shipment,
    StockLevel,
    StockMovement,
)
from backoffice.seed.people import big_page_cache, seed_customers
from backoffice.services import app_settings, numbering
from backoffice.services import invoice_issue as invoice_service
from backoffice.services.orders import FIRST_NUMBER
from backoffice.services.stock import SALE_REASON
from backoffice.stored_text import money, sentence, stored, word

CHUNK = 10_000
BULK = 20_000  # from this many orders: the search index is rebuilt once at the end, no timeline entries
MAX_CUSTOMERS = 200_000  # orders go to (at most) this many customers, the first ones by id
DAY = 86_400.0
CARRIERS = (  # code, name, tracking link
    ('dhl', 'DHL', 'https://www.dhl.com/global-en/home/tracking.html?tracking-id={tracking}'),
    ('ups', 'UPS', 'https://www.ups.com/track?tracknum={tracking}'),
    ('dpd', 'DPD', 'https://tracking.dpd.de/status/en_US/parcel/{tracking}'),
    ('gls', 'GLS', 'https://gls-group.com/track/{tracking}'),
    ('post', 'Deutsche Post', 'https://www.deutschepost.de/sendung/simpleQuery.html?form.sendungsnummer={tracking}'),
)
METHODS = ('bank_transfer', 'bank_transfer', 'card_terminal', 'cash', 'other')


@dataclass(frozen=True)
class SeededOrders:
    orders: int
    lines: int
    payments: int
    shipments: int
    invoices: int = 0


def seed_carriers(session: Session) -> int:
    if session.exec(select(Carrier.id)).first() is not None:
        return 0
    for code, name, template in CARRIERS:
        session.add(Carrier(code=code, name=name, tracking_url_template=template))
    session.commit()
    return len(CARRIERS)


def seed_orders_for_benchmark(
    *, session: Session, orders: int, seed: int = 1, customers: int | None = None, companies: int | None = None
) -> list[str]:
    """`seed --orders N`: orders need customers and products, so a catalogue and one customer per ten orders are
    added when missing (or `customers` more when given). Returns the lines to print."""
    from backoffice.seed.catalog import seed_catalog

    started = time.perf_counter()
    lines = []
    if customers or session.exec(select(Customer.id)).first() is None:
        customers = customers or max(100, orders // 10)
        seeded = seed_customers(
            session=session,
            customers=customers,
            seed=seed,
            companies=companies if companies is not None else customers // 200,
        )
        lines.append(f'Added {seeded.customers:,} customers and {seeded.companies:,} companies.')
    catalog = seed_catalog(session, random.Random(seed))
    if catalog.products:
        lines.append(f'Added a catalogue of {catalog.products} products.')
    made = seed_orders(session=session, orders=orders, seed=seed)
    lines.append(
        f'Added {made.orders:,} orders with {made.lines:,} lines, {made.payments:,} payments, '
        f'{made.invoices:,} invoices and {made.shipments:,} shipments '
        f'in {time.perf_counter() - started:.1f} s (seed {seed}).'
    )
    return lines


def seed_orders(*, session: Session, orders: int, seed: int = 1, anchor: datetime | None = None) -> SeededOrders:
    """Add `orders` orders placed over the year before `anchor` (more lately), to existing customers and active
    products, in one transaction. Their status follows from their age: old ones are delivered, recent ones paid,
    packed or on their way, about 4 % cancelled. Each paid order has its invoice, issued when it was paid (when it
    was placed for a company's member on payment terms, who pays within them, late or not yet: the receivables) and
    numbered per year in order of issue, after any invoice of that year issued before (the numbering counters
    are moved on, so the next invoice issued live follows without a gap)."""
    anchor = anchor or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    seed_carriers(session)
    customers = sorted(  # by sign-up: an order goes to someone who had signed up by then
        session.exec(
            select(Customer.id, Customer.email, Customer.name, Customer.signed_up_at)
            .order_by(col(Customer.id))
            .limit(MAX_CUSTOMERS)
        ),
        key=lambda customer: _aware(customer[3]),
    )
    products = list(
        session.exec(
            select(Product.id, Product.sku, Product.name, Product.price, Product.currency, Product.stocked)
            .where(col(Product.active).is_(True), col(Product.deleted_at).is_(None))
            .order_by(col(Product.id))
        )
    )
    if not customers or not products or orders <= 0:
        return SeededOrders(0, 0, 0, 0)
    by_currency: dict[str, list] = {}
    for product in products:
        by_currency.setdefault(product.currency, []).append(
            (product.id, product.sku, product.name, int(product.price * 100))
        )
    carriers = list(
        session.exec(select(Carrier.id, Carrier.tracking_url_template, Carrier.name).order_by(col(Carrier.id)))
    )
    buyers = _business_buyers(session)
    # the stock these orders move, as real orders move it: each stocked product's shipped lines are sales in its
    # ledger and its open orders reserve; a level is made for a product that had none (a second `seed --orders` on
    # products with stock wrote their orders without a movement and reserved nothing)
    sales = {p.id: _Sales() for p in products if p.stocked}
    first_id = (session.exec(select(func.max(Order.id))).one() or 0) + 1
    first_number = numbering.next_number(session, 'orders', FIRST_NUMBER + first_id - 1)
    bulk = orders >= BULK
    reserved: dict[int, int] = {}
    counts = {'orders': 0, 'lines': 0, 'payments': 0, 'shipments': 0, 'invoices': 0}
    invoices = _InvoiceQueue(session)
    generator = _orders(
        rng,
        orders,
        anchor,
        first_id,
        first_number,
        customers,
        by_currency,
        carriers,
        reserved,
        _terms(session),
        invoices,
        buyers,
        random.Random(seed + 1),
        sales,
    )
    with big_page_cache(session), search_index_suspended(session, 'orders') if bulk else nullcontext():
        for batch in _batches(generator, CHUNK):
            for table, rows in (
                ('orders', [b[0] for b in batch]),
                ('lines', [r for b in batch for r in b[1]]),
                ('payments', [b[2] for b in batch if b[2]]),
                ('invoices', [r for b in batch for r in b[5]]),
                ('shipments', [b[3] for b in batch if b[3]]),
                ('events', [] if bulk else [r for b in batch for r in b[4]]),
            ):
                if rows:
                    _insert(session, TABLES[table], rows)
                    counts[table] = counts.get(table, 0) + len(rows)
    numbering.set_counter(session, 'orders', first_number + orders - 1)
    invoices.move_counters()
    if session.get_bind().dialect.name == 'postgresql':  # ids were given explicitly: move the sequence past them
        session.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders))"))
    _stock_for(
        session, rng, sales, reserved, anchor - timedelta(seconds=span_of_orders() + DAY), first_id, first_number
    )
    if bulk:
        for table in ('orders', 'order_lines', 'payments', 'shipments', 'invoices'):
            session.execute(text(f'ANALYZE {table}'))
    session.commit()
    return SeededOrders(counts['orders'], counts['lines'], counts['payments'], counts['shipments'], counts['invoices'])


TABLES = {
    'orders': Order.__table__,
    'lines': OrderLine.__table__,
    'payments': Payment.__table__,
    'shipments': Shipment.__table__,
    'events': OrderEvent.__table__,
    'invoices': Invoice.__table__,
}


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows of one shape into a table: PostgreSQL's COPY (several times faster than a pipeline of INSERTs), else
    one executemany."""
    if session.get_bind().dialect.name != 'postgresql':
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    json_columns = {  # as the engine writes them: through the column's type (RowsJSON packs), compact
        name: getattr(kind, 'process_bind_param', lambda value, dialect: value)
        for name in names
        if isinstance(kind := table.c[name].type, JSON) or isinstance(getattr(kind, 'impl', None), JSON)
    }
    cursor = session.connection().connection.dbapi_connection.cursor()
    with cursor.copy(f'COPY {table.name} ({", ".join(names)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    compact_json(json_columns[name](row[name], None)) if name in json_columns else row[name]
                    for name in names
                ]
            )


@dataclass(frozen=True)
class _Buyer:
    """A company's member, as an invoice names them: the company, its VAT number and the payment terms in days (None:
    pays before being invoiced)."""

    company: str
    vat_number: str
    terms: int | None


def _business_buyers(session: Session) -> dict[int, _Buyer]:
    """The customers of a company, by id, with the terms they buy on (their own, else their company's)."""
    rows = session.exec(
        select(Customer.id, Company.name, Company.vat_number, Customer.payment_terms_days, Company.payment_terms_days)
        .join(Company, col(Company.id) == Customer.company_id)
        .order_by(col(Customer.id))
    ).all()
    return {
        customer_id: _Buyer(name, vat or '', own if own is not None else company_terms)
        for customer_id, name, vat, own, company_terms in rows
    }


def _aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def _terms(session: Session) -> tuple[int, int, int]:
    """(VAT in hundredths of a percent, shipping fee in cents, free shipping from in cents), as /settings says."""

    def setting(key: str) -> int:
        return int(app_settings.decimal_value(session=session, key=key) * 100)

    return setting('vat_rate'), setting('shipping_fee'), setting('free_shipping_from')


class _InvoiceQueue:
    """Invoices wait here until no order still to come can be paid before them (orders come in the order they were
    placed, and each is paid after it was placed), then take the next number of their year from where its counter
    stands: so they are numbered in order of payment, without a gap, and the counters end where live issuing
    continues."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.waiting: list[tuple[datetime, int, dict[str, Any]]] = []
        self.last: dict[int, int] = {}  # year → the last number given
        # who sells, as each invoice is issued: the snapshot of the settings' identity they all refer to
        self.seller_id = invoice_service.seller_snapshot(session, invoice_service.seller_identity(session)).id
        self.buyers: dict[str, int | None] = {}  # the buyers' snapshots by digest

    def add(self, invoice: dict[str, Any]) -> None:
        invoice['seller_id'] = self.seller_id
        # the buyer's snapshot, stored once per customer (as live issuing stores it, migration 0042)
        bill_to = invoice.pop('bill_to')
        digest = invoice_service.seller_digest(bill_to)
        if digest not in self.buyers:
            self.buyers[digest] = invoice_service.buyer_snapshot(self.session, bill_to).id
        invoice['buyer_id'] = self.buyers[digest]
        heapq.heappush(self.waiting, (invoice['issued_at'], invoice['order_id'], invoice))

    def ready(self, before: datetime | None) -> list[dict[str, Any]]:
        """The invoices paid before `before` (all when None), numbered."""
        numbered = []
        while self.waiting and (before is None or self.waiting[0][0] < before):
            invoice = heapq.heappop(self.waiting)[2]
            year = invoice['year']
            if year not in self.last:
                self.last[year] = numbering.current(self.session, f'invoice-{year}')
            self.last[year] += 1
            invoice['sequence'], invoice['number'] = self.last[year], f'INV-{year}-{self.last[year]:06d}'
            numbered.append(invoice)
        return numbered

    def move_counters(self) -> None:
        for year, last in self.last.items():
            numbering.set_counter(self.session, f'invoice-{year}', last)


# where the demo's parcels go: made from the order's id, not the random stream (the seed's other data stays as it was)
STREETS = ('Hauptstraße', 'Rue de la Paix', 'Kerkstraat', 'Via Roma', 'Calle Mayor', 'Storgatan', 'High Street')
TOWNS = (
    ('10115', 'Berlin'),
    ('75002', 'Paris'),
    ('1012 AB', 'Amsterdam'),
    ('00184', 'Roma'),
    ('28013', 'Madrid'),
    ('111 20', 'Stockholm'),
    ('EC1A 1BB', 'London'),
    ('80331', 'München'),
)
NOTES = ('Please leave the parcel with the neighbour', 'Ring twice', 'Deliver after 5 pm', 'Gift: no invoice inside')


def _address(order_id: int) -> str:
    postcode, town = TOWNS[order_id // len(STREETS) % len(TOWNS)]
    return f'{order_id % 120 + 1} {STREETS[order_id % len(STREETS)]}\n{postcode} {town}'


def _orders(
    rng: random.Random,
    count: int,
    anchor: datetime,
    first_id: int,
    first_number: int,
    customers: list,
    by_currency: dict[str, list],
    carriers: list,
    reserved: dict[int, int],
    terms: tuple[int, int, int],
    invoices: _InvoiceQueue,
    buyers: dict[int, _Buyer],
    late: random.Random,
    sales: dict[int, _Sales],
) -> Iterator[tuple]:
    random_, choice, randint = rng.random, rng.choice, rng.randint
    vat, shipping_fee, free_from = terms
    tax_rate = Decimal(vat).scaleb(-4)  # 2000 → 0.2000
    currencies = list(by_currency)
    span = span_of_orders()
    signed_up = [_aware(customer[3]) for customer in customers]
    for i in range(count):
        order_id = first_id + i
        # more orders lately: the density of order times grows linearly over the year
        placed = anchor - timedelta(seconds=span * (1 - ((i + random_()) / count) ** 0.5))
        # one of the customers signed up by then (the first one if none was yet), so that a new customer's first
        # order follows their sign-up, as the dashboard's "New customers" and "New sign-ups" do in a real shop
        customer_id, email, customer_name, _ = customers[int(random_() * max(bisect_right(signed_up, placed), 1))]
        buyer = buyers.get(customer_id)
        # a business customer on terms is invoiced in the shop's currency (the receivables add their amounts up)
        on_terms = buyer is not None and buyer.terms is not None
        currency = 'EUR' if 'EUR' in by_currency and (on_terms or random_() < 0.94) else choice(currencies)
        lines, subtotal, discount_total, tax = [], 0, 0, 0
        for product_id, sku, name, price in rng.sample(
            by_currency[currency], min(len(by_currency[currency]), 1 + int(random_() ** 2 * 4))
        ):
            quantity = 1 if random_() < 0.7 else randint(2, 4)
            gross = price * quantity
            discount = gross // 10 if random_() < 0.08 else 0
            net = gross - discount
            line_tax = (net * vat + 5000) // 10000
            subtotal, discount_total, tax = subtotal + gross, discount_total + discount, tax + line_tax
            lines.append(
                {
                    'order_id': order_id,
                    'product_id': product_id,
                    'sku': sku,
                    'name': name,
                    'quantity': quantity,
                    'unit_price': _money(price),
                    'tax_rate': tax_rate,
                    'discount': _money(discount),
                    'line_total': _money(net),
                    'tax_amount': _money(line_tax),
                }
            )
        goods = subtotal - discount_total
        shipping = 0 if goods >= free_from else shipping_fee
        tax += (shipping * vat + 5000) // 10000
        total = goods + shipping + tax
        # each step happens a while after the one before; what has not happened by the anchor has not happened
        paid = placed + timedelta(seconds=rng.expovariate(1 / (0.4 * DAY)))
        if buyer is not None and buyer.terms is not None:  # invoiced when placed, paid within its terms or late
            paid = placed + timedelta(seconds=DAY * _days_to_pay(late, buyer.terms))
        shipped = paid + timedelta(seconds=DAY * (0.3 + rng.expovariate(1 / 1.2)))
        delivered = shipped + timedelta(seconds=DAY * (1 + rng.expovariate(1 / 1.5)))
        cancelled = random_() < 0.04 or (random_() < 0.02 and paid < anchor)
        status, payment, shipment, shipped_said = 'pending', None, None, SHIPPED
        values = {'paid_at': None, 'shipped_at': None, 'delivered_at': None, 'cancelled_at': None}
        if cancelled:
            status = 'cancelled'
            values['cancelled_at'] = min(anchor, placed + timedelta(seconds=random_() * DAY))
        elif buyer is not None and buyer.terms is not None:
            invoices.add(
                _invoice(
                    order_id,
                    placed,
                    currency,
                    lines,
                    customer_name,
                    email,
                    (subtotal, discount_total, tax, shipping, total),
                    str(first_number + i),
                    buyer=buyer,
                    paid=paid if paid < anchor else None,
                    terms=buyer.terms,
                )
            )
        if not cancelled and paid < anchor:
            status, values['paid_at'] = 'paid', paid
            payment = {
                'order_id': order_id,
                'provider': 'manual',
                'method': 'bank_transfer' if on_terms else choice(METHODS),
                'reference': f'BANK-{order_id:08d}',
                'amount': _money(total),
                'paid_at': paid,
            }
            if not on_terms:
                invoices.add(
                    _invoice(
                        order_id,
                        paid,
                        currency,
                        lines,
                        customer_name,
                        email,
                        (subtotal, discount_total, tax, shipping, total),
                        str(first_number + i),
                        buyer=buyer,
                        paid=paid,
                    )
                )
            if shipped - timedelta(seconds=0.2 * DAY) < anchor:
                status = 'packed'
            if shipped < anchor:
                status, values['shipped_at'] = 'shipped', shipped
                carrier_id, template, carrier_name = choice(carriers) if carriers else (None, '', '')
                tracking = f'JJD{rng.randrange(10**13, 10**14)}'
                if carrier_name:  # as services/orders.ship says it: with the carrier and the parcel's tracking
                    shipped_said = _shipped_with(carrier_name, tracking)
                shipment = {
                    'order_id': order_id,
                    'carrier_id': carrier_id,
                    'tracking_number': tracking,
                    'tracking_url': None if template else '',  # the carrier's template makes it (migration 0042)
                    'shipped_at': shipped,
                    'delivered_at': delivered if delivered < anchor else None,
                }
                if delivered < anchor:
                    status, values['delivered_at'] = 'delivered', delivered
                at = (shipped - EPOCH) // MICROSECOND
                for line in lines:  # the goods left the shelf: a sale movement each, as services/stock.ship books it
                    if (sold := sales.get(line['product_id'])) is not None:
                        sold.add(at, order_id, line['quantity'])
        if status in ('pending', 'paid', 'packed'):
            for line in lines:
                reserved[line['product_id']] = reserved.get(line['product_id'], 0) + line['quantity']
        last = max([placed, *(v for v in values.values() if v is not None)])
        order = {
            'id': order_id,
            'number': str(first_number + i),
            'external_id': f'shop-{order_id}' if random_() < 0.9 else None,
            'customer_id': customer_id,
            'email': email,
            'status': status,
            'source': 'seed',
            'currency': currency,
            'subtotal': _money(subtotal),
            'discount_total': _money(discount_total),
            'tax_total': _money(tax),
            'shipping_total': _money(shipping),
            'total': _money(total),
            'paid_total': _money(total if payment else 0),
            'refunded_total': _money(0),
            'placed_at': placed,
            'created_at': placed,
            'updated_at': last,
            'version': 1,
            'shipping_name': customer_name,
            'shipping_address': _address(order_id),
            'note': NOTES[order_id % len(NOTES)] if order_id % 23 == 0 else '',
            **values,
        }
        # timeline entries as the services write them: English text, and its msgid and values for each reader
        events = [_event(order_id, 'created', PLACED, placed)]
        for kind, at, said in (
            ('paid', values['paid_at'], _paid(order['total'], currency)),
            ('shipped', values['shipped_at'], shipped_said),
            ('delivered', values['delivered_at'], DELIVERED),
            ('cancelled', values['cancelled_at'], CANCELLED),
        ):
            if at is not None:
                events.append(_event(order_id, kind, said, at))
        # orders still to come are placed (so paid) after this one: invoices paid before it can take their numbers
        yield order, lines, payment, shipment, events, invoices.ready(placed if i < count - 1 else None)


# the fixed timeline texts, rendered once (a bulk seed writes hundreds of thousands)
PLACED, SHIPPED, DELIVERED, CANCELLED = (
    (said.english, said.key, said.params)
    for said in (
        sentence(N_('Placed ({source}): waiting for payment'), source=word(N_('from the shop'))),
        sentence(N_('Shipped')),
        sentence(N_('Delivered')),
        sentence(N_('Cancelled by the customer')),
    )
)
PAID = N_('Payment of {amount}')
SHIPPED_WITH = N_('Shipped with {carrier}, tracking {tracking}')  # services/orders.py's sentence


def _shipped_with(carrier: str, tracking: str) -> tuple[str, str, dict[str, Any]]:
    """'Shipped with DHL, tracking JJD…', as stored_text.sentence(SHIPPED_WITH, carrier=…, tracking=…) stores it."""
    return f'Shipped with {carrier}, tracking {tracking}', SHIPPED_WITH, {'carrier': carrier, 'tracking': tracking}


def _paid(total: Any, currency: str) -> tuple[str, str, dict[str, Any]]:
    """'Payment of 42.00 EUR', as stored_text.sentence(PAID, amount=money(total, currency)) says it in English."""
    return f'Payment of {total} {currency}', PAID, {'amount': money(total, currency)}


def _event(order_id: int, kind: str, said: tuple[str, str, dict[str, Any]], at: datetime) -> dict[str, Any]:
    english, key, params = said
    return {
        'order_id': order_id,
        'kind': kind,
        'text': english,
        'text_key': key,
        'text_params': params,
        'created_at': at,
    }


def _days_to_pay(late: random.Random, terms: int) -> float:
    """How long after its invoice a business customer pays: most within their terms, some late, a few very late (the
    receivables' ageing has something in each bucket)."""
    roll = late.random()
    if roll < 0.75:
        return terms * (0.3 + 0.7 * late.random())
    if roll < 0.92:
        return terms + late.uniform(3, 60)
    return terms + late.uniform(70, 200)


def _invoice(
    order_id: int,
    issued: datetime,
    currency: str,
    lines: list[dict],
    name: str,
    email: str,
    cents: tuple[int, int, int, int, int],
    order_number: str,
    *,
    buyer: _Buyer | None,
    paid: datetime | None,
    terms: int = 0,
) -> dict[str, Any]:
    """The invoice issued on payment, or when the order was placed for a customer on terms (due at the end of their
    terms), as services/invoices.py issues it (_InvoiceQueue numbers it and adds the seller)."""
    subtotal, discount, tax, shipping, total = (_money(c) for c in cents)
    copied = [
        {
            'sku': line['sku'],
            'name': line['name'],
            'quantity': line['quantity'],
            'unit_price': str(line['unit_price']),
            'discount': str(line['discount']),
            'tax_rate': str(line['tax_rate']),
            'tax_amount': str(line['tax_amount']),
            'line_total': str(line['line_total']),
        }
        for line in lines
    ]
    return {
        'number': '',
        'kind': 'invoice',
        'year': issued.year,
        'sequence': 0,
        'order_id': order_id,
        'issued_at': issued,
        'currency': currency,
        'subtotal': subtotal,
        'discount_total': discount,
        'tax_total': tax,
        'shipping_total': shipping,
        'total': total,
        'bill_to': {'name': name, 'email': email, 'address': _address(order_id), **_company_of(buyer)},
        'note': '',
        'lines': copied,
        'order_number': order_number,
        'vat_breakdown': invoice_service.vat_breakdown(copied, shipping, tax),
        'supplied_at': issued,
        'due_on': issued.date() + timedelta(days=terms),  # on receipt (and paid), or at the end of the terms
        'payment_terms_days': terms,
        'paid_at': paid,
    }


def _company_of(buyer: _Buyer | None) -> dict[str, str]:
    return {'company': buyer.company, 'vat_number': buyer.vat_number} if buyer is not None else {}


def span_of_orders() -> float:
    """The seconds the seeded orders are placed over: a year."""
    return 365 * DAY


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class _Sales:
    """A product's shipped sales, compactly (a million orders ship about 1.7 million lines): when (microseconds since
    the epoch), which order, how many."""

    __slots__ = ('at', 'orders', 'quantities')

    def __init__(self) -> None:
        self.at, self.orders, self.quantities = array('q'), array('q'), array('l')

    def add(self, at: int, order_id: int, quantity: int) -> None:
        self.at.append(at)
        self.orders.append(order_id)
        self.quantities.append(quantity)

    def total(self) -> int:
        return sum(self.quantities)

    def in_order(self) -> Iterator[tuple[int, int, int]]:
        """(when, order, quantity) by when they shipped (then by order)."""
        at, orders, quantities = self.at, self.orders, self.quantities
        for k in sorted(range(len(at)), key=lambda k: (at[k], orders[k])):
            yield at[k], orders[k], quantities[k]


def _stock_for(
    session: Session,
    rng: random.Random,
    sales: dict[int, _Sales],
    reserved: dict[int, int],
    opened: datetime,
    first_id: int,
    first_number: int,
) -> None:
    """Stock levels for the stocked products that had none: on hand enough for what open orders reserve, a few of them
    low, min/max on most; and their ledger as the stock service would have written it, summing to on hand: the
    opening stock (a receipt before the year of orders), then a sale for each shipped line, at its shipment's time,
    naming its order, the balance going down (a product's stock history shows its sales). A product that had stock
    keeps what is on its shelf: its open orders reserve from it, and its ledger gains the sales after a receipt of
    as many before the year of orders (summing to nothing: on hand was counted since)."""
    skus = dict(session.exec(select(Product.id, Product.sku)).all())
    levels = {level.product_id: level for level in session.exec(select(StockLevel))}
    now = datetime.now(UTC)
    opening: list[dict[str, Any]] = []
    streams = []
    stocked_before: list[int] = []  # products that had stock: their ledger is read again in the order of time
    # a product's opening stock from an earlier run: one opening a product, grown by what these orders shipped
    opened_before = dict(
        session.exec(
            select(StockMovement.product_id, func.min(StockMovement.id))
            .where(StockMovement.kind == MovementKind.receipt, StockMovement.reason_key == OPENING[1])
            .group_by(col(StockMovement.product_id))
        ).all()
    )
    grown: list[dict[str, Any]] = []
    for product_id, sold in sales.items():
        held = reserved.get(product_id, 0)
        level = levels.get(product_id)
        if level is not None:
            _reserve(session, level, held, now)
            if sold.total() and product_id in opened_before:
                grown.append({'opening_id': opened_before[product_id], 'more': sold.total()})
                streams.append(_balances(product_id, sold.total(), sold))
                stocked_before.append(product_id)
            elif sold.total():  # the units these orders shipped came in before them: the shelf is left as it was
                opening.append(_opening(product_id, sold.total(), opened))
                streams.append(_balances(product_id, sold.total(), sold))
                stocked_before.append(product_id)
            continue
        minimum = rng.choice((0, 5, 10, 20))
        free = rng.randint(0, minimum) if minimum and rng.random() < 0.15 else rng.randint(15, 120)
        on_hand = held + free
        session.add(
            StockLevel(
                product_id=product_id,
                sku=skus[product_id],
                on_hand=on_hand,
                reserved=held,
                available=free,
                min_qty=minimum,
                max_qty=minimum * 6 if minimum else 0,
                low_stock=bool(minimum) and free <= minimum,
                created_at=now,
                updated_at=now,
            )
        )
        start = on_hand + sold.total()
        if start:
            opening.append(_opening(product_id, start, opened))
            streams.append(_balances(product_id, start, sold))
    if opening:
        _insert(session, StockMovement.__table__, opening)
    if grown:
        _grow_openings(session, grown, opened)
    # every product's sales in one line of time, so the ledger's ids follow the days as a live shop's do
    number_of = first_number - first_id
    rows = (
        {
            'product_id': product_id,
            'kind': MovementKind.sale.value,
            'quantity': -quantity,
            'balance': balance,
            'reason': f'Order {order_id + number_of}',
            'reason_key': SALE_REASON,
            'reason_params': f'{{"number": "{order_id + number_of}"}}',  # a number's digits: JSON as it is
            'order_id': order_id,
            'created_at': EPOCH + at * MICROSECOND,
        }
        for at, order_id, product_id, quantity, balance in heapq.merge(*streams)
    )
    for batch in _batches(rows, CHUNK):
        _insert(session, _SALES, batch)
    for batch in _batches(iter(stocked_before), 500):
        _balances_in_time(session, batch)


def _opening(product_id: int, quantity: int, at: datetime) -> dict[str, Any]:
    """What the shelf held before the year of orders: a receipt."""
    return {
        'product_id': product_id,
        'kind': MovementKind.receipt.value,
        'quantity': quantity,
        'balance': quantity,
        'reason': OPENING[0],
        'reason_key': OPENING[1],  # « Stock initial » to a French reader
        'reason_params': OPENING[2],
        'created_at': at,
    }


def _grow_openings(session: Session, grown: list[dict[str, Any]], opened: datetime) -> None:
    """The openings of products an earlier run opened: each holds these orders' shipped units too, dated before the
    earlier of both years of orders (a second opening would say the shop opened twice)."""
    table = StockMovement.__table__
    at = bindparam('opened', type_=table.c.created_at.type)
    session.execute(
        update(table)
        .where(table.c.id == bindparam('opening_id'))
        .values(
            quantity=table.c.quantity + bindparam('more'),
            created_at=case((table.c.created_at > at, at), else_=table.c.created_at),
        ),
        [{**row, 'opened': opened} for row in grown],
    )


def _reserve(session: Session, level: StockLevel, held: int, now: datetime) -> None:
    """A product that had stock: its new open orders reserve what they wait for, as services/stock reserves and
    refreshes it (available, low stock)."""
    if not held:
        return
    level.reserved += held
    level.available = level.on_hand - level.reserved
    level.low_stock = level.available < 0 or (level.min_qty > 0 and level.available <= level.min_qty)
    if not level.low_stock:
        level.low_alerted_at = None
    level.updated_at, level.version = now, level.version + 1
    session.add(level)


def _balances_in_time(session: Session, product_ids: list[int]) -> None:
    """Each movement's balance (on hand after it) counted again in the order they happened: the seeded sales are
    dated before the movements a product already had (its stock was counted or received since), yet written after."""
    session.flush()
    session.execute(
        text(
            'UPDATE stock_movements SET balance = counted.running FROM ('
            'SELECT id, SUM(quantity) OVER (PARTITION BY product_id ORDER BY created_at, id) AS running '
            'FROM stock_movements WHERE product_id IN :ids) AS counted '
            'WHERE stock_movements.id = counted.id AND stock_movements.balance <> counted.running'
        ).bindparams(bindparam('ids', expanding=True)),
        {'ids': product_ids},
    )


# the ledger's table with its values' JSON written by the seed (a sale's is the same few characters each time: the
# JSON type's encoding of 1.7 million of them was a quarter of the seed's added time), read back as the app's
_SALES = Table(
    StockMovement.__table__.name,
    MetaData(),
    *(
        Column(column.name, Text() if column.name == 'reason_params' else column.type)
        for column in StockMovement.__table__.c
    ),
)


def _balances(product_id: int, start: int, sold: _Sales) -> Iterator[tuple[int, int, int, int, int]]:
    balance = start
    for at, order_id, quantity in sold.in_order():
        balance -= quantity
        yield at, order_id, product_id, quantity, balance


OPENING = stored(sentence(N_('Opening stock')))


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _batches(rows: Iterator[Any], size: int) -> Iterator[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
